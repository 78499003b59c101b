import CMishSys
import Foundation
import Glibc
import MishJSON
import MishRPC

/// The root every path is confined to. Paths are resolved by the kernel from one directory fd with
/// `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, so `..`, absolute paths, escaping symlinks and /proc magic links
/// are refused by the kernel, not by string checks; everything after resolution uses `*at` calls on the resolved fds.
public final class Workspace: Sendable {
  /// The root's canonical absolute path.
  public let rootPath: String
  /// The root as it was given (made absolute, not resolved): absolute paths may be spelt through it too.
  let givenRootPath: String
  let rootFD: OwnedFD

  public init(root: String) throws(ToolError) {
    guard let real = realpath(root, nil) else {
      throw ToolError(.notFound, "Root \(root) does not exist: \(errnoText(errno))", hint: "Pass an existing directory as --root.")
    }
    rootPath = String(cString: real)
    free(real)
    let absolute = root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root
    givenRootPath = "/" + Self.lexicalComponents(absolute).joined(separator: "/")
    // Readable (not O_PATH), so the directory walker can list the root through it too.
    let fd = Glibc.open(rootPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else {
      throw ToolError(.notADirectory, "Root \(rootPath) is not a directory: \(errnoText(errno))", hint: "Pass a directory as --root.")
    }
    rootFD = OwnedFD(fd)
    // Probe openat2 once: without it (Linux < 5.6) confinement cannot be enforced, and mish refuses to run.
    let probe = mish_openat2(fd, ".", UInt64(mish_O_PATH | O_CLOEXEC), 0, UInt64(MISH_RESOLVE_BENEATH))
    guard probe >= 0 else {
      throw ToolError(
        .denied, "openat2 is unavailable (\(errnoText(errno))); mish cannot confine paths on this kernel",
        hint: "Run on Linux 5.6 or newer.")
    }
    close(probe)
  }

  public var fd: Int32 { rootFD.raw }

  static let resolveFlags = UInt64(MISH_RESOLVE_BENEATH | MISH_RESOLVE_NO_MAGICLINKS)

  /// The path relative to the root, lexically tidied: an absolute path inside the root loses its prefix, "./" and
  /// repeated slashes go, and "a/../b" becomes "b". A path that climbs above the root, or an absolute path elsewhere,
  /// comes back absolute ("/…"), which every caller refuses as outside the root before touching anything. The kernel
  /// still resolves whatever is left (symlinks included) beneath the root fd: this tidying is not the boundary.
  public func relative(_ path: String) -> String {
    if Self.isTidyRelative(path) { return path }
    var path = path
    if path.hasPrefix("/") {
      let tidy = "/" + Self.lexicalComponents(path).joined(separator: "/")
      var matched = false
      for prefix in [rootPath, givenRootPath] {
        if tidy == prefix { return "" }
        if tidy.hasPrefix(prefix == "/" ? "/" : prefix + "/") {
          path = String(tidy.dropFirst(prefix == "/" ? 1 : prefix.count + 1))
          matched = true
          break
        }
      }
      if !matched { return tidy }
    }
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
      if part == ".." {
        if parts.isEmpty { return "/" + path }
        parts.removeLast()
      } else {
        parts.append(part)
      }
    }
    return parts.joined(separator: "/")
  }

  /// True for "a/b.txt"-style paths that tidying would leave as they are (no leading or doubled slash, no "." or
  /// ".." component, no trailing slash): the common case, checked without allocating.
  static func isTidyRelative(_ path: String) -> Bool {
    var path = path
    return path.withUTF8 { isTidyRelative(bytes: $0) }
  }

  static func isTidyRelative(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let slash = UInt8(ascii: "/")
    let dot = UInt8(ascii: ".")
    guard let first = bytes.first, let last = bytes.last, first != slash, last != slash else { return false }
    var componentStart = 0
    for index in 0...bytes.count {
      guard index == bytes.count || bytes[index] == slash else { continue }
      let length = index - componentStart
      if length == 0 { return false }
      if bytes[componentStart] == dot && (length == 1 || (length == 2 && bytes[componentStart + 1] == dot)) { return false }
      componentStart = index + 1
    }
    return true
  }

  static func lexicalComponents(_ path: String) -> [Substring] {
    var parts: [Substring] = []
    for part in path.split(separator: "/") where part != "." {
      if part == ".." { _ = parts.popLast() } else { parts.append(part) }
    }
    return parts
  }

  /// The relative form of `path`, or `outside_root` when it is absolute elsewhere or climbs above the root.
  func confined(_ path: String, doing action: String) throws(ToolError) -> String {
    // A C path ends at its first NUL: "keep.txt\0.bak" would reach keep.txt.
    if path.utf8.contains(0) {
      throw ToolError(
        .invalidArgument, "The path \(path.debugDescription) contains a NUL byte", hint: "Paths cannot contain NUL; remove it.",
        details: ["path": .string(path)])
    }
    let relative = relative(path)
    if relative.hasPrefix("/") { throw pathError(EXDEV, path, doing: action) }
    return relative
  }

