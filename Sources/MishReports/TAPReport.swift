/// TAP 13/14 streams: `node --test --test-reporter=tap`, and generic producers (`prove`, Test::More, node-tap, tape).
///
/// Only leaf tests are reported. Subtests are indented four spaces and come before their parent's own result line
/// (or, TAP 14's buffered form, between `ok N - parent {` and `}`). A parent is not reported as a case of its own,
/// so a parent that failed only because a child did is not counted twice; a parent that failed for a reason of its
/// own (a hook threw, code after its subtests threw: node's `failureType` other than `subtestsFailed`, or no failed
/// child at all) is reported as well, so that failure is never lost.
///
/// Names: `suite` is the enclosing subtests' names joined with " > " ("" at the top level); `id` is the test's full
/// path joined the same way (`math > division > divides`), just the name at the top level. TAP has no id of its
/// own; the path is unique in practice and ends with the name that name filters (node's `--test-name-pattern`)
/// match. A test point with no description is named `test N`.
///
/// Details come from the YAML block: `duration_ms`; `location` ('/abs/file.js:3:1') or node-tap's `at` for where
/// the test is; for a failure, the first `file:line` in `stack`/`error`/`at` (or Test::More's `#` lines after the
/// result: "at t/x.t line 3.") for where it failed, `error` (or `message`, or those `#` lines) as the message, and
/// error plus stack (or the whole block) as the details.
///
/// Directives: `# SKIP` is skipped; `# TODO` is skipped too, whether the test passed or failed, since a TODO
/// failure is expected and does not fail the run.
///
/// Lines that are not TAP are ignored. A `Bail out!`, a plan (`1..N`) the results do not match, a missing plan, or
/// subtests whose parent never reported (a cut-off stream) are noted in `problems`.
public enum TAPReport {
  public static func parse(_ text: String) -> ParsedReport {
    var reader = TAPStreamReader()
    // Split on the byte: faster than on Characters, where "\r\n" is a single one.
    var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Substring.init)
    if lines.last?.isEmpty ?? false { lines.removeLast() }
    for line in lines {
      if reader.didBailOut { break }
      reader.read(line: line.last == "\r" ? line.dropLast() : line)
    }
    return reader.finish()
  }
}

/// One `ok`/`not ok` line with what followed it (a YAML block, `#` comments) and the subtests that preceded it.
private struct TAPTestPoint {
  enum Directive: Equatable {
    case none
    case skip(reason: String)
    case todo(reason: String)
  }

  var name: String
  var isOK: Bool
  var directive: Directive
  var indent: Int
  var diagnostics: [String: String] = [:]
  var diagnosticsText = ""
  /// False when the stream ended inside the YAML block, so its last value may be cut short.
  var diagnosticsAreComplete = true
  /// `#` lines after the result (Test::More's "Failed test ... at t/x.t line 3."), without the `#`.
  var comments: [Substring] = []
  var children: [TAPTestPoint] = []
  /// TAP 14's buffered form (`ok 1 - name {`): its subtests follow it, up to a `}` line.
  var awaitsBufferedChildren = false
  /// Made up for subtests whose parent's result line never came (a cut-off stream): never reported itself.
  var isStandIn = false

  var hasFailure: Bool {
    if case .none = directive { return !isOK }
    return false
  }

  var hasFailingDescendant: Bool {
    children.contains { $0.hasFailure || $0.hasFailingDescendant }
  }
}

private struct TAPStreamReader {
  /// Results read and not yet adopted by a parent, in stream order; those left at the end are the top level.
  var pending: [TAPTestPoint] = []
  /// `# Subtest: name` headers whose test has not reported yet: (indentation, name).
  var openSubtestHeaders: [(indent: Int, name: String)] = []
  /// Where a subtest's header sits relative to its result line: node writes it at the same indentation (0), the
  /// TAP 14 text puts it with the subtest's children (4). Learned from the first header that matches a result.
  var headerIndentOffset: Int? = nil
  /// The top level's indentation: the least of every TAP line's (the first result may well be a nested one).
  var baseIndent: Int? = nil
  var plans: [(indent: Int, count: Int)] = []
  var resultCountByIndent: [Int: Int] = [:]
  /// Indices in `pending` of buffered parents still waiting for their `}`, innermost last. Adoption stops at them,
  /// so these indices stay valid.
  var bufferedParentIndices: [Int] = []
  var sawTAP = false
  var didBailOut = false
  var problems: [String] = []

