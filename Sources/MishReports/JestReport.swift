import MishJSON

/// jest's `--json` report (best written with `--outputFile=FILE`: on stdout it shares the stream with anything a
/// reporter prints), parsed into test cases.
///
/// The report is one JSON object: `{success, numTotalTests, ..., testResults: [{name, status, message,
/// assertionResults: [{ancestorTitles, title, fullName, status, duration, failureMessages, location?}]}]}`.
/// suite = the `describe` titles joined with " > " (the file when there are none), name = the test's title,
/// id = `fullName`, which the caller reruns with `jest FILE -t '^ESCAPED FULLNAME$'` (`-t` is a regex over the full
/// name). A test file that failed to run (a syntax error, a missing module: file status "failed", no assertion
/// results) becomes one failed case named after the file, its message the reason, so it is not lost as "0 tests".
/// Messages are jest's failure text with ANSI colour codes removed, cut before the stack trace.
public enum JestReport {
  public static func parse(_ text: String) -> ParsedReport { parse(Array(text.utf8)) }

  public static func parse(_ bytes: [UInt8]) -> ParsedReport {
    do {
      return report(try JSONParser.parse(bytes), problems: [])
    } catch {
      // Text printed before or after the report on the same stream: try the outermost braces.
      guard let open = bytes.firstIndex(of: UInt8(ascii: "{")), let close = bytes.lastIndex(of: UInt8(ascii: "}")),
        open < close, let inner = try? JSONParser.parse(bytes[open...close])
      else {
        return ParsedReport(recognized: false, problems: ["not a jest JSON report: \(error.description)"])
      }
      return report(inner, problems: ["ignored text around the JSON report"])
    }
  }

  static func report(_ root: JSONValue, problems initial: [String]) -> ParsedReport {
    guard let files = root["testResults"]?.arrayValue else { return ParsedReport.unrecognized }
    var cases: [TestCase] = []
    var problems = initial
    for file in files {
      let path = file["name"]?.stringValue ?? ""
      let assertions = file["assertionResults"]?.arrayValue ?? []
      for assertion in assertions {
        guard let title = assertion["title"]?.stringValue else { continue }
        cases.append(testCase(assertion, title: title, file: path))
      }
      if assertions.isEmpty && file["status"]?.stringValue == "failed" {
        let text = file["message"]?.stringValue ?? file["testExecError"]?["message"]?.stringValue ?? ""
        let clean = stripANSI(text)
        let place = location(in: clean, file: path)
        cases.append(
          TestCase(
            suite: "", name: path, id: path, status: .failed, file: path, line: place,
            message: summary(clean) ?? "the test file failed to run",
            details: clean.isEmpty ? nil : clean))
      }
    }
    if root["wasInterrupted"]?.boolValue == true {
      problems.append("jest was interrupted: the report covers only the tests that ran")
    }
    return ParsedReport(cases: cases, recognized: true, problems: problems)
  }

  static func testCase(_ assertion: JSONValue, title: String, file: String) -> TestCase {
    let ancestors = assertion["ancestorTitles"]?.arrayValue?.compactMap(\.stringValue) ?? []
    let fullName = assertion["fullName"]?.stringValue ?? (ancestors + [title]).joined(separator: " ")
    let status: TestCase.Status
    switch assertion["status"]?.stringValue {
    case "passed": status = .passed
    case "failed": status = .failed
    default: status = .skipped  // pending, todo, skipped, disabled, focused-away
    }
    var testCase = TestCase(
      suite: ancestors.isEmpty ? file : ancestors.joined(separator: " > "), name: title, id: fullName,
      status: status, file: file.isEmpty ? nil : file, durationMs: assertion["duration"]?.doubleValue)
    testCase.line = assertion["location"]?["line"]?.intValue
    let failures = (assertion["failureMessages"]?.arrayValue ?? []).compactMap(\.stringValue).map(stripANSI)
    if status == .failed, let first = failures.first {
      testCase.message = summary(first)
      testCase.details = failures.joined(separator: "\n\n")
      // The stack names the test file's line; `location` (with --testLocationInResults) is where the test starts.
      if let line = failures.lazy.compactMap({ location(in: $0, file: file) }).first { testCase.line = line }
    }
    if status == .skipped, assertion["status"]?.stringValue == "todo" { testCase.message = "todo" }
    return testCase
  }

  // MARK: - Failure text

  /// The first lines of a failure, before its stack trace or code frame, without blank lines; at most 8.
  static func summary(_ text: String) -> String? {
    var kept: [Substring] = []
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
      let trimmed = line.drop { $0 == " " || $0 == "\t" }
      if trimmed.hasPrefix("at ") || isCodeFrame(trimmed) { break }
      if trimmed.isEmpty { continue }
      if trimmed.hasPrefix("● ") && kept.isEmpty {  // "● Test suite failed to run": a heading, not the reason.
        kept.append(trimmed.dropFirst(2))
        continue
      }
      kept.append(trimmed)
      if kept.count == 8 { break }
    }
    return kept.isEmpty ? nil : kept.joined(separator: "\n")
  }

  /// `  1 | const x =` and `> 3 | y(`: the source excerpt jest and babel print under an error.
  static func isCodeFrame(_ line: Substring) -> Bool {
    var rest = line
    if rest.first == ">" { rest = rest.dropFirst().drop { $0 == " " } }
    let digits = rest.prefix { $0.isASCII && $0.isNumber }
    return !digits.isEmpty && rest.dropFirst(digits.count).drop { $0 == " " }.hasPrefix("|")
  }

  /// The line of the first `FILE:LINE:COL` in the text that names this test file (stack frames), or babel's
  /// `FILE: message (LINE:COL)` for a syntax error.
  static func location(in text: String, file: String) -> Int? {
    guard !file.isEmpty else { return nil }
    for range in text.ranges(of: file) {
      let after = text[range.upperBound...]
      let digits = after.dropFirst().prefix { $0.isASCII && $0.isNumber }
      if after.first == ":", let line = Int(digits), after.dropFirst(1 + digits.count).first == ":" {
        return line
      }
      if after.hasPrefix(": ") {
        let rest = after.prefix { $0 != "\n" }
        if let open = rest.lastIndex(of: "("), rest.hasSuffix(")") {
          let inside = rest[rest.index(after: open)..<rest.index(before: rest.endIndex)]
          let parts = inside.split(separator: ":")
          if parts.count == 2, let line = Int(parts[0]), Int(parts[1]) != nil { return line }
        }
      }
    }
    return nil
  }

  /// Removes ANSI escape sequences (`ESC [ ... letter`, and lone two-byte escapes) that jest's colours leave in.
  static func stripANSI(_ text: String) -> String {
    guard text.unicodeScalars.contains("\u{1B}") else { return text }
    var result = String.UnicodeScalarView()
    var scalars = text.unicodeScalars.makeIterator()
    while let scalar = scalars.next() {
      guard scalar == "\u{1B}" else {
        result.append(scalar)
        continue
      }
      guard let next = scalars.next() else { break }
      if next == "[" {
        while let code = scalars.next(), !(code.value >= 0x40 && code.value <= 0x7E) {}
      } else if next == "]" {
        // OSC (hyperlinks): up to BEL or ESC \.
        while let code = scalars.next(), code != "\u{07}" {
          if code == "\u{1B}" { _ = scalars.next(); break }
        }
      }
    }
    return String(result)
  }
}
