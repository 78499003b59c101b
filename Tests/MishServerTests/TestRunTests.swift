// test_run and build_run end to end: the real binary runs the real runners in the sandbox on the fixture projects
// in Tests/Fixtures (copied to a temp dir, built there), and every result is checked exactly.
import Foundation
import Glibc
import MishJSON
import Testing

/// What a test_run result must say, field by field.
struct ExpectedRun {
  var outcome: String
  var total = 0, passed = 0, failed = 0, skipped = 0, flaky = 0
  /// id, file, line, message of each failure, in the result's order (by file, line, id; no file last).
  var failures: [(id: String, file: String?, line: Int?, message: String)] = []
  var flakyIDs: [String] = []
}

@Suite("Test and build runs on real projects", .serialized)
final class TestRunTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").path
  /// Builds take a while on two cores (a Swift package's first build most of all).
  static let buildTimeout: TimeInterval = 600

  var directories: [TempDir] = []
  var servers: [LiveServer] = []

  deinit {
    for server in servers { server.kill() }
    for directory in directories { directory.remove() }
  }

  /// A fresh copy of the fixture, and a server on it (run as `user`, who then owns the copy).
  func project(_ fixture: String, user: uid_t? = nil) throws -> (TempDir, LiveServer) {
    let directory = try TempDir("testrun-\(fixture)")
    directories.append(directory)
    let copy = Process()
    copy.executableURL = URL(fileURLWithPath: "/bin/cp")
    copy.arguments = ["-a", Self.fixtures + "/" + fixture + "/.", directory.path]
    try copy.run()
    copy.waitUntilExit()
    guard copy.terminationStatus == 0 else { throw HarnessError("cannot copy the \(fixture) fixture") }
    if let user {
      chmod(directory.path, 0o755)
      for path in [directory.path] + (FileManager.default.subpaths(atPath: directory.path) ?? []).map({ directory.path + "/" + $0 }) {
        chown(path, user, user)
      }
    }
    let server = try LiveServer(root: directory.path, user: user)
    servers.append(server)
    return (directory, server)
  }

  /// A new directory holding `files` (path → text), and a server on it.
  func scratchProject(_ label: String, _ files: [String: String]) throws -> (TempDir, LiveServer) {
    let directory = try TempDir(label)
    directories.append(directory)
    for (path, text) in files { try directory.write(path, text) }
    let server = try LiveServer(root: directory.path)
    servers.append(server)
    return (directory, server)
  }

  func call(_ server: LiveServer, _ tool: String, _ arguments: JSONValue, meta: JSONValue? = nil) throws -> JSONValue {
    let result = try server.callTool(tool, arguments, meta: meta, timeout: Self.buildTimeout)
    #expect(result["isError"]?.boolValue != true, "\(tool) failed: \(result.compact)")
    return result["structuredContent"] ?? .null
  }

  func check(_ result: JSONValue, _ expected: ExpectedRun, sourceLocation: SourceLocation = #_sourceLocation) {
    let context = Comment(rawValue: "result: \(JSONWriter.string(result))")
    #expect(result["outcome"]?.stringValue == expected.outcome, context, sourceLocation: sourceLocation)
    let summary = result["summary"]
    #expect(summary?["total"]?.intValue == expected.total, context, sourceLocation: sourceLocation)
    #expect(summary?["passed"]?.intValue == expected.passed, context, sourceLocation: sourceLocation)
    #expect(summary?["failed"]?.intValue == expected.failed, context, sourceLocation: sourceLocation)
    #expect(summary?["skipped"]?.intValue == expected.skipped, context, sourceLocation: sourceLocation)
    #expect(summary?["flaky"]?.intValue == expected.flaky, context, sourceLocation: sourceLocation)
    let failures = result["failures"]?.arrayValue ?? []
    #expect(failures.count == expected.failures.count, context, sourceLocation: sourceLocation)
    for (failure, want) in zip(failures, expected.failures) {
      #expect(failure["id"]?.stringValue == want.id, context, sourceLocation: sourceLocation)
      #expect(failure["file"]?.stringValue == want.file, "\(want.id): file", sourceLocation: sourceLocation)
      #expect(failure["line"]?.intValue == want.line, "\(want.id): line", sourceLocation: sourceLocation)
      #expect(failure["message"]?.stringValue == want.message, "\(want.id): message", sourceLocation: sourceLocation)
      #expect(failure["excerpt"]?.stringValue?.isEmpty == false, "\(want.id): excerpt", sourceLocation: sourceLocation)
    }
    let flaky = (result["flaky"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    #expect(flaky == expected.flakyIDs, context, sourceLocation: sourceLocation)
  }

  func checkBuildFailure(_ result: JSONValue, file: String, line: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let context = Comment(rawValue: "result: \(JSONWriter.string(result))")
    #expect(result["outcome"]?.stringValue == "build_failed", context, sourceLocation: sourceLocation)
    #expect(result["summary"]?["total"]?.intValue == 0, context, sourceLocation: sourceLocation)
    let errors = (result["diagnostics"]?.arrayValue ?? []).filter { $0["severity"]?.stringValue == "error" }
    #expect(errors.first?["file"]?.stringValue == file, context, sourceLocation: sourceLocation)
    #expect(errors.first?["line"]?.intValue == line, context, sourceLocation: sourceLocation)
    #expect(result["log_tail"]?.stringValue?.isEmpty == false, context, sourceLocation: sourceLocation)
  }
}

extension TestRunTests {
  @Test func pytestProject() throws {
    let (directory, server) = try project("pytest")
    let first = try call(server, "test_run", ["retries": 1])
    #expect(first["runner"]?.stringValue == "pytest")
    check(
      first,
      ExpectedRun(
        outcome: "tests_failed", total: 6, passed: 2, failed: 2, skipped: 1, flaky: 1,
        failures: [
          ("tests/test_calc.py::test_add_wrong", "tests/test_calc.py", 13, "assert 4 == 5\n +  where 4 = add(2, 2)"),
          ("tests/test_calc.py::TestOps::test_div_zero", "tests/test_calc.py", 34, "ZeroDivisionError: division by zero"),
        ],
        flakyIDs: ["tests/test_calc.py::test_flaky"]))
    #expect(first["attempts"]?.arrayValue?.count == 2)

    let rerun = try call(server, "test_run", ["rerun_failed": true])
    check(
      rerun,
      ExpectedRun(
        outcome: "tests_failed", total: 2, failed: 2,
        failures: [
          ("tests/test_calc.py::test_add_wrong", "tests/test_calc.py", 13, "assert 4 == 5\n +  where 4 = add(2, 2)"),
          ("tests/test_calc.py::TestOps::test_div_zero", "tests/test_calc.py", 34, "ZeroDivisionError: division by zero"),
        ]))

    let filtered = try call(server, "test_run", ["filter": "div"])
    check(
      filtered,
      ExpectedRun(
        outcome: "tests_failed", total: 2, passed: 1, failed: 1,
        failures: [("tests/test_calc.py::TestOps::test_div_zero", "tests/test_calc.py", 34, "ZeroDivisionError: division by zero")]))

    let none = try call(server, "test_run", ["filter": "no_such_test"])
    #expect(none["outcome"]?.stringValue == "no_tests", "\(none)")
    #expect(none["notes"]?.arrayValue?.contains { $0.stringValue?.contains("No test matched the filter \"no_such_test\"") == true } == true, "\(none)")

    try directory.write("calc.py", "def add(a, b):\n    return a +\n")
    checkBuildFailure(try call(server, "test_run", [:]), file: "calc.py", line: 2)
    let build = try call(server, "build_run", [:])
    #expect(build["succeeded"]?.boolValue == false)
    #expect(build["diagnostics"]?.arrayValue?.first?["file"]?.stringValue == "calc.py", "\(build)")
  }

  @Test func progressNamesEachFinishedTest() throws {
    let (_, server) = try project("pytest")
    _ = try call(server, "test_run", [:], meta: ["progressToken": "tests-1"])
    let messages = server.takeStashed().filter { $0.json["method"]?.stringValue == "notifications/progress" }
      .compactMap { $0.json["params"]?["message"]?.stringValue }
    #expect(messages.contains("✓ tests/test_calc.py::test_add"), "\(messages)")
    #expect(messages.contains("✗ tests/test_calc.py::TestOps::test_div_zero"), "\(messages)")
    #expect(messages.contains("○ tests/test_calc.py::test_skipped"), "\(messages)")
    #expect(messages.count == 6, "one notification per finished test: \(messages)")
  }

  @Test func rerunFailedNeedsAnEarlierFailure() throws {
    let (_, server) = try project("pytest")
    let result = try server.callTool("test_run", ["rerun_failed": true])
    #expect(result["isError"]?.boolValue == true)
    #expect(result["structuredContent"]?["error"]?["code"]?.stringValue == "invalid_argument")
  }

  @Test func noRunnerIsAClearError() throws {
    let (_, server) = try scratchProject("testrun-empty", ["README.md": "nothing to test\n"])
    let result = try server.callTool("test_run", [:])
    #expect(result["isError"]?.boolValue == true)
    #expect(result["structuredContent"]?["error"]?["hint"]?.stringValue?.contains("runner") == true)
  }

  static let hasGo = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
    FileManager.default.isExecutableFile(atPath: "\($0)/go")
  }

  /// A runner whose program this machine lacks says which runner, why, and the way around it.
  @Test(.enabled(if: !hasGo, "needs a machine without go")) func aMissingRunnerProgramIsNamed() throws {
    let (_, server) = try scratchProject("testrun-nogo", ["go.mod": "module x\n"])
    let result = try server.callTool("test_run", ["runner": "go"])
    let error = result["structuredContent"]?["error"]
    #expect(error?["code"]?.stringValue == "not_found", "\(result.compact)")
    #expect(error?["message"]?.stringValue?.contains("the go runner (asked for) needs it") == true, "\(result.compact)")
    #expect(error?["hint"]?.stringValue?.contains("command") == true)
  }
}

