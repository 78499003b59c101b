import Foundation
import Glibc

/// What git status learned, kept between calls: the server is long-lived, so after one full status it watches the
/// work tree's directories with inotify and, on the next call, recomputes only the directories where something
/// happened. A change to git's own state (index, HEAD, the branch, packed refs, excludes), a `.gitignore`, a
/// rename in the index, an inotify overflow, or a tree too large to watch means a full status again. Used only
/// from the repository's queue.
final class StatusCache {
  /// Watches beyond this many directories are not worth it: the cache turns itself off.
  static let maxWatches = 100_000

  let workdir: String
  let gitFiles: [String]
  var inotify: Int32 = -1
  var watches: [Int32: String] = [:]
  var entries: [StatusEntry]?
  var stamps: [String] = []
  var disabled = false

  init(workdir: String, gitdir: String, commondir: String) {
    self.workdir = workdir
    gitFiles = [
      gitdir + "/index", gitdir + "/HEAD", commondir + "/packed-refs", commondir + "/info/exclude", commondir + "/config",
    ]
  }

  deinit { if inotify >= 0 { close(inotify) } }

  /// The default status (untracked: normal, no ignored, no paths), from the cache where nothing relevant moved.
  /// `compute` runs libgit2's status for some paths (all of them when empty).
  func status(branchRef: String?, compute: ([String]) throws(GitError) -> [StatusEntry]) throws(GitError) -> [StatusEntry] {
    let current = stampsNow(branchRef: branchRef)
    if disabled { return try compute([]) }
    guard let cached = entries, current == stamps, let dirty = drainEvents(), !touchesRename(dirty, cached) else {
      return try full(current, compute)
    }
    if dirty.isEmpty { return cached }
    let fresh = try compute(dirty)
    var merged = cached.filter { entry in !dirty.contains { Self.covers($0, entry.path) } }
    merged += fresh
    merged.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    entries = merged
    return merged
  }

  func full(_ current: [String], _ compute: ([String]) throws(GitError) -> [StatusEntry]) throws(GitError) -> [StatusEntry] {
    entries = nil
    // Watch first, then compute: a change during the computation shows up as an event next time.
    if !startWatching() {
      disabled = true
      return try compute([])
    }
    let result = try compute([])
    entries = result
    stamps = current
    return result
  }

  /// True when `pathspec` (a directory or file, root-relative) holds `path`.
  static func covers(_ pathspec: String, _ path: String) -> Bool {
    path == pathspec || path.hasPrefix(pathspec + "/")
  }

  func touchesRename(_ dirty: [String], _ cached: [StatusEntry]) -> Bool {
    cached.contains { entry in
      entry.kind == .renamed && dirty.contains { Self.covers($0, entry.path) || Self.covers($0, entry.origPath ?? "") }
    }
  }

  // MARK: - git's own files

  /// Identity of every file of git's state that changes what status says (inode, size, mtime).
  func stampsNow(branchRef: String?) -> [String] {
    (gitFiles + (branchRef.map { [$0] } ?? [])).map { path in
      var info = stat()
      guard stat(path, &info) == 0 else { return "-" }
      return "\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
  }

  // MARK: - inotify

  static let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)

  /// Watches every directory of the work tree but .git. False when that cannot be done (no inotify, too many).
  func startWatching() -> Bool {
    if inotify >= 0 { close(inotify) }
    watches = [:]
    inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    guard inotify >= 0 else { return false }
    return watchTree("")
  }

  func watchTree(_ relative: String) -> Bool {
    var pending = [relative]
    while let directory = pending.popLast() {
      let full = directory.isEmpty ? workdir : workdir + "/" + directory
      let wd = inotify_add_watch(inotify, full, Self.mask | UInt32(IN_ONLYDIR | IN_DONT_FOLLOW))
      guard wd >= 0 else {
        if errno == ENOENT || errno == ENOTDIR || errno == EACCES { continue }
        return false
      }
      watches[wd] = directory
      if watches.count > Self.maxWatches { return false }
      guard let stream = opendir(full) else { continue }
      defer { closedir(stream) }
      while let entry = readdir(stream) {
        guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." || (directory.isEmpty && name == ".git") { continue }
        pending.append(directory.isEmpty ? name : directory + "/" + name)
      }
    }
    return true
  }

  /// The paths to look at again since the last call (directories, or files at the top), or nil when only a full
  /// status will do.
  func drainEvents() -> [String]? {
    var dirty = Set<String>()
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        if errno == EAGAIN { break }
        return nil
      }
      if n == 0 { break }
      var offset = 0
      while offset + 16 <= n {
        let (wd, mask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
          (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self), raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
           Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
        }
        let name = String(decoding: buffer[(offset + 16)..<min(n, offset + 16 + length)].prefix { $0 != 0 }, as: UTF8.self)
        offset += 16 + length
        if mask & UInt32(IN_Q_OVERFLOW) != 0 { return nil }
        if mask & UInt32(IN_IGNORED) != 0 {
          watches.removeValue(forKey: wd)
          continue
        }
        guard let directory = watches[wd] else { continue }
        if name == ".gitignore" { return nil }
        let path = name.isEmpty ? directory : (directory.isEmpty ? name : directory + "/" + name)
        if mask & UInt32(IN_ISDIR) != 0 && mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
          if !watchTree(path) { return nil }
        }
        // A change at the top is looked at by its own path; deeper ones by their directory, so git's collapsing
        // of untracked directories comes out as it would for the whole tree.
        let spec = directory.isEmpty ? path : directory
        if spec.isEmpty { return nil }
        dirty.insert(spec)
      }
    }
    return collapse(dirty)
  }

  /// Drops paths inside other dirty paths, and widens each to the outermost untracked directory the cache lists
  /// (git shows an untracked directory as one entry).
  func collapse(_ dirty: Set<String>) -> [String] {
    let untracked = (entries ?? []).filter { $0.kind == .untracked && $0.path.hasSuffix("/") }.map { String($0.path.dropLast()) }
    var widened = Set<String>()
    for path in dirty {
      widened.insert(untracked.first { Self.covers($0, path) } ?? path)
    }
    let sorted = widened.sorted { $0.count < $1.count }
    var result: [String] = []
    for path in sorted where !result.contains(where: { Self.covers($0, path) }) { result.append(path) }
    return result
  }
}
