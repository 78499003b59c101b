/// A small, tolerant, non-validating XML reader: just enough for test reports (JUnit and its dialects).
///
/// Reports arrive truncated (a runner killed mid-write), concatenated, or with invalid UTF-8 in captured output, and a
/// broken report is still worth reading, so the reader never fails: it returns every element it could build, closes
/// what was left open, and says in `problems` what was wrong. Every step consumes input, so it cannot loop, and
/// elements nested deeper than `maximumDepth` are flattened so nothing downstream recurses without bound.
///
/// Supported: elements and attributes (single or double quotes, unquoted values tolerated), text, CDATA, the five
/// predefined entities and numeric character references. Comments, processing instructions (`<?xml ...?>`) and
/// DOCTYPE declarations are skipped. Namespaces are not interpreted: a prefixed name is just a name.
enum XMLReader {
  struct Attribute: Sendable, Equatable {
    var name: String
    var value: String
  }

  struct Element: Sendable, Equatable {
    var name: String
    /// In document order; a duplicated name keeps every copy, and `attribute(_:)` answers with the first.
    var attributes: [Attribute]
    var children: [Node]
    /// False when the element's end tag never came: the document ended first, or an outer end tag forced it shut.
    var isComplete: Bool

    init(name: String, attributes: [Attribute] = [], children: [Node] = [], isComplete: Bool = true) {
      self.name = name
      self.attributes = attributes
      self.children = children
      self.isComplete = isComplete
    }

    func attribute(_ attributeName: String) -> String? {
      attributes.first { $0.name == attributeName }?.value
    }

    var childElements: [Element] {
      children.compactMap { node in
        if case .element(let element) = node { return element }
        return nil
      }
    }

    func firstChild(named childName: String) -> Element? {
      for node in children {
        if case .element(let element) = node, element.name == childName { return element }
      }
      return nil
    }

    /// The element's own text (text and CDATA directly inside it), concatenated.
    var text: String {
      var result = ""
      for node in children {
        if case .text(let text) = node { result += text }
      }
      return result
    }
  }

  enum Node: Sendable, Equatable {
    case element(Element)
    case text(String)
  }

  struct Document: Sendable, Equatable {
    /// Every element at the top level; one for a well-formed document, more when reports were concatenated.
    var topLevelElements: [Element]
    /// What was wrong with the input, said plainly; empty when it was well-formed (as far as this reader checks).
    var problems: [String]

    var root: Element? { topLevelElements.first }
  }

  /// Deeper elements are not built (their text goes to the deepest kept element), so trees stay cheap to compare,
  /// walk and free. JUnit reports nest five or six levels.
  static let maximumDepth = 256

  static func read(_ bytes: [UInt8]) -> Document {
    var scanner = XMLScanner(bytes: bytes)
    scanner.run()
    return Document(topLevelElements: scanner.topLevelElements, problems: scanner.problems)
  }

  static func read(_ text: String) -> Document {
    read(Array(text.utf8))
  }
}

/// The reader's state while it walks the bytes once, front to back.
private struct XMLScanner {
  let bytes: [UInt8]
  var position = 0
  /// The elements opened and not yet closed, outermost first.
  var openElements: [XMLReader.Element] = []
  var topLevelElements: [XMLReader.Element] = []
  var problems: [String] = []
  /// Start tags past `maximumDepth` still waiting for their end tags; they were not built.
  var skippedOpenCount = 0
  /// Character data read since the last markup, as UTF-8 bytes, so invalid sequences are replaced only once at the end.
  var pendingText: [UInt8] = []

  init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  /// At most this many distinct problems are kept: garbage input could otherwise produce one per byte.
  static let maximumProblemCount = 12

  mutating func note(_ problem: String) {
    guard !problems.contains(problem), problems.count < Self.maximumProblemCount else { return }
    problems.append(problem)
  }

  mutating func run() {
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    while position < bytes.count {
      if bytes[position] == ASCII.lessThan {
        flushText()
        readMarkup()
      } else {
        let end = bytes[position...].firstIndex(of: ASCII.lessThan) ?? bytes.count
        var found: [String] = []
        Self.appendCharacterData(bytes[position..<end], to: &pendingText, isAttributeValue: false, problems: &found)
        for problem in found { note(problem) }
        position = end
      }
    }
    flushText()
    closeEverythingAtEnd()
  }

  // MARK: Markup

