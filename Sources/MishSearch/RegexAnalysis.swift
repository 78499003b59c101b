/// What a regular expression needs, worked out from its syntax so lines can be ruled out before ICU runs:
/// the literals every match contains (`fn\s+\w+_handler` needs `_handler`, `TODO|FIXME` one of `TODO`, `FIXME`),
/// and a byte automaton that accepts every line ICU could match (`RegexAutomaton.swift`).
///
/// Everything here over-approximates: constructs it does not model exactly (Unicode classes, lookarounds,
/// backreferences) are widened, and syntax it does not understand at all (`(?x)`, conditionals, odd classes) yields
/// no prefilter, which costs speed but never a match. NSRegularExpression stays the judge of validity; `diagnose`
/// only explains a pattern ICU rejected.
struct RegexRequirement: Equatable, Sendable {
  /// Every matching line contains at least one of these (none is empty).
  var literals: [[UInt8]]
  /// The literals are lowercased ASCII and must be searched for ignoring ASCII case.
  var caseFolded: Bool
}

/// The prefilters for one pattern.
struct RegexPlan: Sendable {
  var requirement: RegexRequirement?
  /// Nil when the pattern is case-insensitive, could not be modelled, or is too large.
  var automaton: ByteNFA?
}

enum RegexAnalysis {
  static let maxAlternatives = 16

  static func plan(of pattern: String, caseInsensitive: Bool) -> RegexPlan {
    var parser = RegexParser(pattern)
    let node = parser.parseTop()
    guard !parser.bail, parser.problem == nil else { return RegexPlan() }
    let folded = caseInsensitive || parser.sawCaseInsensitive
    let requirement = LiteralInfo(node).best().flatMap { fold($0, caseInsensitive: folded) }
    return RegexPlan(requirement: requirement, automaton: folded ? nil : ByteNFA(node))
  }

  /// The requirement of `pattern`, or nil when none could be established.
  static func requirement(of pattern: String, caseInsensitive: Bool) -> RegexRequirement? {
    plan(of: pattern, caseInsensitive: caseInsensitive).requirement
  }

  /// The requirement for a literal (non-regex) search.
  static func requirement(ofLiteral needle: [UInt8], caseInsensitive: Bool) -> RegexRequirement? {
    fold([needle], caseInsensitive: caseInsensitive)
  }

  /// A readable reason why `pattern` is malformed, if the analysis found one.
  static func diagnose(_ pattern: String) -> String? {
    var parser = RegexParser(pattern)
    _ = parser.parseTop()
    return parser.rejection ?? parser.problem
  }

  /// A reason to refuse `pattern` even though ICU compiles it: a quantifier on something that matches no text
  /// (`^+`, `\b*`, `()+?`), which PCRE mostly rejects and on which ICU can spin for seconds per line.
  static func rejection(_ pattern: String) -> String? {
    var parser = RegexParser(pattern)
    _ = parser.parseTop()
    return parser.rejection
  }

  /// For a case-insensitive search, keeps from each literal its longest ASCII run, lowercased (non-ASCII letters
  /// have case variants of other lengths, so they cannot be part of a byte search).
  private static func fold(_ literals: [[UInt8]], caseInsensitive: Bool) -> RegexRequirement? {
    guard caseInsensitive else {
      return literals.isEmpty ? nil : RegexRequirement(literals: literals, caseFolded: false)
    }
    var folded: [[UInt8]] = []
    for literal in literals {
      var best: ArraySlice<UInt8> = []
      for run in literal.split(whereSeparator: { $0 >= 0x80 }) where run.count > best.count { best = run }
      guard !best.isEmpty else { return nil }
      let lowered = best.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }
      if !folded.contains(lowered) { folded.append(lowered) }
    }
    return RegexRequirement(literals: folded, caseFolded: true)
  }
}

// MARK: - Syntax tree

/// A regular expression reduced to what the prefilters need.
indirect enum RegexNode: Equatable, Sendable {
  /// Matches only the empty string: anchors, `\b`, lookarounds, flag groups, empty groups.
  case empty
  /// One literal character.
  case scalar(Unicode.Scalar)
  /// One character out of a class, `.`, `\w` and the like.
  case characters(CharacterApproximation)
  case sequence([RegexNode])
  case alternation([RegexNode])
  case repetition(RegexNode, minimum: Int, maximum: Int?)
  /// Any text within a line (a backreference).
  case anyText

  var matchesOnlyEmpty: Bool {
    switch self {
    case .empty: return true
    case .sequence(let items): return items.allSatisfy(\.matchesOnlyEmpty)
    case .alternation(let branches): return branches.allSatisfy(\.matchesOnlyEmpty)
    case .repetition(let node, _, let maximum): return maximum == 0 || node.matchesOnlyEmpty
    default: return false
    }
  }
}

