// Runner detection, invocations (report flags, filters, exact re-runs), progress lines, and the outcome rules.
import Testing

@testable import MishReports

@Suite("Runners and outcomes")
struct RunnerTests {
  @Test(arguments: [
    (["Package.swift": "", "Makefile": "test:\n\tswift test\n"], Runner.swift),
    (["pyproject.toml": "[tool.pytest.ini_options]\n"], .pytest),
    (["pyproject.toml": "[project]\nname='x'\n", "Cargo.toml": ""], .cargo),
    (["pytest.ini": ""], .pytest),
    (["go.mod": "module x\n"], .go),
    (["package.json": "{\"scripts\":{\"test\":\"node --test\"}}"], .node),
    (["package.json": "{\"devDependencies\":{\"jest\":\"^29\"}}"], .jest),
    (["CMakeLists.txt": ""], .ctest),
    (["Makefile": "all:\n\tcc x.c\ncheck: all\n\t./x --test\n"], .make),
  ])
  func detectsTheProject(files: [String: String], expected: Runner) {
    #expect(Runner.detect { files[$0] } == expected)
  }

  @Test func pythonTestFilesMeanPytest() {
    for (directory, names) in [("", ["calc.py", "test_calc.py"]), ("tests", ["__init__.py", "test_calc.py"]), ("test", ["calc_test.py"])] {
      #expect(Runner.detect(read: { _ in nil }, list: { $0 == directory ? names : [] }) == .pytest, "\(directory): \(names)")
    }
    #expect(Runner.detect(read: { _ in nil }, list: { $0 == "" ? ["calc.py", "testing.py", "tests"] : ["helpers.py"] }) == nil)
    #expect(Runner.detect(read: { ["go.mod": "module x\n"][$0] }, list: { _ in ["test_x.py"] }) == .go, "a marker file wins")
  }

  @Test func pytestProgressLinesOfAKilledRun() throws {
    let output = "collecting ... collected 3 items\n\ntests/t.py::test_a PASSED [ 33%]\ntests/t.py::T::test_b FAILED [ 66%]\ntests/t.py::test_c \n"
    let report = try #require(Runner.pytestProgress(output, killedWhile: "killed"))
    #expect(report.cases.map(\.id) == ["tests/t.py::test_a", "tests/t.py::T::test_b", "tests/t.py::test_c"])
    #expect(report.cases.map(\.status) == [.passed, .failed, .failed])
    #expect(report.cases.map(\.suite) == ["", "T", ""])
    #expect(report.cases.map(\.file) == ["tests/t.py", "tests/t.py", "tests/t.py"])
    #expect(report.cases[2].message == "killed")
    #expect(Runner.pytestProgress("collecting ... collected 0 items\n", killedWhile: "killed") == nil)
  }

  @Test func detectsNothingWithoutMarkers() {
    #expect(Runner.detect { ["README.md": "", "Makefile": "all:\n\tcc x.c\n"][$0] } == nil)
    #expect(Runner.makeTarget("build:\n\ttest -f x\n") == nil, "a recipe line mentioning test is not a target")
  }

