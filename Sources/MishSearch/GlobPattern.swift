/// A glob for `fs/glob` and the `glob` filter of `fs/grep`, matched against paths relative to the searched directory.
///
/// Syntax: `*` (any run within one path component), `**` (as a whole component: any number of directories,
/// including none), `?` (one character), `[abc]`, `[a-z]`, `[!x]`/`[^x]`, `[[:digit:]]`, `{a,b,c}` alternation (may
/// nest, may hold slashes), and `\` to escape any of these.
///
/// Where it matches, following .gitignore and ripgrep's `-g`:
/// - A pattern without `/` matches the last component at any depth: `*.swift` finds Swift files everywhere.
/// - A pattern with `/` matches the whole relative path: `src/*.ts` only directly under `src`, `src/**/*.ts` at any
///   depth below it. A leading `/` or `./` anchors any pattern at the searched directory: `/README.md` matches only
///   the top-level one.
/// - A trailing `/` matches directories only: `src/*/` lists the directories directly under `src`.
/// - `*` and `?` match a leading dot, so `*` matches `.env`; whether hidden entries are visited at all is the
///   walker's business (`GlobQuery.includeHidden`).
/// Each `{...}` alternative is placed by these rules on its own, so `{*.md,docs/*.txt}` mixes both kinds.
public struct GlobPattern: Sendable, CustomStringConvertible {
  struct Alternative: Sendable {
    let wildcard: Wildcard
    /// No `/` in the pattern: match the last path component.
    let basenameOnly: Bool
    let directoriesOnly: Bool
    /// Path components (excluding the last) that hold no wildcard: every match lies beneath them.
    let literalDirectories: [[UInt8]]
    /// Number of components a match has, when fixed (no `**`, not basename-only).
    let depth: Int?
    /// Components of the pattern, used to tell whether it names hidden entries.
    let components: [[UInt8]]
  }

  /// The pattern as given.
  public let pattern: String
  let alternatives: [Alternative]

  /// Directories (relative to the searched directory, `/`-separated, "" for none) that every match lies beneath; a
  /// search can start there instead of walking everything.
  public let fixedPrefix: String
  /// The largest number of path components a match can have, or nil when unbounded (`**` or a basename pattern).
  public let maxDepth: Int?
  /// Whether some component after `fixedPrefix` starts with a literal `.`, i.e. the pattern asks for hidden entries.
  public let mentionsHidden: Bool

  public var description: String { pattern }

  /// Compiles `pattern`; throws `SearchError` with code `.invalidPattern` and a message naming the problem.
  public init(_ pattern: String) throws {
    self.pattern = pattern
    let bytes = Array(pattern.utf8)
    guard !bytes.isEmpty else {
      throw SearchError(
        .invalidPattern, "empty glob pattern",
        hint: "Pass a pattern such as \"*.swift\", \"src/**/*.ts\" or \"{README,CHANGELOG}.md\".")
    }
    var expander = BraceExpander(pattern: bytes)
    let expanded: [[UInt8]]
    do {
      expanded = try expander.expand()
    } catch let problem {
      throw GlobPattern.error(pattern, problem.message, hint: problem.hint)
    }
    var alternatives: [Alternative] = []
    for text in expanded {
      if let alternative = try GlobPattern.compile(text, original: pattern) { alternatives.append(alternative) }
    }
    guard !alternatives.isEmpty else {
      throw GlobPattern.error(
        pattern, "the pattern matches nothing", hint: "Pass a pattern such as \"*.swift\" or \"src/**/*.ts\".")
    }
    self.alternatives = alternatives

    var prefix: [[UInt8]]? = nil
    for alternative in alternatives {
      let candidate = alternative.basenameOnly ? [] : alternative.literalDirectories
      if let current = prefix {
        prefix = Array(zip(current, candidate).prefix { $0.0 == $0.1 }.map(\.0))
      } else {
        prefix = candidate
      }
    }
    let fixed = prefix ?? []
    fixedPrefix = fixed.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    var depth: Int? = 0
    var hidden = false
    for alternative in alternatives {
      if let current = depth, let own = alternative.depth { depth = max(current, own) } else { depth = nil }
      let tail =
        alternative.basenameOnly ? alternative.components : Array(alternative.components.dropFirst(fixed.count))
      if tail.contains(where: { $0.first == UInt8(ascii: ".") }) { hidden = true }
    }
    maxDepth = depth
    mentionsHidden = hidden
  }