/// One character of a class: its ASCII members exactly, and whether some non-ASCII character may match.
struct CharacterApproximation: Equatable, Sendable {
  var low: UInt64 = 0
  var high: UInt64 = 0
  var nonASCII = false

  func contains(_ byte: UInt8) -> Bool {
    byte < 64 ? low >> UInt64(byte) & 1 == 1 : byte < 128 ? high >> UInt64(byte - 64) & 1 == 1 : false
  }

  mutating func insert(_ byte: UInt8) {
    if byte < 64 { low |= 1 << UInt64(byte) } else if byte < 128 { high |= 1 << UInt64(byte - 64) }
  }

  mutating func insert(_ value: UInt32) {
    if value < 128 { insert(UInt8(value)) } else { nonASCII = true }
  }

  mutating func insert(range: ClosedRange<UInt32>) {
    if range.lowerBound < 128 {
      for value in range.lowerBound...min(range.upperBound, 127) { insert(UInt8(value)) }
    }
    if range.upperBound >= 128 { nonASCII = true }
  }

  mutating func formUnion(_ other: CharacterApproximation) {
    low |= other.low
    high |= other.high
    nonASCII = nonASCII || other.nonASCII
  }

  /// The complement: exact for ASCII (a line never holds `\n`), and any non-ASCII character may match.
  func inverted() -> CharacterApproximation {
    var result = CharacterApproximation(low: ~low, high: ~high, nonASCII: true)
    result.low &= ~(1 << 10)
    return result
  }

  static func of(_ ascii: String, nonASCII: Bool) -> CharacterApproximation {
    var set = CharacterApproximation(nonASCII: nonASCII)
    for byte in ascii.utf8 { set.insert(byte) }
    return set
  }

  static let anyCharacter = CharacterApproximation().inverted()
  static let digit = of("0123456789", nonASCII: true)
  static let word = of("0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", nonASCII: true)
  static let space = of(" \t\n\u{0B}\u{0C}\r", nonASCII: true)
  static let horizontalSpace = of(" \t", nonASCII: true)
  static let verticalSpace = of("\n\u{0B}\u{0C}\r", nonASCII: true)

  /// `\d \w \s \h \v` and their negations.
  static func shorthand(_ letter: Unicode.Scalar) -> CharacterApproximation? {
    switch letter {
    case "d": return digit
    case "D": return digit.inverted()
    case "w": return word
    case "W": return word.inverted()
    case "s": return space
    case "S": return space.inverted()
    case "h": return horizontalSpace
    case "H": return horizontalSpace.inverted()
    case "v": return verticalSpace
    case "V": return verticalSpace.inverted()
    default: return nil
    }
  }
}

// MARK: - Required literals

/// What is known about the strings a piece of a regex matches.
private struct LiteralInfo {
  /// The piece matches exactly one of these strings.
  var exact: [[UInt8]]? = nil
  /// Every match starts (ends) with one of these; kept for repetitions like `b+`.
  var prefix: [[UInt8]]? = nil
  var suffix: [[UInt8]]? = nil
  /// Every match contains one of these.
  var required: [[UInt8]]? = nil

  static let zeroWidth = LiteralInfo(exact: [[]])
  static let unknown = LiteralInfo()

  init(exact: [[UInt8]]? = nil, prefix: [[UInt8]]? = nil, suffix: [[UInt8]]? = nil, required: [[UInt8]]? = nil) {
    self.exact = exact
    self.prefix = prefix
    self.suffix = suffix
    self.required = required
  }

  init(_ node: RegexNode) {
    switch node {
    case .empty: self = .zeroWidth
    case .scalar(let scalar): self.init(exact: [Array(String(scalar).utf8)])
    case .characters, .anyText: self = .unknown
    case .sequence(let items): self = LiteralInfo.concatenation(items.map(LiteralInfo.init))
    case .alternation(let branches): self = LiteralInfo.alternation(branches.map(LiteralInfo.init))
    case .repetition(let child, let minimum, let maximum):
      self = LiteralInfo.repeated(LiteralInfo(child), minimum: minimum, maximum: maximum)
    }
  }

  /// The most selective known requirement.
  func best() -> [[UInt8]]? {
    var chooser = Chooser()
    chooser.consider(exact)
    chooser.consider(required)
    return chooser.best
  }