  /// A directory beneath the root as an absolute path, for a command's working directory: resolved by the kernel
  /// like every other path (outside → `outside_root`), and refused unless it is a directory.
  public func directoryPath(_ path: String, doing action: String) throws(ToolError) -> String {
    let (_, resolved) = try openResolved(path, flags: O_RDONLY | O_DIRECTORY, doing: action)
    return resolved.isEmpty ? rootPath : (rootPath == "/" ? "/" : rootPath + "/") + resolved
  }

  /// A regular file beneath the root, read whole when it is at most `limit` bytes (project markers, reports a
  /// command wrote): nil when it is missing, not a regular file, too large, or outside the root.
  public func readIfPresent(_ path: String, limit: Int) -> [UInt8]? {
    guard let file = try? open(path, flags: O_RDONLY | O_NONBLOCK, doing: "reading") else { return nil }
    var info = stat()
    guard fstat(file.raw, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= limit else { return nil }
    return try? readAll(file.raw, sizeHint: Int(info.st_size))
  }

  /// The names in a directory beneath the root ("" is the root), or none when it is not one.
  public func names(in directory: String) -> [String] {
    guard let dir = try? open(directory, flags: O_RDONLY | O_DIRECTORY, doing: "listing") else { return [] }
    let copy = dup(dir.raw)
    guard copy >= 0, let stream = fdopendir(copy) else { return [] }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != ".", name != ".." { names.append(name) }
    }
    return names
  }

  /// Checks that the directories leading to `path` (root-relative) are beneath the root and none of them is a
  /// symlink, for tools whose library opens paths itself (libgit2 follows symlinked parent directories). Missing
  /// directories are fine: the nearest existing ancestor is checked instead.
  public func checkNoSymlinkParents(_ path: String, doing action: String) throws(ToolError) {
    let relative = try confined(path, doing: action)
    var parent = relative.split(separator: "/").dropLast()
    while !parent.isEmpty {
      let name = parent.joined(separator: "/")
      let fd = retrying {
        mish_openat2(
          rootFD.raw, name, UInt64(mish_O_PATH | O_CLOEXEC), 0, Self.resolveFlags | UInt64(MISH_RESOLVE_NO_SYMLINKS))
      }
      if fd >= 0 {
        close(fd)
        return
      }
      switch errno {
      case ENOENT: parent = parent.dropLast()
      case ELOOP:
        throw ToolError(
          .denied, "\(relative) goes through a symlinked directory (\(name)); git tools do not follow it",
          hint: "Name the path the symlink points to, if it is inside the root.", details: ["path": .string(relative)])
      default: throw pathError(errno, relative, doing: action)
      }
    }
  }

  /// Opens `path` beneath the root. The corresponding C function is `openat2`.
  func open(_ path: String, flags: Int32, mode: mode_t = 0, doing action: String) throws(ToolError) -> OwnedFD {
    try openResolved(path, flags: flags, mode: mode, doing: action).fd
  }

  /// Opens `path` beneath the root and says where it really is. Paths without symlinks (the common case) are
  /// resolved with RESOLVE_NO_SYMLINKS and need no lookup; only a path through a symlink asks the kernel for the fd's
  /// path.
  func openResolved(
    _ path: String, flags: Int32, mode: mode_t = 0, doing action: String
  ) throws(ToolError) -> (fd: OwnedFD, resolved: String) {
    let relative = try confined(path, doing: action)
    let name = relative.isEmpty ? "." : relative
    let plain = retrying {
      mish_openat2(rootFD.raw, name, UInt64(flags | O_CLOEXEC), UInt64(mode), Self.resolveFlags | UInt64(MISH_RESOLVE_NO_SYMLINKS))
    }
    if plain >= 0 { return (OwnedFD(plain), relative) }
    guard errno == ELOOP else { throw pathError(errno, relative, doing: action) }
    // Through a symlink, the kernel says where it led (/proc/self/fd). Ordering keys depend on this name: a wrong
    // one would let two spellings of a file run unordered.
    let fd = retrying { mish_openat2(rootFD.raw, name, UInt64(flags | O_CLOEXEC), UInt64(mode), Self.resolveFlags) }
    guard fd >= 0 else { throw pathError(errno, relative, doing: action) }
    let owned = OwnedFD(fd)
    return (owned, resolvedRelativePath(of: fd) ?? relative)
  }

