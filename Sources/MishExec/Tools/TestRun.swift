import Foundation
import MishFiles
import MishJSON
import MishReports
import MishRPC
import MishSandbox

/// The failures of the session's last test/run per runner, for `rerun_failed`.
final class TestHistory: @unchecked Sendable {
  let lock = NSLock()
  var lastFailures: [Runner: [String]] = [:]
}

extension ExecTools {
  static let runnerNames = ["auto"] + Runner.allCases.map(\.rawValue)

  static let testIDSchema = Schema.string("The runner's own id: what its filter takes to run exactly this test.")
  static let suiteSchema = Schema.string("Class, module, file or enclosing suite (\"\" when none).")

  static let failureSchema = Schema.object(
    "A test that failed on every attempt.",
    [
      "id": .required(testIDSchema), "suite": .required(suiteSchema), "name": .required(Schema.string()),
      "file": .required(Schema.nullable(Schema.string("Where it failed (or where the test is), relative to the root when inside it."))),
      "line": .required(Schema.nullable(Schema.integer(nil, minimum: 0))),
      "message": .required(Schema.string("The assertion or error message.")),
      "excerpt": .required(Schema.string("The failure's own output: assertion details, stack, captured lines (short).")),
    ])

  static let diagnosticSchema = Schema.object(
    "A compiler message.",
    [
      "file": .required(Schema.string("Relative to the root when inside it.")),
      "line": .required(Schema.integer(nil, minimum: 0)),
      "column": .required(Schema.nullable(Schema.integer(nil, minimum: 0))),
      "severity": .required(Schema.string(enum: ["error", "warning", "note"])),
      "message": .required(Schema.string()),
      "code": .optional(Schema.string("The compiler's code (E0308, TS2322) when it gives one.")),
    ])

