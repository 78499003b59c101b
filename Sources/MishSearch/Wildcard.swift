import Glibc

/// A compiled wildcard in git's wildmatch dialect with pathname semantics, shared by gitignore rules and globs.
///
/// `*` matches a run of characters without `/`; `**` between slashes (or at either end) crosses directories, and
/// elsewhere it is a plain `*`; `?` and `[...]` match one character other than `/`. Matching follows git's
/// algorithm, including its early-abort rules, so that gitignore results agree with git byte for byte.
struct Wildcard: Sendable {
  enum Token: Sendable {
    case literal(UInt8)
    /// `?`
    case anyUnit
    /// `*`, or `**` not bounded by slashes: any run without `/`.
    case star
    /// `**` that may cross `/` (bounded by slashes, or at the end after one).
    case anything
    /// `**` followed by `/` at the start or after `/`: like `anything`, but first tries matching zero directories.
    /// Always followed by a `.literal("/")` token.
    case anyDirs
    case set(CharacterClass)
    /// A malformed class; git's matcher gives up when it reaches one, so nothing passes this token.
    case never
  }

  /// Shapes that need no backtracking, checked before the general matcher.
  enum Shape: Sendable {
    case exact([UInt8])
    /// `*` followed by literal bytes.
    case suffix([UInt8])
    /// A lone `**`: everything matches.
    case everything
    case general
  }

  /// Why a pattern cannot be compiled; only strict compilation (globs) reports these.
  enum Problem: Error, Equatable {
    case unclosedClass(offset: Int)
    case unknownClass(name: String, offset: Int)
    case danglingEscape(offset: Int)
    case reversedRange(offset: Int)
  }

  let tokens: [Token]
  let shape: Shape
  /// When true, `?` and `[...]` consume one UTF-8 encoded scalar; when false, one byte (git's behaviour).
  let unicode: Bool

  /// Compiles `pattern`. In strict mode a malformed pattern throws; otherwise it compiles to something that matches
  /// exactly what git's wildmatch would match (usually nothing).
  init(_ pattern: [UInt8], unicode: Bool, strict: Bool) throws(Problem) {
    var parser = WildcardParser(pattern: pattern, unicode: unicode, strict: strict)
    let tokens = try parser.parse()
    self.tokens = tokens
    self.unicode = unicode
    self.shape = Wildcard.classify(tokens)
  }

  private static func classify(_ tokens: [Token]) -> Shape {
    var literalBytes: [UInt8] = []
    var body = tokens[...]
    if tokens.count == 1, case .anything = tokens[0] { return .everything }
    var leadingStar = false
    if case .star? = body.first {
      leadingStar = true
      body = body.dropFirst()
    }
    for token in body {
      guard case .literal(let byte) = token else { return .general }
      literalBytes.append(byte)
    }
    return leadingStar ? .suffix(literalBytes) : .exact(literalBytes)
  }

  /// Whether the pattern matches all of `text` (a path using `/` separators, no leading slash).
  func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
    switch shape {
    case .everything:
      return true
    case .exact(let bytes):
      return text.count == bytes.count && bytes.withUnsafeBufferPointer { equal($0, text, at: 0) }
    case .suffix(let bytes):
      guard text.count >= bytes.count else { return false }
      let start = text.count - bytes.count
      for index in 0..<start where text[index] == slash { return false }
      return bytes.withUnsafeBufferPointer { equal($0, text, at: start) }
    case .general:
      return tokens.withUnsafeBufferPointer { tokenBuffer in
        var matcher = Matcher(tokens: tokenBuffer, text: text, unicode: unicode)
        return matcher.run(0, 0) == .matched
      }
    }
  }

  func matches(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { matches($0) }
  }

  private func equal(_ needle: UnsafeBufferPointer<UInt8>, _ text: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
    if needle.isEmpty { return true }
    return memcmp(needle.baseAddress!, text.baseAddress! + start, needle.count) == 0
  }
}

let slash = UInt8(ascii: "/")
let backslash = UInt8(ascii: "\\")

// MARK: - Character classes

/// A bracket expression: single characters, ranges and POSIX classes, optionally negated.
struct CharacterClass: Sendable {
  enum Posix: String, Sendable, CaseIterable {
    case alnum, alpha, blank, cntrl, digit, graph, lower, print, punct, space, upper, xdigit

    func contains(_ value: UInt32) -> Bool {
      guard value < 128 else { return false }
      let c = UInt8(value)
      let isDigit = c >= 0x30 && c <= 0x39
      let isUpper = c >= 0x41 && c <= 0x5A
      let isLower = c >= 0x61 && c <= 0x7A
      switch self {
      case .alnum: return isDigit || isUpper || isLower
      case .alpha: return isUpper || isLower
      case .blank: return c == 0x20 || c == 0x09
      case .cntrl: return c < 0x20 || c == 0x7F
      case .digit: return isDigit
      case .graph: return c > 0x20 && c < 0x7F
      case .lower: return isLower
      case .print: return c >= 0x20 && c < 0x7F
      case .punct: return c > 0x20 && c < 0x7F && !(isDigit || isUpper || isLower)
      case .space: return c == 0x20 || (c >= 0x09 && c <= 0x0D)
      case .upper: return isUpper
      case .xdigit: return isDigit || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
      }
    }
  }

