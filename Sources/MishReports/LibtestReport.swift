import MishJSON

/// Rust's libtest results, from `cargo test` stdout: the JSON lines of
/// `cargo test --no-fail-fast -- -Z unstable-options --format json --report-time`, or the plain text every
/// toolchain prints (`test tests::a ... ok`, `---- tests::b stdout ----` blocks) as the fallback.
///
/// The JSON format is unstable (rust-lang/rust#49359): a stable toolchain accepts `-Z unstable-options` only when
/// `RUSTC_BOOTSTRAP` is set in the test binary's environment. libtest only checks that the variable is set, while
/// rustc reads `-1` as "behave as stable", so `RUSTC_BOOTSTRAP=-1` gets the JSON without letting nightly features
/// into the build (checked with cargo/rustc 1.95).
///
/// One stream holds several test binaries (the lib's unit tests, each tests/*.rs, the doc tests), each opening with
/// a suite `started` record or a `running N tests` line. Cases are named by libtest's path: suite = the module path
/// (before the last `::`), name = the last segment, id = the whole path, which `cargo test -- --exact ID...` runs
/// (several ids may follow one `--exact`; every binary applies them, and binaries without a match run nothing).
/// Doc tests (`src/lib.rs - add (line 7)`) take the file as suite and can not be selected one by one: rustdoc
/// splits test arguments on whitespace, so the caller reruns them with `--doc`.
public enum LibtestReport {
  public static func parseJSON(_ text: String) -> ParsedReport { parseJSON(Array(text.utf8)) }

