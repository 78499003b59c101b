import Foundation

/// The engine input of `fs/grep`.
public struct GrepQuery: Sendable {
  public var pattern: String
  /// Treat `pattern` as a regular expression (ICU syntax: `\d \w \s \b (?:…) +? (?i)` …); otherwise as literal
  /// text. A pattern without regex metacharacters is searched as literal text either way.
  public var isRegex: Bool
  public var caseInsensitive: Bool
  /// Only files whose path (relative to `path`) matches.
  public var glob: GlobPattern?
  /// Files whose path (relative to `path`) matches are not searched, and directories that match are not entered
  /// (ripgrep's `-g '!tests'`).
  public var excludeGlob: GlobPattern?
  /// Directory (or single file) to search, relative to the root.
  public var path: String
  /// Lines of context before and after each match.
  public var contextLines: Int
  /// Matches per page (at least 1).
  public var maxResults: Int
  /// A `nextCursor` from a previous page of the same search.
  public var cursor: String?
  public var includeHidden: Bool
  public var respectGitignore: Bool
  /// Larger files are skipped.
  public var maxFileSize: Int
  /// Longer lines are cut (in UTF-8 bytes) around the match, with `…` marking the cuts.
  public var maxLineLength: Int

  public init(
    pattern: String, isRegex: Bool = false, caseInsensitive: Bool = false, glob: GlobPattern? = nil, path: String = "",
    contextLines: Int = 0, maxResults: Int = 100, cursor: String? = nil, includeHidden: Bool = false,
    respectGitignore: Bool = true, maxFileSize: Int = 50 << 20, maxLineLength: Int = 500,
    excludeGlob: GlobPattern? = nil
  ) {
    self.pattern = pattern
    self.isRegex = isRegex
    self.caseInsensitive = caseInsensitive
    self.glob = glob
    self.excludeGlob = excludeGlob
    self.path = path
    self.contextLines = contextLines
    self.maxResults = maxResults
    self.cursor = cursor
    self.includeHidden = includeHidden
    self.respectGitignore = respectGitignore
    self.maxFileSize = maxFileSize
    self.maxLineLength = maxLineLength
  }
}

/// One matching line. A line is reported once, at its first match.
public struct GrepMatch: Sendable, Hashable {
  /// Relative to the root.
  public let path: String
  /// 1-based line number.
  public let line: Int
  /// 1-based column of the first match, counted in UTF-8 bytes (as ripgrep and compilers count).
  public let column: Int
  /// The line without its line ending, cut to `maxLineLength` around the match.
  public let text: String
  /// Up to `contextLines` lines before and after, nearest last/first; they may themselves match.
  public let before: [String]
  public let after: [String]

  public init(path: String, line: Int, column: Int, text: String, before: [String] = [], after: [String] = []) {
    self.path = path
    self.line = line
    self.column = column
    self.text = text
    self.before = before
    self.after = after
  }
}

public struct GrepResult: Sendable {
  /// In walk order (paths depth first, names bytewise), then by line.
  public var matches: [GrepMatch]
  /// Set when more matches follow; pass it back as `cursor`.
  public var nextCursor: String?
  /// Files read and searched (not counting skipped ones).
  public var filesSearched: Int
  /// Files skipped as binary (a NUL byte in the first 8 KiB), too large, or unreadable.
  public var filesSkipped: Int
  /// More matches exist than were returned.
  public var truncated: Bool
}

/// A query checked and reduced to what the search loop needs.
struct CompiledGrep: Sendable {
  enum Method: Sendable {
    /// Exact bytes.
    case literal([UInt8])
    /// ASCII text compared ignoring ASCII case; the needle is lowercased.
    case foldedLiteral([UInt8])
    /// ICU regex, behind the prefilters the analysis could build (required literals, a byte automaton).
    case regex(pattern: String, caseInsensitive: Bool, plan: RegexPlan)
  }

  let query: GrepQuery
  let method: Method
  let contextLines: Int
  let maxResults: Int
  let maxLineLength: Int

  init(_ query: GrepQuery) throws {
    self.query = query
    contextLines = min(max(0, query.contextLines), 100)
    maxResults = max(1, query.maxResults)
    maxLineLength = max(40, query.maxLineLength)
    let pattern = query.pattern
    guard !pattern.isEmpty else {
      throw SearchError(
        .invalidPattern, "empty search pattern", hint: "Pass the text (or, with regex: true, the expression) to find.")
    }
    // A "regex" without metacharacters is plain text: search it as such and skip ICU altogether.
    let isPlainText = !pattern.unicodeScalars.contains { "\\^$.|?*+()[]{}".unicodeScalars.contains($0) }
    if !query.isRegex || isPlainText {
      let bytes = Array(pattern.utf8)
      if bytes.contains(0x0A) || bytes.contains(0x0D) {
        throw SearchError(
          .invalidPattern, "the pattern spans more than one line",
          hint: "fs/grep matches within single lines; search for one line of the text, or use fs/read.")
      }
      if !query.caseInsensitive {
        method = .literal(bytes)
      } else if bytes.allSatisfy({ $0 < 0x80 }) {
        method = .foldedLiteral(bytes.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 })
      } else {
        // Non-ASCII letters fold to other byte lengths; let ICU compare, after a prefilter on the ASCII parts.
        method = .regex(
          pattern: NSRegularExpression.escapedPattern(for: pattern), caseInsensitive: true,
          plan: RegexPlan(requirement: RegexAnalysis.requirement(ofLiteral: bytes, caseInsensitive: true)))
      }
      return
    }
    let hint =
      "Fix the syntax (escape ( ) [ ] { } . * + ? | ^ $ \\ with a backslash to match them literally), "
      + "or pass regex: false to search for the text exactly as written."
    do {
      _ = try CompiledGrep.makeRegex(pattern, caseInsensitive: query.caseInsensitive)
    } catch {
      let reason = RegexAnalysis.diagnose(pattern) ?? "the regex engine (ICU) rejected it"
      throw SearchError(.invalidPattern, "invalid regular expression \"\(pattern)\": \(reason)", hint: hint)
    }
    if let reason = RegexAnalysis.rejection(pattern) {
      throw SearchError(.invalidPattern, "invalid regular expression \"\(pattern)\": \(reason)", hint: hint)
    }
    method = .regex(
      pattern: pattern, caseInsensitive: query.caseInsensitive,
      plan: RegexAnalysis.plan(of: pattern, caseInsensitive: query.caseInsensitive))
  }

  static func makeRegex(_ pattern: String, caseInsensitive: Bool) throws -> NSRegularExpression {
    try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
  }
}