  @Test func eachRunnerWritesItsNativeReport() {
    let swift = Runner.swift.invocation(selection: .all, reportDirectory: "/tmp/r")
    #expect(swift.argv == ["swift", "test", "--parallel", "--xunit-output", "/tmp/r/xunit.xml", "--event-stream-output-path", "/tmp/r/events.jsonl", "--event-stream-version", "0"])
    #expect(swift.report == .swift(xunit: "/tmp/r/xunit.xml", events: "/tmp/r/events.jsonl"))
    let pytest = Runner.pytest.invocation(selection: .filter("add and not wrong"), reportDirectory: "/tmp/r", python: ".venv/bin/python")
    #expect(pytest.argv == [".venv/bin/python", "-c", Runner.pytestOrUnittest, "-o", "junit_family=xunit1", "--junitxml=/tmp/r/pytest.xml", "-p", "no:cacheprovider", "-v", "-k", "add and not wrong"])
    #expect(pytest.shownArgv == [".venv/bin/python", "-m", "pytest"] + pytest.argv.dropFirst(3))
    let cargo = Runner.cargo.invocation(selection: .exactly(["tests::a", "tests::b"]), reportDirectory: "/tmp/r")
    #expect(cargo.argv == ["cargo", "test", "--no-fail-fast", "--", "--exact", "tests::a", "tests::b", "-Z", "unstable-options", "--format", "json", "--report-time"])
    #expect(cargo.environment["RUSTC_BOOTSTRAP"] == "-1")
    let go = Runner.go.invocation(selection: .exactly(["example.com/m/calc TestAdd", "example.com/m/calc TestDiv/zero", "example.com/m/io TestRead"]), reportDirectory: "/tmp/r")
    #expect(go.argv == ["go", "test", "-json", "-run", "^(TestAdd|TestDiv|TestRead)$", "example.com/m/calc", "example.com/m/io"])
    let node = Runner.node.invocation(selection: .exactly(["ops > divides (wrong)"]), reportDirectory: "/tmp/r")
    #expect(node.argv == ["node", "--test", "--test-reporter=tap", "--test-name-pattern=^divides \\(wrong\\)$"])
    let jest = Runner.jest.invocation(selection: .exactly(["math adds", "math a.b"]), reportDirectory: "/tmp/r")
    #expect(jest.argv.suffix(2) == ["-t", "^(math adds|math a\\.b)$"])
    let ctest = Runner.ctest.invocation(selection: .filter("unit"), reportDirectory: "/tmp/r")
    #expect(ctest.argv[2].hasSuffix("ctest --test-dir build/mish-ctest --output-on-failure --output-junit '/tmp/r/ctest.xml' -R 'unit'"))
    let command = Runner.command.invocation(selection: .exactly(["a"]), reportDirectory: "/tmp/r", command: "./t.sh")
    #expect(command.argv == ["/bin/sh", "-c", "./t.sh"])
    #expect(command.runsEverything && command.environment["MISH_REPORT_DIR"] == "/tmp/r" && command.notes.count == 1)
  }

  @Test(arguments: [
    (Runner.swift, "Test Case 'CalcXCTests.testAdds' passed (0.001 seconds).", "CalcXCTests.testAdds", TestCase.Status.passed),
    (.swift, "Test Case 'CalcXCTests.testAddsWrong' failed (0.002 seconds).", "CalcXCTests.testAddsWrong", .failed),
    (.swift, "✘ Test addsWrongSwiftly() failed after 0.001 seconds with 1 issue.", "addsWrongSwiftly()", .failed),
    (.swift, "✔ Test addsSwiftly() passed after 0.001 seconds.", "addsSwiftly()", .passed),
    (.pytest, "tests/test_calc.py::test_add PASSED                             [ 16%]", "tests/test_calc.py::test_add", .passed),
    (.pytest, "tests/test_calc.py::TestOps::test_div_zero FAILED              [100%]", "tests/test_calc.py::TestOps::test_div_zero", .failed),
    (.cargo, "{ \"type\": \"test\", \"name\": \"tests::adds\", \"event\": \"ok\" }", "tests::adds", .passed),
    (.cargo, "{ \"type\": \"test\", \"name\": \"tests::ignored\", \"event\": \"ignored\" }", "tests::ignored", .skipped),
    (.go, "{\"Action\":\"fail\",\"Package\":\"m\",\"Test\":\"TestAdd\",\"Elapsed\":0}", "TestAdd", .failed),
    (.node, "not ok 2 - adds wrong", "adds wrong", .failed),
    (.node, "    ok 1 - multiplies", "multiplies", .passed),
    (.node, "ok 3 - skipped # SKIP not today", "skipped", .skipped),
    (.ctest, "2/3 Test #2: parse ...........................***Failed    0.01 sec", "parse", .failed),
  ])
  func progressLinesNameFinishedTests(runner: Runner, line: String, name: String, status: TestCase.Status) {
    let found = runner.finishedTest(in: Substring(line))
    #expect(found?.name == name)
    #expect(found?.status == status)
  }