extension TestRunTests {
  @Test func cargoProject() throws {
    let (directory, server) = try project("cargo")
    let failures: [(id: String, file: String?, line: Int?, message: String)] = [
      ("tests::adds_wrong", "src/lib.rs", 16, "assertion `left == right` failed\n  left: 4\n right: 5"),
      ("tests::panics", "src/lib.rs", 25, "boom"),
    ]
    let first = try call(server, "test_run", ["retries": 1])
    #expect(first["runner"]?.stringValue == "cargo")
    check(first, ExpectedRun(outcome: "tests_failed", total: 5, passed: 1, failed: 2, skipped: 1, flaky: 1, failures: failures, flakyIDs: ["tests::flaky"]))
    check(try call(server, "test_run", ["rerun_failed": true]), ExpectedRun(outcome: "tests_failed", total: 2, failed: 2, failures: failures))
    check(try call(server, "test_run", ["filter": "adds"]), ExpectedRun(outcome: "tests_failed", total: 2, passed: 1, failed: 1, failures: [failures[0]]))

    try directory.write("src/lib.rs", "pub fn add(a: i32, b: i32) -> i32 {\n    \"x\"\n}\n")
    checkBuildFailure(try call(server, "test_run", [:]), file: "src/lib.rs", line: 2)
    let build = try call(server, "build_run", [:])
    #expect(build["succeeded"]?.boolValue == false)
    let error = build["diagnostics"]?.arrayValue?.first { $0["severity"]?.stringValue == "error" }
    #expect(error?["file"]?.stringValue == "src/lib.rs" && error?["line"]?.intValue == 2 && error?["code"]?.stringValue == "E0308", "\(build)")
  }