  /// The YAML block being read: its `---` indentation and lines so far.
  var yamlBlock: (indent: Int, lines: [Substring])? = nil
  /// The index in `pending` of the last result, while the lines after it (YAML, comments) still belong to it.
  var lastResultIndex: Int? = nil

  /// Deeper indentation is clamped, so garbage with huge indents cannot build trees deep enough to hurt recursion.
  static let maximumIndent = 256

  mutating func note(_ problem: String) {
    if !problems.contains(problem), problems.count < 12 { problems.append(problem) }
  }

  mutating func read(line: Substring) {
    let indent = Self.indentation(of: line)
    let content = Self.droppingIndentation(line)

    if let block = yamlBlock {
      if content == "..." && indent == block.indent {
        finishYAMLBlock()
        return
      }
      if content.isEmpty || indent >= block.indent {
        yamlBlock?.lines.append(line)
        return
      }
      note("a YAML diagnostics block is not closed with '...'")
      finishYAMLBlock()
    }

    if content.hasPrefix("Bail out!") {
      sawTAP = true
      didBailOut = true
      let reason = ReportExcerpt.trimmed(content.dropFirst("Bail out!".count))
      note(reason.isEmpty ? "the run bailed out (Bail out!)" : "the run bailed out: \(reason)")
      return
    }
    if content.hasPrefix("TAP version ") {
      sawTAP = true
      lowerBaseIndent(to: indent)
      lastResultIndex = nil
      return
    }
    if let count = Self.planCount(content) {
      sawTAP = true
      lowerBaseIndent(to: indent)
      plans.append((indent, count))
      lastResultIndex = nil
      return
    }
    if content.hasPrefix("# Subtest") {
      lowerBaseIndent(to: indent)
      let afterWord = content.dropFirst("# Subtest".count)
      let name = afterWord.first == ":" ? ReportExcerpt.trimmed(afterWord.dropFirst()) : ""
      openSubtestHeaders.append((min(indent, Self.maximumIndent), Self.unescape(name)))
      // Headers of tests that never report pile up only in garbage; keep the search for a match short.
      if openSubtestHeaders.count > Self.maximumIndent { openSubtestHeaders.removeFirst() }
      lastResultIndex = nil
      return
    }
    if content.hasPrefix("#") {
      if let index = lastResultIndex {
        pending[index].comments.append(content.dropFirst())
      }
      return
    }
    if content == "---", let index = lastResultIndex, pending[index].diagnosticsText.isEmpty,
      indent > pending[index].indent
    {
      yamlBlock = (indent, [])
      return
    }
    if content == "}" {
      closeBufferedParent()
      lastResultIndex = nil
      return
    }
    if let testPoint = Self.testPoint(content, indent: min(indent, Self.maximumIndent)) {
      sawTAP = true
      add(testPoint)
      return
    }
    // Anything else is not TAP (a stray log line): it ends what belonged to the last result.
    lastResultIndex = nil
  }

  mutating func add(_ newTestPoint: TAPTestPoint) {
    var testPoint = newTestPoint
    lowerBaseIndent(to: testPoint.indent)
    var children: [TAPTestPoint] = []
    while let last = pending.last, last.indent > testPoint.indent, !last.awaitsBufferedChildren {
      children.append(last)
      pending.removeLast()
    }
    testPoint.children = children.reversed()
    if let headerIndex = openSubtestHeaders.lastIndex(where: {
      $0.name == testPoint.name && ($0.indent == testPoint.indent || $0.indent == testPoint.indent + 4)
    }) {
      if headerIndentOffset == nil { headerIndentOffset = openSubtestHeaders[headerIndex].indent - testPoint.indent }
      openSubtestHeaders.removeSubrange(headerIndex...)
    }
    resultCountByIndent[testPoint.indent, default: 0] += 1
    pending.append(testPoint)
    lastResultIndex = pending.count - 1
    if testPoint.awaitsBufferedChildren { bufferedParentIndices.append(pending.count - 1) }
  }

  mutating func lowerBaseIndent(to indent: Int) {
    baseIndent = min(baseIndent ?? indent, indent)
  }