  var negated = false
  var singles: [UInt32] = []
  var ranges: [ClosedRange<UInt32>] = []
  var posix: [Posix] = []

  func contains(_ value: UInt32) -> Bool {
    var found = singles.contains(value)
    if !found { found = ranges.contains { $0.contains(value) } }
    if !found { found = posix.contains { $0.contains(value) } }
    return found != negated
  }
}

// MARK: - Parsing

private struct WildcardParser {
  let pattern: [UInt8]
  let unicode: Bool
  let strict: Bool
  var index = 0
  var tokens: [Wildcard.Token] = []

  init(pattern: [UInt8], unicode: Bool, strict: Bool) {
    self.pattern = pattern
    self.unicode = unicode
    self.strict = strict
  }

  mutating func parse() throws(Wildcard.Problem) -> [Wildcard.Token] {
    while index < pattern.count {
      let byte = pattern[index]
      switch byte {
      case backslash:
        guard index + 1 < pattern.count else {
          if strict { throw .danglingEscape(offset: index) }
          // git compares the text with the terminating NUL, which never matches.
          tokens.append(.never)
          return tokens
        }
        tokens.append(.literal(pattern[index + 1]))
        index += 2
      case UInt8(ascii: "?"):
        tokens.append(.anyUnit)
        index += 1
      case UInt8(ascii: "*"):
        parseStars()
      case UInt8(ascii: "["):
        guard let set = try parseClass() else {
          tokens.append(.never)
          return tokens
        }
        tokens.append(.set(set))
      default:
        tokens.append(.literal(byte))
        index += 1
      }
    }
    return tokens
  }

  private mutating func parseStars() {
    let start = index
    while index < pattern.count && pattern[index] == UInt8(ascii: "*") { index += 1 }
    guard index - start >= 2 else {
      tokens.append(.star)
      return
    }
    let boundedBefore = start == 0 || pattern[start - 1] == slash
    if !boundedBefore {
      tokens.append(.star)
      return
    }
    if index == pattern.count {
      tokens.append(.anything)
    } else if pattern[index] == slash {
      tokens.append(.anyDirs)
    } else if pattern[index] == backslash && index + 1 < pattern.count && pattern[index + 1] == slash {
      // git crosses directories here but skips its zero-directory shortcut.
      tokens.append(.anything)
    } else {
      tokens.append(.star)
    }
  }

  /// Reads one member character (a byte, or a scalar in unicode mode) at `index`, returning it and its length.
  private func unit(at position: Int) -> (value: UInt32, length: Int) {
    let lead = pattern[position]
    guard unicode, lead >= 0x80 else { return (UInt32(lead), 1) }
    return decodeScalar(pattern, at: position)
  }

  /// Parses `[...]` starting at `index` (which points at `[`). Returns nil for a class git treats as malformed.
  private mutating func parseClass() throws(Wildcard.Problem) -> CharacterClass? {
    let open = index
    var set = CharacterClass()
    var position = index + 1
    func atEnd() -> Bool { position >= pattern.count }
    if !atEnd() && (pattern[position] == UInt8(ascii: "!") || pattern[position] == UInt8(ascii: "^")) {
      set.negated = true
      position += 1
    }
    var previous: UInt32? = nil
    var first = true
    while true {
      if atEnd() {
        if strict { throw .unclosedClass(offset: open) }
        return nil
      }
      let byte = pattern[position]
      if byte == UInt8(ascii: "]") && !first {
        position += 1
        break
      }
      first = false
      if byte == backslash {
        position += 1
        if atEnd() {
          if strict { throw .unclosedClass(offset: open) }
          return nil
        }
        let (value, length) = unit(at: position)
        set.singles.append(value)
        previous = value
        position += length
      } else if byte == UInt8(ascii: "-"), let low = previous, position + 1 < pattern.count,
        pattern[position + 1] != UInt8(ascii: "]")
      {
        position += 1
        if pattern[position] == backslash {
          position += 1
          if atEnd() {
            if strict { throw .unclosedClass(offset: open) }
            return nil
          }
        }
        let (high, length) = unit(at: position)
        if high < low && strict { throw .reversedRange(offset: position) }
        if low <= high { set.ranges.append(low...high) }
        position += length
        previous = nil
      } else if byte == UInt8(ascii: "[") && position + 1 < pattern.count && pattern[position + 1] == UInt8(ascii: ":")
      {
        let nameStart = position + 2
        var close = nameStart
        while close < pattern.count && pattern[close] != UInt8(ascii: "]") { close += 1 }
        if close >= pattern.count {
          if strict { throw .unclosedClass(offset: open) }
          return nil
        }
        if close - 1 >= nameStart && pattern[close - 1] == UInt8(ascii: ":") {
          let name = String(decoding: pattern[nameStart..<(close - 1)], as: UTF8.self)
          guard let posix = CharacterClass.Posix(rawValue: name) else {
            if strict { throw .unknownClass(name: name, offset: position) }
            return nil
          }
          set.posix.append(posix)
          position = close + 1
          previous = nil
        } else {
          // Not a POSIX class after all: `[` is an ordinary member.
          set.singles.append(UInt32(UInt8(ascii: "[")))
          previous = UInt32(UInt8(ascii: "["))
          position += 1
        }
      } else {
        let (value, length) = unit(at: position)
        set.singles.append(value)
        previous = value
        position += length
      }
    }
    index = position
    return set
  }
}