  @Test func otherLinesAreNotProgress() {
    #expect(Runner.swift.finishedTest(in: "Test Case 'X.y' started at 2026-12-04") == nil)
    #expect(Runner.pytest.finishedTest(in: "3 failed, 2 passed in 0.1s") == nil)
    #expect(Runner.node.finishedTest(in: "# tests 5") == nil)
    #expect(Runner.cargo.finishedTest(in: "{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": 5 }") == nil)
  }

  @Test func nodeFileThatFailsToLoadIsABuildFailure() {
    let loadFailure = TestCase(suite: "", name: "/w/test/math.test.js", id: "/w/test/math.test.js", status: .failed, message: "test failed")
    let output = "TAP version 13\n# /w/math.js:1\n# exports.add = (a, b) => a +;\n#                            ^\n# SyntaxError: Unexpected token ';'\n#     at wrapSafe (node:internal/modules/cjs/loader:1464:18)\n"
    let (report, diagnostics) = Runner.node.interpreted(ParsedReport(cases: [loadFailure]), output: output)
    #expect(report.buildFailed && report.cases.isEmpty)
    #expect(diagnostics == [Diagnostic(file: "/w/math.js", line: 1, column: nil, severity: .error, message: "SyntaxError: Unexpected token ';'")])
    let real = TestCase(suite: "", name: "adds", id: "adds", status: .failed)
    #expect(Runner.node.interpreted(ParsedReport(cases: [loadFailure, real]), output: output).report.buildFailed == false)
  }

  /// A file whose process crashed did load: its failure is a test failure, not a build failure.
  @Test func nodeFileKilledByASignalIsAFailureNotABuildFailure() {
    let parsed = TAPReport.parse(TAPFixtures.nodeCrash)
    let (report, diagnostics) = Runner.node.interpreted(parsed, output: TAPFixtures.nodeCrash)
    #expect(report.buildFailed == false && diagnostics.isEmpty)
    #expect(report.cases.map(\.id) == ["/tmp/tr/n3/test/crash.test.js"])
    #expect(TestOutcome.decide(exit: .init(code: 1), report: report, compileErrors: 0).outcome == .testsFailed)
  }

  static let failing = TestCase(suite: "s", name: "a", id: "s/a", status: .failed)
  static let passing = TestCase(suite: "s", name: "b", id: "s/b", status: .passed)

  @Test(arguments: [
    (TestOutcome.Exit(code: 1), ParsedReport(cases: [failing, passing]), 0, TestOutcome.testsFailed),
    (.init(code: 0), ParsedReport(cases: [passing]), 0, .passed),
    (.init(code: 1), nil, 3, .buildFailed),
    (.init(code: 1), ParsedReport(buildFailed: true), 0, .buildFailed),
    (.init(code: 0), ParsedReport(cases: []), 0, .noTests),
    (.init(code: 0), nil, 0, .noTests),
    (.init(code: 5), ParsedReport(cases: []), 0, .noTests),
    (.init(code: 1), nil, 0, .error),
    (.init(code: 1), ParsedReport(cases: [passing]), 0, .error),
    (.init(code: nil, signal: "SIGKILL", timedOut: true), ParsedReport(cases: [failing]), 0, .timedOut),
    (.init(code: nil, signal: "SIGKILL", oomKilled: true), nil, 0, .error),
    (.init(code: nil, signal: "SIGSEGV"), ParsedReport(cases: [passing]), 0, .error),
  ] as [(TestOutcome.Exit, ParsedReport?, Int, TestOutcome)])
  func outcomes(exit: TestOutcome.Exit, report: ParsedReport?, compileErrors: Int, expected: TestOutcome) {
    let verdict = TestOutcome.decide(exit: exit, report: report, compileErrors: compileErrors, noTestsExitCode: 5)
    #expect(verdict.outcome == expected)
    #expect((verdict.reason == nil) == [.testsFailed, .passed, .buildFailed].contains(expected))
  }
}
