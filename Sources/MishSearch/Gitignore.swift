import Glibc

/// One rule of a gitignore file, compiled.
public struct GitignoreRule: Sendable, CustomStringConvertible {
  /// The rule as written after trailing-space trimming; this is what `git check-ignore -v` prints.
  public let text: String
  /// 1-based line number in its file.
  public let line: Int
  /// `!rule`: a match re-includes the path.
  public let isNegated: Bool
  /// `rule/`: matches directories only.
  public let directoryOnly: Bool
  /// The rule has a `/` before its end, so it matches paths relative to the directory of its file; otherwise it
  /// matches a path's last component at any depth.
  public let isAnchored: Bool
  /// For anchored rules, the bytes before the first wildcard character, compared literally. git matches the rest
  /// as a pattern of its own, so a `**` right after this prefix counts as starting the pattern (`b**/?` matches
  /// `ba`); splitting the same way keeps that behaviour.
  let literalPrefix: [UInt8]
  let wildcard: Wildcard

  public var description: String { "\(line):\(text)" }

  /// Parses one line; nil for blank lines, comments and rules that can never match.
  init?(line bytes: ArraySlice<UInt8>, number: Int) {
    var line = Array(bytes)
    if line.last == UInt8(ascii: "\r") { line.removeLast() }
    guard let first = line.first, first != UInt8(ascii: "#") else { return nil }
    GitignoreRule.trimTrailingSpaces(&line)
    guard !line.isEmpty else { return nil }
    text = String(decoding: line, as: UTF8.self)
    self.line = number
    var pattern = line[...]
    isNegated = pattern.first == UInt8(ascii: "!")
    if isNegated { pattern = pattern.dropFirst() }
    directoryOnly = pattern.last == slash
    if directoryOnly { pattern = pattern.dropLast() }
    guard !pattern.isEmpty else { return nil }
    isAnchored = pattern.contains(slash)
    if isAnchored && pattern.first == slash { pattern = pattern.dropFirst() }
    var rest = pattern
    if isAnchored {
      let wildcardStart = pattern.firstIndex {
        [UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "["), backslash].contains($0)
      }
      literalPrefix = Array(pattern[..<(wildcardStart ?? pattern.endIndex)])
      rest = pattern[(wildcardStart ?? pattern.endIndex)...]
    } else {
      literalPrefix = []
    }
    // Non-strict compilation cannot fail; a malformed rule compiles to one that never matches, as in git.
    guard let wildcard = try? Wildcard(Array(rest), unicode: false, strict: false) else { return nil }
    self.wildcard = wildcard
  }

  /// Removes trailing spaces unless escaped with a backslash (tabs are kept, as git does).
  private static func trimTrailingSpaces(_ line: inout [UInt8]) {
    var lastSpace: Int? = nil
    var index = 0
    while index < line.count {
      switch line[index] {
      case UInt8(ascii: " "):
        if lastSpace == nil { lastSpace = index }
      case backslash:
        index += 1
        if index >= line.count { return }
        lastSpace = nil
      default:
        lastSpace = nil
      }
      index += 1
    }
    if let lastSpace { line.removeSubrange(lastSpace...) }
  }

  /// `relative` is the path relative to the directory holding the rule's file; `basename` its last component.
  func matches(relative: UnsafeBufferPointer<UInt8>, basename: UnsafeBufferPointer<UInt8>, isDirectory: Bool) -> Bool {
    if directoryOnly && !isDirectory { return false }
    guard isAnchored else { return wildcard.matches(basename) }
    let prefixLength = literalPrefix.count
    guard prefixLength <= relative.count else { return false }
    if prefixLength > 0 {
      let same = literalPrefix.withUnsafeBufferPointer {
        memcmp($0.baseAddress!, relative.baseAddress!, prefixLength) == 0
      }
      guard same else { return false }
    }
    return wildcard.matches(UnsafeBufferPointer(rebasing: relative[prefixLength...]))
  }
}

/// The rules of one gitignore file, scoped to the directory that holds it.
public struct GitignoreRules: Sendable {
  /// The directory holding the file, relative to the root, without trailing slash ("" for the root).
  public let base: String
  /// Where the rules came from, for diagnostics (".gitignore", "src/.gitignore", ".git/info/exclude").
  public let source: String
  public let rules: [GitignoreRule]
  let baseBytes: [UInt8]

  public init(_ text: String, base: String = "", source: String? = nil) {
    self.init(bytes: Array(text.utf8), base: base, source: source)
  }