  private static func concatenation(_ items: [LiteralInfo]) -> LiteralInfo {
    var chooser = Chooser()
    var run: [[UInt8]] = [[]]
    var allExact = true
    for item in items {
      if let exact = item.exact {
        if let joined = product(run, exact) {
          run = joined
        } else {
          chooser.consider(run)
          run = exact
          allExact = false
        }
        continue
      }
      allExact = false
      if let prefix = item.prefix, let joined = product(run, prefix) {
        chooser.consider(joined)
      } else {
        chooser.consider(run)
        chooser.consider(item.prefix)
      }
      chooser.consider(item.required)
      run = item.suffix ?? [[]]
    }
    chooser.consider(run)
    var result = LiteralInfo(required: chooser.best)
    if allExact { result.exact = run }
    return result
  }

  private static func alternation(_ branches: [LiteralInfo]) -> LiteralInfo {
    if branches.count == 1 { return branches[0] }
    var result = LiteralInfo()
    if branches.allSatisfy({ $0.exact != nil }) {
      var union: [[UInt8]] = []
      for branch in branches {
        for string in branch.exact! where !union.contains(string) { union.append(string) }
      }
      if union.count <= RegexAnalysis.maxAlternatives { result.exact = union }
    }
    var required: [[UInt8]] = []
    for branch in branches {
      guard let best = branch.best() else { return result }
      for string in best where !required.contains(string) { required.append(string) }
    }
    if required.count <= RegexAnalysis.maxAlternatives { result.required = required }
    return result
  }

  private static func repeated(_ info: LiteralInfo, minimum: Int, maximum: Int?) -> LiteralInfo {
    if maximum == 0 { return .zeroWidth }
    if minimum == 0 { return info.exact == [[]] ? .zeroWidth : .unknown }
    if let exact = info.exact {
      // The first (and last) `min(minimum, 3)` repetitions are certain.
      var power: [[UInt8]]? = exact
      for _ in 1..<min(minimum, 3) { power = power.flatMap { product($0, exact) } }
      let certain = power ?? exact
      if minimum == maximum && minimum <= 3, let power { return LiteralInfo(exact: power) }
      return LiteralInfo(prefix: certain, suffix: certain, required: certain)
    }
    return LiteralInfo(prefix: info.prefix, suffix: info.suffix, required: info.required)
  }
}

/// Keeps the most selective literal set seen: longest shortest member first, then fewest members.
private struct Chooser {
  var best: [[UInt8]]? = nil

  mutating func consider(_ candidate: [[UInt8]]?) {
    guard let candidate, !candidate.isEmpty, candidate.allSatisfy({ !$0.isEmpty }) else { return }
    guard let current = best else {
      best = candidate
      return
    }
    let newScore = candidate.map(\.count).min()!
    let oldScore = current.map(\.count).min()!
    if newScore > oldScore || (newScore == oldScore && candidate.count < current.count) { best = candidate }
  }
}

private func product(_ lhs: [[UInt8]], _ rhs: [[UInt8]]) -> [[UInt8]]? {
  guard lhs.count * rhs.count <= RegexAnalysis.maxAlternatives else { return nil }
  var result: [[UInt8]] = []
  for head in lhs {
    for tail in rhs {
      let joined = head + tail
      if !result.contains(joined) { result.append(joined) }
    }
  }
  return result
}

// MARK: - Parser (ICU syntax)

private struct RegexParser {
  let scalars: [Unicode.Scalar]
  var index = 0
  /// Syntax the analysis does not model; no prefilter may be built.
  var bail = false
  var problem: String? = nil
  var rejection: String? = nil
  var sawCaseInsensitive = false

  init(_ pattern: String) { scalars = Array(pattern.unicodeScalars) }