  mutating func readMarkup() {
    if hasPrefix("<!--") {
      skipPast("-->", from: position + 4, unterminated: "the report ends inside a comment")
    } else if hasPrefix("<![CDATA[") {
      let contentStart = min(position + 9, bytes.count)
      if let end = find("]]>", from: contentStart) {
        pendingText.append(contentsOf: bytes[contentStart..<end])
        position = end + 3
      } else {
        pendingText.append(contentsOf: bytes[contentStart...])
        position = bytes.count
        note("the report ends inside a CDATA section")
      }
    } else if hasPrefix("<?") {
      skipPast("?>", from: position + 2, unterminated: "the report ends inside a processing instruction")
    } else if hasPrefix("<!") {
      skipDeclaration()
    } else if hasPrefix("</") {
      readEndTag()
    } else if position + 1 < bytes.count, ASCII.canStartName(bytes[position + 1]) {
      readStartTag()
    } else {
      // "a < b" in text: not markup, so keep it as the text it evidently is.
      note("a '<' that starts no tag was read as text")
      pendingText.append(ASCII.lessThan)
      position += 1
    }
  }

  /// DOCTYPE (with an internal subset in brackets) or another `<!...>` declaration: skipped whole.
  mutating func skipDeclaration() {
    var bracketDepth = 0
    var quote: UInt8? = nil
    var index = position + 2
    while index < bytes.count {
      let byte = bytes[index]
      if let openQuote = quote {
        if byte == openQuote { quote = nil }
      } else if byte == ASCII.doubleQuote || byte == ASCII.singleQuote {
        quote = byte
      } else if byte == ASCII.openBracket {
        bracketDepth += 1
      } else if byte == ASCII.closeBracket {
        bracketDepth = max(0, bracketDepth - 1)
      } else if byte == ASCII.greaterThan && bracketDepth == 0 {
        position = index + 1
        return
      }
      index += 1
    }
    position = bytes.count
    note("the report ends inside a <!...> declaration")
  }

