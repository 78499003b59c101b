import Testing

@testable import MishReports

/// HAND-WRITTEN samples: jest is not installed on this machine, so this report was written from jest's documented
/// `--json` shape (`@jest/test-result` `AggregatedResult`), with the ANSI colours jest leaves in failure messages,
/// not captured.
enum JestFixtures {
  /// Three files: one with passing, failing, skipped (`pending`) and `todo` tests under nested `describe`s; one that
  /// failed to run (a syntax error); one run with `--testLocationInResults`.
  static let report = #"""
{"numFailedTestSuites":3,"numFailedTests":2,"numPassedTestSuites":0,"numPassedTests":3,"numPendingTestSuites":0,
 "numPendingTests":1,"numRuntimeErrorTestSuites":1,"numTodoTests":1,"numTotalTestSuites":3,"numTotalTests":7,
 "openHandles":[],"snapshot":{"added":0,"didUpdate":false,"failure":false,"filesAdded":0,"filesRemoved":0,
 "filesRemovedList":[],"filesUnmatched":0,"filesUpdated":0,"matched":0,"total":0,"unchecked":0,
 "uncheckedKeysByFile":[],"unmatched":0,"updated":0},"startTime":1740823200000,"success":false,
 "testResults":[
  {"assertionResults":[
    {"ancestorTitles":["math","add"],"duration":2,"failureDetails":[],"failureMessages":[],
     "fullName":"math add adds small numbers","invocations":1,"location":null,"numPassingAsserts":1,
     "retryReasons":[],"status":"passed","title":"adds small numbers"},
    {"ancestorTitles":["math","add"],"duration":3,"failureDetails":[{"matcherResult":{"actual":2,"expected":3,
     "name":"toBe","pass":false}}],
     "failureMessages":["Error: \u001b[2mexpect(\u001b[22m\u001b[31mreceived\u001b[39m\u001b[2m).\u001b[22mtoBe\u001b[2m(\u001b[22m\u001b[32mexpected\u001b[39m\u001b[2m) // Object.is equality\u001b[22m\n\nExpected: \u001b[32m3\u001b[39m\nReceived: \u001b[31m2\u001b[39m\n    at Object.toBe (/home/dev/app/src/math.test.js:9:19)\n    at Promise.then.completed (/home/dev/app/node_modules/jest-circus/build/utils.js:298:28)\n    at new Promise (<anonymous>)"],
     "fullName":"math add adds negative numbers","invocations":1,"location":null,"numPassingAsserts":0,
     "retryReasons":[],"status":"failed","title":"adds negative numbers"},
    {"ancestorTitles":["math"],"duration":null,"failureDetails":[],"failureMessages":[],
     "fullName":"math skips this","invocations":1,"location":null,"numPassingAsserts":0,"retryReasons":[],
     "status":"pending","title":"skips this"},
    {"ancestorTitles":["math"],"duration":null,"failureDetails":[],"failureMessages":[],
     "fullName":"math divides later","invocations":1,"location":null,"numPassingAsserts":0,"retryReasons":[],
     "status":"todo","title":"divides later"},
    {"ancestorTitles":[],"duration":1,"failureDetails":[],"failureMessages":[],"fullName":"top level works",
     "invocations":1,"location":null,"numPassingAsserts":1,"retryReasons":[],"status":"passed",
     "title":"top level works"}],
   "endTime":1740823201200,
   "message":"\u001b[1m\u001b[31m  \u001b[1m● \u001b[22m\u001b[1mmath › add › adds negative numbers\u001b[39m\u001b[22m\n\n    Expected: 3\n    Received: 2\n",
   "name":"/home/dev/app/src/math.test.js","startTime":1740823200900,"status":"failed","summary":""},
  {"assertionResults":[],"coverage":{},"endTime":0,
   "message":"\u001b[1m\u001b[31m  \u001b[1m● \u001b[22m\u001b[1mTest suite failed to run\u001b[39m\u001b[22m\n\n    SyntaxError: /home/dev/app/src/bad.test.js: Unexpected token (3:10)\n\n    \u001b[0m \u001b[90m 1 |\u001b[39m \u001b[36mimport\u001b[39m { add } \u001b[36mfrom\u001b[39m \u001b[32m'./math'\u001b[39m\u001b[33m;\u001b[39m\n    \u001b[31m\u001b[1m>\u001b[22m\u001b[39m\u001b[90m 3 |\u001b[39m test(\u001b[32m'x'\u001b[39m\u001b[33m,\u001b[39m () \u001b[33m=>\u001b[39m {{\n",
   "name":"/home/dev/app/src/bad.test.js","startTime":0,"status":"failed","summary":""},
  {"assertionResults":[
    {"ancestorTitles":["api"],"duration":4,"failureDetails":[{}],
     "failureMessages":["TypeError: Cannot read properties of undefined (reading 'x')\n    at Object.x (/home/dev/app/src/api.test.js:6:20)\n    at Promise.then.completed (/home/dev/app/node_modules/jest-circus/build/utils.js:298:28)"],
     "fullName":"api reads x","invocations":1,"location":{"column":3,"line":4},"numPassingAsserts":0,
     "retryReasons":[],"status":"failed","title":"reads x"},
    {"ancestorTitles":["api"],"duration":1,"failureDetails":[],"failureMessages":[],"fullName":"api lists",
     "invocations":1,"location":{"column":3,"line":10},"numPassingAsserts":1,"retryReasons":[],
     "status":"passed","title":"lists"}],
   "endTime":1740823201500,"message":"","name":"/home/dev/app/src/api.test.js","startTime":1740823201300,
   "status":"failed","summary":""}],
 "wasInterrupted":false}
"""#
}

@Suite struct JestReportTests {
  @Test func everyKindOfResult() throws {
    let report = JestReport.parse(JestFixtures.report)
    #expect(report.recognized)
    #expect(report.problems == [])
    let math = "/home/dev/app/src/math.test.js"
    let bad = "/home/dev/app/src/bad.test.js"
    let api = "/home/dev/app/src/api.test.js"
    var stated = report.cases
    for index in stated.indices { stated[index].details = nil }
    #expect(
      stated == [
        TestCase(
          suite: "math > add", name: "adds small numbers", id: "math add adds small numbers", status: .passed,
          file: math, durationMs: 2),
        TestCase(
          suite: "math > add", name: "adds negative numbers", id: "math add adds negative numbers", status: .failed,
          file: math, line: 9,
          message: "Error: expect(received).toBe(expected) // Object.is equality\nExpected: 3\nReceived: 2",
          durationMs: 3),
        TestCase(suite: "math", name: "skips this", id: "math skips this", status: .skipped, file: math),
        TestCase(
          suite: "math", name: "divides later", id: "math divides later", status: .skipped, file: math,
          message: "todo"),
        TestCase(
          suite: math, name: "top level works", id: "top level works", status: .passed, file: math, durationMs: 1),
        // The file that failed to run is one failed case, so the failure is not lost as "no tests".
        TestCase(
          suite: "", name: bad, id: bad, status: .failed, file: bad, line: 3,
          message: "Test suite failed to run\nSyntaxError: /home/dev/app/src/bad.test.js: Unexpected token (3:10)"),
        // The stack's line (where it failed) wins over `location` (where the test starts).
        TestCase(
          suite: "api", name: "reads x", id: "api reads x", status: .failed, file: api, line: 6,
          message: "TypeError: Cannot read properties of undefined (reading 'x')", durationMs: 4),
        TestCase(suite: "api", name: "lists", id: "api lists", status: .passed, file: api, line: 10, durationMs: 1),
      ])
    let failed = try #require(report.cases.first { $0.name == "adds negative numbers" })
    #expect(failed.details?.contains("\u{1B}") == false)
    #expect(failed.details?.hasSuffix("at new Promise (<anonymous>)") == true)
  }

  @Test func stripsColours() {
    #expect(JestReport.stripANSI("\u{1B}[1m\u{1B}[31mred\u{1B}[39m\u{1B}[22m plain") == "red plain")
    #expect(JestReport.stripANSI("link \u{1B}]8;;http://x\u{07}text\u{1B}]8;;\u{07}") == "link text")
    #expect(JestReport.stripANSI("cut \u{1B}[3") == "cut ")
    #expect(JestReport.stripANSI("no escapes") == "no escapes")
  }

  @Test func textAroundTheReport() {
    let report = JestReport.parse("Determining test suites to run...\n" + JestFixtures.report + "\nDone in 1.2s\n")
    #expect(report.cases.count == 8)
    #expect(report.problems == ["ignored text around the JSON report"])
  }

  @Test func interruptedRun() {
    let report = JestReport.parse(#"{"success":false,"testResults":[],"wasInterrupted":true}"#)
    #expect(report.recognized)
    #expect(report.cases == [])
    #expect(report.problems == ["jest was interrupted: the report covers only the tests that ran"])
  }

  @Test func everyPrefixParsesWithoutInventingCases() {
    let bytes = Array(JestFixtures.report.utf8)
    for end in Swift.stride(from: 0, to: bytes.count, by: 7) {
      let report = JestReport.parse(Array(bytes[..<end]))
      #expect(report.cases.count <= 8, "prefix of \(end) bytes")
    }
  }

  @Test func invalidUTF8InAMessage() throws {
    var bytes = Array(JestFixtures.report.utf8)
    let needle = Array("TypeError".utf8)
    let at = try #require(bytes.indices.first { bytes[$0...].starts(with: needle) })
    bytes[at] = 0xFF
    let report = JestReport.parse(bytes)
    #expect(report.cases.first { $0.name == "reads x" }?.message?.hasPrefix("\u{FFFD}ypeError") == true)
  }

  @Test func otherInputIsUnrecognized() {
    #expect(JestReport.parse(#"{"a": 1}"#) == .unrecognized)
    #expect(!JestReport.parse("").recognized)
    #expect(!JestReport.parse("PASS src/math.test.js\n").recognized)
  }
}
