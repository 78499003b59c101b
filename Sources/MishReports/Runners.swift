/// The test runners mish knows: how each is detected, invoked so it writes its native machine-readable report,
/// narrowed to a filter or to exact tests, and where its report comes from. Pure: the caller runs the argv.
public enum Runner: String, Sendable, CaseIterable, Equatable {
  case swift, pytest, cargo, go, node, jest, ctest, make, command

  /// Where a run's structured results are read from.
  public enum ReportSource: Sendable, Equatable {
    /// `swift test --parallel --xunit-output`: XCTest's JUnit file, and Swift Testing's JSON event stream.
    case swift(xunit: String, events: String)
    /// A JUnit XML file the runner writes (pytest, ctest).
    case junit(String)
    /// A JSON file (jest `--json --outputFile`).
    case jest(String)
    /// NDJSON on stdout (`go test -json`).
    case goJSON
    /// libtest's JSON lines on stdout (text when the toolchain refuses the JSON format).
    case libtest
    /// TAP on stdout (node's test runner).
    case tap
    /// Whatever the command leaves in the report directory (`*.xml` JUnit, `*.tap` TAP, `*.json` jest), else TAP
    /// on stdout, else text.
    case anything
  }

  /// A run to start: argv (a shell line when `shell`), extra environment, and where the results come from.
  public struct Invocation: Sendable, Equatable {
    public var argv: [String]
    public var environment: [String: String]
    public var report: ReportSource
    /// True when the runner cannot run a chosen subset (make, command): the whole command runs again and only
    /// the tests asked for are looked at.
    public var runsEverything: Bool
    /// What to tell the caller about how the run was narrowed, when that is not obvious.
    public var notes: [String]
    /// argv as the caller is shown it, when that is not argv itself (pytest's program, whose text says nothing).
    public var shownArgv: [String]?

    public init(
      argv: [String], environment: [String: String], report: ReportSource, runsEverything: Bool, notes: [String] = [], shownArgv: [String]? = nil
    ) {
      self.argv = argv
      self.environment = environment
      self.report = report
      self.runsEverything = runsEverything
      self.notes = notes
      self.shownArgv = shownArgv
    }
  }

  /// Which tests to run: all, the caller's filter in the runner's own syntax, or exactly these ids.
  public enum Selection: Sendable, Equatable {
    case all
    case filter(String)
    case exactly([String])
  }

  /// The names a runner is detected by, in order of preference (the issue's order: Package.swift first).
  /// The names of a Makefile.
  public static let makefileNames = ["Makefile", "makefile", "GNUmakefile"]

  static let markers: [(Runner, [String])] = [
    (.swift, ["Package.swift"]),
    (.pytest, ["pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini", "conftest.py", "setup.py"]),
    (.cargo, ["Cargo.toml"]),
    (.go, ["go.mod"]),
    (.node, ["package.json"]),
    (.ctest, ["CMakeLists.txt"]),
    (.make, makefileNames),
  ]

  /// The runner for the project at the root, from the files it has (`read` gives a top-level file's text, nil
  /// when absent). `pyproject.toml`/`setup.cfg`/`tox.ini` count for pytest only when they mention it;
  /// `package.json` means jest when jest is its test script or a dependency; a Makefile needs a `test` or `check`
  /// target. Without any of those, Python test files (`test_*.py`, `*_test.py`) at the root or in `tests/` or
  /// `test/` (`list` gives a directory's names) mean pytest, which also runs unittest suites (and falls back to
  /// unittest where pytest is not installed).
  public static func detect(read: (String) -> String?, list: (String) -> [String] = { _ in [] }) -> Runner? {
    for (runner, names) in markers {
      for name in names {
        guard let text = read(name) else { continue }
        switch name {
        case "pyproject.toml", "setup.cfg", "tox.ini":
          if text.contains("pytest") { return .pytest }
        case "package.json":
          return text.contains("\"jest\"") || text.contains("jest ") ? .jest : .node
        case _ where makefileNames.contains(name):
          if makeTarget(text) != nil { return .make }
        default:
          return runner
        }
      }
    }
    let pythonTests = ["", "tests", "test"].contains { directory in
      list(directory).contains { $0.hasSuffix(".py") && ($0.hasPrefix("test_") || $0.hasSuffix("_test.py")) }
    }
    return pythonTests ? .pytest : nil
  }