  public init(bytes: [UInt8], base: String = "", source: String? = nil) {
    var base = base
    while base.hasSuffix("/") { base.removeLast() }
    self.base = base
    self.baseBytes = Array(base.utf8)
    self.source = source ?? (base.isEmpty ? ".gitignore" : base + "/.gitignore")
    var content = bytes[...]
    if content.starts(with: [0xEF, 0xBB, 0xBF]) { content = content.dropFirst(3) }
    var rules: [GitignoreRule] = []
    var number = 0
    for line in content.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      number += 1
      if let rule = GitignoreRule(line: line, number: number) { rules.append(rule) }
    }
    self.rules = rules
  }

  public var isEmpty: Bool { rules.isEmpty }

  /// The last rule of this file matching `path` (relative to the root), or nil when none matches or the path is not
  /// beneath `base`. Parent directories are not considered; see `GitignoreStack` for git's full semantics.
  public func lastMatch(_ path: String, isDirectory: Bool) -> GitignoreRule? {
    let bytes = Array(path.utf8)
    return bytes.withUnsafeBufferPointer { lastMatch(path: $0, isDirectory: isDirectory) }
  }

  func lastMatch(path: UnsafeBufferPointer<UInt8>, isDirectory: Bool) -> GitignoreRule? {
    guard !rules.isEmpty, let relativeStart = relativeStart(of: path) else { return nil }
    var basenameStart = path.count
    while basenameStart > relativeStart && path[basenameStart - 1] != slash { basenameStart -= 1 }
    let relative = UnsafeBufferPointer(rebasing: path[relativeStart...])
    let basename = UnsafeBufferPointer(rebasing: path[basenameStart...])
    for rule in rules.reversed() where rule.matches(relative: relative, basename: basename, isDirectory: isDirectory) {
      return rule
    }
    return nil
  }

  /// Where the part of `path` below `base` starts, or nil when `path` is not strictly beneath `base`.
  private func relativeStart(of path: UnsafeBufferPointer<UInt8>) -> Int? {
    if baseBytes.isEmpty { return path.isEmpty ? nil : 0 }
    guard path.count > baseBytes.count + 1, path[baseBytes.count] == slash else { return nil }
    let same = baseBytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, path.baseAddress!, $0.count) == 0 }
    return same ? baseBytes.count + 1 : nil
  }
}

/// The gitignore rule sets that apply along a path, from the root down, evaluated as git does: the last matching
/// rule wins (deeper files beat shallower ones, `.git/info/exclude` loses to all), and a path inside an ignored
/// directory stays ignored whatever rules below say.
public struct GitignoreStack: Sendable {
  /// Lowest precedence first: `.git/info/exclude`, then the root `.gitignore`, then deeper directories.
  public private(set) var ruleSets: [GitignoreRules]

  public init(_ ruleSets: [GitignoreRules] = []) {
    self.ruleSets = ruleSets
  }

  public mutating func push(_ rules: GitignoreRules) { ruleSets.append(rules) }

  public mutating func pop() { ruleSets.removeLast() }

  /// The rule that decides `path` and the file it came from: the rule that ignores one of its parent directories,
  /// or else the last rule matching the path itself (which may be a negation). Nil when no rule matches. This is what
  /// `git check-ignore -v` reports.
  public func match(_ path: String, isDirectory: Bool) -> GitignoreMatch? {
    var bytes = Array(path.utf8)
    while bytes.last == slash { bytes.removeLast() }
    return bytes.withUnsafeBufferPointer { buffer -> GitignoreMatch? in
      for end in 0..<buffer.count where buffer[end] == slash && end > 0 {
        let parent = UnsafeBufferPointer(rebasing: buffer[..<end])
        if let match = directMatch(path: parent, isDirectory: true), !match.rule.isNegated { return match }
      }
      return directMatch(path: buffer, isDirectory: isDirectory)
    }
  }

  /// Whether git would ignore `path` (relative to the root).
  public func isIgnored(_ path: String, isDirectory: Bool) -> Bool {
    guard let match = match(path, isDirectory: isDirectory) else { return false }
    return !match.rule.isNegated
  }

  /// The last rule matching `path` itself across the applicable sets, without looking at parent directories.
  func directMatch(path: UnsafeBufferPointer<UInt8>, isDirectory: Bool) -> GitignoreMatch? {
    for set in ruleSets.reversed() {
      if let rule = set.lastMatch(path: path, isDirectory: isDirectory) {
        return GitignoreMatch(rule: rule, source: set.source)
      }
    }
    return nil
  }
}

/// A deciding rule and the file that holds it.
public struct GitignoreMatch: Sendable {
  public let rule: GitignoreRule
  /// ".gitignore", "src/.gitignore", ".git/info/exclude".
  public let source: String
  /// True when the path is ignored (the rule is not a negation).
  public var isIgnored: Bool { !rule.isNegated }
}
