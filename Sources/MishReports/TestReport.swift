/// What one test did, as a runner's report says it: the common shape every report format is parsed into.
public struct TestCase: Sendable, Equatable {
  public enum Status: String, Sendable, Equatable {
    /// `failed` covers both assertion failures and errors (a test that threw or crashed).
    case passed, failed, skipped
  }

  /// The class, file, module or enclosing suite the runner groups it under ("" when none).
  public var suite: String
  /// The test's own name.
  public var name: String
  /// The runner-native identifier, usable in that runner's filter to run just this test (pytest node id
  /// `tests/test_x.py::test_a`, libtest path `tests::a`, XCTest `Module.Class/testA`, ...).
  public var id: String
  public var status: Status
  /// Where the failure happened when the report says so (else where the test is); as the report gives it,
  /// absolute or relative — the caller makes it relative to the root.
  public var file: String?
  public var line: Int?
  /// The assertion or error message: short, first lines only.
  public var message: String?
  /// Longer text for the excerpt: the failure's body, stack trace or captured output.
  public var details: String?
  public var durationMs: Double?

  public init(
    suite: String, name: String, id: String, status: Status, file: String? = nil, line: Int? = nil,
    message: String? = nil, details: String? = nil, durationMs: Double? = nil
  ) {
    self.suite = suite
    self.name = name
    self.id = id
    self.status = status
    self.file = file
    self.line = line
    self.message = message
    self.details = details
    self.durationMs = durationMs
  }
}

/// A parsed report: the tests found, and what was wrong with the report itself.
public struct ParsedReport: Sendable, Equatable {
  public var cases: [TestCase]
  /// False when the input is not this format at all (nothing recognizable in it).
  public var recognized: Bool
  /// Problems with the report (truncated, malformed parts skipped), said plainly; empty when it was clean.
  public var problems: [String]
  /// The report itself says the build failed (go's FailedBuild / build-fail, a libtest binary that never ran).
  public var buildFailed: Bool

  public init(cases: [TestCase] = [], recognized: Bool = true, problems: [String] = [], buildFailed: Bool = false) {
    self.cases = cases
    self.recognized = recognized
    self.problems = problems
    self.buildFailed = buildFailed
  }

  public static let unrecognized = ParsedReport(recognized: false)
}

/// One compiler message, as `build/run` returns it.
public struct Diagnostic: Sendable, Equatable {
  public enum Severity: String, Sendable, Equatable { case error, warning, note }

  /// As the compiler printed it; the caller makes it relative to the root.
  public var file: String
  public var line: Int
  /// nil when the format gives no column.
  public var column: Int?
  public var severity: Severity
  public var message: String
  /// Error code when the tool gives one (`E0308`, `TS2322`), else nil.
  public var code: String?

  public init(file: String, line: Int, column: Int?, severity: Severity, message: String, code: String? = nil) {
    self.file = file
    self.line = line
    self.column = column
    self.severity = severity
    self.message = message
    self.code = code
  }
}
