/// The one-word verdict of a test run, decided from how the runner ended and what its report says. A build that
/// failed is never "0 tests"; a runner that failed without naming a failing test is an `error`, never `passed`.
public enum TestOutcome: String, Sendable, Equatable, CaseIterable {
  case passed
  case testsFailed = "tests_failed"
  case buildFailed = "build_failed"
  case noTests = "no_tests"
  case timedOut = "timed_out"
  case error

  /// How the runner's process ended.
  public struct Exit: Sendable, Equatable {
    public var code: Int?
    public var signal: String?
    public var timedOut: Bool
    public var oomKilled: Bool
    public init(code: Int?, signal: String? = nil, timedOut: Bool = false, oomKilled: Bool = false) {
      self.code = code
      self.signal = signal
      self.timedOut = timedOut
      self.oomKilled = oomKilled
    }
  }

  /// The verdict and, when it needs one, the sentence saying why.
  public struct Verdict: Sendable, Equatable {
    public var outcome: TestOutcome
    public var reason: String?
  }

  /// `report` is nil when no report was found or recognized, and says how each test ended at last (a flaky test
  /// as passed); `flaky` counts the tests that failed before passing on a retry, which explain a failing exit
  /// status; `compileErrors` counts error diagnostics found in the output; `noTestsExitCode` is the runner's own
  /// "nothing collected" code (pytest's 5).
  public static func decide(
    exit: Exit, report: ParsedReport?, flaky: Int = 0, compileErrors: Int, noTestsExitCode: Int? = nil
  ) -> Verdict {
    if exit.timedOut { return Verdict(outcome: .timedOut, reason: "The run hit its timeout and was killed with everything it started.") }
    let cases = report?.cases ?? []
    // A build failure comes first even beside failing tests: part of the code did not compile, so part of the
    // tests never ran.
    if report?.buildFailed == true { return Verdict(outcome: .buildFailed, reason: nil) }
    let failed = cases.filter { $0.status == .failed }.count
    if failed > 0 { return Verdict(outcome: .testsFailed, reason: nil) }
    if exit.oomKilled {
      return Verdict(outcome: .error, reason: "The run was killed for using too much memory (the profile's memory_mb limit).")
    }
    if cases.isEmpty && exit.code != 0 && compileErrors > 0 {
      return Verdict(outcome: .buildFailed, reason: nil)
    }
    if flaky > 0 && exit.signal == nil { return Verdict(outcome: .passed, reason: nil) }
    if let signal = exit.signal {
      return Verdict(outcome: .error, reason: "The runner was killed by \(signal) before reporting any failing test.")
    }
    if let code = exit.code, code != 0 {
      if let noTestsExitCode, code == noTestsExitCode, cases.isEmpty { return Verdict(outcome: .noTests, reason: "The runner collected no tests.") }
      if cases.isEmpty {
        return Verdict(
          outcome: .error,
          reason: "The runner exited with status \(code) and reported no test results\(report == nil ? " (no report was written)" : ""); the log says why.")
      }
      return Verdict(
        outcome: .error,
        reason: "The runner exited with status \(code) although its report lists no failing test (a crash or a failure outside any test); the log says why.")
    }
    if cases.isEmpty { return Verdict(outcome: .noTests, reason: "The run found no tests\(report == nil ? " (and wrote no report)" : "").") }
    return Verdict(outcome: .passed, reason: nil)
  }
}
