/// The type of a directory entry, as reported to callers (`dir` on the wire).
public enum EntryType: String, Sendable, Hashable, CaseIterable {
  case file
  case directory = "dir"
  case symlink
  case other
}

/// One entry found by a walk.
public struct WalkEntry: Sendable, Hashable {
  /// Relative to the root (not to the directory the walk started in).
  public let path: String
  public let type: EntryType
  /// Size in bytes, for regular files when sizes were requested.
  public let size: Int64?
  /// 1 for entries directly in the start directory, 2 for their children, and so on.
  public let depth: Int

  public init(path: String, type: EntryType, size: Int64?, depth: Int) {
    self.path = path
    self.type = type
    self.size = size
    self.depth = depth
  }
}

/// What a walk visitor wants next.
public enum WalkAction: Sendable {
  case `continue`
  /// Do not descend into the directory just visited.
  case skipChildren
  case stop
}

/// Walks the tree beneath a directory of the root, depth first, each directory's entries in bytewise name order —
/// the order of `ls`/`rg --sort path`, and the order cursors resume in.
///
/// Confinement: the start directory is opened with `openat2(RESOLVE_BENEATH)` from the root fd, and every directory
/// below it with `openat(O_NOFOLLOW)`, so symlinks are reported (type `symlink`) but never followed. `.git` is never
/// listed. The start directory itself is entered even when hidden or ignored (it was asked for by name); entries
/// below it are filtered by `includeHidden` and `respectGitignore` (`.gitignore` files from the root down, and
/// `.git/info/exclude`).
public struct DirectoryWalker: Sendable {
  /// The root: an `O_RDONLY|O_DIRECTORY` fd that the caller keeps open for the duration of the walk.
  public let rootFD: Int32
  /// Relative to the root; "" is the root itself.
  public let startPath: String
  /// Deepest level listed (1 = only the start directory's own entries); nil = unlimited.
  public var maxDepth: Int?
  public var includeHidden: Bool
  public var respectGitignore: Bool

  public init(
    rootFD: Int32, startPath: String = "", maxDepth: Int? = nil, includeHidden: Bool = false,
    respectGitignore: Bool = true
  ) {
    self.rootFD = rootFD
    self.startPath = startPath
    self.maxDepth = maxDepth
    self.includeHidden = includeHidden
    self.respectGitignore = respectGitignore
  }

  /// Calls `visit` for every entry in walk order. `resumingAfter` (a root-relative path beneath the start directory)
  /// skips every entry up to and including it. `withSizes` adds one `fstatat` per file.
  public func walk(
    resumingAfter resumePath: String? = nil, withSizes: Bool = true,
    isCancelled: () -> Bool = { false }, _ visit: (WalkEntry) throws -> WalkAction
  ) throws {
    let start = try StartDirectory(rootFD: rootFD, path: startPath)
    var resume: WalkIterator.ResumePoint? = nil
    if let resumePath {
      let path = Array(try RelativePath.normalize(resumePath).utf8)
      guard RelativePath.isBeneath(path, start.path) else {
        throw SearchError.invalidCursor("\"\(resumePath)\" is not beneath \"\(start.pathString)\"")
      }
      resume = WalkIterator.ResumePoint(components: RelativePath.components(path), inclusive: false)
    }
    let iterator = WalkIterator(
      rootFD: rootFD, start: start,
      options: .init(
        maxDepth: maxDepth, includeHidden: includeHidden, respectGitignore: respectGitignore, resume: resume))
    var visited = 0
    while let item = iterator.next() {
      visited += 1
      if visited & 255 == 0 && isCancelled() { throw SearchError.cancelled() }
      switch try visit(item.entry(withSize: withSizes)) {
      case .continue: break
      case .skipChildren: iterator.skipDescent()
      case .stop: return
      }
    }
    if isCancelled() { throw SearchError.cancelled() }
  }

  /// Every entry, in walk order.
  public func entries(withSizes: Bool = true) throws -> [WalkEntry] {
    var result: [WalkEntry] = []
    try walk(withSizes: withSizes) { entry in
      result.append(entry)
      return .continue
    }
    return result
  }
}

/// The start of a walk: the normalized path and its open directory.
struct StartDirectory {
  let handle: DirectoryHandle
  let path: [UInt8]
  var pathString: String { String(decoding: path, as: UTF8.self) }

  init(rootFD: Int32, path: String) throws {
    let normalized = try RelativePath.normalize(path)
    handle = DirectoryHandle(adopting: try SystemIO.openBeneath(rootFD: rootFD, path: normalized, directory: true))
    self.path = Array(normalized.utf8)
  }

  init(handle: DirectoryHandle, path: [UInt8]) {
    self.handle = handle
    self.path = path
  }
}

/// One entry produced by `WalkIterator`: enough to report it, or to open it relative to its directory.
struct WalkItem {
  let directory: DirectoryHandle
  let name: EntryName
  /// Relative to the root.
  let path: [UInt8]
  let type: EntryType
  let depth: Int

  func entry(withSize: Bool) -> WalkEntry {
    var size: Int64? = nil
    if withSize && type == .file { size = SystemIO.statEntry(directory, name)?.size }
    return WalkEntry(path: String(decoding: path, as: UTF8.self), type: type, size: size, depth: depth)
  }
}

/// The walk as a pull iterator; not thread-safe (the grep engine calls it under a lock).
final class WalkIterator {
  struct Options {
    var maxDepth: Int?
    var includeHidden: Bool
    var respectGitignore: Bool
    var resume: ResumePoint?
  }