  mutating func closeBufferedParent() {
    guard let parentIndex = bufferedParentIndices.popLast() else { return }
    pending[parentIndex].children = Array(pending[(parentIndex + 1)...])
    pending[parentIndex].awaitsBufferedChildren = false
    pending.removeSubrange((parentIndex + 1)...)
  }

  mutating func finishYAMLBlock() {
    guard let block = yamlBlock else { return }
    yamlBlock = nil
    guard let index = lastResultIndex else { return }
    pending[index].diagnostics = TAPYAML.parse(block.lines)
    pending[index].diagnosticsText = Self.dedented(block.lines)
  }

  mutating func finish() -> ParsedReport {
    guard sawTAP else { return .unrecognized }
    if yamlBlock != nil {
      note("the report ends inside a YAML diagnostics block")
      finishYAMLBlock()
      if let index = lastResultIndex { pending[index].diagnosticsAreComplete = false }
    }
    while let parentIndex = bufferedParentIndices.last {
      note("the report ends inside the buffered subtest '\(pending[parentIndex].name)'")
      closeBufferedParent()
    }
    adoptOrphans()

    let topLevelPlans = plans.filter { $0.indent == baseIndent }
    let topLevelResultCount = resultCountByIndent[baseIndent ?? 0] ?? 0
    if topLevelPlans.count > 1 { note("the report has more than one plan line (1..N)") }
    if didBailOut {
      // The bail-out note says it all; the plan cannot match.
    } else if let plannedCount = topLevelPlans.last?.count {
      if topLevelResultCount < plannedCount {
        note("the plan says \(plannedCount) tests but the report has \(topLevelResultCount) results; it may be cut off")
      } else if topLevelResultCount > plannedCount {
        note("the plan says \(plannedCount) tests but the report has \(topLevelResultCount) results")
      }
    } else {
      note("the report has no plan line (1..N), so it may be cut off")
    }

    var cases: [TestCase] = []
    for testPoint in pending {
      Self.collectCases(from: testPoint, path: [], into: &cases)
    }
    return ParsedReport(cases: cases, problems: problems)
  }

  /// Subtests still waiting for a parent when the stream ended get stand-in parents, named from their open
  /// `# Subtest:` headers where there are any, so their results are still reported under the right path.
  mutating func adoptOrphans() {
    let base = baseIndent ?? 0
    while let last = pending.last, last.indent > base {
      let parentIndent = max(base, last.indent - 4)
      var children: [TAPTestPoint] = []
      while let child = pending.last, child.indent > parentIndent {
        children.append(child)
        pending.removeLast()
      }
      // Until a header has matched a result, either convention may be in use; node's is tried first.
      let offsets = headerIndentOffset.map { [$0] } ?? [0, 4]
      var name = "(unfinished)"
      for offset in offsets {
        if let headerIndex = openSubtestHeaders.lastIndex(where: { $0.indent == parentIndent + offset }) {
          name = openSubtestHeaders[headerIndex].name
          openSubtestHeaders.removeSubrange(headerIndex...)
          break
        }
      }
      note("the report ends before the result of subtest '\(name)'")
      var standIn = TAPTestPoint(name: name, isOK: true, directive: .none, indent: parentIndent)
      standIn.children = children.reversed()
      standIn.isStandIn = true
      pending.append(standIn)
    }
  }

  static func collectCases(from testPoint: TAPTestPoint, path: [String], into cases: inout [TestCase]) {
    let childPath = path + [testPoint.name]
    for child in testPoint.children {
      collectCases(from: child, path: childPath, into: &cases)
    }
    guard !testPoint.isStandIn else { return }
    if !testPoint.children.isEmpty {
      guard testPoint.hasFailure else { return }
      // A cut-off value ('subtestsFail) must not turn a parent into a failure of its own.
      let failureType = testPoint.diagnosticsAreComplete ? testPoint.diagnostics["failureType"] : nil
      let failedOnItsOwn =
        failureType.map { $0 != "subtestsFailed" } ?? !testPoint.hasFailingDescendant
      guard failedOnItsOwn else { return }
    }
    cases.append(testCase(for: testPoint, path: path))
  }

