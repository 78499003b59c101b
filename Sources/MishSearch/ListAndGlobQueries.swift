/// The engine of `fs/list`.
public struct ListQuery: Sendable {
  /// Directory to list, relative to the root ("" = the root).
  public var path: String
  /// How many levels to list: 1 = the directory's own entries; nil = unlimited.
  public var depth: Int?
  public var includeHidden: Bool
  public var respectGitignore: Bool
  /// A `nextCursor` from a previous page of the same listing.
  public var cursor: String?
  /// Entries per page (at least 1).
  public var limit: Int
  /// Report file sizes (one `fstatat` per file).
  public var withSizes: Bool

  public init(
    path: String = "", depth: Int? = 1, includeHidden: Bool = false, respectGitignore: Bool = true,
    cursor: String? = nil, limit: Int = 1000, withSizes: Bool = true
  ) {
    self.path = path
    self.depth = depth
    self.includeHidden = includeHidden
    self.respectGitignore = respectGitignore
    self.cursor = cursor
    self.limit = limit
    self.withSizes = withSizes
  }
}

public struct ListPage: Sendable {
  public var entries: [WalkEntry]
  /// Set when more entries follow; pass it back as `cursor`.
  public var nextCursor: String?
}

/// The engine of `fs/glob`.
public struct GlobQuery: Sendable {
  public var pattern: GlobPattern
  /// Directory to search, relative to the root; the pattern is matched against paths relative to it.
  public var path: String
  public var cursor: String?
  public var limit: Int
  /// Visit hidden entries. Nil (the default) means: only when the pattern itself names one (`.github/**`, `.*`).
  public var includeHidden: Bool?
  public var respectGitignore: Bool
  /// Also report directories whose path matches (patterns ending in `/` report only directories regardless).
  public var includeDirectories: Bool

  public init(
    pattern: GlobPattern, path: String = "", cursor: String? = nil, limit: Int = 1000, includeHidden: Bool? = nil,
    respectGitignore: Bool = true, includeDirectories: Bool = false
  ) {
    self.pattern = pattern
    self.path = path
    self.cursor = cursor
    self.limit = limit
    self.includeHidden = includeHidden
    self.respectGitignore = respectGitignore
    self.includeDirectories = includeDirectories
  }
}

public struct GlobPage: Sendable {
  /// Root-relative paths in walk order.
  public var paths: [String]
  public var nextCursor: String?
}