  mutating func readEndTag() {
    let nameStart = position + 2
    let nameEnd = scanName(from: nameStart)
    let name = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self)
    guard let close = bytes[nameEnd...].firstIndex(of: ASCII.greaterThan) else {
      position = bytes.count
      note("the report ends inside the end tag </\(name)>")
      return
    }
    position = close + 1
    if skippedOpenCount > 0 {
      skippedOpenCount -= 1
      return
    }
    guard let index = openElements.lastIndex(where: { $0.name == name }) else {
      note("an end tag </\(name)> with no matching start tag was ignored")
      return
    }
    while openElements.count > index + 1 {
      let unclosedName = openElements[openElements.count - 1].name
      note("<\(unclosedName)> was not closed before </\(name)>")
      closeInnermost(isComplete: false)
    }
    closeInnermost(isComplete: true)
  }

  mutating func readStartTag() {
    let nameStart = position + 1
    let nameEnd = scanName(from: nameStart)
    let name = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self)
    var attributes: [XMLReader.Attribute] = []
    var index = nameEnd
    var isSelfClosing = false
    var tagEnded = false
    while index < bytes.count {
      let byte = bytes[index]
      if ASCII.isWhitespace(byte) {
        index += 1
      } else if byte == ASCII.greaterThan {
        index += 1
        tagEnded = true
        break
      } else if byte == ASCII.slash {
        index += 1
        if index < bytes.count, bytes[index] == ASCII.greaterThan {
          index += 1
          isSelfClosing = true
          tagEnded = true
          break
        }
      } else if byte == ASCII.lessThan {
        // The tag never closed before the next one began: keep what it said and let the next tag be read.
        note("the tag <\(name)> has no closing '>'")
        tagEnded = true
        break
      } else {
        let attributeEnd = readAttribute(from: index, into: &attributes)
        guard let attributeEnd else {
          index = bytes.count
          break
        }
        index = attributeEnd
      }
    }
    position = index
    guard tagEnded else {
      note("the report ends inside the tag <\(name)>")
      position = bytes.count
      return
    }
    if skippedOpenCount > 0 || openElements.count >= XMLReader.maximumDepth {
      note("elements nested deeper than \(XMLReader.maximumDepth) levels were flattened")
      if !isSelfClosing { skippedOpenCount += 1 }
      return
    }
    openElements.append(XMLReader.Element(name: name, attributes: attributes))
    if isSelfClosing { closeInnermost(isComplete: true) }
  }

  /// Reads `name="value"`, `name='value'`, `name=value` or a bare `name`; returns where it stopped, or nil when the
  /// input ended inside a quoted value. Always consumes at least one byte.
  mutating func readAttribute(from start: Int, into attributes: inout [XMLReader.Attribute]) -> Int? {
    var index = start
    while index < bytes.count, !ASCII.endsAttributeName(bytes[index]) { index += 1 }
    if index == start {
      // A stray '=' or quote where a name should be: step over it.
      note("an attribute without a name was ignored")
      return start + 1
    }
    let name = String(decoding: bytes[start..<index], as: UTF8.self)
    while index < bytes.count, ASCII.isWhitespace(bytes[index]) { index += 1 }
    guard index < bytes.count, bytes[index] == ASCII.equals else {
      attributes.append(XMLReader.Attribute(name: name, value: ""))
      return index
    }
    index += 1
    while index < bytes.count, ASCII.isWhitespace(bytes[index]) { index += 1 }
    guard index < bytes.count else { return nil }
    var value: [UInt8] = []
    var found: [String] = []
    defer { for problem in found { note(problem) } }
    let quote = bytes[index]
    if quote == ASCII.doubleQuote || quote == ASCII.singleQuote {
      let valueStart = index + 1
      guard let valueEnd = bytes[valueStart...].firstIndex(of: quote) else { return nil }
      Self.appendCharacterData(bytes[valueStart..<valueEnd], to: &value, isAttributeValue: true, problems: &found)
      index = valueEnd + 1
    } else {
      let valueStart = index
      while index < bytes.count, !ASCII.isWhitespace(bytes[index]), bytes[index] != ASCII.greaterThan,
        bytes[index] != ASCII.lessThan, !bytes[index...].starts(with: [ASCII.slash, ASCII.greaterThan])
      {
        index += 1
      }
      note("an attribute value without quotes was read up to the next space")
      Self.appendCharacterData(bytes[valueStart..<index], to: &value, isAttributeValue: true, problems: &found)
    }
    attributes.append(XMLReader.Attribute(name: name, value: String(decoding: value, as: UTF8.self)))
    return index
  }

  // MARK: Tree building

  mutating func closeInnermost(isComplete: Bool) {
    guard var element = openElements.popLast() else { return }
    element.isComplete = isComplete
    if openElements.isEmpty {
      if !topLevelElements.isEmpty {
        note("the report has more than one top-level element; all were read")
      }
      topLevelElements.append(element)
    } else {
      openElements[openElements.count - 1].children.append(.element(element))
    }
  }

  mutating func flushText() {
    guard !pendingText.isEmpty else { return }
    defer { pendingText.removeAll(keepingCapacity: true) }
    if openElements.isEmpty {
      if pendingText.contains(where: { !ASCII.isWhitespace($0) }) {
        note("text outside the root element was ignored")
      }
      return
    }
    let text = String(decoding: pendingText, as: UTF8.self)
    openElements[openElements.count - 1].children.append(.text(text))
  }

  mutating func closeEverythingAtEnd() {
    if skippedOpenCount > 0 || !openElements.isEmpty {
      let innermost = openElements.last?.name ?? "?"
      note("the report ends inside <\(innermost)>: it is cut off before \(openElements.count) end tags")
    }
    while !openElements.isEmpty { closeInnermost(isComplete: false) }
  }

  // MARK: Character data

  /// Appends text or an attribute value with entity and character references resolved and line ends normalized;
  /// in attribute values, literal tabs and line ends become spaces as XML says (`&#10;` stays a line feed).
  static func appendCharacterData(
    _ slice: ArraySlice<UInt8>, to output: inout [UInt8], isAttributeValue: Bool, problems: inout [String]
  ) {
    var index = slice.startIndex
    while index < slice.endIndex {
      let byte = slice[index]
      if byte == ASCII.ampersand, let (scalar, end) = characterReference(in: slice, at: index, problems: &problems) {
        UTF8.encode(scalar) { output.append($0) }
        index = end
        continue
      }
      if byte == ASCII.carriageReturn {
        output.append(isAttributeValue ? ASCII.space : ASCII.lineFeed)
        index += 1
        if index < slice.endIndex, slice[index] == ASCII.lineFeed { index += 1 }
        continue
      }
      if isAttributeValue, byte == ASCII.lineFeed || byte == ASCII.tab {
        output.append(ASCII.space)
      } else {
        output.append(byte)
      }
      index += 1
    }
  }

  /// The reference starting at `start` (an '&') and the index after its ';', or nil when it is not one this reader
  /// knows (it then stays in the text as written). Invalid code points become U+FFFD.
  static func characterReference(
    in slice: ArraySlice<UInt8>, at start: Int, problems: inout [String]
  ) -> (Unicode.Scalar, Int)? {
    // Long enough for any entity name or an overlong numeric reference (which then reads as invalid).
    let searchEnd = min(slice.endIndex, start + 32)
    guard let semicolon = slice[start..<searchEnd].firstIndex(of: ASCII.semicolon) else {
      addOnce("a bare '&' was read as text", to: &problems)
      return nil
    }
    let name = slice[(start + 1)..<semicolon]
    let after = semicolon + 1
    switch String(decoding: name, as: UTF8.self) {
    case "lt": return ("<", after)
    case "gt": return (">", after)
    case "amp": return ("&", after)
    case "quot": return ("\"", after)
    case "apos": return ("'", after)
    default: break
    }
    guard name.first == ASCII.hash else {
      addOnce("an unknown entity was kept as written", to: &problems)
      return nil
    }
    var digits = name.dropFirst()
    var radix: UInt32 = 10
    if digits.first == ASCII.lowercaseX || digits.first == ASCII.uppercaseX {
      radix = 16
      digits = digits.dropFirst()
    }
    var value: UInt32 = 0
    for digit in digits {
      guard let digitValue = ASCII.digitValue(digit, radix: radix) else { return nil }
      value = min(value * radix + digitValue, 0x11_0000)
    }
    guard !digits.isEmpty else { return nil }
    guard value != 0, let scalar = Unicode.Scalar(value) else {
      addOnce("a character reference to an invalid code point was replaced with U+FFFD", to: &problems)
      return ("\u{FFFD}", after)
    }
    return (scalar, after)
  }

  static func addOnce(_ problem: String, to problems: inout [String]) {
    if !problems.contains(problem) { problems.append(problem) }
  }

  // MARK: Scanning helpers

  func hasPrefix(_ prefix: StaticString) -> Bool {
    let count = prefix.utf8CodeUnitCount
    guard position + count <= bytes.count else {
      // A prefix of the marker at the very end still counts, so "<!-" at the end reads as a cut-off comment.
      let available = bytes.count - position
      return prefix.withUTF8Buffer { Array($0.prefix(available)) } == Array(bytes[position...]) && available > 1
    }
    return prefix.withUTF8Buffer { buffer in
      var offset = 0
      while offset < count {
        if bytes[position + offset] != buffer[offset] { return false }
        offset += 1
      }
      return true
    }
  }

  func find(_ marker: StaticString, from start: Int) -> Int? {
    let markerBytes = marker.withUTF8Buffer { Array($0) }
    guard let first = markerBytes.first, start <= bytes.count else { return nil }
    var index = start
    while index + markerBytes.count <= bytes.count {
      guard let candidate = bytes[index...].firstIndex(of: first) else { return nil }
      if candidate + markerBytes.count > bytes.count { return nil }
      if bytes[candidate..<(candidate + markerBytes.count)].elementsEqual(markerBytes) { return candidate }
      index = candidate + 1
    }
    return nil
  }

  mutating func skipPast(_ marker: StaticString, from start: Int, unterminated: String) {
    if let end = find(marker, from: start) {
      position = end + marker.utf8CodeUnitCount
    } else {
      position = bytes.count
      note(unterminated)
    }
  }

  func scanName(from start: Int) -> Int {
    var index = min(start, bytes.count)
    while index < bytes.count, !ASCII.endsTagName(bytes[index]) { index += 1 }
    return index
  }
}