/// Decodes one UTF-8 scalar at `position`; malformed input decodes as a single byte so matching stays total.
func decodeScalar<C: RandomAccessCollection>(_ bytes: C, at position: C.Index) -> (value: UInt32, length: Int)
where C.Element == UInt8, C.Index == Int {
  let lead = bytes[position]
  let length: Int
  var value: UInt32
  switch lead {
  case 0xC2...0xDF:
    length = 2
    value = UInt32(lead & 0x1F)
  case 0xE0...0xEF:
    length = 3
    value = UInt32(lead & 0x0F)
  case 0xF0...0xF4:
    length = 4
    value = UInt32(lead & 0x07)
  default:
    return (UInt32(lead), 1)
  }
  guard position + length <= bytes.endIndex else { return (UInt32(lead), 1) }
  for offset in 1..<length {
    let next = bytes[position + offset]
    guard next & 0xC0 == 0x80 else { return (UInt32(lead), 1) }
    value = value << 6 | UInt32(next & 0x3F)
  }
  return (value, length)
}

// MARK: - Matching

private struct Matcher {
  enum Outcome { case matched, mismatched, abortAll, abortToDoubleStar }

  let tokens: UnsafeBufferPointer<Wildcard.Token>
  let text: UnsafeBufferPointer<UInt8>
  let unicode: Bool

  init(tokens: UnsafeBufferPointer<Wildcard.Token>, text: UnsafeBufferPointer<UInt8>, unicode: Bool) {
    self.tokens = tokens
    self.text = text
    self.unicode = unicode
  }

  private func unitLength(at position: Int) -> Int {
    guard unicode, text[position] >= 0x80 else { return 1 }
    return decodeScalar(text, at: position).length
  }

  private func unitValue(at position: Int) -> (value: UInt32, length: Int) {
    guard unicode, text[position] >= 0x80 else { return (UInt32(text[position]), 1) }
    return decodeScalar(text, at: position)
  }

  mutating func run(_ startToken: Int, _ startText: Int) -> Outcome {
    var tokenIndex = startToken
    var position = startText
    let count = text.count
    while tokenIndex < tokens.count {
      switch tokens[tokenIndex] {
      case .literal(let byte):
        guard position < count else { return .abortAll }
        if text[position] != byte { return .mismatched }
        position += 1
      case .anyUnit:
        guard position < count else { return .abortAll }
        if text[position] == slash { return .mismatched }
        position += unitLength(at: position)
      case .set(let set):
        guard position < count else { return .abortAll }
        if text[position] == slash { return .mismatched }
        let (value, length) = unitValue(at: position)
        if !set.contains(value) { return .mismatched }
        position += length
      case .never:
        return .abortAll
      case .star:
        let next = tokenIndex + 1
        if next == tokens.count {
          for index in position..<count where text[index] == slash { return .abortToDoubleStar }
          return .matched
        }
        if case .literal(slash) = tokens[next] {
          // One `*` before a slash consumes exactly the rest of this path component.
          var index = position
          while index < count && text[index] != slash { index += 1 }
          if index == count { return .abortAll }
          position = index
          tokenIndex = next
          continue
        }
        return starLoop(next: next, position: position, crossesSlash: false)
      case .anything:
        let next = tokenIndex + 1
        if next == tokens.count { return .matched }
        return starLoop(next: next, position: position, crossesSlash: true)
      case .anyDirs:
        // Zero directories: skip the `**/` entirely.
        if run(tokenIndex + 2, position) == .matched { return .matched }
        return starLoop(next: tokenIndex + 1, position: position, crossesSlash: true)
      }
      tokenIndex += 1
    }
    return position == count ? .matched : .mismatched
  }

  /// Tries every split point for a star whose continuation starts at token `next`.
  private mutating func starLoop(next: Int, position start: Int, crossesSlash: Bool) -> Outcome {
    var position = start
    let count = text.count
    while true {
      if position >= count { return .abortAll }
      if case .literal(let byte) = tokens[next] {
        // The text before the next literal belongs to the star; skip to its next occurrence.
        while position < count && text[position] != byte && (crossesSlash || text[position] != slash) {
          position += 1
        }
        if position >= count || text[position] != byte { return .mismatched }
      }
      let outcome = run(next, position)
      if outcome != .mismatched {
        if !crossesSlash || outcome != .abortToDoubleStar { return outcome }
      } else if !crossesSlash && text[position] == slash {
        return .abortToDoubleStar
      }
      position += unitLength(at: position)
    }
  }
}