  /// `test` or `check`, whichever the Makefile defines (test first).
  public static func makeTarget(_ makefile: String) -> String? {
    let targets = Set(
      makefile.split(separator: "\n").compactMap { line -> Substring? in
        guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("\t"), !line.hasPrefix(" ") else { return nil }
        return line[..<colon]
      }.flatMap { $0.split(separator: " ") })
    return ["test", "check"].first { targets.contains(Substring($0)) }
  }

  /// The invocation for this runner. `reportDirectory` is where the command may write report files (inside its
  /// sandbox); `python` is the interpreter for pytest (a project venv's when it has one); `makeTarget` the
  /// Makefile's test target; `command` the caller's command for `.command`, run with `shell -c`.
  public func invocation(
    selection: Selection, reportDirectory: String, python: String = "python3", makeTarget: String = "test",
    command: String? = nil, shell: String = "/bin/sh"
  ) -> Invocation {
    var environment = ["MISH_REPORT_DIR": reportDirectory]
    var notes: [String] = []
    switch self {
    case .swift:
      let xunit = reportDirectory + "/xunit.xml"
      let events = reportDirectory + "/events.jsonl"
      var argv = [
        "swift", "test", "--parallel", "--xunit-output", xunit, "--event-stream-output-path", events,
        "--event-stream-version", "0",
      ]
      switch selection {
      case .all: break
      case .filter(let filter): argv += ["--filter", filter]
      case .exactly(let ids): for id in ids { argv += ["--filter", SwiftTestingEvents.filterPattern(forID: id)] }
      }
      return Invocation(argv: argv, environment: environment, report: .swift(xunit: xunit, events: events), runsEverything: false, notes: notes)
    case .pytest:
      let report = reportDirectory + "/pytest.xml"
      // pytest itself (`-m pytest`) when the interpreter has it, else the standard library's unittest.
      var arguments = ["-o", "junit_family=xunit1", "--junitxml=" + report, "-p", "no:cacheprovider", "-v"]
      switch selection {
      case .all: break
      case .filter(let filter): arguments += ["-k", filter]
      case .exactly(let ids): arguments += ids
      }
      return Invocation(
        argv: [python, "-c", Self.pytestOrUnittest] + arguments, environment: environment, report: .junit(report), runsEverything: false,
        notes: notes, shownArgv: [python, "-m", "pytest"] + arguments)
    case .cargo:
      // libtest's JSON format is unstable; any RUSTC_BOOTSTRAP lets the test harness print it, and -1 keeps rustc
      // itself stable (a crate's #![feature] is still refused).
      environment["RUSTC_BOOTSTRAP"] = "-1"
      environment["CARGO_TERM_COLOR"] = "never"
      var argv = ["cargo", "test", "--no-fail-fast"]
      var harness = ["-Z", "unstable-options", "--format", "json", "--report-time"]
      switch selection {
      case .all: break
      case .filter(let filter): argv.append(filter)
      case .exactly(let ids): harness = ["--exact"] + ids + harness
      }
      return Invocation(argv: argv + ["--"] + harness, environment: environment, report: .libtest, runsEverything: false, notes: notes)
    case .go:
      var argv = ["go", "test", "-json"]
      switch selection {
      case .all: argv.append("./...")
      case .filter(let filter): argv += ["-run", filter, "./..."]
      case .exactly(let ids):
        // ids are "package Test[/sub]": one anchored alternation of the top-level names, in those packages.
        var packages: [String] = []
        var names: [String] = []
        for id in ids {
          let parts = id.split(separator: " ", maxSplits: 1).map(String.init)
          guard parts.count == 2 else { continue }
          if !packages.contains(parts[0]) { packages.append(parts[0]) }
          let top = String(parts[1].split(separator: "/").first ?? "")
          if !names.contains(top) { names.append(top) }
        }
        argv += ["-run", "^(" + names.map(Self.regexEscaped).joined(separator: "|") + ")$"] + packages
      }
      return Invocation(argv: argv, environment: environment, report: .goJSON, runsEverything: false, notes: notes)
    case .node:
      var argv = ["node", "--test", "--test-reporter=tap"]
      switch selection {
      case .all: break
      case .filter(let filter): argv.append("--test-name-pattern=" + filter)
      case .exactly(let ids):
        for id in ids {
          let leaf = id.split(separator: " > ").last.map(String.init) ?? id
          argv.append("--test-name-pattern=^" + Self.regexEscaped(leaf) + "$")
        }
      }
      return Invocation(argv: argv, environment: environment, report: .tap, runsEverything: false, notes: notes)
    case .jest:
      let report = reportDirectory + "/jest.json"
      var argv = ["npx", "--no-install", "jest", "--ci", "--json", "--outputFile=" + report]
      switch selection {
      case .all: break
      case .filter(let filter): argv += ["-t", filter]
      case .exactly(let ids): argv += ["-t", "^(" + ids.map(Self.regexEscaped).joined(separator: "|") + ")$"]
      }
      return Invocation(argv: argv, environment: environment, report: .jest(report), runsEverything: false, notes: notes)
    case .ctest:
      let report = reportDirectory + "/ctest.xml"
      var ctest = "ctest --test-dir build/mish-ctest --output-on-failure --output-junit " + Self.shellQuoted(report)
      switch selection {
      case .all: break
      case .filter(let filter): ctest += " -R " + Self.shellQuoted(filter)
      case .exactly(let ids): ctest += " -R " + Self.shellQuoted("^(" + ids.map(Self.regexEscaped).joined(separator: "|") + ")$")
      }
      let line = "cmake -S . -B build/mish-ctest && cmake --build build/mish-ctest && " + ctest
      return Invocation(argv: ["/bin/sh", "-c", line], environment: environment, report: .junit(report), runsEverything: false, notes: notes)
    case .make, .command:
      let line = self == .make ? "make " + makeTarget : (command ?? "")
      switch selection {
      case .all: break
      case .filter(let filter):
        environment["MISH_TEST_FILTER"] = filter
        notes.append("\(self == .make ? "make" : "A command") has no filter syntax mish knows; the filter was passed as MISH_TEST_FILTER and everything it ran is reported.")
      case .exactly:
        notes.append("\(self == .make ? "make" : "A command") cannot run chosen tests, so it ran whole again; only the tests asked for were looked at.")
      }
      return Invocation(argv: [shell, "-c", line], environment: environment, report: .anything, runsEverything: true, notes: notes)
    }
  }