  @Test func nodeProject() throws {
    let (directory, server) = try project("node")
    let failures: [(id: String, file: String?, line: Int?, message: String)] = [
      ("adds wrong", "test/math.test.js", 13, "Expected values to be strictly equal:\n\n4 !== 5"),
      ("ops > divides wrong", "test/math.test.js", 32, "Expected values to be strictly equal:\n\n2 !== 3"),
    ]
    let first = try call(server, "test_run", ["retries": 1])
    #expect(first["runner"]?.stringValue == "node")
    check(first, ExpectedRun(outcome: "tests_failed", total: 6, passed: 2, failed: 2, skipped: 1, flaky: 1, failures: failures, flakyIDs: ["flaky"]))
    check(try call(server, "test_run", ["rerun_failed": true]), ExpectedRun(outcome: "tests_failed", total: 2, failed: 2, failures: failures))

    try directory.write("math.js", "exports.add = (a, b) => a +;\n")
    checkBuildFailure(try call(server, "test_run", [:]), file: "math.js", line: 1)
  }

  @Test func swiftProjectWithXCTestAndSwiftTesting() throws {
    let (directory, server) = try project("swift")
    let failures: [(id: String, file: String?, line: Int?, message: String)] = [
      ("CalcTests.addsWrongSwiftly()", "Tests/CalcTests/SwiftTests.swift", 7, "Expectation failed: (add(1, 1) → 2) == 3"),
      ("CalcTests.CalcXCTests/testAddsWrong", "Tests/CalcTests/XCTests.swift", 8, "XCTAssertEqual failed: (\"4\") is not equal to (\"5\") - two and two"),
    ]
    let first = try call(server, "test_run", ["retries": 1])
    #expect(first["runner"]?.stringValue == "swift")
    // XCTSkip shows as passed: SwiftPM's --parallel xUnit report says so, and the result notes it.
    check(first, ExpectedRun(outcome: "tests_failed", total: 8, passed: 4, failed: 2, skipped: 1, flaky: 1, failures: failures, flakyIDs: ["CalcTests.flaky()"]))
    #expect(first["notes"]?.arrayValue?.contains { $0.stringValue?.contains("XCTSkip") == true } == true)
    check(try call(server, "test_run", ["rerun_failed": true]), ExpectedRun(outcome: "tests_failed", total: 2, failed: 2, failures: failures))
    check(try call(server, "test_run", ["filter": "Operations"]), ExpectedRun(outcome: "passed", total: 1, passed: 1))

    try directory.write("Sources/Calc/Calc.swift", "public func add(_ a: Int, _ b: Int) -> Int { a + \"b\" }\n")
    checkBuildFailure(try call(server, "test_run", [:]), file: "Sources/Calc/Calc.swift", line: 1)
    let build = try call(server, "build_run", [:])
    #expect(build["succeeded"]?.boolValue == false && build["errors"]?.intValue == 1, "\(build)")
  }