/// The bytes the reader cares about, by name.
private enum ASCII {
  static let tab = UInt8(ascii: "\t")
  static let lineFeed = UInt8(ascii: "\n")
  static let carriageReturn = UInt8(ascii: "\r")
  static let space = UInt8(ascii: " ")
  static let doubleQuote = UInt8(ascii: "\"")
  static let hash = UInt8(ascii: "#")
  static let ampersand = UInt8(ascii: "&")
  static let singleQuote = UInt8(ascii: "'")
  static let slash = UInt8(ascii: "/")
  static let semicolon = UInt8(ascii: ";")
  static let lessThan = UInt8(ascii: "<")
  static let equals = UInt8(ascii: "=")
  static let greaterThan = UInt8(ascii: ">")
  static let openBracket = UInt8(ascii: "[")
  static let closeBracket = UInt8(ascii: "]")
  static let lowercaseX = UInt8(ascii: "x")
  static let uppercaseX = UInt8(ascii: "X")

  static func isWhitespace(_ byte: UInt8) -> Bool {
    byte == space || byte == tab || byte == lineFeed || byte == carriageReturn
  }

  /// Letters, '_', ':' and any non-ASCII byte (names in other scripts) may start a name.
  static func canStartName(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
      || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte >= 0x80
  }

  static func endsTagName(_ byte: UInt8) -> Bool {
    isWhitespace(byte) || byte == slash || byte == greaterThan || byte == lessThan
  }

  static func endsAttributeName(_ byte: UInt8) -> Bool {
    isWhitespace(byte) || byte == equals || byte == slash || byte == greaterThan || byte == lessThan
      || byte == doubleQuote || byte == singleQuote
  }

  static func digitValue(_ byte: UInt8, radix: UInt32) -> UInt32? {
    let value: UInt32
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): value = UInt32(byte - UInt8(ascii: "a")) + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): value = UInt32(byte - UInt8(ascii: "A")) + 10
    default: return nil
    }
    return value < radix ? value : nil
  }
}