  /// The command a build of this runner's project is (for build/run without a command).
  public func buildCommand(makeTarget: String? = nil) -> [String]? {
    switch self {
    case .swift: ["swift", "build", "--build-tests"]
    case .cargo: ["cargo", "build", "--all-targets", "--color", "never"]
    case .go: ["go", "vet", "./..."]
    case .node, .jest: ["npx", "--no-install", "tsc", "--noEmit", "--pretty", "false"]
    case .ctest: ["/bin/sh", "-c", "cmake -S . -B build/mish-ctest && cmake --build build/mish-ctest"]
    case .make: ["make"]
    case .pytest: ["python3", "-m", "compileall", "-q", "."]
    case .command: nil
    }
  }

  /// For a pytest run that wrote no report because it was killed (a crash, the timeout): what its `-v` lines say.
  /// Each finished test keeps its status; the test that had started and not finished (pytest prints its id first,
  /// its result when it ends) failed with `killedWhile`. Nil when the output names no test.
  public static func pytestProgress(_ output: String, killedWhile: String) -> ParsedReport? {
    var cases: [TestCase] = []
    var running: String?
    for line in output.split(separator: "\n") {
      if let (id, status) = Runner.pytest.finishedTest(in: line) {
        var test = Self.pytestCase(id, status: status)
        if status == .failed { test.message = "failed; pytest was killed before it printed why (run this test alone to see)" }
        cases.append(test)
        running = nil
      } else {
        var text = line.drop { $0 == " " || $0 == "\t" }
        while text.last == " " { text = text.dropLast() }
        // The id of a test that has started: "tests/test_x.py::test_a" alone on its line (so far).
        if text.contains("::"), !text.contains(" "), text.split(separator: "::").first?.hasSuffix(".py") == true { running = String(text) }
      }
    }
    if let running {
      var crashed = Self.pytestCase(running, status: .failed)
      crashed.message = killedWhile
      cases.append(crashed)
    }
    return cases.isEmpty ? nil : ParsedReport(cases: cases, problems: ["pytest wrote no report (it was killed); the results come from its progress lines."])
  }

