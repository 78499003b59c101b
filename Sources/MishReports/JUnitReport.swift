/// JUnit XML reports, in the dialects test runners actually write: pytest (`--junitxml`, xunit1 and xunit2),
/// `swift test --xunit-output` (both its XCTest and its Swift Testing file), ctest `--output-junit`, GoogleTest
/// `--gtest_output=xml`, and the Ant/Maven/Jest shape they all descend from.
///
/// The root may be `<testsuites>`, a bare `<testsuite>`, or anything containing them; suites may nest. A truncated or
/// malformed report still yields what it holds, with `problems` saying what was wrong.
///
/// Test ids are what the runner's own filter accepts:
/// - pytest (a `file` attribute ending in `.py`, as xunit1 writes): the node id `file::Class::name`, the class parts
///   being whatever `classname` has after the module's dotted path (`tests/test_calc.py::TestOps::test_mul`); a
///   collection error (empty `classname`, `name` the module's dotted path) gets the file itself as its id. pytest's
///   default xunit2 has no `file`: in a suite named `pytest` the file is inferred from `classname`, its leading
///   parts up to the first capitalized one (`tests.test_calc.TestOps` → `tests/test_calc.py`).
/// - GoogleTest (a `result` attribute): `Suite.Test`, the form `--gtest_filter` takes.
/// - Swift Testing's free functions (`classname` a bare module, `name` ending in `)`): `Module.function()`; in a
///   suite, `Module.Suite/function()` like XCTest. Both match `swift test --filter` (a regex: escape the parens).
/// - Otherwise `classname/name` — XCTest's `Module.Class/testMethod` — or just `name` when there is no `classname`
///   (or it merely repeats `name`, as ctest writes it).
///
/// `suite` is the `classname`, else the innermost `<testsuite>`'s name. `file`/`line` come from the first `path:line`
/// in the failure text (and, for failures, captured output) that names the test's own file, else the first outside
/// installed libraries, else the `file`/`line` attributes (pytest's `line` is zero-based and is corrected). A pytest
/// collection error (a test file that did not import) sets `buildFailed`. A `<testcase>` cut off before its result
/// is left out rather than guessed to have passed.
public enum JUnitReport {
  public static func parse(_ bytes: [UInt8]) -> ParsedReport {
    let document = XMLReader.read(bytes)
    var reader = JUnitCaseReader()
    reader.readAll(document.topLevelElements)
    guard reader.sawReportElement else { return .unrecognized }
    return ParsedReport(
      cases: reader.cases,
      problems: document.problems + reader.problems,
      buildFailed: reader.sawCollectionError
    )
  }
}

/// Walks the element tree once, turning each `<testcase>` into a `TestCase`.
private struct JUnitCaseReader {
  var cases: [TestCase] = []
  var problems: [String] = []
  var sawReportElement = false
  /// pytest reports a test file it could not import (syntax error, missing module) as a `<testcase>` with
  /// `<error message="collection failure">` and an empty `classname`: no test in it ran, like a failed build.
  var sawCollectionError = false

  mutating func readAll(_ topLevelElements: [XMLReader.Element]) {
    // Iterative, so a report nested as deep as the XML reader allows cannot exhaust the stack here.
    var pending: [(element: XMLReader.Element, suiteName: String)] = topLevelElements.reversed().map { ($0, "") }
    while let (element, suiteName) = pending.popLast() {
      switch element.name {
      case "testcase":
        sawReportElement = true
        read(testcase: element, suiteName: suiteName)
      case "testsuite":
        sawReportElement = true
        let name = JUnitAttributes.nonEmpty(element.attribute("name")) ?? suiteName
        pending += element.childElements.reversed().map { ($0, name) }
      case "testsuites":
        sawReportElement = true
        pending += element.childElements.reversed().map { ($0, suiteName) }
      default:
        pending += element.childElements.reversed().map { ($0, suiteName) }
      }
    }
  }

