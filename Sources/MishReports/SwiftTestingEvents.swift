import MishJSON

/// Swift Testing's JSON event stream, parsed into test cases.
///
/// `swift test --event-stream-output-path FILE` (6.3.1 writes schema "6.3.0" by default; `--event-stream-version 0`
/// and "6.3" are accepted, 6.4 needs `--experimental-event-stream-version`). The stream is JSON Lines, one record
/// per line: `{"version", "kind": "test" | "event", "payload"}`. Test records describe every planned test and suite
/// before the events say what happened. Both schema versions read alike: unknown kinds and fields are ignored, as
/// swift-testing's Documentation/ABI/JSON.md asks of decoders. Schema 0 names the argument of a failing
/// parameterized case (`_testCase`) and leaves warnings out; "6.3" says `isFailure`/`severity` but not the argument. XCTest results never appear in this stream (SwiftPM
/// runs XCTest separately), so a target with both needs the xUnit report for its XCTest half.
///
/// Each test function becomes one `TestCase`; a parameterized function's cases roll up into it. The case's `id`
/// is the stream's test id without its trailing `/File.swift:line:column` (`DemoTests.MathSuite/insideSuite()`),
/// which stays valid when lines move; `filterPattern(forID:)` turns it into the `swift test --filter` argument.
public enum SwiftTestingEvents {
  public static func parse(_ text: String) -> ParsedReport { parse(Array(text.utf8)) }

  /// Bytes as read from the file: each line is decoded on its own, so a stray invalid byte costs one message's
  /// character (replaced with U+FFFD), never the record.
  public static func parse(_ bytes: [UInt8]) -> ParsedReport {
    var stream = Stream()
    Lines.forEach(in: bytes) { line, mayBeCut in stream.read(line: line, mayBeCut: mayBeCut) }
    return stream.report()
  }

  /// The `swift test --filter` regular expression that selects exactly the test with this id. Swift Testing matches
  /// the pattern against its full id (`Module.Suite/test()/File.swift:12:4`) and SwiftPM matches XCTest ids
  /// (`Module.Class/testName`) as they are, so one anchored form serves both: `^Module\.Suite/test\(\)(/|$)`.
  /// Several `--filter` flags may be given; a test runs when any of them matches.
  public static func filterPattern(forID id: String) -> String { "^" + Runner.regexEscaped(id) + "(/|$)" }

  static let unfinishedMessage = "did not finish (the run ended or crashed during this test)"

  // MARK: - Reading the stream

  /// A test or suite as its `"kind": "test"` record describes it.
  struct TestRecord {
    var isSuite: Bool
    var name: String
    var isParameterized: Bool
    var location: Location?
  }

  struct Location {
    var file: String
    var line: Int?
  }

  struct Issue {
    var isFailure: Bool
    /// "known issue" or "warning" for issues that do not fail the test, so details do not read like failures.
    var label: String?
    var text: String
    var location: Location?
    /// The parameterized test case's argument, when the stream names it (version 0's `_testCase`).
    var testCase: String?
  }

  /// Everything the events said about one test id.
  struct Progress {
    var starts = 0
    var ends = 0
    var skipMessage: String?
    var cancelled = false
    var endMessage: String?
    var issues: [Issue] = []
    var casesStarted = 0
    var startInstant: Double?
    var endInstant: Double?
  }

  struct Stream {
    var records: [String: TestRecord] = [:]
    var recordOrder: [String] = []
    var progress: [String: Progress] = [:]
    var eventOrder: [String] = []
    var recognized = false
    var runEnded = false
    var garbageLines = 0
    var cutLastLine = false
    var issuesOutsideTests: [String] = []

    mutating func read(line raw: ArraySlice<UInt8>, mayBeCut: Bool) {
      var line = raw
      while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line.removeLast() }
      while let first = line.first, first == 0x20 || first == 0x09 { line.removeFirst() }
      if line.isEmpty { return }
      guard let value = try? JSONParser.parse(line), let kind = value["kind"]?.stringValue,
        let payload = value["payload"]?.objectValue
      else {
        if mayBeCut { cutLastLine = true } else { garbageLines += 1 }
        return
      }
      switch kind {
      case "test":
        recognized = true
        readTest(payload)
      case "event":
        recognized = true
        readEvent(payload)
      default:
        return  // A record kind added after this parser was written.
      }
    }

    mutating func readTest(_ payload: JSONObject) {
      guard let id = payload["id"]?.stringValue else { return }
      let isSuite = payload["kind"]?.stringValue == "suite"
      let record = TestRecord(
        isSuite: isSuite,
        name: payload["name"]?.stringValue ?? SwiftTestingEvents.lastComponent(of: id),
        isParameterized: payload["isParameterized"]?.boolValue ?? false,
        location: SwiftTestingEvents.location(payload["sourceLocation"]))
      if records[id] == nil { recordOrder.append(id) }
      records[id] = record
    }