  static func testRun(_ engine: ExecEngine, history: TestHistory) -> OperationSpec {
    return OperationSpec(
      name: "test/run", title: "Run the tests",
      summary: "Runs the project's tests in the sandbox (test limits) and returns which failed, where and why, parsed from the runner's own report (Swift Testing/XCTest, pytest, cargo, go, node, jest, ctest, JUnit, TAP). retries re-runs failures and reports tests that then pass as flaky.",
      params: Schema.object(
        nil,
        [
          "runner": .optional(Schema.string("Which runner; auto detects it from Package.swift, pyproject.toml/pytest.ini, Cargo.toml, go.mod, package.json, CMakeLists.txt or a Makefile with a test target. command runs `command` and reads JUnit (*.xml) or TAP (*.tap) files it writes to $MISH_REPORT_DIR, or TAP on stdout.", enum: runnerNames, default: "auto")),
          "command": .optional(Schema.string("A shell command that runs the tests (runner command; implied when runner is auto).", minLength: 1)),
          "filter": .optional(Schema.string("Run a subset, in the runner's own syntax: swift --filter, pytest -k, cargo's name filter, go -run, node --test-name-pattern, jest -t, ctest -R.", minLength: 1)),
          "rerun_failed": .optional(Schema.boolean("Run only the tests that failed in this session's last test_run of this runner.", default: false)),
          "retries": .optional(Schema.integer("Re-run failing tests up to this many times; a test that then passes is reported as flaky, never hidden.", minimum: 0, maximum: 5, default: 0)),
          "timeout_ms": .optional(Schema.integer("Kill the run (each attempt) after this long (default: the profile's, 1800000 for test).", minimum: 1)),
          "profile": profileParameter(default: "test"),
        ]),
      result: Schema.object(
        nil,
        [
          "outcome": .required(Schema.string("passed, tests_failed, build_failed (the code did not compile: see diagnostics), no_tests, timed_out, or error (the runner failed without naming a failing test: see notes and log_tail).", enum: TestOutcome.allCases.map(\.rawValue))),
          "runner": .required(Schema.string(enum: Runner.allCases.map(\.rawValue))),
          "command": .required(Schema.string("What ran (the first attempt).")),
          "summary": .required(
            Schema.object(
              "Counts over every test: total = passed + failed + skipped + flaky.",
              [
                "total": .required(Schema.integer(nil, minimum: 0)), "passed": .required(Schema.integer(nil, minimum: 0)),
                "failed": .required(Schema.integer("Failed on every attempt.", minimum: 0)),
                "skipped": .required(Schema.integer(nil, minimum: 0)),
                "flaky": .required(Schema.integer("Failed, then passed on a retry.", minimum: 0)),
                "duration_ms": .required(Schema.integer("Wall time of all attempts.", minimum: 0)),
              ])),
          "failures": .required(Schema.array("Sorted by file, line and id (those without a file last).", of: failureSchema)),
          "flaky": .required(
            Schema.array(
              "Tests that failed and then passed on a retry.",
              of: Schema.object(
                nil,
                [
                  "id": .required(testIDSchema), "suite": .required(suiteSchema), "name": .required(Schema.string()),
                  "message": .required(Schema.string("How it failed the first time.")),
                  "passed_on_attempt": .required(Schema.integer(nil, minimum: 2)),
                ]))),
          "diagnostics": .required(Schema.array("Compiler messages, when the build failed.", of: diagnosticSchema)),
          "exit_code": .required(Schema.nullable(Schema.integer("The first attempt's exit status."))),
          "log_id": .required(Schema.string("The first attempt's full log, for output_read.")),
          "attempts": .required(
            Schema.array(
              "Each run of the runner: the first, then retries of the failures.",
              of: Schema.object(
                nil,
                [
                  "command": .required(Schema.string()), "log_id": .required(Schema.string()),
                  "exit_code": .required(Schema.nullable(Schema.integer())),
                  "signal": .required(Schema.nullable(Schema.string())),
                  "duration_ms": .required(Schema.integer(nil, minimum: 0)),
                  "failed": .required(Schema.integer("Tests that failed in this attempt.", minimum: 0)),
                ]))),
          "notes": .required(Schema.array("What mish noticed: how results were read, why the outcome is what it is.", of: Schema.string())),
          "log_tail": .optional(Schema.string("The last lines of output, when the outcome needs them to be understood (error, build_failed, timed_out).")),
        ]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: false, openWorld: false),
      footprint: { _ in .barrier },
      render: renderTestRun,
      handler: .async { args, context throws(ToolError) in
        let profile = try chosenProfile(args, default: "test", engine: engine)
        let (runner, makeTarget) = try chooseRunner(args, workspace: engine.workspace)
        let command = args.string("command")
        try checkNoNUL(command, field: "command")
        try checkNoNUL(args.string("filter"), field: "filter")
        if runner == .command && command == nil {
          throw ToolError(.invalidArgument, "runner command needs a command", hint: "Pass command, e.g. \"./run-tests.sh\", which writes JUnit XML or TAP to $MISH_REPORT_DIR or TAP to stdout.")
        }
        var selection = Runner.Selection.all
        if args.bool("rerun_failed", default: false) {
          let failed = history.lock.withLock { history.lastFailures[runner] ?? [] }
          guard !failed.isEmpty else {
            throw ToolError(
              .invalidArgument, "There are no failures to re-run: this session's last \(runner.rawValue) test_run had none, or there was none",
              hint: "Run test_run without rerun_failed first.")
          }
          selection = .exactly(failed)
        } else if let filter = args.string("filter") {
          selection = .filter(filter)
        }
        // A project's own venv (its python is usually a symlink out of the root; the sandbox decides what it reaches).
        let python = access(engine.workspace.rootPath + "/.venv/bin/python", X_OK) == 0 ? ".venv/bin/python" : "python3"
        let progress = context.wantsProgress ? ProgressCounter() : nil
        func attempt(_ selection: Runner.Selection) async throws(ToolError) -> (TestAttempt, Runner.Invocation) {
          let scratch = TestAttempt.newScratchName()
          let invocation = runner.invocation(
            selection: selection, reportDirectory: "/tmp/" + scratch, python: python, makeTarget: makeTarget ?? "test",
            command: command, shell: shell)
          do {
            let result = try await TestAttempt.run(
              invocation, scratch: scratch, runner: runner, engine: engine, profile: profile, timeoutMs: args.int("timeout_ms"),
              context: context, progress: progress)
            return (result, invocation)
          } catch where error.code == .notFound && runner != .command {
            // The runner's program is missing: say which runner mish chose and why, and the way around it.
            var missing = error
            let chosen = (args.string("runner") ?? "auto") == "auto" ? "detected from the project's files" : "asked for"
            missing.message += ": the \(runner.rawValue) runner (\(chosen)) needs it"
            missing.hint = "Install it on this machine, or pass runner (\(runnerNames.joined(separator: ", "))) or command, a shell line that runs the tests (JUnit in $MISH_REPORT_DIR or TAP on stdout)."
            throw missing
          }
        }
        let (first, invocation) = try await attempt(selection)
        var attempts = [first]
        var notes = invocation.notes + first.notes
        let output = first.output
        var report = first.report
        var reportFromProgress = false
        if report == nil, runner == .pytest, first.exit.timedOut || first.exit.signal != nil {
          // Killed before it could write its report: its progress lines still say what ran, and what was running.
          let killedWhile = first.exit.timedOut ? "still running when the run hit its timeout" : "killed by \(first.exit.signal ?? "a signal") while it ran"
          report = Runner.pytestProgress(first.stdoutText(), killedWhile: killedWhile)
          notes += report?.problems ?? []
          reportFromProgress = report != nil
        }
        var diagnostics: [Diagnostic] = []
        if let parsed = report {
          (report, diagnostics) = await ExecEngine.offPool { runner.interpreted(parsed, output: output) }
          notes += report?.problems.dropFirst(parsed.problems.count) ?? []
        }
        if case .exactly(let ids) = selection, invocation.runsEverything { report?.cases.removeAll { !ids.contains($0.id) } }
        let cases = report?.cases ?? []
        var failing = cases.filter { $0.status == .failed }
        var flaky: [(TestCase, Int)] = []
        let retries = args.int("retries") ?? 0
        if retries > 0, !failing.isEmpty, !first.exit.timedOut {
          for number in 2...(retries + 1) where !failing.isEmpty {
            let (retry, retryInvocation) = try await attempt(.exactly(failing.map(\.id)))
            attempts.append(retry)
            for note in retryInvocation.notes + retry.notes where !notes.contains(note) { notes.append(note) }
            guard let retried = retry.report?.cases, !retried.isEmpty else {
              notes.append("Retry \(number - 1) produced no test results (\(retry.exit.code.map { "exit \($0)" } ?? retry.exit.signal ?? "no status")); its log is \(retry.process.id).")
              break
            }
            var statuses: [String: TestCase.Status] = [:]
            for test in retried { statuses[test.id] = statuses[test.id] == .failed ? .failed : test.status }
            let passedNow = failing.filter { statuses[$0.id] == .passed }
            flaky += passedNow.map { ($0, number) }
            failing.removeAll { statuses[$0.id] == .passed }
          }
        }
        // Runners that run tests in parallel report them in finishing order: sort by place, so results are stable.
        func place(_ test: TestCase) -> (Int, String, Int, String) { (test.file == nil ? 1 : 0, test.file ?? "", test.line ?? 0, test.id) }
        failing.sort { place($0) < place($1) }
        let failedIDs = failing.map(\.id)
        history.lock.withLock { history.lastFailures[runner] = failedIDs }

        if diagnostics.isEmpty && (cases.isEmpty || report?.buildFailed == true) {
          diagnostics = await ExecEngine.offPool { Diagnostics.parse(output) }
        }
        let compileErrors = diagnostics.filter { $0.severity == .error }.count
        var judged = report
        let flakyIDs = Set(flaky.map(\.0.id))
        for index in judged?.cases.indices ?? 0..<0 where flakyIDs.contains(judged?.cases[index].id ?? "") {
          judged?.cases[index].status = .passed
        }
        let verdict = TestOutcome.decide(
          exit: first.exit, report: judged, flaky: flaky.count, compileErrors: compileErrors,
          noTestsExitCode: runner == .pytest ? 5 : nil)
        if first.report == nil && !reportFromProgress && ![.buildFailed, .timedOut].contains(verdict.outcome) {
          notes.append("The runner wrote no report mish could read; only its exit status and output were used.")
        }
        if let reason = verdict.reason { notes.append(reason) }
        if verdict.outcome == .noTests, case .filter(let filter) = selection {
          notes.append("No test matched the filter \"\(filter)\" (in the \(runner.rawValue) runner's own syntax); run without filter to see every test's id.")
        }
        if !flaky.isEmpty {
          notes.append("\(flaky.count) test\(flaky.count == 1 ? "" : "s") failed and then passed on a retry: reported as flaky, not as passed.")
        }

        let failuresJSON = await ExecEngine.offPool { [failing] in
          // The log's lines, split once, for the failures whose report gives no text of their own.
          var logLines: [Substring]?
          func lines() -> [Substring] {
            if let logLines { return logLines }
            let split = TerminalText.plain(output).split(separator: "\n", omittingEmptySubsequences: false)
            logLines = split
            return split
          }
          return failing.map { failureJSON($0, workspace: engine.workspace, logLines: lines) }
        }
        let skipped = cases.filter { $0.status == .skipped }.count
        var result: JSONObject = [
          "outcome": .string(verdict.outcome.rawValue),
          "runner": .string(runner.rawValue),
          "command": .string(first.commandText),
          "summary": .object([
            "total": .int(cases.count),
            "passed": .int(cases.count - failing.count - skipped - flaky.count),
            "failed": .int(failing.count),
            "skipped": .int(skipped),
            "flaky": .int(flaky.count),
            "duration_ms": .int(attempts.reduce(0) { $0 + $1.durationMs }),
          ]),
          "failures": .array(failuresJSON),
          "flaky": .array(
            flaky.map { test, number in
              .object([
                "id": .string(test.id), "suite": .string(test.suite), "name": .string(test.name),
                "message": .string(TerminalText.plain(test.message ?? "")), "passed_on_attempt": .int(number),
              ])
            }),
          "diagnostics": .array(diagnostics.prefix(200).map { diagnosticJSON($0, workspace: engine.workspace) }),
          "exit_code": first.exit.code.map(JSONValue.int) ?? .null,
          "log_id": .string(first.process.id),
          "attempts": .array(
            attempts.map { attempt in
              .object([
                "command": .string(attempt.commandText), "log_id": .string(attempt.process.id),
                "exit_code": attempt.exit.code.map(JSONValue.int) ?? .null,
                "signal": attempt.exit.signal.map(JSONValue.string) ?? .null,
                "duration_ms": .int(attempt.durationMs),
                "failed": .int(attempt.report?.cases.filter { $0.status == .failed }.count ?? 0),
              ])
            }),
          "notes": .array(notes.map(JSONValue.string)),
        ]
        if [.error, .buildFailed, .timedOut].contains(verdict.outcome) {
          result["log_tail"] = .string(logTail(output))
        }
        return .object(result)
      })
  }