  /// Whether `relativePath` (relative to the searched directory, `/`-separated) matches. Patterns ending in `/` match
  /// only when `isDirectory` is true; other patterns match entries of any type by name, and callers decide which
  /// types they report.
  public func matches(_ relativePath: String, isDirectory: Bool = false) -> Bool {
    var bytes = Array(relativePath.utf8)
    while bytes.starts(with: [UInt8(ascii: "."), slash]) { bytes.removeFirst(2) }
    while bytes.last == slash && bytes.count > 1 { bytes.removeLast() }
    return bytes.withUnsafeBufferPointer { matches(path: $0, isDirectory: isDirectory) }
  }

  /// `directoryPatternsOnly` restricts matching to the alternatives that end in `/`.
  func matches(path: UnsafeBufferPointer<UInt8>, isDirectory: Bool, directoryPatternsOnly: Bool = false) -> Bool {
    var basenameStart = path.count
    while basenameStart > 0 && path[basenameStart - 1] != slash { basenameStart -= 1 }
    for alternative in alternatives {
      if alternative.directoriesOnly && !isDirectory { continue }
      if directoryPatternsOnly && !alternative.directoriesOnly { continue }
      let subject = alternative.basenameOnly ? UnsafeBufferPointer(rebasing: path[basenameStart...]) : path
      if alternative.wildcard.matches(subject) { return true }
    }
    return false
  }

  private static func compile(_ raw: [UInt8], original: String) throws -> Alternative? {
    var text = raw[...]
    var anchored = false
    while true {
      if text.starts(with: [UInt8(ascii: "."), slash]) {
        text = text.dropFirst(2)
        anchored = true
      } else if text.first == slash {
        text = text.dropFirst()
        anchored = true
      } else {
        break
      }
    }
    var directoriesOnly = false
    while text.last == slash {
      text = text.dropLast()
      directoriesOnly = true
    }
    var components = text.split(separator: slash, omittingEmptySubsequences: true).map { Array($0) }
    components.removeAll { $0 == [UInt8(ascii: ".")] }
    if components.contains([UInt8(ascii: "."), UInt8(ascii: ".")]) {
      throw error(
        original, "'..' is not allowed in a glob",
        hint: "Set path to the directory to search and keep the pattern relative to it.")
    }
    guard !components.isEmpty else { return nil }
    let normalized = Array(components.joined(separator: [slash]))
    let wildcard: Wildcard
    do {
      wildcard = try Wildcard(normalized, unicode: true, strict: true)
    } catch let problem {
      let shown =
        normalized == Array(original.utf8)
        ? "" : " (in the alternative \"\(String(decoding: normalized, as: UTF8.self))\")"
      switch problem {
      case .unclosedClass(let offset):
        throw error(
          original, "unclosed character class '[' at offset \(offset)\(shown)",
          hint: "Close the class with ']', or write \\[ to match a literal '['.")
      case .unknownClass(let name, let offset):
        throw error(
          original, "unknown character class [:\(name):] at offset \(offset)\(shown)",
          hint: "Use one of " + CharacterClass.Posix.allCases.map { "[:\($0.rawValue):]" }.joined(separator: " ") + ".")
      case .danglingEscape(let offset):
        throw error(
          original, "a backslash at offset \(offset) escapes nothing\(shown)",
          hint: "Remove the trailing backslash, or write \\\\ to match a backslash.")
      case .reversedRange(let offset):
        throw error(
          original, "character range ending at offset \(offset) is reversed\(shown)",
          hint: "Write ranges low to high, like [a-z].")
      }
    }
    let basenameOnly = !anchored && components.count == 1
    var literalDirectories: [[UInt8]] = []
    if !basenameOnly {
      for component in components.dropLast() {
        if component.contains(where: {
          [UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "["), backslash].contains($0)
        }) {
          break
        }
        literalDirectories.append(component)
      }
    }
    let crossesDirectories = wildcard.tokens.contains {
      switch $0 {
      case .anything, .anyDirs: return true
      default: return false
      }
    }
    return Alternative(
      wildcard: wildcard, basenameOnly: basenameOnly, directoriesOnly: directoriesOnly,
      literalDirectories: literalDirectories,
      depth: basenameOnly || crossesDirectories ? nil : components.count,
      components: components)
  }

  static func error(_ pattern: String, _ problem: String, hint: String) -> SearchError {
    SearchError(.invalidPattern, "invalid glob pattern \"\(pattern)\": \(problem)", hint: hint)
  }
}