  mutating func read(testcase: XMLReader.Element, suiteName: String) {
    let name = testcase.attribute("name") ?? ""
    let rawClassname = JUnitAttributes.nonEmpty(testcase.attribute("classname"))
    // ctest writes the test's name as its classname too; that names no class.
    let classname = rawClassname == name ? nil : rawClassname
    let testFile = JUnitAttributes.nonEmpty(testcase.attribute("file"))
    let isPytest = testFile?.hasSuffix(".py") ?? false
    var pytestFile: String? = nil
    if isPytest {
      pytestFile = testFile
    } else if suiteName == "pytest" && testFile == nil {
      pytestFile = JUnitIdentifiers.pytestFile(fromDottedPath: rawClassname ?? name)
    }

    let failure = testcase.childElements.first { $0.name == "failure" || $0.name == "error" }
    let skip = testcase.childElements.first { $0.name == "skipped" }
    let status = Self.status(failure: failure, skip: skip, testcase: testcase)

    if !testcase.isComplete && failure == nil && skip == nil {
      problems.append(
        "the report ends inside <testcase name=\"\(name)\">; its result is unknown, so it is not listed")
      return
    }
    if let failure, failure.attribute("message") == "collection failure", (rawClassname ?? "").isEmpty {
      sawCollectionError = true
    }

    let id: String
    if let pytestFile {
      id = JUnitIdentifiers.pytestNodeID(file: pytestFile, classname: rawClassname ?? "", name: name)
    } else if let classname, testcase.attribute("result") != nil {
      id = classname + "." + name
    } else if let classname, !classname.contains("."), name.hasSuffix(")") {
      id = classname + "." + name
    } else if let classname {
      id = classname + "/" + name
    } else {
      id = name
    }

    var testCase = TestCase(suite: classname ?? suiteName, name: name, id: id, status: status)
    testCase.durationMs = JUnitAttributes.milliseconds(fromSeconds: testcase.attribute("time"))

    let result = failure ?? skip
    let resultText = result?.text ?? ""
    let resultMessage = JUnitAttributes.nonEmpty(ReportExcerpt.trimmed(result?.attribute("message") ?? ""))
    // Captured output is searched too: ctest and some others leave the failure's text there.
    let outputStreams = status == .failed ? ["system-out", "system-err"] : []
    let outputs = outputStreams.map { testcase.firstChild(named: $0)?.text ?? "" }
    let searched = ([resultText, resultMessage ?? ""] + outputs).joined(separator: "\n")
    if let location = FailureLocationScanner.preferredLocation(in: searched, testFile: testFile ?? pytestFile) {
      testCase.file = location.file
      testCase.line = location.line
    } else if let testFile {
      testCase.file = testFile
      // pytest's `line` is zero-based (the function's `def` is one line further down).
      testCase.line = Int(testcase.attribute("line") ?? "").map { isPytest ? $0 + 1 : $0 }
    }

    if status != .passed {
      testCase.message = ReportExcerpt.message(resultMessage ?? ReportExcerpt.firstNonEmptyLine(of: resultText))
      var parts = [ReportExcerpt.trimmed(resultText)]
      for (stream, output) in zip(outputStreams, outputs) {
        let trimmedOutput = ReportExcerpt.trimmed(output)
        if !trimmedOutput.isEmpty { parts.append(stream + ":\n" + trimmedOutput) }
      }
      testCase.details = ReportExcerpt.details(parts.filter { !$0.isEmpty }.joined(separator: "\n\n"))
    }
    cases.append(testCase)
  }

  /// A `<failure>` or `<error>` child means failed, `<skipped>` means skipped; runners that say it with attributes
  /// instead (ctest's `status="fail|notrun|disabled"`, GoogleTest's `result="skipped|suppressed"`) are heard too.
  static func status(
    failure: XMLReader.Element?, skip: XMLReader.Element?, testcase: XMLReader.Element
  ) -> TestCase.Status {
    if failure != nil { return .failed }
    if skip != nil { return .skipped }
    let statusWord = (testcase.attribute("status") ?? "").lowercased()
    let resultWord = (testcase.attribute("result") ?? "").lowercased()
    if ["fail", "failed", "failure", "error"].contains(statusWord) { return .failed }
    if ["notrun", "disabled", "skipped", "skip", "ignored"].contains(statusWord) { return .skipped }
    if ["skipped", "suppressed"].contains(resultWord) { return .skipped }
    return .passed
  }
}

private enum JUnitAttributes {
  static func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
  }

  /// `time` is seconds as a decimal; absent, empty, negative or unreadable times give nil rather than a guess.
  static func milliseconds(fromSeconds text: String?) -> Double? {
    guard let text, let seconds = Double(ReportExcerpt.trimmed(text)), seconds.isFinite, seconds >= 0 else {
      return nil
    }
    return seconds * 1000
  }
}