  static func testCase(for testPoint: TAPTestPoint, path: [String]) -> TestCase {
    let status: TestCase.Status
    var message: String? = nil
    switch testPoint.directive {
    case .skip(let reason), .todo(let reason):
      status = .skipped
      message = ReportExcerpt.message(reason)
    case .none:
      status = testPoint.isOK ? .passed : .failed
    }
    let suite = path.joined(separator: " > ")
    let id = (path + [testPoint.name]).joined(separator: " > ")
    var testCase = TestCase(suite: suite, name: testPoint.name, id: id, status: status, message: message)

    let diagnostics = testPoint.diagnostics
    if let text = diagnostics["duration_ms"], let duration = Double(ReportExcerpt.trimmed(text)), duration.isFinite,
      duration >= 0
    {
      testCase.durationMs = duration
    }
    let declared = declaredLocation(diagnostics)
    testCase.file = declared.file
    testCase.line = declared.line

    guard status == .failed else { return testCase }
    let error = ReportExcerpt.trimmed(diagnostics["error"] ?? diagnostics["message"] ?? "")
    let stack = ReportExcerpt.trimmed(diagnostics["stack"] ?? "")
    let comments = ReportExcerpt.trimmed(dedented(testPoint.comments))
    let searched = [stack, error, diagnostics["at"] ?? "", comments].joined(separator: "\n")
    if let failedAt = FailureLocationScanner.preferredLocation(in: searched, testFile: declared.file) {
      testCase.file = failedAt.file
      testCase.line = failedAt.line
    }
    testCase.message = ReportExcerpt.message(error.isEmpty ? comments : error)
    // node runs each test file in a process of its own and reports one a signal killed (a crash in native code,
    // an abort) as a failing test named after the file, whose error is only 'test failed': say what killed it.
    if let signal = diagnostics["signal"].map(ReportExcerpt.trimmed), signal.hasPrefix("SIG") {
      testCase.message = "killed by \(signal)" + (error.isEmpty || error == "test failed" ? "" : ": " + testCase.message!)
    }
    // With a stack, error and stack say it all (node); without one, the whole block keeps what the producer
    // chose to say (node-tap's found/wanted/at, a cancelled test's failureType).
    let explained = stack.isEmpty ? [testPoint.diagnosticsText] : [error, stack]
    let parts = (explained + [comments]).map { ReportExcerpt.trimmed($0) }.filter { !$0.isEmpty }
    testCase.details = ReportExcerpt.details(parts.joined(separator: "\n\n"))
    return testCase
  }

  /// Where the test is, as the diagnostics say: node's `location: '/abs/file.js:3:1'`, node-tap's `at:` map
  /// (`file`, `line`), or top-level `file`/`line` keys.
  static func declaredLocation(_ diagnostics: [String: String]) -> (file: String?, line: Int?) {
    if let location = diagnostics["location"],
      let found = FailureLocationScanner.allLocations(in: location).first
    {
      return (found.file, found.line)
    }
    for prefix in ["at.", ""] {
      if let file = diagnostics[prefix + "file"], !file.isEmpty {
        return (file, diagnostics[prefix + "line"].flatMap { Int(ReportExcerpt.trimmed($0)) })
      }
    }
    return (nil, nil)
  }

  // MARK: Line syntax

  /// Leading spaces, a tab counting as four.
  static func indentation(of line: Substring) -> Int {
    var width = 0
    for byte in line.utf8 {
      if byte == UInt8(ascii: " ") {
        width += 1
      } else if byte == UInt8(ascii: "\t") {
        width += 4
      } else {
        break
      }
    }
    return width
  }

