import MishFiles
import MishReports
import Testing

@testable import MishExec

@Suite("test_run failures as data")
struct FailureJSONTests {
  /// A panic message may carry terminal colours (cargo's assert_eq! with a coloured message): the agent gets text.
  @Test func messagesArePlainText() throws {
    let workspace = try Workspace(root: "/tmp")
    let test = TestCase(
      suite: "tests", name: "bad", id: "tests::bad", status: .failed, file: "/tmp/src/lib.rs", line: 6,
      message: "assertion failed: \u{1B}[31mred\u{1B}[0m")
    let failure = ExecTools.failureJSON(test, workspace: workspace, logLines: { [] })
    #expect(failure["message"]?.stringValue == "assertion failed: red")
    #expect(failure["excerpt"]?.stringValue == "assertion failed: red")
    #expect(failure["file"]?.stringValue == "src/lib.rs")
  }
}