enum JUnitIdentifiers {
  /// `tests.test_calc.TestOps` → `tests/test_calc.py`: the parts before the first capitalized one (a class) are the
  /// module path. Nil when nothing is left.
  static func pytestFile(fromDottedPath dottedPath: String) -> String? {
    let parts = dottedPath.split(separator: ".")
    let moduleParts = parts.prefix { !($0.first?.isUppercase ?? false) }
    guard !moduleParts.isEmpty else { return nil }
    return moduleParts.joined(separator: "/") + ".py"
  }

  /// pytest's node id from xunit1's attributes. `classname` is the node id with `/` turned into `.` and `.py`
  /// dropped, so whatever follows the file's own dotted path is the class chain. When it does not start with it (a
  /// test inherited from a class in another file, where `file` names the base class's file), the leading
  /// lower-case parts are taken as the module path instead.
  static func pytestNodeID(file: String, classname: String, name: String) -> String {
    let relativeFile = file.hasPrefix("./") ? String(file.dropFirst(2)) : file
    let modulePath = String(relativeFile.dropLast(3).map { $0 == "/" || $0 == "\\" ? "." : $0 })
    if classname.isEmpty {
      return name == modulePath ? file : file + "::" + name
    }
    var idFile = file
    var classParts: [Substring]
    if classname == modulePath {
      classParts = []
    } else if classname.hasPrefix(modulePath + ".") {
      classParts = classname.dropFirst(modulePath.count + 1).split(separator: ".")
    } else {
      let parts = classname.split(separator: ".")
      let firstClass = parts.firstIndex { $0.first?.isUppercase ?? false } ?? parts.endIndex
      if firstClass > parts.startIndex {
        idFile = parts[..<firstClass].joined(separator: "/") + ".py"
      }
      classParts = Array(parts[firstClass...])
    }
    return ([idFile] + classParts.map(String.init) + [name]).joined(separator: "::")
  }
}

/// Finds `path:line` in failure text (tracebacks, stacks, compiler-style messages), so a failure points at the
/// line that failed rather than at the test's declaration. Shared by the JUnit and TAP readers.
enum FailureLocationScanner {
  struct Location: Equatable {
    var file: String
    var line: Int
  }

  /// The first location in `testFile` (the test's own file, when the report names it), else the first location
  /// outside installed libraries (site-packages, node_modules, system directories), else nil.
  static func preferredLocation(in text: String, testFile: String?) -> Location? {
    let locations = allLocations(in: text)
    if let testFile, let inTestFile = locations.first(where: { samePath($0.file, testFile) }) {
      return inTestFile
    }
    return locations.first { !isLibraryPath($0.file) }
  }