    mutating func readEvent(_ payload: JSONObject) {
      guard let kind = payload["kind"]?.stringValue else { return }
      let text = SwiftTestingEvents.messageText(payload["messages"])
      let instant = payload["instant"]?["absolute"]?.doubleValue
      if kind == "runEnded" { runEnded = true; return }
      if kind == "issueRecorded" {
        let issue = SwiftTestingEvents.issue(payload, text: text)
        guard let testID = payload["testID"]?.stringValue else {
          if issue.isFailure { issuesOutsideTests.append(issue.text) }
          return
        }
        update(testID) { $0.issues.append(issue) }
        return
      }
      guard let testID = payload["testID"]?.stringValue else { return }
      switch kind {
      case "testStarted":
        update(testID) {
          $0.starts += 1
          if $0.startInstant == nil { $0.startInstant = instant }
        }
      case "testEnded":
        update(testID) {
          $0.ends += 1
          $0.endInstant = instant ?? $0.endInstant
          if !text.isEmpty { $0.endMessage = text }
        }
      case "testSkipped":
        update(testID) { $0.skipMessage = text }
      case "testCancelled":
        update(testID) { $0.cancelled = true }
      case "testCaseStarted":
        update(testID) { $0.casesStarted += 1 }
      default:
        return  // testCaseEnded, valueAttached, testCaseCancelled, and kinds added later say nothing we report.
      }
    }

    mutating func update(_ testID: String, _ change: (inout Progress) -> Void) {
      if progress[testID] == nil { eventOrder.append(testID) }
      change(&progress[testID, default: Progress()])
    }

    func report() -> ParsedReport {
      guard recognized else { return ParsedReport.unrecognized }
      var cases: [TestCase] = []
      var unfinished: [String] = []
      var neverStarted = 0
      // Declaration order (the records) keeps the result stable across parallel runs; ids only events mention
      // (a record lost to truncation, a suite that failed on its own) follow in the order they appeared.
      let ids = recordOrder + eventOrder.filter { records[$0] == nil }
      for id in ids {
        let record = records[id]
        let isSuite = record?.isSuite ?? !SwiftTestingEvents.hasLocationSuffix(id)
        guard let progress = progress[id] else {
          if !isSuite { neverStarted += 1 }
          continue
        }
        let failing = progress.issues.filter(\.isFailure)
        // A suite is not a test case, unless something failed in it outside its tests (a throwing trait).
        if isSuite && failing.isEmpty { continue }
        let testCase = makeCase(id: id, record: record, progress: progress, failing: failing)
        if progress.starts > progress.ends { unfinished.append(testCase.id) }
        cases.append(testCase)
      }
      var problems: [String] = []
      if garbageLines > 0 {
        problems.append("skipped \(garbageLines) line\(garbageLines == 1 ? "" : "s") that are not event-stream records")
      }
      if cutLastLine { problems.append("the last line is cut off mid-record (the stream was truncated)") }
      if !runEnded {
        problems.append(
          "the stream has no runEnded event: the test process stopped before the run finished (crash, kill or timeout)")
      }
      if !unfinished.isEmpty {
        problems.append(
          "\(unfinished.count) test\(unfinished.count == 1 ? "" : "s") started but did not finish: "
            + unfinished.joined(separator: ", "))
      }
      if neverStarted > 0 && !runEnded {
        problems.append("\(neverStarted) planned test\(neverStarted == 1 ? "" : "s") never started")
      }
      for text in issuesOutsideTests { problems.append("an issue was recorded outside any test: \(text)") }
      return ParsedReport(cases: cases, recognized: true, problems: problems)
    }

