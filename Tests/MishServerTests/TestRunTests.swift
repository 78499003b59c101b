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
  /// id, file, line, message of each failure, in report order.
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

  /// A fresh copy of the fixture, and a server on it.
  func project(_ fixture: String) throws -> (TempDir, LiveServer) {
    let directory = try TempDir("testrun-\(fixture)")
    directories.append(directory)
    let copy = Process()
    copy.executableURL = URL(fileURLWithPath: "/bin/cp")
    copy.arguments = ["-a", Self.fixtures + "/" + fixture + "/.", directory.path]
    try copy.run()
    copy.waitUntilExit()
    guard copy.terminationStatus == 0 else { throw HarnessError("cannot copy the \(fixture) fixture") }
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
    let directory = try TempDir("testrun-empty")
    directories.append(directory)
    try directory.write("README.md", "nothing to test\n")
    let server = try LiveServer(root: directory.path)
    servers.append(server)
    let result = try server.callTool("test_run", [:])
    #expect(result["isError"]?.boolValue == true)
    #expect(result["structuredContent"]?["error"]?["hint"]?.stringValue?.contains("runner") == true)
  }
}
