import Testing

@testable import MishReports

/// HAND-WRITTEN samples: Go is not installed on this machine, so these streams were written from cmd/test2json's
/// documented format (`go doc test2json`) and the `testing` package's output conventions, not captured.
enum GoTestFixtures {
  /// A package with a pass, a failing `t.Errorf`, a multi-line message, a `t.Skip`, a table test with one failing
  /// subtest, and a panic (whose stack test2json files under the test).
  static let run = #"""
{"Time":"2025-03-01T10:00:00.000001Z","Action":"start","Package":"example.com/calc"}
{"Time":"2025-03-01T10:00:00.100Z","Action":"run","Package":"example.com/calc","Test":"TestAdd"}
{"Time":"2025-03-01T10:00:00.100Z","Action":"output","Package":"example.com/calc","Test":"TestAdd","Output":"=== RUN   TestAdd\n"}
{"Time":"2025-03-01T10:00:00.101Z","Action":"output","Package":"example.com/calc","Test":"TestAdd","Output":"--- PASS: TestAdd (0.00s)\n"}
{"Time":"2025-03-01T10:00:00.101Z","Action":"pass","Package":"example.com/calc","Test":"TestAdd","Elapsed":0}
{"Time":"2025-03-01T10:00:00.102Z","Action":"run","Package":"example.com/calc","Test":"TestSub"}
{"Time":"2025-03-01T10:00:00.102Z","Action":"output","Package":"example.com/calc","Test":"TestSub","Output":"=== RUN   TestSub\n"}
{"Time":"2025-03-01T10:00:00.102Z","Action":"output","Package":"example.com/calc","Test":"TestSub","Output":"    calc_test.go:12: Sub(3, 2) = 2, want 1\n"}
{"Time":"2025-03-01T10:00:00.103Z","Action":"output","Package":"example.com/calc","Test":"TestSub","Output":"--- FAIL: TestSub (0.01s)\n"}
{"Time":"2025-03-01T10:00:00.103Z","Action":"fail","Package":"example.com/calc","Test":"TestSub","Elapsed":0.01}
{"Time":"2025-03-01T10:00:00.104Z","Action":"run","Package":"example.com/calc","Test":"TestSort"}
{"Time":"2025-03-01T10:00:00.104Z","Action":"output","Package":"example.com/calc","Test":"TestSort","Output":"=== RUN   TestSort\n"}
{"Time":"2025-03-01T10:00:00.104Z","Action":"output","Package":"example.com/calc","Test":"TestSort","Output":"    calc_test.go:20: mismatch:\n"}
{"Time":"2025-03-01T10:00:00.104Z","Action":"output","Package":"example.com/calc","Test":"TestSort","Output":"        got:  [1 2]\n"}
{"Time":"2025-03-01T10:00:00.104Z","Action":"output","Package":"example.com/calc","Test":"TestSort","Output":"        want: [2 1]\n"}
{"Time":"2025-03-01T10:00:00.104Z","Action":"output","Package":"example.com/calc","Test":"TestSort","Output":"    calc_test.go:23: second failure\n"}
{"Time":"2025-03-01T10:00:00.105Z","Action":"output","Package":"example.com/calc","Test":"TestSort","Output":"--- FAIL: TestSort (0.00s)\n"}
{"Time":"2025-03-01T10:00:00.105Z","Action":"fail","Package":"example.com/calc","Test":"TestSort","Elapsed":0}
{"Time":"2025-03-01T10:00:00.106Z","Action":"run","Package":"example.com/calc","Test":"TestNetwork"}
{"Time":"2025-03-01T10:00:00.106Z","Action":"output","Package":"example.com/calc","Test":"TestNetwork","Output":"=== RUN   TestNetwork\n"}
{"Time":"2025-03-01T10:00:00.106Z","Action":"output","Package":"example.com/calc","Test":"TestNetwork","Output":"    calc_test.go:30: needs network\n"}
{"Time":"2025-03-01T10:00:00.106Z","Action":"output","Package":"example.com/calc","Test":"TestNetwork","Output":"--- SKIP: TestNetwork (0.00s)\n"}
{"Time":"2025-03-01T10:00:00.106Z","Action":"skip","Package":"example.com/calc","Test":"TestNetwork","Elapsed":0}
{"Time":"2025-03-01T10:00:00.107Z","Action":"run","Package":"example.com/calc","Test":"TestDiv"}
{"Time":"2025-03-01T10:00:00.107Z","Action":"output","Package":"example.com/calc","Test":"TestDiv","Output":"=== RUN   TestDiv\n"}
{"Time":"2025-03-01T10:00:00.107Z","Action":"run","Package":"example.com/calc","Test":"TestDiv/positive"}
{"Time":"2025-03-01T10:00:00.107Z","Action":"output","Package":"example.com/calc","Test":"TestDiv/positive","Output":"=== RUN   TestDiv/positive\n"}
{"Time":"2025-03-01T10:00:00.107Z","Action":"run","Package":"example.com/calc","Test":"TestDiv/negative"}
{"Time":"2025-03-01T10:00:00.107Z","Action":"output","Package":"example.com/calc","Test":"TestDiv/negative","Output":"=== RUN   TestDiv/negative\n"}
{"Time":"2025-03-01T10:00:00.108Z","Action":"output","Package":"example.com/calc","Test":"TestDiv/negative","Output":"        calc_test.go:45: Div(-4, 2) = -3, want -2\n"}
{"Time":"2025-03-01T10:00:00.108Z","Action":"output","Package":"example.com/calc","Test":"TestDiv","Output":"--- FAIL: TestDiv (0.00s)\n"}
{"Time":"2025-03-01T10:00:00.108Z","Action":"output","Package":"example.com/calc","Test":"TestDiv/positive","Output":"    --- PASS: TestDiv/positive (0.00s)\n"}
{"Time":"2025-03-01T10:00:00.108Z","Action":"pass","Package":"example.com/calc","Test":"TestDiv/positive","Elapsed":0}
{"Time":"2025-03-01T10:00:00.108Z","Action":"output","Package":"example.com/calc","Test":"TestDiv/negative","Output":"    --- FAIL: TestDiv/negative (0.00s)\n"}
{"Time":"2025-03-01T10:00:00.108Z","Action":"fail","Package":"example.com/calc","Test":"TestDiv/negative","Elapsed":0}
{"Time":"2025-03-01T10:00:00.108Z","Action":"fail","Package":"example.com/calc","Test":"TestDiv","Elapsed":0}
{"Time":"2025-03-01T10:00:00.109Z","Action":"run","Package":"example.com/calc","Test":"TestPanic"}
{"Time":"2025-03-01T10:00:00.109Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"=== RUN   TestPanic\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"--- FAIL: TestPanic (0.00s)\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"panic: runtime error: index out of range [3] with length 0 [recovered]\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"\tpanic: runtime error: index out of range [3] with length 0\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"goroutine 7 [running]:\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"testing.tRunner.func1.2({0x5123e0, 0xc000016108})\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"\t/usr/local/go/src/testing/testing.go:1632 +0x230\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"panic({0x5123e0?, 0xc000016108?})\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"\t/usr/local/go/src/runtime/panic.go:785 +0x132\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"example.com/calc.TestPanic(0xc000107040?)\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"\t/home/dev/calc/calc_test.go:52 +0x1d\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"testing.tRunner(0xc000107040, 0x53d5a8)\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"output","Package":"example.com/calc","Test":"TestPanic","Output":"\t/usr/local/go/src/testing/testing.go:1690 +0xf4\n"}
{"Time":"2025-03-01T10:00:00.110Z","Action":"fail","Package":"example.com/calc","Test":"TestPanic","Elapsed":0}
{"Time":"2025-03-01T10:00:00.111Z","Action":"output","Package":"example.com/calc","Output":"FAIL\texample.com/calc\t0.011s\n"}
{"Time":"2025-03-01T10:00:00.111Z","Action":"fail","Package":"example.com/calc","Elapsed":0.011}
{"Time":"2025-03-01T10:00:00.200Z","Action":"start","Package":"example.com/empty"}
{"Time":"2025-03-01T10:00:00.200Z","Action":"output","Package":"example.com/empty","Output":"?   \texample.com/empty\t[no test files]\n"}
{"Time":"2025-03-01T10:00:00.200Z","Action":"skip","Package":"example.com/empty","Elapsed":0}
"""# + "\n"

  /// Go 1.24+: the build's output arrives as `build-output` events keyed by ImportPath, then `build-fail`, then the
  /// package fails with `FailedBuild`.
  static let buildFailure124 = #"""
{"ImportPath":"example.com/broken [example.com/broken.test]","Action":"build-output","Output":"# example.com/broken [example.com/broken.test]\n"}
{"ImportPath":"example.com/broken [example.com/broken.test]","Action":"build-output","Output":"./broken_test.go:9:2: undefined: Foo\n"}
{"ImportPath":"example.com/broken [example.com/broken.test]","Action":"build-fail"}
{"Time":"2025-03-01T10:00:00.500Z","Action":"start","Package":"example.com/broken"}
{"Time":"2025-03-01T10:00:00.500Z","Action":"output","Package":"example.com/broken","Output":"FAIL\texample.com/broken [build failed]\n"}
{"Time":"2025-03-01T10:00:00.500Z","Action":"fail","Package":"example.com/broken","Elapsed":0,"FailedBuild":"example.com/broken [example.com/broken.test]"}
"""# + "\n"

  /// Before Go 1.24 the compiler's errors were plain lines in the middle of the JSON (`go test -json 2>&1`).
  static let buildFailureOld = #"""
# example.com/broken [example.com/broken.test]
./broken_test.go:9:2: undefined: Foo
{"Time":"2023-08-01T10:00:00.5Z","Action":"start","Package":"example.com/broken"}
{"Time":"2023-08-01T10:00:00.5Z","Action":"output","Package":"example.com/broken","Output":"FAIL\texample.com/broken [build failed]\n"}
{"Time":"2023-08-01T10:00:00.5Z","Action":"fail","Package":"example.com/broken","Elapsed":0}
"""# + "\n"

  /// `-timeout 1s`: the test never reports; the package's output tells the timeout.
  static let timeout = #"""
{"Time":"2025-03-01T10:00:00Z","Action":"start","Package":"example.com/slow"}
{"Time":"2025-03-01T10:00:00Z","Action":"run","Package":"example.com/slow","Test":"TestSlow"}
{"Time":"2025-03-01T10:00:00Z","Action":"output","Package":"example.com/slow","Test":"TestSlow","Output":"=== RUN   TestSlow\n"}
{"Time":"2025-03-01T10:00:01Z","Action":"output","Package":"example.com/slow","Output":"panic: test timed out after 1s\n"}
{"Time":"2025-03-01T10:00:01Z","Action":"output","Package":"example.com/slow","Output":"\trunning tests:\n"}
{"Time":"2025-03-01T10:00:01Z","Action":"output","Package":"example.com/slow","Output":"\t\tTestSlow (1s)\n"}
{"Time":"2025-03-01T10:00:01Z","Action":"output","Package":"example.com/slow","Output":"FAIL\texample.com/slow\t1.012s\n"}
{"Time":"2025-03-01T10:00:01Z","Action":"fail","Package":"example.com/slow","Elapsed":1.012}
"""# + "\n"
}

@Suite struct GoTestReportTests {
  typealias Fixtures = GoTestFixtures

  static func stated(_ cases: [TestCase]) -> [TestCase] {
    cases.map { testCase in
      var copy = testCase
      copy.durationMs = nil
      copy.details = nil
      return copy
    }
  }

  @Test func runWithEveryOutcome() {
    let report = GoTestReport.parse(Fixtures.run)
    #expect(report.recognized)
    #expect(report.problems == [])
    #expect(!report.buildFailed)
    let package = "example.com/calc"
    #expect(
      Self.stated(report.cases) == [
        TestCase(suite: package, name: "TestAdd", id: "example.com/calc TestAdd", status: .passed),
        TestCase(
          suite: package, name: "TestSub", id: "example.com/calc TestSub", status: .failed, file: "calc_test.go",
          line: 12, message: "Sub(3, 2) = 2, want 1"),
        TestCase(
          suite: package, name: "TestSort", id: "example.com/calc TestSort", status: .failed, file: "calc_test.go",
          line: 20, message: "mismatch:\ngot:  [1 2]\nwant: [2 1]"),
        TestCase(
          suite: package, name: "TestNetwork", id: "example.com/calc TestNetwork", status: .skipped,
          file: "calc_test.go", line: 30, message: "needs network"),
        TestCase(
          suite: package, name: "TestDiv", id: "example.com/calc TestDiv", status: .failed,
          message: "subtest failed: TestDiv/negative"),
        TestCase(suite: package, name: "TestDiv/positive", id: "example.com/calc TestDiv/positive", status: .passed),
        TestCase(
          suite: package, name: "TestDiv/negative", id: "example.com/calc TestDiv/negative", status: .failed,
          file: "calc_test.go", line: 45, message: "Div(-4, 2) = -3, want -2"),
        TestCase(
          suite: package, name: "TestPanic", id: "example.com/calc TestPanic", status: .failed,
          file: "/home/dev/calc/calc_test.go", line: 52,
          message: "panic: runtime error: index out of range [3] with length 0 [recovered]"),
      ])
    #expect(report.cases[1].durationMs == 10)
    #expect(
      report.cases[2].details
        == "    calc_test.go:20: mismatch:\n        got:  [1 2]\n        want: [2 1]\n"
        + "    calc_test.go:23: second failure")
  }

  @Test func buildFailureSince124() {
    let report = GoTestReport.parse(Fixtures.buildFailure124)
    #expect(report.recognized)
    #expect(report.buildFailed)
    #expect(report.cases == [])
    #expect(
      report.problems == [
        "build output for example.com/broken [example.com/broken.test]:\n"
          + "# example.com/broken [example.com/broken.test]\n./broken_test.go:9:2: undefined: Foo"
      ])
  }

  @Test func buildFailureBefore124() {
    let report = GoTestReport.parse(Fixtures.buildFailureOld)
    #expect(report.buildFailed)
    #expect(report.cases == [])
    #expect(
      report.problems == [
        "skipped 2 lines that are not test2json events (build output or text printed outside go test -json)"
      ])
  }

  @Test func timedOutTestDidNotFinish() {
    let report = GoTestReport.parse(Fixtures.timeout)
    #expect(
      Self.stated(report.cases) == [
        TestCase(
          suite: "example.com/slow", name: "TestSlow", id: "example.com/slow TestSlow", status: .failed,
          message: "did not finish (the run ended or crashed during this test)\npanic: test timed out after 1s")
      ])
    #expect(report.problems == ["1 test started but did not finish: example.com/slow TestSlow"])
    #expect(!report.buildFailed)
  }

  /// test2json may file a panic's stack under the package once the test's result line is out.
  @Test func panicUnderThePackage() {
    let stream = """
      {"Action":"run","Package":"p","Test":"TestBoom"}
      {"Action":"output","Package":"p","Test":"TestBoom","Output":"--- FAIL: TestBoom (0.00s)\\n"}
      {"Action":"fail","Package":"p","Test":"TestBoom","Elapsed":0}
      {"Action":"output","Package":"p","Output":"panic: boom [recovered]\\n"}
      {"Action":"output","Package":"p","Output":"p.TestBoom(0xc000107040?)\\n"}
      {"Action":"output","Package":"p","Output":"\\t/src/p/p_test.go:7 +0x1d\\n"}
      {"Action":"fail","Package":"p","Elapsed":0.01}

      """
    #expect(
      Self.stated(GoTestReport.parse(stream).cases) == [
        TestCase(
          suite: "p", name: "TestBoom", id: "p TestBoom", status: .failed, file: "/src/p/p_test.go", line: 7,
          message: "panic: boom [recovered]")
      ])
  }

  /// `-count=2`: one failing run fails the test.
  @Test func repeatedRunsKeepTheFailure() {
    let stream = """
      {"Action":"run","Package":"p","Test":"TestFlaky"}
      {"Action":"output","Package":"p","Test":"TestFlaky","Output":"    p_test.go:3: flaked\\n"}
      {"Action":"fail","Package":"p","Test":"TestFlaky","Elapsed":0.5}
      {"Action":"run","Package":"p","Test":"TestFlaky"}
      {"Action":"pass","Package":"p","Test":"TestFlaky","Elapsed":0.25}

      """
    let report = GoTestReport.parse(stream)
    #expect(report.cases.map(\.status) == [.failed])
    #expect(report.cases.first?.message == "flaked")
    #expect(report.cases.first?.durationMs == 250)
  }

  @Test(arguments: [
    ("TestAdd", "^TestAdd$"),
    ("TestDiv/negative", "^TestDiv$/^negative$"),
    ("TestX/a.b(c)", #"^TestX$/^a\.b\(c\)$"#),
  ])
  func runPattern(name: String, pattern: String) {
    #expect(GoTestReport.runPattern(forTest: name) == pattern)
  }

  @Test func everyPrefixParses() {
    let whole = GoTestReport.parse(Fixtures.run)
    let bytes = Array(Fixtures.run.utf8)
    for end in Swift.stride(from: 0, through: bytes.count, by: 3) {
      let report = GoTestReport.parse(Array(bytes[..<end]))
      #expect(report.cases.count <= whole.cases.count, "prefix of \(end) bytes")
    }
  }

  @Test func invalidUTF8AndGarbage() {
    var bytes = Array(Fixtures.run.utf8)
    bytes += [0xFF, 0xFE, 0x0A]
    bytes += Array(#"{"Action":"run","Package":"p","Test":"Test"#.utf8) + [0xC3, 0x22, 0x7D, 0x0A]
    let report = GoTestReport.parse(bytes)
    #expect(report.cases.count == 9)
    #expect(report.cases.last?.name == "Test\u{FFFD}")
    #expect(report.problems.first?.hasPrefix("skipped 1 line ") == true)
  }

  @Test func otherInputIsUnrecognized() {
    #expect(GoTestReport.parse("") == .unrecognized)
    #expect(GoTestReport.parse("ok  \texample.com/calc\t0.011s\n") == .unrecognized)
    #expect(GoTestReport.parse(#"{"type":"suite","event":"started"}"#) == .unrecognized)
  }
}