    func makeCase(id: String, record: TestRecord?, progress: Progress, failing: [Issue]) -> TestCase {
      let base = SwiftTestingEvents.hasLocationSuffix(id) ? SwiftTestingEvents.droppingLastComponent(id) : id
      let name = record?.name ?? SwiftTestingEvents.lastComponent(of: base)
      var testCase = TestCase(
        suite: SwiftTestingEvents.suitePath(base: base, name: name), name: name, id: base, status: .passed,
        file: record?.location?.file, line: record?.location?.line)
      if let start = progress.startInstant, let end = progress.endInstant, end >= start {
        testCase.durationMs = (end - start) * 1000
      }
      if !progress.issues.isEmpty {
        testCase.details = progress.issues.map { issue in
          let place = issue.location.map { location in location.file + (location.line.map { ":\($0)" } ?? "") }
          return (place.map { $0 + ": " } ?? "") + (issue.label.map { "(\($0)) " } ?? "") + issue.text
        }.joined(separator: "\n")
      }
      if let first = failing.first, let location = first.location {
        testCase.file = location.file
        testCase.line = location.line
      }
      if progress.starts > progress.ends {
        testCase.status = .failed
        testCase.message = SwiftTestingEvents.unfinishedMessage
      } else if let first = failing.first {
        testCase.status = .failed
        var lines = [first.text]
        if failing.count > 1 { lines.append("(and \(failing.count - 1) more issue\(failing.count == 2 ? "" : "s"))") }
        if record?.isParameterized == true || progress.casesStarted > 1 {
          lines.append(parameterizedNote(progress: progress, failing: failing))
        }
        testCase.message = lines.joined(separator: "\n")
      } else if progress.skipMessage != nil || (progress.cancelled && progress.starts == progress.ends) {
        testCase.status = .skipped
        let text = progress.skipMessage ?? progress.endMessage ?? ""
        testCase.message = text.isEmpty ? nil : text
      }
      return testCase
    }

    /// Which cases of a parameterized test failed, as far as the stream says: schema 0 names each issue's
    /// argument (`_testCase`), "6.3" does not.
    func parameterizedNote(progress: Progress, failing: [Issue]) -> String {
      var arguments: [String] = []
      for issue in failing { if let name = issue.testCase, !arguments.contains(name) { arguments.append(name) } }
      let total = progress.casesStarted > 0 ? " of \(progress.casesStarted)" : ""
      if arguments.isEmpty { return "parameterized: at least one\(total) test cases failed" }
      return "parameterized: \(arguments.count)\(total) test cases failed (arguments: "
        + arguments.joined(separator: "; ") + ")"
    }
  }

  // MARK: - Field helpers

  static func messageText(_ messages: JSONValue?) -> String {
    guard let array = messages?.arrayValue else { return "" }
    return array.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
  }

  /// Schema "6.3" says `isFailure` outright; schema 0 has only `isKnown` (every unknown issue was an error then).
  static func issue(_ payload: JSONObject, text: String) -> Issue {
    let issue = payload["issue"]
    let isKnown = issue?["isKnown"]?.boolValue ?? false
    let severity = issue?["severity"]?.stringValue ?? "error"
    let isFailure = issue?["isFailure"]?.boolValue ?? (!isKnown && severity == "error")
    let label = isFailure ? nil : isKnown ? "known issue" : severity
    let location = SwiftTestingEvents.location(issue?["sourceLocation"] ?? payload["_sourceLocation"])
    let testCase = payload["_testCase"]?["displayName"]?.stringValue
    return Issue(isFailure: isFailure, label: label, text: text, location: location, testCase: testCase)
  }

  /// `filePath` is the documented field since 6.3; older streams only have `_filePath` or the module-relative
  /// `fileID`.
  static func location(_ value: JSONValue?) -> Location? {
    guard let value,
      let file = value["filePath"]?.stringValue ?? value["_filePath"]?.stringValue ?? value["fileID"]?.stringValue
    else { return nil }
    return Location(file: file, line: value["line"]?.intValue)
  }

  /// Test function ids end in `/File.swift:line:column`; suite ids do not.
  static func hasLocationSuffix(_ id: String) -> Bool {
    let last = lastComponent(of: id)
    let parts = last.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count >= 3 else { return false }
    return parts.suffix(2).allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
  }

  static func lastComponent(of id: String) -> String {
    guard let slash = id.lastIndex(of: "/") else { return id }
    return String(id[id.index(after: slash)...])
  }

  static func droppingLastComponent(_ id: String) -> String {
    guard let slash = id.lastIndex(of: "/") else { return id }
    return String(id[..<slash])
  }

  /// The enclosing suites' type names, outermost first, joined with "." (`MathSuite.Nested`); "" at top level.
  /// Read from the id (`Module.Outer/Inner/test()`) rather than suite records, which a truncated stream may lack.
  static func suitePath(base: String, name: String) -> String {
    let parent: Substring
    if base.hasSuffix("/" + name) {
      parent = base.dropLast(name.count + 1)
    } else if let slash = base.lastIndex(of: "/") {
      parent = base[..<slash]
    } else {
      return ""  // `Module.test()`: a top-level test.
    }
    var parts = parent.split(separator: "/", omittingEmptySubsequences: false)
    guard let first = parts.first else { return "" }
    if let dot = first.firstIndex(of: ".") {
      parts[0] = first[first.index(after: dot)...]
    } else if parts.count == 1 {
      return ""  // Only the module is left.
    } else {
      parts.removeFirst()
    }
    return parts.joined(separator: ".")
  }
}