  /// The explicit runner, `command` when only a command is given, else the one the root's files point to.
  static func chooseRunner(_ args: Args, workspace: Workspace) throws(ToolError) -> (Runner, String?) {
    let name = args.string("runner") ?? "auto"
    let makeTarget = makefile(workspace).flatMap(Runner.makeTarget)
    if name != "auto" {
      guard let runner = Runner(rawValue: name) else {
        throw ToolError(.invalidArgument, "Unknown runner \(name)", hint: "Use one of \(runnerNames.joined(separator: ", ")).")
      }
      return (runner, makeTarget)
    }
    if args.string("command") != nil { return (.command, makeTarget) }
    guard let detected = detectedRunner(workspace) else {
      throw ToolError(
        .notFound, "No test runner detected at the root (no Package.swift, pytest config, Cargo.toml, go.mod, package.json, CMakeLists.txt or Makefile with a test target)",
        hint: "Pass runner (\(Runner.allCases.map(\.rawValue).joined(separator: ", "))) or a command that runs the tests.")
    }
    return (detected, makeTarget)
  }

  /// The runner the root's files point to (Runner.detect on the root and its test directories).
  static func detectedRunner(_ workspace: Workspace) -> Runner? {
    Runner.detect(read: { text(of: $0, in: workspace) }, list: { workspace.names(in: $0) })
  }