  static func pytestCase(_ id: String, status: TestCase.Status) -> TestCase {
    let parts = id.split(separator: "::").map(String.init)
    return TestCase(suite: parts.dropFirst().dropLast().joined(separator: "::"), name: parts.last ?? id, id: id, status: status, file: parts.first)
  }

  /// A finished test named in one line of the runner's console output (for progress while it runs): its name and
  /// whether it passed, failed or was skipped. nil for every other line.
  public func finishedTest(in line: Substring) -> (name: String, status: TestCase.Status)? {
    let text = line.drop { $0 == " " || $0 == "\t" }
    switch self {
    case .swift:
      // XCTest: "Test Case 'XT.testBad' failed (0.001 seconds)."; Swift Testing: "✔ Test stOK() passed after ..."
      if text.hasPrefix("Test Case '"), let end = text.dropFirst(11).firstIndex(of: "'") {
        let name = String(text[text.index(text.startIndex, offsetBy: 11)..<end])
        let rest = text[end...]
        if rest.contains("' passed (") { return (name, .passed) }
        if rest.contains("' failed (") { return (name, .failed) }
        if rest.contains("' skipped (") { return (name, .skipped) }
        return nil
      }
      for (symbol, verb, status) in [("✔", " passed after", TestCase.Status.passed), ("✘", " failed after", .failed), ("➜", " skipped", .skipped)] {
        guard text.hasPrefix(symbol + " Test "), let range = text.firstRange(of: verb) else { continue }
        let name = text[text.index(text.startIndex, offsetBy: symbol.count + 6)..<range.lowerBound]
        return (String(name), status)
      }
      return nil
    case .pytest:
      // -v: "tests/test_a.py::test_x PASSED   [ 50%]"
      for (word, status) in [(" PASSED", TestCase.Status.passed), (" FAILED", .failed), (" ERROR", .failed), (" SKIPPED", .skipped), (" XFAIL", .skipped), (" XPASS", .passed)] {
        if let range = text.firstRange(of: word), text[..<range.lowerBound].contains("::") {
          return (String(text[..<range.lowerBound]), status)
        }
      }
      return nil
    case .cargo:
      guard text.hasPrefix("{"), text.contains("\"type\": \"test\"") || text.contains("\"type\":\"test\"") else { return nil }
      let status: TestCase.Status
      if text.contains("\"event\": \"ok\"") || text.contains("\"event\":\"ok\"") {
        status = .passed
      } else if text.contains("\"event\": \"failed\"") || text.contains("\"event\":\"failed\"") {
        status = .failed
      } else if text.contains("\"event\": \"ignored\"") || text.contains("\"event\":\"ignored\"") {
        status = .skipped
      } else {
        return nil
      }
      return (Self.jsonStringField("name", in: text) ?? "?", status)
    case .go:
      guard text.hasPrefix("{"), let test = Self.jsonStringField("Test", in: text), let action = Self.jsonStringField("Action", in: text)
      else { return nil }
      switch action {
      case "pass": return (test, .passed)
      case "fail": return (test, .failed)
      case "skip": return (test, .skipped)
      default: return nil
      }
    case .node, .make, .command:
      // TAP: "ok 1 - name", "not ok 2 - name # SKIP".
      var rest = text
      let failed = rest.hasPrefix("not ok ")
      guard failed || rest.hasPrefix("ok ") else { return nil }
      rest = rest.dropFirst(failed ? 7 : 3).drop { $0.isNumber }
      if rest.hasPrefix(" - ") { rest = rest.dropFirst(3) } else { rest = rest.drop { $0 == " " } }
      var status: TestCase.Status = failed ? .failed : .passed
      if let directive = rest.firstRange(of: " # ") {
        let word = rest[directive.upperBound...].uppercased()
        if word.hasPrefix("SKIP") || word.hasPrefix("TODO") { status = .skipped }
        rest = rest[..<directive.lowerBound]
      }
      return (String(rest), status)
    case .jest:
      // jest prints one line per test file: "PASS src/a.test.js" / "FAIL src/b.test.js".
      if text.hasPrefix("PASS ") { return (String(text.dropFirst(5)), .passed) }
      if text.hasPrefix("FAIL ") { return (String(text.dropFirst(5)), .failed) }
      return nil
    case .ctest:
      // "1/3 Test #1: name ......   Passed    0.01 sec"
      guard let hash = text.firstRange(of: " Test #"), let colon = text[hash.upperBound...].firstIndex(of: ":") else { return nil }
      let rest = text[text.index(after: colon)...]
      let name = rest.drop { $0 == " " }.prefix { $0 != " " }
      if rest.contains("Passed") { return (String(name), .passed) }
      if rest.contains("Not Run") || rest.contains("Disabled") { return (String(name), .skipped) }
      if rest.contains("Failed") || rest.contains("***") { return (String(name), .failed) }
      return nil
    }
  }