  @Test func junitFileFromACommand() throws {
    let (directory, server) = try project("junit")
    let first = try call(server, "test_run", ["command": "./run-tests.sh", "retries": 1])
    #expect(first["runner"]?.stringValue == "command")
    check(
      first,
      ExpectedRun(
        outcome: "tests_failed", total: 5, passed: 2, failed: 1, skipped: 1, flaky: 1,
        failures: [("app.Math/adds_wrong", "src/math_test.c", 14, "expected 5, got 4")], flakyIDs: ["app.Net/retries"]))
    #expect(first["notes"]?.arrayValue?.contains { $0.stringValue?.contains("ran whole again") == true } == true, "\(first)")
    try directory.write("broken", "")
    checkBuildFailure(try call(server, "test_run", ["command": "./run-tests.sh"]), file: "src/app.c", line: 3)
  }

  @Test func tapStreamFromACommand() throws {
    let (directory, server) = try project("tap")
    check(
      try call(server, "test_run", ["command": "./run-tests.sh", "retries": 1]),
      ExpectedRun(
        outcome: "tests_failed", total: 6, passed: 2, failed: 2, skipped: 1, flaky: 1,
        failures: [("parses strings", "lib/parse_test.c", 40, "expected \"a\", got \"b\""), ("nested > inner fails", nil, nil, "")],
        flakyIDs: ["network"]))
    // The Makefile's test target is found on its own, and make's own failure line is no compiler message.
    let viaMake = try call(server, "test_run", [:])
    #expect(viaMake["runner"]?.stringValue == "make" && viaMake["command"]?.stringValue == "make test")
    check(
      viaMake,
      ExpectedRun(
        outcome: "tests_failed", total: 6, passed: 3, failed: 2, skipped: 1,
        failures: [("parses strings", "lib/parse_test.c", 40, "expected \"a\", got \"b\""), ("nested > inner fails", nil, nil, "")]))
    try directory.write("broken", "")
    checkBuildFailure(try call(server, "test_run", ["command": "./run-tests.sh"]), file: "lib/parse.c", line: 10)
    checkBuildFailure(try call(server, "test_run", [:]), file: "lib/parse.c", line: 10)
  }

  @Test func reportsAreReadBackWhenUnprivileged() throws {
    let (_, server) = try project("junit", user: 65534)
    let result = try call(server, "test_run", ["command": "./run-tests.sh"])
    check(
      result,
      ExpectedRun(
        outcome: "tests_failed", total: 5, passed: 2, failed: 2, skipped: 1,
        failures: [("app.Math/adds_wrong", "src/math_test.c", 14, "expected 5, got 4"), ("app.Net/retries", nil, nil, "timed out")]))
  }