  /// Where a walk resumes: entries sorting before `components` are skipped without being read; the entry at
  /// `components` itself is produced only when `inclusive`.
  struct ResumePoint {
    var components: [[UInt8]]
    var inclusive: Bool
  }

  private struct Frame {
    let directory: DirectoryHandle
    let path: [UInt8]
    let depth: Int
    let entries: [RawEntry]
    var next = 0
    let pushedRules: Bool
    /// While set, this frame is on the path to the resume point and its entries before `components[level]` are skipped.
    var resumeLevel: Int?
  }

  private let options: Options
  private var frames: [Frame] = []
  private var ignore = GitignoreStack()
  private var pendingDescent: (item: WalkItem, resumeLevel: Int?)? = nil
  /// Directories that could not be opened or read (permissions, or removed during the walk).
  private(set) var unreadableDirectories = 0

  init(rootFD: Int32, start: StartDirectory, options: Options) {
    self.options = options
    if options.respectGitignore { loadAncestorRules(rootFD: rootFD, start: start.path) }
    let startComponents = RelativePath.components(start.path)
    var resumeLevel: Int? = nil
    if let resume = options.resume, resume.components.count > startComponents.count {
      resumeLevel = startComponents.count
    }
    enter(start.handle, path: start.path, depth: 0, resumeLevel: resumeLevel)
  }

  /// `.git/info/exclude`, then the `.gitignore` of the root and of every directory above the start directory.
  private func loadAncestorRules(rootFD: Int32, start: [UInt8]) {
    if let bytes = SystemIO.readInfoExclude(rootFD: rootFD) {
      ignore.push(GitignoreRules(bytes: bytes, base: "", source: ".git/info/exclude"))
    }
    var prefix: [UInt8] = []
    for component in RelativePath.components(start) {
      let path = String(decoding: prefix, as: UTF8.self)
      if let bytes = SystemIO.readGitignore(rootFD: rootFD, directory: path) {
        let rules = GitignoreRules(bytes: bytes, base: path)
        if !rules.isEmpty { ignore.push(rules) }
      }
      prefix = RelativePath.join(prefix, component[...])
    }
  }

  @discardableResult
  private func pushRules(directoryFD: Int32, path: [UInt8]) -> Bool {
    guard let bytes = SystemIO.readSmallFile(directoryFD, ".gitignore") else { return false }
    let rules = GitignoreRules(bytes: bytes, base: String(decoding: path, as: UTF8.self))
    guard !rules.isEmpty else { return false }
    ignore.push(rules)
    return true
  }

  private func enter(_ directory: DirectoryHandle, path: [UInt8], depth: Int, resumeLevel: Int?) {
    guard let entries = SystemIO.readEntries(directory) else {
      unreadableDirectories += 1
      return
    }
    let pushed = options.respectGitignore ? pushRules(directoryFD: directory.fd, path: path) : false
    frames.append(
      Frame(
        directory: directory, path: path, depth: depth, entries: entries, pushedRules: pushed, resumeLevel: resumeLevel)
    )
  }

  private func descend(into item: WalkItem, resumeLevel: Int?) {
    guard let child = SystemIO.openChildDirectory(item.directory, item.name) else {
      unreadableDirectories += 1
      return
    }
    enter(child, path: item.path, depth: item.depth, resumeLevel: resumeLevel)
  }

  /// Do not descend into the directory returned by the last `next()`.
  func skipDescent() { pendingDescent = nil }

  func next() -> WalkItem? {
    if let pending = pendingDescent {
      pendingDescent = nil
      descend(into: pending.item, resumeLevel: pending.resumeLevel)
    }
    while let top = frames.indices.last {
      guard frames[top].next < frames[top].entries.count else {
        if frames[top].pushedRules { ignore.pop() }
        frames.removeLast()
        continue
      }
      let raw = frames[top].entries[frames[top].next]
      frames[top].next += 1
      if raw.name.isGitDirectory { continue }
      if raw.name.isHidden && !options.includeHidden { continue }

      var produce = true
      var childResumeLevel: Int? = nil
      if let level = frames[top].resumeLevel, let resume = options.resume {
        let target = resume.components[level]
        let order = EntryName.compare(raw.name.terminated, raw.name.count, target, target.count)
        if order < 0 { continue }
        frames[top].resumeLevel = nil
        if order == 0 {
          if level == resume.components.count - 1 {
            produce = resume.inclusive
          } else {
            produce = false
            childResumeLevel = level + 1
          }
        }
      }

      let frame = frames[top]
      guard let type = raw.type ?? SystemIO.statEntry(frame.directory, raw.name)?.type else { continue }
      let path = RelativePath.join(frame.path, raw.name.bytes)
      let isDirectory = type == .directory
      if options.respectGitignore && !ignore.ruleSets.isEmpty {
        let match = path.withUnsafeBufferPointer { ignore.directMatch(path: $0, isDirectory: isDirectory) }
        if let match, match.isIgnored { continue }
      }
      let depth = frame.depth + 1
      let item = WalkItem(directory: frame.directory, name: raw.name, path: path, type: type, depth: depth)
      let mayDescend = isDirectory && (options.maxDepth.map { depth < $0 } ?? true)
      if !produce {
        if mayDescend { descend(into: item, resumeLevel: childResumeLevel) }
        continue
      }
      if let maxDepth = options.maxDepth, depth > maxDepth { continue }
      if mayDescend { pendingDescent = (item, childResumeLevel) }
      return item
    }
    return nil
  }
}