  /// Every plausible location in order of appearance: `path:12` (also `path:12:5`, `path:line 12`) and
  /// `path", line 12` / `path line 12` (Python tracebacks, Perl's `at t/x.t line 12.`).
  static func allLocations(in text: String) -> [Location] {
    let bytes = Array(text.utf8)
    var found: [Location] = []
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: ":") {
        var digitsStart = index + 1
        if bytes[digitsStart...].starts(with: "line ".utf8) { digitsStart += 5 }
        if let line = number(in: bytes, from: digitsStart), let path = pathToken(in: bytes, endingAt: index) {
          found.append(Location(file: path, line: line))
        }
      } else if byte == UInt8(ascii: " "), bytes[index...].starts(with: " line ".utf8) {
        if let line = number(in: bytes, from: index + 6) {
          var pathEnd = index
          if pathEnd > 0, bytes[pathEnd - 1] == UInt8(ascii: ",") { pathEnd -= 1 }
          if pathEnd > 0, bytes[pathEnd - 1] == UInt8(ascii: "\"") { pathEnd -= 1 }
          if let path = pathToken(in: bytes, endingAt: pathEnd) {
            found.append(Location(file: path, line: line))
          }
        }
      }
      index += 1
    }
    return found
  }

  static func samePath(_ found: String, _ testFile: String) -> Bool {
    let found = found.hasPrefix("./") ? String(found.dropFirst(2)) : found
    let testFile = testFile.hasPrefix("./") ? String(testFile.dropFirst(2)) : testFile
    return found == testFile || found.hasSuffix("/" + testFile) || testFile.hasSuffix("/" + found)
  }

  static func isLibraryPath(_ path: String) -> Bool {
    let markers = [
      "/site-packages/", "/dist-packages/", "/node_modules/", "/lib/python", "/usr/lib/", "/usr/include/",
      "/.cargo/registry/", "/rustc/",
    ]
    return markers.contains { path.contains($0) } || path.hasPrefix("node_modules/")
  }

  static let maximumPathLength = 1024

  /// A positive line number of at most 9 digits starting at `start`.
  private static func number(in bytes: [UInt8], from start: Int) -> Int? {
    var index = start
    var value = 0
    while index < bytes.count, index - start < 9, let digit = digitValue(bytes[index]) {
      value = value * 10 + digit
      index += 1
    }
    if index < bytes.count, digitValue(bytes[index]) != nil { return nil }
    return index > start && value > 0 ? value : nil
  }

  private static func digitValue(_ byte: UInt8) -> Int? {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
  }

  /// The path-like run of bytes ending just before `end`, if it looks like a source file: its last component has
  /// a short alphanumeric extension. URLs are refused, `file://` is dropped, runtime-internal names (`node:fs`,
  /// `<frozen ...>`, `<EXPR>`) never qualify.
  private static func pathToken(in bytes: [UInt8], endingAt end: Int) -> String? {
    // Bounded, so a long run of "a:1a:1..." costs linear time, not quadratic.
    let earliestStart = max(0, end - maximumPathLength)
    var start = end
    while start > earliestStart, !endsPath(bytes[start - 1]) { start -= 1 }
    guard start < end, start == 0 || endsPath(bytes[start - 1]) else { return nil }
    var path = String(decoding: bytes[start..<end], as: UTF8.self)
    if path.hasPrefix("file://") { path.removeFirst(7) }
    guard !path.contains("://"), !path.hasPrefix("node:") else { return nil }
    let lastComponent = path.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }.last ?? ""
    guard let dot = lastComponent.lastIndex(of: "."), dot > lastComponent.startIndex else { return nil }
    let fileExtension = lastComponent[lastComponent.index(after: dot)...]
    guard (1...10).contains(fileExtension.count), fileExtension.first?.isLetter ?? false,
      fileExtension.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
    else { return nil }
    return path
  }

  private static func endsPath(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\""),
      UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"),
      UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: "{"),
      UInt8(ascii: "}"), UInt8(ascii: "|"), UInt8(ascii: "`"), UInt8(ascii: ";"):
      return true
    default:
      return false
    }
  }
}

/// Trimming and capping of report text, so every reader gives messages and details of the same size.
enum ReportExcerpt {
  static let maximumMessageLength = 500
  static let maximumDetailsLength = 4000

  /// Without leading and trailing whitespace (Unicode's, with a fast path for ASCII).
  static func trimmed(_ text: some StringProtocol) -> String {
    let scalars = text.unicodeScalars
    let isWhitespace: (Unicode.Scalar) -> Bool = { scalar in
      scalar.isASCII
        ? scalar == " " || (scalar.value >= 0x09 && scalar.value <= 0x0D) : scalar.properties.isWhitespace
    }
    guard let first = scalars.firstIndex(where: { !isWhitespace($0) }),
      let last = scalars.lastIndex(where: { !isWhitespace($0) })
    else { return "" }
    return String(text[first...last])
  }

  static func firstNonEmptyLine(of text: String) -> String? {
    for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      let trimmedLine = trimmed(line)
      if !trimmedLine.isEmpty { return trimmedLine }
    }
    return nil
  }

  /// The message trimmed and cut to `maximumMessageLength` characters; nil when nothing is left.
  static func message(_ text: String?) -> String? {
    guard let text else { return nil }
    let trimmedText = trimmed(text)
    guard !trimmedText.isEmpty else { return nil }
    guard trimmedText.count > maximumMessageLength else { return trimmedText }
    return String(trimmedText.prefix(maximumMessageLength)) + "…"
  }

  /// The details, with the middle cut out when longer than `maximumDetailsLength`: the start says what failed,
  /// the end says where it ended up. Nil when empty.
  static func details(_ text: String) -> String? {
    guard !text.isEmpty else { return nil }
    let length = text.count
    guard length > maximumDetailsLength else { return text }
    let headLength = maximumDetailsLength / 2
    let tailLength = maximumDetailsLength - headLength - 100
    let omitted = length - headLength - tailLength
    return String(text.prefix(headLength)) + "\n… (\(omitted) characters cut) …\n" + String(text.suffix(tailLength))
  }
}