  @Test func buildRunParsesCompilerOutput() throws {
    let (directory, server) = try scratchProject("buildrun", ["src/main.c": "int main(void) {\n  int unused;\n  return missing;\n}\n"])
    let failed = try call(server, "build_run", ["command": "gcc -Wall -c src/main.c -o /tmp/main.o"])
    #expect(failed["succeeded"]?.boolValue == false)
    let diagnostics = (failed["diagnostics"]?.arrayValue ?? []).map {
      "\($0["file"]?.stringValue ?? ""):\($0["line"]?.intValue ?? 0):\($0["column"]?.intValue ?? 0) \($0["severity"]?.stringValue ?? "")"
    }
    #expect(diagnostics.contains("src/main.c:3:10 error"), "\(failed)")
    #expect(diagnostics.contains("src/main.c:2:7 warning"), "\(failed)")
    #expect(failed["errors"]?.intValue == 1)
    try directory.write("src/main.c", "int main(void) { return 0; }\n")
    let clean = try call(server, "build_run", ["command": "gcc -Wall -c src/main.c -o /tmp/main.o"])
    #expect(clean["succeeded"]?.boolValue == true && clean["diagnostics"]?.arrayValue?.isEmpty == true, "\(clean)")
  }

  /// A Makefile with no test target names no test runner, but it still says how to build.
  @Test func buildRunWithoutACommandRunsMakeForAnyMakefile() throws {
    let (_, server) = try scratchProject(
      "buildrun-make", ["Makefile": "all:\n\tgcc -Wall -c src/main.c -o /tmp/main.o\n", "src/main.c": "int main(void) {\n  return missing;\n}\n"])
    let build = try call(server, "build_run", [:])
    #expect(build["command"]?.stringValue == "make" && build["errors"]?.intValue == 1, "\(build)")
    let error = build["diagnostics"]?.arrayValue?.first
    #expect(error?["file"]?.stringValue == "src/main.c" && error?["line"]?.intValue == 2, "\(build)")

    let (_, emptyServer) = try scratchProject("buildrun-empty", ["README.md": "nothing to build\n"])
    let refused = try emptyServer.callTool("build_run", [:])
    #expect(refused["isError"]?.boolValue == true)
    #expect(refused["structuredContent"]?["error"]?["hint"]?.stringValue?.contains("Pass command") == true, "\(refused)")
  }

  /// A TAP producer that colours its lines: the escapes do not hide the results.
  @Test func colouredTAPOnStdout() throws {
    let (_, server) = try project("tap")
    let result = try call(server, "test_run", ["command": "printf '1..2\\n\\033[32mok 1 - green\\033[0m\\n\\033[31mnot ok 2 - red\\033[0m\\n'; exit 1"])
    check(result, ExpectedRun(outcome: "tests_failed", total: 2, passed: 1, failed: 1, failures: [("red", nil, nil, "")]))
  }

  @Test func timeoutIsItsOwnOutcome() throws {
    let (_, server) = try project("tap")
    let result = try call(server, "test_run", ["command": "echo 'ok 1 - started'; sleep 30", "timeout_ms": 500])
    #expect(result["outcome"]?.stringValue == "timed_out", "\(result)")
    #expect(result["log_tail"]?.stringValue?.contains("ok 1 - started") == true)
  }

  @Test func malformedReportIsAnErrorWithANote() throws {
    let (_, server) = try project("tap")
    let result = try call(server, "test_run", ["command": "printf '<testsuite><testcase name=\"a\"><failure message=\"x' > \"$MISH_REPORT_DIR/r.xml\"; exit 1"])
    #expect(result["outcome"]?.stringValue == "error", "a cut-off test's result is unknown, so nothing failed: \(result)")
    #expect(result["notes"]?.arrayValue?.contains { $0.stringValue?.contains("r.xml: the report ends inside") == true } == true, "\(result)")
    let garbage = try call(server, "test_run", ["command": "echo 'this is not a report'; exit 3"])
    #expect(garbage["outcome"]?.stringValue == "error", "\(garbage)")
    #expect(garbage["notes"]?.arrayValue?.contains { $0.stringValue?.contains("status 3") == true } == true, "\(garbage)")
  }
}