  /// The root's Makefile, if it has one.
  static func makefile(_ workspace: Workspace) -> String? {
    Runner.makefileNames.lazy.compactMap { text(of: $0, in: workspace) }.first
  }

  static func text(of file: String, in workspace: Workspace) -> String? {
    workspace.readIfPresent(file, limit: 1 << 20).map { String(decoding: $0, as: UTF8.self) }
  }

  static func failureJSON(_ test: TestCase, workspace: Workspace, logLines: () -> [Substring]) -> JSONValue {
    .object([
      "id": .string(test.id), "suite": .string(test.suite), "name": .string(test.name),
      "file": test.file.map { .string(shownPath($0, workspace: workspace)) } ?? .null,
      "line": test.line.map(JSONValue.int) ?? .null,
      // libtest and go keep a panic message's colours (an assert_eq! message with escapes in it); the excerpt is plain too.
      "message": .string(TerminalText.plain(test.message ?? "")),
      "excerpt": .string(excerpt(test.details ?? test.message ?? "", orAround: test.name, in: logLines)),
    ])
  }

  static func diagnosticJSON(_ diagnostic: Diagnostic, workspace: Workspace) -> JSONValue {
    var object: JSONObject = [
      "file": .string(shownPath(diagnostic.file, workspace: workspace)), "line": .int(diagnostic.line),
      "column": diagnostic.column.map(JSONValue.int) ?? .null, "severity": .string(diagnostic.severity.rawValue),
      "message": .string(diagnostic.message),
    ]
    if let code = diagnostic.code { object["code"] = .string(code) }
    return .object(object)
  }