  /// The string value of `"name": "..."` in one JSON line, without a full parse (progress only).
  static func jsonStringField(_ name: String, in line: Substring) -> String? {
    for key in ["\"\(name)\": \"", "\"\(name)\":\""] {
      guard let start = line.firstRange(of: key) else { continue }
      var value = ""
      var escaped = false
      for character in line[start.upperBound...] {
        if escaped {
          value.append(character)
          escaped = false
        } else if character == "\\" {
          escaped = true
        } else if character == "\"" {
          return value
        } else {
          value.append(character)
        }
      }
    }
    return nil
  }

  /// `text` with every regex metacharacter escaped (for anchored exact-name filters).
  public static func regexEscaped(_ text: String) -> String {
    var escaped = ""
    for character in text {
      if "\\^$.|?*+()[]{}".contains(character) { escaped.append("\\") }
      escaped.append(character)
    }
    return escaped
  }

  static func shellQuoted(_ word: String) -> String {
    "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
  }
}

extension Runner {
  /// Runner-specific reading of a finished run. pytest reports a module it could not import as a failing "test"
  /// named after the module, beside the real ones: dropped, as the report already says the build failed. Swift's
  /// XCTest report lacks what its console says (`withXCTestConsole`). node's test runner reports a test file that
  /// failed to load (a syntax error in it or in a module it requires) as one failing "test" named after the file,
  /// with the error only in its output: when every failure is such a file, the run is a build failure, with the
  /// JavaScript errors as diagnostics. A file whose process was killed by a signal stays a failure (a crash).
  public func interpreted(_ report: ParsedReport, output: String) -> (report: ParsedReport, diagnostics: [Diagnostic]) {
    if self == .pytest && report.buildFailed {
      // A module that failed to import is reported as a "test" named after the module: not a test.
      var adjusted = report
      adjusted.cases.removeAll { $0.status == .failed && !$0.id.contains("::") }
      return (adjusted, [])
    }
    if self == .swift { return (Self.withXCTestConsole(report, output: output), []) }
    guard self == .node else { return (report, []) }
    var report = report
    // With --test-name-pattern, node lists every other test as skipped; those were not asked for.
    report.cases.removeAll { $0.status == .skipped && $0.message == "test name does not match pattern" }
    let scriptSuffixes = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"]
    // A file whose process a signal killed did load: that is a crash, reported as the file's failure.
    func isLoadFailure(_ test: TestCase) -> Bool {
      test.status == .failed && test.suite.isEmpty && test.name.hasPrefix("/") && scriptSuffixes.contains { test.name.hasSuffix($0) }
        && !(test.message ?? "").hasPrefix("killed by SIG")
    }
    let failures = report.cases.filter { $0.status == .failed }
    guard !failures.isEmpty, failures.allSatisfy(isLoadFailure) else { return (report, []) }
    var adjusted = report
    adjusted.cases.removeAll(where: isLoadFailure)
    adjusted.buildFailed = true
    return (adjusted, Self.javascriptErrors(output))
  }