  static func droppingIndentation(_ line: Substring) -> Substring {
    let start = line.utf8.firstIndex { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") } ?? line.endIndex
    return line[start...]
  }

  /// `1..N`, optionally followed by `# reason`.
  static func planCount(_ content: Substring) -> Int? {
    guard content.hasPrefix("1..") else { return nil }
    let afterDots = content.dropFirst(3)
    let digits = afterDots.prefix { $0.isASCII && $0.isNumber }
    let rest = ReportExcerpt.trimmed(afterDots.dropFirst(digits.count))
    guard !digits.isEmpty, digits.count <= 9, rest.isEmpty || rest.hasPrefix("#") else { return nil }
    return Int(digits)
  }

  /// `ok`/`not ok`, an optional number, an optional `-`, the description up to an unescaped `#`, then an optional
  /// SKIP/TODO directive (case-insensitive, `SKIP` may run on as `skipped`). Other `#` text (node-tap's
  /// `# time=3ms`) is dropped.
  static func testPoint(_ content: Substring, indent: Int) -> TAPTestPoint? {
    var rest: Substring
    let isOK: Bool
    if content.hasPrefix("not ok") {
      isOK = false
      rest = content.dropFirst(6)
    } else if content.hasPrefix("ok") {
      isOK = true
      rest = content.dropFirst(2)
    } else {
      return nil
    }
    guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
    rest = rest.drop { $0 == " " || $0 == "\t" }
    let number = rest.prefix { $0.isASCII && $0.isNumber }
    rest = rest.dropFirst(number.count).drop { $0 == " " || $0 == "\t" }
    if rest.first == "-", rest.dropFirst().first.map({ $0 == " " || $0 == "\t" }) ?? true {
      rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
    }
    var awaitsBufferedChildren = false
    let trimmedRest = ReportExcerpt.trimmed(rest)
    if trimmedRest.hasSuffix("{") {
      awaitsBufferedChildren = true
      rest = Substring(trimmedRest.dropLast())
    }

    var description = Substring("")
    var directiveText = Substring("")
    var index = rest.startIndex
    var foundHash = false
    while index < rest.endIndex {
      let character = rest[index]
      if character == "\\" {
        index = rest.index(after: index)
        if index < rest.endIndex { index = rest.index(after: index) }
        continue
      }
      if character == "#" {
        description = rest[..<index]
        directiveText = rest[rest.index(after: index)...]
        foundHash = true
        break
      }
      index = rest.index(after: index)
    }
    if !foundHash { description = rest }

    var name = unescape(ReportExcerpt.trimmed(description))
    if name.isEmpty { name = number.isEmpty ? "test" : "test \(number)" }
    return TAPTestPoint(
      name: name, isOK: isOK, directive: directive(ReportExcerpt.trimmed(directiveText)), indent: indent,
      awaitsBufferedChildren: awaitsBufferedChildren)
  }

  static func directive(_ text: String) -> TAPTestPoint.Directive {
    let word = text.prefix { $0.isLetter }
    let reason = ReportExcerpt.trimmed(text.dropFirst(word.count).drop { $0 == ":" })
    switch word.uppercased() {
    case "SKIP", "SKIPPED": return .skip(reason: reason)
    case "TODO": return .todo(reason: reason)
    default: return .none
    }
  }

  /// TAP escapes `#` and `\` in descriptions with a backslash.
  static func unescape(_ text: String) -> String {
    guard text.contains("\\") else { return text }
    var result = ""
    var isEscaped = false
    for character in text {
      if isEscaped {
        if character != "#" && character != "\\" { result.append("\\") }
        result.append(character)
        isEscaped = false
      } else if character == "\\" {
        isEscaped = true
      } else {
        result.append(character)
      }
    }
    if isEscaped { result.append("\\") }
    return result
  }

  static func dedented(_ lines: [Substring]) -> String {
    let indents = lines.filter { !ReportExcerpt.trimmed($0).isEmpty }.map { indentation(of: $0) }
    let common = indents.min() ?? 0
    return lines.map { line in String(line.dropFirst(min(common, line.prefix { $0 == " " }.count))) }
      .joined(separator: "\n")
  }
}

/// The small part of YAML that TAP diagnostics use: a mapping of scalars (plain, quoted, or `|`/`>` block
/// scalars) with nested mappings flattened to dotted keys (`at.file`). Anything else is skipped, never fatal.
enum TAPYAML {
  static func parse(_ lines: [Substring]) -> [String: String] {
    var result: [String: String] = [:]
    parseMapping(lines[...], keyPrefix: "", depth: 0, into: &result)
    return result
  }