  private var atEnd: Bool { index >= scalars.count }
  private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
    index + offset < scalars.count ? scalars[index + offset] : nil
  }

  private mutating func report(_ message: String) {
    if problem == nil { problem = message }
  }

  mutating func parseTop() -> RegexNode {
    let node = parseAlternation()
    if !atEnd {
      // Only an unbalanced ')' stops the alternation early.
      report("unbalanced ')' at offset \(index)")
    }
    return node
  }

  private mutating func parseAlternation() -> RegexNode {
    var branches = [parseSequence()]
    while peek() == "|" {
      index += 1
      branches.append(parseSequence())
    }
    return branches.count == 1 ? branches[0] : .alternation(branches)
  }

  private mutating func parseSequence() -> RegexNode {
    var items: [RegexNode] = []
    while let next = peek(), next != "|", next != ")" {
      items.append(parseQuantifiers(parseAtom()))
    }
    return items.count == 1 ? items[0] : .sequence(items)
  }

  private mutating func parseQuantifiers(_ atom: RegexNode) -> RegexNode {
    var node = atom
    while let next = peek() {
      let start = index
      var minimum = 0
      var maximum: Int? = nil
      switch next {
      case "*":
        index += 1
      case "+":
        minimum = 1
        index += 1
      case "?":
        maximum = 1
        index += 1
      case "{":
        guard let interval = parseInterval() else { return node }
        (minimum, maximum) = interval
      default:
        return node
      }
      if node.matchesOnlyEmpty && rejection == nil {
        rejection =
          "the quantifier '\(next)' at offset \(start) repeats something that matches no text "
          + "(an anchor, assertion or empty group)"
      }
      if let modifier = peek(), modifier == "?" || modifier == "+" { index += 1 }
      node = .repetition(node, minimum: minimum, maximum: maximum)
    }
    return node
  }

  /// `{n}`, `{n,}`, `{n,m}` at `index`; consumes it. Nil (consuming nothing) when `{` starts no interval.
  private mutating func parseInterval() -> (Int, Int?)? {
    var position = index + 1
    func number() -> Int? {
      var value: Int? = nil
      while position < scalars.count, ("0"..."9").contains(scalars[position]) {
        value = min((value ?? 0) * 10 + Int(scalars[position].value - 48), 1_000_000)
        position += 1
      }
      return value
    }
    guard let minimum = number() else { return nil }
    var maximum: Int? = minimum
    if position < scalars.count && scalars[position] == "," {
      position += 1
      maximum = number()
    }
    guard position < scalars.count && scalars[position] == "}" else { return nil }
    index = position + 1
    return (minimum, maximum)
  }

  private mutating func parseAtom() -> RegexNode {
    let scalar = scalars[index]
    switch scalar {
    case "(":
      return parseGroup()
    case "[":
      return .characters(parseClass())
    case ".":
      index += 1
      return .characters(.anyCharacter)
    case "^", "$":
      index += 1
      return .empty
    case "\\":
      return parseEscape()
    case "*", "+", "?":
      report("'\(scalar)' at offset \(index) has nothing to repeat")
      index += 1
      return .empty
    case "{":
      if parseInterval() != nil {
        report("the interval ending at offset \(index - 1) has nothing to repeat")
        return .empty
      }
      index += 1
      return .characters(.anyCharacter)
    default:
      index += 1
      return .scalar(scalar)
    }
  }

  private mutating func parseGroup() -> RegexNode {
    let open = index
    index += 1
    var zeroWidth = false
    if peek() == "?" {
      index += 1
      switch peek() {
      case ":", ">":
        index += 1
      case "=", "!":
        index += 1
        zeroWidth = true
      case "<":
        if peek(1) == "=" || peek(1) == "!" {
          index += 2
          zeroWidth = true
        } else {
          // Named group `(?<name>...)`.
          while let next = peek(), next != ">" { index += 1 }
          guard !atEnd else {
            report("unterminated group name at offset \(open)")
            return .empty
          }
          index += 1
        }
      case "#":
        while let next = peek(), next != ")" { index += 1 }
        guard !atEnd else {
          report("unterminated comment group at offset \(open)")
          return .empty
        }
        index += 1
        return .empty
      default:
        // Flags: (?ismwx-ismwx) or (?ismwx-ismwx:...)
        var on = true
        while let next = peek(), "imswxu-".unicodeScalars.contains(next) {
          if next == "-" { on = false }
          if next == "x" && on { bail = true }
          if next == "i" && on { sawCaseInsensitive = true }
          index += 1
        }
        if peek() == ")" {
          index += 1
          return .empty
        }
        guard peek() == ":" else {
          bail = true
          report("unknown group syntax at offset \(open)")
          index = scalars.count
          return .empty
        }
        index += 1
      }
    }
    let inner = parseAlternation()
    guard peek() == ")" else {
      report("missing ')' for the group opened at offset \(open)")
      return .empty
    }
    index += 1
    return zeroWidth ? .empty : inner
  }

  /// `[...]`: exact ASCII members when the class is simple, any character when it uses set operations, nested
  /// sets, POSIX names or `\p{…}`.
  private mutating func parseClass() -> CharacterApproximation {
    let open = index
    index += 1
    let negated = peek() == "^"
    if negated { index += 1 }
    if peek() == "]" {
      // Whether a leading ']' is a member differs between engines; do not guess.
      bail = true
    }
    var set = CharacterApproximation()
    var widened = false
    var previous: UInt32? = nil
    var depth = 1
    while let next = peek() {
      switch next {
      case "\\":
        index += 1
        guard let escaped = peek() else { continue }
        index += 1
        if let shorthand = CharacterApproximation.shorthand(escaped) {
          set.formUnion(shorthand)
          previous = nil
        } else if let control = RegexParser.controlEscape(escaped) {
          set.insert(control)
          previous = control
        } else if escaped.properties.isAlphabetic || ("0"..."9").contains(escaped) {
          // \p{..} \x{..} \N{..} \uhhhh \Q and friends: not modelled.
          if escaped == "Q" { bail = true }
          if peek() == "{" {
            while let inner = peek(), inner != "}" { index += 1 }
            index += 1
          }
          widened = true
          previous = nil
        } else {
          set.insert(escaped.value)
          previous = escaped.value
        }
        continue
      case "[":
        depth += 1
        widened = true
      case "]":
        depth -= 1
        if depth == 0 {
          index += 1
          return widened ? .anyCharacter : negated ? set.inverted() : set
        }
      case "&":
        if peek(1) == "&" { widened = true }
        set.insert(next.value)
        previous = next.value
      case "-":
        if depth == 1, let low = previous, let high = peek(1), high != "]" {
          if high == "\\" || high == "[" || high == "-" {
            // An escaped range end, or a set difference: not modelled.
            widened = true
          } else {
            index += 2
            if high.value >= low { set.insert(range: low...high.value) }
            previous = nil
            continue
          }
        }
        if peek(1) == "-" { widened = true }
        set.insert(next.value)
        previous = next.value
      default:
        if depth == 1 {
          set.insert(next.value)
          previous = next.value
        }
      }
      index += 1
    }
    report("unterminated character class opened at offset \(open)")
    bail = true
    return .anyCharacter
  }

  /// `\t \n \r \f \a \e` as the character they stand for.
  private static func controlEscape(_ letter: Unicode.Scalar) -> UInt32? {
    switch letter {
    case "t": return 0x09
    case "n": return 0x0A
    case "r": return 0x0D
    case "f": return 0x0C
    case "a": return 0x07
    case "e": return 0x1B
    default: return nil
    }
  }

  private mutating func parseEscape() -> RegexNode {
    let start = index
    index += 1
    guard let next = peek() else {
      report("trailing backslash at offset \(start)")
      return .empty
    }
    index += 1
    if let shorthand = CharacterApproximation.shorthand(next) { return .characters(shorthand) }
    if let control = RegexParser.controlEscape(next) { return .scalar(Unicode.Scalar(control)!) }
    switch next {
    case "Q":
      var items: [RegexNode] = []
      while let scalar = peek() {
        if scalar == "\\" && peek(1) == "E" {
          index += 2
          break
        }
        items.append(.scalar(scalar))
        index += 1
      }
      return .sequence(items)
    case "E", "b", "B", "A", "z", "Z", "G":
      return .empty
    case "X", "R":
      return .repetition(.characters(.anyCharacter), minimum: 1, maximum: nil)
    case "x", "p", "P", "N":
      if peek() == "{" {
        while let scalar = peek(), scalar != "}" { index += 1 }
        if atEnd { report("unterminated \\\(next){...} at offset \(start)") }
        index += 1
      } else if next == "x" {
        index += min(2, scalars.count - index)
      } else if next != "N" {
        index += 1
      }
      return .characters(.anyCharacter)
    case "u":
      index += min(4, scalars.count - index)
      return .characters(.anyCharacter)
    case "U":
      index += min(8, scalars.count - index)
      return .characters(.anyCharacter)
    case "c":
      index += 1
      return .characters(.anyCharacter)
    case "k":
      if peek() == "<" {
        while let scalar = peek(), scalar != ">" { index += 1 }
        index += 1
      }
      return .anyText
    case "0":
      while let digit = peek(), ("0"..."7").contains(digit) { index += 1 }
      return .characters(.anyCharacter)
    case "1"..."9":
      while let digit = peek(), ("0"..."9").contains(digit) { index += 1 }
      return .anyText
    default:
      if next.properties.isAlphabetic || next.properties.numericType != nil { return .characters(.anyCharacter) }
      return .scalar(next)
    }
  }
}