  /// `/abs/file.js:LINE` followed within a few lines by `SomethingError: message` (node's load-error print,
  /// possibly behind TAP's "# "), as diagnostics.
  static func javascriptErrors(_ output: String) -> [Diagnostic] {
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
      var text = line
      if text.hasPrefix("# ") { text = text.dropFirst(2) }
      return text
    }
    var diagnostics: [Diagnostic] = []
    for (index, line) in lines.enumerated() {
      guard line.hasPrefix("/"), let colon = line.lastIndex(of: ":"), let number = Int(line[line.index(after: colon)...]) else { continue }
      let file = line[..<colon]
      guard [".js", ".mjs", ".cjs", ".ts"].contains(where: { file.hasSuffix($0) }) else { continue }
      for candidate in lines[(index + 1)..<min(lines.count, index + 8)] {
        guard let separator = candidate.firstRange(of: ": "), candidate[..<separator.lowerBound].hasSuffix("Error"),
          candidate[..<separator.lowerBound].allSatisfy({ $0.isLetter })
        else { continue }
        let diagnostic = Diagnostic(file: String(file), line: number, column: nil, severity: .error, message: String(candidate))
        if !diagnostics.contains(diagnostic) { diagnostics.append(diagnostic) }
        break
      }
    }
    return diagnostics
  }

  /// `swift test --parallel` writes XCTest's JUnit without failure locations or messages ("failure") and with
  /// skipped tests as passed; XCTest's console lines have both: `/path/File.swift:8: error: Class.test : message`
  /// and `Test Case 'Class.test' skipped (0.000 seconds).`. XCTest cases (ids `Module.Class/test`) take them.
  static func withXCTestConsole(_ report: ParsedReport, output: String) -> ParsedReport {
    var errors: [Substring: (file: Substring, line: Int, message: Substring)] = [:]
    var skipped: Set<Substring> = []
    for line in output.split(separator: "\n") {
      if line.hasPrefix("Test Case '"), line.hasSuffix(" seconds)."), let quote = line.dropFirst(11).firstIndex(of: "'"),
        line[quote...].hasPrefix("' skipped (")
      {
        skipped.insert(line[line.index(line.startIndex, offsetBy: 11)..<quote])
      } else if let marker = line.firstRange(of: ": error: "), let separator = line[marker.upperBound...].firstRange(of: " : ") {
        let location = line[..<marker.lowerBound]
        guard let colon = location.lastIndex(of: ":"), let number = Int(location[location.index(after: colon)...]) else { continue }
        let name = line[marker.upperBound..<separator.lowerBound]
        if errors[name] == nil { errors[name] = (location[..<colon], number, line[separator.upperBound...]) }
      }
    }
    var adjusted = report
    if report.cases.contains(where: { $0.id.contains("/") && $0.status == .passed && !skipped.contains(Substring(consoleName(of: $0.id))) }) {
      adjusted.problems.append("SwiftPM's XCTest report counts a skipped XCTest (XCTSkip) as passed, and --parallel hides the console line that says otherwise.")
    }
    for index in adjusted.cases.indices {
      let test = adjusted.cases[index]
      guard test.id.contains("/") else { continue }
      let consoleName = Substring(consoleName(of: test.id))
      if test.status == .passed && skipped.contains(consoleName) { adjusted.cases[index].status = .skipped }
      if test.status == .failed, let error = errors[consoleName] {
        if test.file == nil {
          adjusted.cases[index].file = String(error.file)
          adjusted.cases[index].line = error.line
        }
        if test.message == nil || test.message == "failure" { adjusted.cases[index].message = String(error.message) }
        if test.details == nil || test.details == "failure" { adjusted.cases[index].details = String(error.message) }
      }
    }
    return adjusted
  }

  /// XCTest's console name of a test whose id is `Module.Class/test`: `Class.test`.
  static func consoleName(of id: String) -> String {
    guard let slash = id.lastIndex(of: "/") else { return id }
    return "\(id[..<slash].split(separator: ".").last ?? "").\(id[id.index(after: slash)...])"
  }
}