  /// The directory holding `path` (opened beneath the root) and the last component's name, for `*at` calls that
  /// must not follow a final symlink (unlink, rename, create).
  func openParent(_ path: String, doing action: String) throws(ToolError) -> Parent {
    let relative = try confined(path, doing: action)
    guard !relative.isEmpty else {
      throw ToolError(.denied, "\(action.prefix(1).uppercased() + action.dropFirst()) the root itself is not allowed", hint: "Name a path inside the root.")
    }
    var parent = ""
    var name = relative
    if let slash = relative.lastIndex(of: "/") {
      parent = String(relative[..<slash])
      name = String(relative[relative.index(after: slash)...])
    }
    if name == ".." {
      throw ToolError(.outsideRoot, "\(path) ends in \"..\"", hint: "Name the file or directory itself.")
    }
    let (dir, dirPath) = try openResolved(parent, flags: mish_O_PATH | O_DIRECTORY, doing: action)
    return Parent(dir: dir, name: name, relative: relative, resolved: dirPath.isEmpty ? name : dirPath + "/" + name)
  }

  /// A path's directory (opened beneath the root) and last component.
  struct Parent {
    var dir: OwnedFD
    var name: String
    /// The path as asked, tidied.
    var relative: String
    /// The path with the directory's symlinks resolved (the last component itself is not followed).
    var resolved: String
  }

  /// Creates the missing directories of `relativeDir` beneath the root, one `mkdirat` at a time, and returns the ones
  /// it made, outermost first. Nothing is created outside the root or inside `.git`: each level is opened beneath the
  /// root and checked before the next.
  @discardableResult
  func makeDirectories(_ relativeDir: String, doing action: String) throws(ToolError) -> [String] {
    let relativeDir = try confined(relativeDir, doing: action)
    var (current, here) = try openResolved("", flags: mish_O_PATH | O_DIRECTORY, doing: action)
    var walked = ""
    var made: [String] = []
    for component in relativeDir.split(separator: "/") {
      let name = String(component)
      try refuseGitPath(here.isEmpty ? name : here + "/" + name, doing: action)
      walked = walked.isEmpty ? name : walked + "/" + name
      if retrying({ mkdirat(current.raw, name, 0o777) }) == 0 {
        made.append(here.isEmpty ? name : here + "/" + name)
      } else if errno != EEXIST {
        throw pathError(errno, walked, doing: action)
      }
      (current, here) = try openResolved(walked, flags: mish_O_PATH | O_DIRECTORY, doing: action)
    }
    return made
  }

  /// Removes a directory beneath the root if it is empty (undoing `makeDirectories`); anything else is left alone.
  func removeEmptyDirectory(_ relative: String) {
    guard let parent = try? openParent(relative, doing: "removing") else { return }
    unlinkat(parent.dir.raw, parent.name, AT_REMOVEDIR)
  }

  /// Where an open fd really is, relative to the root (symlinks resolved): what `.git` checks and reports use.
  func resolvedRelativePath(of fd: Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = mish_fd_path(fd, &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    var full = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // A file replaced by a rename since it was opened (every write is one) is named "PATH (deleted)": PATH is still
    // where it was, which is what the name is for. Read after the name, a link count of 0 says the suffix is the
    // kernel's and not part of a file's real name.
    var info = stat()
    if full.hasSuffix(Self.deletedSuffix), fstat(fd, &info) == 0, info.st_nlink == 0 { full.removeLast(Self.deletedSuffix.count) }
    if full == rootPath { return "" }
    guard full.hasPrefix(rootPath + "/") else { return nil }
    return String(full.dropFirst(rootPath.count + 1))
  }

  static let deletedSuffix = " (deleted)"

  /// Writes never touch git's own files: the object store and refs are git's to change.
  static func isInsideGitDir(_ relative: String) -> Bool {
    relative.split(separator: "/").contains(".git")
  }

  func refuseGitPath(_ relative: String, doing action: String) throws(ToolError) {
    if Self.isInsideGitDir(relative) {
      throw ToolError(
        .denied, "\(relative) is inside .git; mish never changes git's own files (\(action))",
        hint: "Use the git tools for repository state; edit work-tree files only.", details: ["path": .string(relative)])
    }
  }
}

/// The key that orders requests touching `path`: the path with symlinks resolved as far as it exists, so two
/// spellings of one file (`a.txt`, `sub/../a.txt`, a link to it) are ordered against each other.
public func footprintKey(_ path: String?, in workspace: Workspace) -> String {
  workspace.orderingKey(path ?? "")
}

extension Workspace {
  func orderingKey(_ path: String) -> String {
    let relative = relative(path)
    if relative.hasPrefix("/") || relative.isEmpty { return relative }
    // The longest prefix that exists, resolved; the rest (not created yet) appended as spelt.
    var head = relative
    var tail: [Substring] = []
    while true {
      if let (_, resolved) = try? openResolved(head, flags: mish_O_PATH, doing: "ordering") {
        return ([resolved] + tail.reversed().map(String.init)).filter { !$0.isEmpty }.joined(separator: "/")
      }
      guard let slash = head.lastIndex(of: "/") else {
        return tail.isEmpty ? head : ([head] + tail.reversed().map(String.init)).joined(separator: "/")
      }
      tail.append(head[head.index(after: slash)...])
      head = String(head[..<slash])
    }
  }
}