extension TestRunTests {
  /// A unittest suite with no pytest config is found by its test files, and where the project's python has no
  /// pytest (a venv without it) it runs with unittest: the same ids, files, lines, messages, re-runs and filters.
  @Test func unittestProjectWithoutPytest() throws {
    let (directory, server) = try project("unittest")
    let venv = Process()
    venv.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    venv.arguments = ["python3", "-m", "venv", "--without-pip", directory.path + "/.venv"]
    try venv.run()
    venv.waitUntilExit()
    try #require(venv.terminationStatus == 0, "python3 -m venv failed")
    let failures: [(id: String, file: String?, line: Int?, message: String)] = [
      ("tests/test_cart.py::DiscountTest::test_ten_percent", "tests/test_cart.py", 20, "AssertionError: 0.0 != 90"),
      ("tests/test_cart.py::DiscountTest::test_lookup", "tests/test_cart.py", 23, "KeyError: 'missing'"),
      ("tests/test_cart.py::DiscountTest::test_each_percent", "tests/test_cart.py", 28, "AssertionError: -400.0 not greater than or equal to 0"),
    ]
    let first = try call(server, "test_run", [:])
    #expect(first["runner"]?.stringValue == "pytest")
    #expect(first["notes"]?.arrayValue?.contains { $0.stringValue?.contains("ran with unittest") == true } == true, "\(first.compact)")
    check(first, ExpectedRun(outcome: "tests_failed", total: 6, passed: 2, failed: 3, skipped: 1, failures: failures))
    check(try call(server, "test_run", ["rerun_failed": true]), ExpectedRun(outcome: "tests_failed", total: 3, failed: 3, failures: failures))
    check(
      try call(server, "test_run", ["filter": "percent"]),
      ExpectedRun(outcome: "tests_failed", total: 2, failed: 2, failures: [failures[0], failures[2]]))
    #expect(try call(server, "test_run", ["filter": "no_such_test"])["outcome"]?.stringValue == "no_tests")
    // tests/ as a plain directory (no __init__.py): found all the same, with the same ids, and re-run by them.
    unlink(directory.path + "/tests/__init__.py")
    check(try call(server, "test_run", [:]), ExpectedRun(outcome: "tests_failed", total: 6, passed: 2, failed: 3, skipped: 1, failures: failures))
    check(try call(server, "test_run", ["rerun_failed": true]), ExpectedRun(outcome: "tests_failed", total: 3, failed: 3, failures: failures))
    try directory.write("shop/cart.py", "def total(prices):\n    return sum(prices\n")
    checkBuildFailure(try call(server, "test_run", [:]), file: "shop/cart.py", line: 2)
  }
}

extension TestRunTests {
  /// pytest killed before writing its report (a segfault, the timeout): its -v lines say which tests ran and which
  /// one was running; before, a crash was 'error' with an earlier failure lost, and a timeout named no test.
  @Test func pytestKilledMidRunSaysWhatRan() throws {
    let (directory, server) = try scratchProject(
      "testrun-killed",
      [
        "pytest.ini": "",
        "tests/test_k.py":
          "import ctypes, time\n\ndef test_fine():\n    assert True\n\ndef test_wrong():\n    assert 1 == 2\n\ndef test_crash():\n    ctypes.string_at(0)\n\ndef test_after():\n    assert True\n",
      ])
    let crashed = try call(server, "test_run", [:])
    #expect(crashed["outcome"]?.stringValue == "tests_failed", "\(crashed.compact)")
    let failures = (crashed["failures"]?.arrayValue ?? []).map { [$0["id"]?.stringValue ?? "", $0["message"]?.stringValue ?? ""] }
    #expect(failures.contains(["tests/test_k.py::test_crash", "killed by SIGSEGV while it ran"]), "\(crashed.compact)")
    #expect(failures.contains { $0[0] == "tests/test_k.py::test_wrong" }, "\(crashed.compact)")
    #expect(crashed["summary"]?["passed"]?.intValue == 1)

    try directory.write("tests/test_k.py", "import time\n\ndef test_fine():\n    assert True\n\ndef test_hang():\n    time.sleep(60)\n")
    let hung = try call(server, "test_run", ["timeout_ms": 4000])
    #expect(hung["outcome"]?.stringValue == "timed_out", "\(hung.compact)")
    #expect(hung["failures"]?.arrayValue?.first?["id"]?.stringValue == "tests/test_k.py::test_hang", "\(hung.compact)")
    #expect(hung["failures"]?.arrayValue?.first?["message"]?.stringValue == "still running when the run hit its timeout")
  }
}