  /// Relative to the root when inside it, else as given.
  static func shownPath(_ path: String, workspace: Workspace) -> String {
    let relative = workspace.relative(path)
    return relative.isEmpty ? path : relative
  }

  /// At most 20 lines and 2000 characters of a failure's text, keeping its end (where the cause usually is). When
  /// the report has no text for it, the lines of the output from the first that names the test.
  static func excerpt(_ text: String, orAround name: String, in logLines: () -> [Substring]) -> String {
    var lines = TerminalText.plain(text).split(separator: "\n", omittingEmptySubsequences: false)
    if lines.allSatisfy({ $0.allSatisfy(\.isWhitespace) }), !name.isEmpty {
      let log = logLines()
      if let first = log.firstIndex(where: { $0.contains(name) }) { lines = Array(log[first..<min(log.count, first + 10)]) }
    }
    while lines.first?.allSatisfy(\.isWhitespace) == true { lines.removeFirst() }
    while lines.last?.allSatisfy(\.isWhitespace) == true { lines.removeLast() }
    let kept = lines.count > 20 ? ["…"] + lines.suffix(19) : lines
    let joined = kept.joined(separator: "\n")
    return joined.count > 2000 ? "…" + String(joined.suffix(1999)) : joined
  }

  /// The last 40 lines of a run's output, plain: only its end is looked at, however long the log.
  static func logTail(_ output: String) -> String {
    lastLines(TerminalText.plain(String(output.suffix(16 * 1024))), 40)
  }

  static func lastLines(_ text: String, _ count: Int) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let tail = lines.suffix(count + (lines.last?.isEmpty == true ? 1 : 0)).joined(separator: "\n")
    return tail.count > 8000 ? "…" + String(tail.suffix(8000)) : tail
  }

  static func renderTestRun(_ result: JSONValue) -> String {
    let summary = result["summary"]
    func count(_ key: String) -> Int { summary?[key]?.intValue ?? 0 }
    var head = "\(result["outcome"]?.stringValue ?? "?") [\(result["runner"]?.stringValue ?? "")]: \(count("total")) tests, \(count("passed")) passed, \(count("failed")) failed, \(count("skipped")) skipped"
    if count("flaky") > 0 { head += ", \(count("flaky")) flaky" }
    head += " in \(count("duration_ms")) ms"
    var lines = [head]
    for failure in result["failures"]?.arrayValue ?? [] {
      var location = ""
      if let file = failure["file"]?.stringValue {
        location = " at \(file)" + (failure["line"]?.intValue.map { ":\($0)" } ?? "")
      }
      lines.append("✗ \(failure["id"]?.stringValue ?? "")\(location): \(failure["message"]?.stringValue ?? "")")
    }
    for test in result["flaky"]?.arrayValue ?? [] {
      lines.append("~ flaky: \(test["id"]?.stringValue ?? "") (passed on attempt \(test["passed_on_attempt"]?.intValue ?? 0))")
    }
    lines += renderDiagnosticsAndLog(result, maxDiagnostics: 20)
    return lines.joined(separator: "\n")
  }
}