  /// Bytes as captured: lines are decoded one by one, an invalid byte becomes U+FFFD in that line only.
  public static func parseJSON(_ bytes: [UInt8]) -> ParsedReport {
    var run = Run()
    var recognized = false
    var strayLines = 0
    var cutLastLine = false
    let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    let endsMidLine = bytes.last.map { $0 != 0x0A } ?? false
    for (index, raw) in lines.enumerated() {
      var line = raw
      while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line.removeLast() }
      if line.isEmpty { continue }
      guard let first = line.first(where: { $0 != 0x20 && $0 != 0x09 }), first == UInt8(ascii: "{"),
        let value = try? JSONParser.parse(line), let type = value["type"]?.stringValue
      else {
        if index == lines.count - 1 && endsMidLine { cutLastLine = true } else { strayLines += 1 }
        continue
      }
      recognized = true
      let event = value["event"]?.stringValue ?? ""
      switch type {
      case "suite":
        if event == "started" {
          run.startBinary(announced: value["test_count"]?.intValue)
        } else if event == "ok" || event == "failed" {
          run.endBinary()
        }
      case "test":
        guard let name = value["name"]?.stringValue else { continue }
        let seconds = value["exec_time"]?.doubleValue
        switch event {
        case "started":
          run.start(name)
        case "ok":
          run.finish(name, .passed, durationMs: seconds.map { $0 * 1000 })
        case "failed":
          let output = value["stdout"]?.stringValue ?? ""
          let failure = Failure(output: output, libtestMessage: value["message"]?.stringValue)
          run.finish(name, .failed, durationMs: seconds.map { $0 * 1000 }, failure: failure, output: output)
        case "ignored":
          run.finish(name, .skipped, message: value["message"]?.stringValue)
        default:
          continue  // "timeout" is a warning that a test runs long; its result comes later.
        }
      default:
        continue  // "bench" results and cargo's closing "report" are not test cases.
      }
    }
    guard recognized else { return ParsedReport.unrecognized }
    var report = run.report()
    if strayLines > 0 {
      report.problems.insert(
        "skipped \(strayLines) line\(strayLines == 1 ? "" : "s") that are not libtest JSON "
          + "(output printed outside libtest's capture, or not this format)", at: 0)
    }
    if cutLastLine { report.problems.insert("the last line is cut off mid-record (the output was truncated)", at: 0) }
    return report
  }

  /// The human format: `running N tests`, one `test NAME ... RESULT` line per test, then a `failures:` section
  /// whose `---- NAME stdout ----` blocks hold each failure's captured output and panic message.
  public static func parseText(_ text: String) -> ParsedReport {
    var run = Run()
    var recognized = false
    var blockName: String?
    var blockLines: [Substring] = []
    var outputs: [String: String] = [:]
    /// Failure blocks come after the result lines of their binary, so results are held until the binary's summary.
    var results: [(name: String, result: Substring)] = []
    var pending: String?

    func closeBlock() {
      if let name = blockName {
        var lines = blockLines
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        outputs[name] = lines.joined(separator: "\n")
      }
      blockName = nil
      blockLines = []
    }
    func flushResults() {
      for (name, result) in results {
        var word = result
        var durationMs: Double?
        if word.hasSuffix("s>"), let open = word.lastIndex(of: "<") {
          durationMs = Double(word[word.index(after: open)..<word.index(word.endIndex, offsetBy: -2)]).map { $0 * 1000 }
          word = word[..<open]
          while word.last == " " { word.removeLast() }
        }
        if word == "ok" {
          run.finish(name, .passed, durationMs: durationMs)
        } else if word == "FAILED" {
          let output = outputs[name] ?? ""
          let failure = Failure(output: output, libtestMessage: nil)
          run.finish(name, .failed, durationMs: durationMs, failure: failure, output: output)
        } else if word.hasPrefix("ignored") {
          let reason = word.dropFirst("ignored".count).drop { $0 == "," || $0 == " " }
          run.finish(name, .skipped, message: reason.isEmpty ? nil : String(reason))
        }
      }
      results = []
      outputs = [:]
    }

    for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      if let count = announcedCount(line) {
        closeBlock()
        flushResults()
        if let name = pending { run.start(name) }
        pending = nil
        run.startBinary(announced: count)
        recognized = true
        continue
      }
      if line.hasPrefix("test result: ") {
        closeBlock()
        if let name = pending { run.start(name) }
        pending = nil
        flushResults()
        run.endBinary()
        continue
      }
      if line.hasPrefix("---- "), line.hasSuffix(" stdout ----") || line.hasSuffix(" stderr ----") {
        closeBlock()
        blockName = String(line.dropFirst(5).dropLast(12))
        continue
      }
      if blockName != nil {
        if line == "failures:" || line == "successes:" { closeBlock() } else { blockLines.append(line) }
        continue
      }
      if line.hasPrefix("test "), let separator = line.firstRange(of: " ... ") {
        var name = line[line.index(line.startIndex, offsetBy: 5)..<separator.lowerBound]
        if name.hasSuffix(" - should panic") { name = name.dropLast(" - should panic".count) }
        let result = line[separator.upperBound...]
        recognized = true
        if isResult(result) {
          results.append((String(name), result))
          if pending == String(name) { pending = nil }
        } else {
          // Single-threaded runs print the name first; the word follows once the test ends (after any output it
          // printed without capture). A crash leaves the line unfinished.
          if let earlier = pending { run.start(earlier) }
          pending = String(name)
        }
        continue
      }
      if let name = pending, isResult(line) {
        results.append((name, line))
        pending = nil
      }
    }
    closeBlock()
    if let name = pending { run.start(name) }
    flushResults()
    guard recognized else { return ParsedReport.unrecognized }
    return run.report()
  }

  static let unfinishedMessage = "did not finish (the run ended or crashed during this test)"

  // MARK: - Test binaries and their tests

  struct Binary {
    var announced: Int?
    var ended = false
    var finished: [TestCase] = []
    var finishedNames: Set<String> = []
    var started: [String] = []
  }

  /// The binaries of one `cargo test` run, in order. A name is only unique within its binary.
  struct Run {
    var binaries: [Binary] = []

    mutating func startBinary(announced: Int?) {
      binaries.append(Binary(announced: announced))
    }

    mutating func endBinary() {
      if binaries.isEmpty { binaries.append(Binary()) }
      binaries[binaries.count - 1].ended = true
    }

    /// A result with no binary open (a stream cut at its head) still counts.
    mutating func currentIndex() -> Int {
      if binaries.isEmpty || binaries[binaries.count - 1].ended { binaries.append(Binary()) }
      return binaries.count - 1
    }

    mutating func start(_ name: String) {
      let index = currentIndex()
      if !binaries[index].started.contains(name) { binaries[index].started.append(name) }
    }

    mutating func finish(
      _ name: String, _ status: TestCase.Status, durationMs: Double? = nil, message: String? = nil,
      failure: Failure? = nil, output: String? = nil
    ) {
      let index = currentIndex()
      var testCase = LibtestReport.testCase(named: name, status: status)
      testCase.durationMs = durationMs
      testCase.message = message
      if let failure {
        testCase.message = failure.message
        if testCase.file == nil {  // A doc test already points at its block; its panic is in a temp file.
          testCase.file = failure.file
          testCase.line = failure.line
        }
      }
      if let output, !output.isEmpty { testCase.details = output }
      binaries[index].finished.append(testCase)
      binaries[index].finishedNames.insert(name)
    }

    func report() -> ParsedReport {
      var cases: [TestCase] = []
      var problems: [String] = []
      var unfinished: [String] = []
      for binary in binaries {
        cases += binary.finished
        for name in binary.started where !binary.finishedNames.contains(name) {
          var testCase = LibtestReport.testCase(named: name, status: .failed)
          testCase.message = LibtestReport.unfinishedMessage
          cases.append(testCase)
          unfinished.append(name)
        }
        if !binary.ended {
          let announced = binary.announced.map { "announced \($0) test\($0 == 1 ? "" : "s"), " } ?? ""
          problems.append(
            "a test binary stopped before its summary (crashed or killed): \(announced)"
              + "\(binary.finished.count) reported")
        }
      }
      if !unfinished.isEmpty {
        problems.append(
          "\(unfinished.count) test\(unfinished.count == 1 ? "" : "s") started but did not finish: "
            + unfinished.joined(separator: ", "))
      }
      return ParsedReport(cases: cases, recognized: true, problems: problems)
    }
  }

  /// suite/name/id from libtest's name; a doc test (`src/lib.rs - Type::method (line 7)`) also gives its place.
  static func testCase(named name: String, status: TestCase.Status) -> TestCase {
    if let docTest = docTest(name) {
      return TestCase(
        suite: docTest.file, name: docTest.item, id: name, status: status, file: docTest.file, line: docTest.line)
    }
    guard let separator = name.ranges(of: "::").last else {
      return TestCase(suite: "", name: name, id: name, status: status)
    }
    return TestCase(
      suite: String(name[..<separator.lowerBound]), name: String(name[separator.upperBound...]), id: name,
      status: status)
  }

  static func docTest(_ name: String) -> (file: String, item: String, line: Int)? {
    guard let dash = name.firstRange(of: " - "), let open = name.ranges(of: " (line ").last else { return nil }
    let afterOpen = name[open.upperBound...]
    guard let close = afterOpen.firstIndex(of: ")"), let line = Int(afterOpen[..<close]),
      dash.upperBound <= open.lowerBound
    else { return nil }
    let file = String(name[..<dash.lowerBound])
    let item = String(name[dash.upperBound...])
    return (file, item, line)
  }

  static func announcedCount(_ line: Substring) -> Int? {
    guard line.hasPrefix("running ") else { return nil }
    let words = line.split(separator: " ")
    guard words.count == 3, words[2] == "tests" || words[2] == "test" else { return nil }
    return Int(words[1])
  }

  static func isResult(_ text: Substring) -> Bool {
    text == "ok" || text == "FAILED" || text.hasPrefix("ignored") || text.hasPrefix("ok <")
      || text.hasPrefix("FAILED <")
  }

  // MARK: - Failure text

  /// What a failed test's captured output says: the panic's place and message, or libtest's own reason
  /// (`test did not panic as expected at src/lib.rs:50:8`, `panic did not contain expected string ...`).
  struct Failure {
    var file: String?
    var line: Int?
    var message: String?

    init(output: String, libtestMessage: String?) {
      let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map {
        $0.hasSuffix("\r") ? $0.dropLast() : $0
      }
      var note = libtestMessage
      for (index, line) in lines.enumerated() {
        if file == nil, message == nil, let panic = Failure.panic(lines: lines, at: index) {
          file = panic.file
          self.line = panic.line
          message = panic.message
        }
        if note == nil, line.hasPrefix("note: test did not panic") || line.hasPrefix("note: panic did not contain") {
          var noteLines = [line.dropFirst("note: ".count)]
          for next in lines[(index + 1)...] {
            guard next.first == " " else { break }
            noteLines.append(next)
          }
          note = noteLines.joined(separator: "\n")
        }
      }
      if let note, !note.isEmpty {
        message = note
        if file == nil, let at = note.ranges(of: " at ").last, let place = Failure.location(note[at.upperBound...]) {
          file = place.file
          line = place.line
        }
      }
      if message == nil {
        // No panic (a doc test that did not compile, a process that died): the first line that says something.
        message = lines.first { !$0.allSatisfy(\.isWhitespace) }.map { String($0) }
      }
    }

    /// `thread 'x' (123) panicked at src/lib.rs:12:9:` then the message lines (Rust 1.73+), or the older
    /// one-line `thread 'x' panicked at 'message', src/lib.rs:12:9`.
    static func panic(lines: [Substring], at index: Int) -> (file: String, line: Int?, message: String)? {
      let line = lines[index]
      guard line.hasPrefix("thread '"), let at = line.firstRange(of: " panicked at ") else { return nil }
      let rest = line[at.upperBound...]
      if rest.hasPrefix("'") {
        // The quoted message may span lines (assert_eq!'s left/right); the place follows its closing quote.
        var message: [Substring] = []
        for offset in 0..<min(50, lines.count - index) {
          let current = offset == 0 ? rest.dropFirst() : lines[index + offset]
          message.append(current)
          if let comma = current.ranges(of: "', ").last, let place = location(current[comma.upperBound...]) {
            message[message.count - 1] = current[..<comma.lowerBound]
            return (place.file, place.line, message.joined(separator: "\n"))
          }
        }
        return nil
      }
      guard rest.hasSuffix(":"), let place = location(rest.dropLast()) else { return nil }
      var message: [Substring] = []
      for next in lines[(index + 1)...] {
        if next.isEmpty || next == "stack backtrace:" || next.hasPrefix("note: ") { break }
        message.append(next)
      }
      return (place.file, place.line, message.joined(separator: "\n"))
    }

    /// `FILE:LINE:COL` (the file may itself hold colons).
    static func location(_ text: Substring) -> (file: String, line: Int?)? {
      let parts = text.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count >= 3, let line = Int(parts[parts.count - 2]), Int(parts[parts.count - 1]) != nil else {
        return nil
      }
      let file = parts.dropLast(2).joined(separator: ":")
      return file.isEmpty ? nil : (file, line)
    }
  }
}