  private static func parseMapping(
    _ lines: ArraySlice<Substring>, keyPrefix: String, depth: Int, into result: inout [String: String]
  ) {
    guard let firstLine = lines.first(where: { !isBlank($0) }) else { return }
    let mappingIndent = TAPStreamReader.indentation(of: firstLine)
    var index = lines.startIndex
    while index < lines.endIndex {
      let line = lines[index]
      let indent = TAPStreamReader.indentation(of: line)
      guard !isBlank(line), indent == mappingIndent, let (key, value) = keyAndValue(line) else {
        index += 1
        continue
      }
      var blockEnd = index + 1
      while blockEnd < lines.endIndex,
        isBlank(lines[blockEnd]) || TAPStreamReader.indentation(of: lines[blockEnd]) > indent
      {
        blockEnd += 1
      }
      let block = lines[(index + 1)..<blockEnd]
      let fullKey = keyPrefix + key
      if value.hasPrefix("|") || value.hasPrefix(">") {
        result[fullKey] = blockScalar(block, header: value)
      } else if value.isEmpty {
        result[fullKey] = TAPStreamReader.dedented(Array(block))
        if depth < 3 { parseMapping(block, keyPrefix: fullKey + ".", depth: depth + 1, into: &result) }
      } else {
        let continuation = block.map { ReportExcerpt.trimmed($0) }.filter { !$0.isEmpty }
        result[fullKey] = scalar(([value] + continuation).joined(separator: " "))
      }
      index = blockEnd
    }
  }

  private static func isBlank(_ line: Substring) -> Bool {
    line.utf8.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
  }

  /// `key: value` or `key:`; the key may be quoted. A list item or a line without `: ` is not a key.
  private static func keyAndValue(_ line: Substring) -> (String, String)? {
    let content = TAPStreamReader.droppingIndentation(line)
    guard !content.hasPrefix("- "), !content.hasPrefix("#") else { return nil }
    var index = content.startIndex
    while index < content.endIndex {
      if content[index] == ":" {
        let next = content.index(after: index)
        if next == content.endIndex || content[next] == " " {
          var key = ReportExcerpt.trimmed(content[..<index])
          if key.count >= 2, let first = key.first, first == "'" || first == "\"", key.last == first {
            key = String(key.dropFirst().dropLast())
          }
          return (key, ReportExcerpt.trimmed(content[next...]))
        }
      }
      index = content.index(after: index)
    }
    return nil
  }

  private static func scalar(_ text: String) -> String {
    if text.count >= 2, text.hasPrefix("'"), text.hasSuffix("'") {
      return String(text.dropFirst().dropLast()).replacing("''", with: "'")
    }
    if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
      return unescapeDoubleQuoted(text.dropFirst().dropLast())
    }
    if text == "~" || text == "null" { return "" }
    return text
  }

  private static func unescapeDoubleQuoted(_ text: Substring) -> String {
    var result = ""
    var characters = text.makeIterator()
    while let character = characters.next() {
      guard character == "\\", let escaped = characters.next() else {
        result.append(character)
        continue
      }
      switch escaped {
      case "n": result.append("\n")
      case "t": result.append("\t")
      case "r": result.append("\r")
      case "0": result.append("\0")
      case "x", "u", "U":
        let length = escaped == "x" ? 2 : escaped == "u" ? 4 : 8
        var hex = ""
        for _ in 0..<length {
          guard let digit = characters.next() else { break }
          hex.append(digit)
        }
        if let value = UInt32(hex, radix: 16), let unicodeScalar = Unicode.Scalar(value) {
          result.unicodeScalars.append(unicodeScalar)
        } else {
          result.append("\u{FFFD}")
        }
      default: result.append(escaped)
      }
    }
    return result
  }

  /// `|` keeps line breaks, `>` folds lines into spaces (blank lines stay breaks); `-` strips the final line
  /// break, `+` keeps all of them, neither keeps one.
  private static func blockScalar(_ lines: ArraySlice<Substring>, header: String) -> String {
    let contentIndent = lines.first { !isBlank($0) }.map { TAPStreamReader.indentation(of: $0) } ?? 0
    let contentLines = lines.map { line in
      isBlank(line) ? "" : String(line.dropFirst(min(contentIndent, line.prefix { $0 == " " }.count)))
    }
    var text: String
    if header.hasPrefix(">") {
      text = ""
      var previousWasText = false
      for line in contentLines {
        if line.isEmpty {
          text += "\n"
          previousWasText = false
        } else {
          text += (previousWasText ? " " : "") + line
          previousWasText = true
        }
      }
    } else {
      text = contentLines.joined(separator: "\n")
    }
    if header.contains("+") { return text + "\n" }
    while text.hasSuffix("\n") { text.removeLast() }
    return header.contains("-") ? text : text + "\n"
  }
}