/// Expands `{a,b}` alternation into plain wildcard patterns, leaving escapes and `[...]` classes untouched.
private struct BraceExpander {
  struct Problem: Error {
    let message: String
    let hint: String
  }

  static let limit = 1024
  let pattern: [UInt8]
  var index = 0

  init(pattern: [UInt8]) { self.pattern = pattern }

  mutating func expand() throws(Problem) -> [[UInt8]] {
    let result = try sequence(inBraces: false)
    return result
  }

  private mutating func sequence(inBraces: Bool) throws(Problem) -> [[UInt8]] {
    var results: [[UInt8]] = [[]]
    func append(_ bytes: ArraySlice<UInt8>) {
      for index in results.indices { results[index].append(contentsOf: bytes) }
    }
    while index < pattern.count {
      let byte = pattern[index]
      switch byte {
      case backslash:
        guard index + 1 < pattern.count else {
          throw Problem(
            message: "a backslash at offset \(index) escapes nothing",
            hint: "Remove the trailing backslash, or write \\\\ to match a backslash.")
        }
        append(pattern[index...(index + 1)])
        index += 2
      case UInt8(ascii: "["):
        let end = try classEnd(from: index)
        append(pattern[index..<end])
        index = end
      case UInt8(ascii: "{"):
        let open = index
        index += 1
        var options: [[UInt8]] = []
        while true {
          options += try sequence(inBraces: true)
          guard index < pattern.count else {
            throw Problem(
              message: "unclosed '{' at offset \(open)",
              hint: "Close the alternation with '}', or write \\{ to match a literal '{'.")
          }
          let separator = pattern[index]
          index += 1
          if separator == UInt8(ascii: "}") { break }
        }
        var product: [[UInt8]] = []
        for head in results {
          for option in options { product.append(head + option) }
        }
        guard product.count <= BraceExpander.limit else {
          throw Problem(
            message: "the {...} alternatives expand to more than \(BraceExpander.limit) patterns",
            hint: "Use fewer alternatives, or a character class like [abc] for single characters.")
        }
        results = product
      case UInt8(ascii: "}"), UInt8(ascii: ","):
        if inBraces { return results }
        if byte == UInt8(ascii: "}") {
          throw Problem(
            message: "unmatched '}' at offset \(index)",
            hint: "Remove it, open an alternation with '{', or write \\} to match a literal '}'.")
        }
        append(pattern[index...index])
        index += 1
      default:
        append(pattern[index...index])
        index += 1
      }
    }
    return results
  }

  /// The index just past the `]` closing the class opened at `start`.
  private func classEnd(from start: Int) throws(Problem) -> Int {
    var position = start + 1
    if position < pattern.count && (pattern[position] == UInt8(ascii: "!") || pattern[position] == UInt8(ascii: "^")) {
      position += 1
    }
    var first = true
    while position < pattern.count {
      let byte = pattern[position]
      if byte == UInt8(ascii: "]") && !first { return position + 1 }
      first = false
      if byte == backslash {
        position += 2
      } else if byte == UInt8(ascii: "["), position + 1 < pattern.count, pattern[position + 1] == UInt8(ascii: ":"),
        let close = pattern[(position + 2)...].firstIndex(of: UInt8(ascii: "]")), close - 1 >= position + 2,
        pattern[close - 1] == UInt8(ascii: ":")
      {
        position = close + 1
      } else {
        position += 1
      }
    }
    throw Problem(
      message: "unclosed character class '[' at offset \(start)",
      hint: "Close the class with ']', or write \\[ to match a literal '['.")
  }
}
