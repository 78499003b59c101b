import CMishSys
import Glibc
import MishJSON
import MishRPC

/// A file read whole, with what was learnt about it.
struct LoadedFile {
  var bytes: [UInt8]
  var info: stat
  /// Where it really is, relative to the root (symlinks resolved).
  var resolved: String
}

/// What a write did. (Callers hash the bytes themselves, once, when they report a hash.)
struct WriteOutcome {
  var created: Bool
  var resolved: String
}

extension Workspace {
  /// Largest file the tools load whole.
  static let maxFileBytes = 512 << 20

  func readFile(_ path: String, doing action: String = "reading") throws(ToolError) -> LoadedFile {
    let (file, resolved) = try openResolved(path, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY, doing: action)
    var info = stat()
    guard fstat(file.raw, &info) == 0 else { throw pathError(errno, relative(path), doing: action) }
    try Self.requireRegular(info, relative(path))
    guard Int(info.st_size) <= Self.maxFileBytes else {
      throw ToolError(
        .tooLarge, "\(relative(path)) is \(info.st_size) bytes; the file tools load at most \(Self.maxFileBytes) bytes",
        hint: "Use fs_grep to search it, or exec a command that streams it.")
    }
    let bytes = try readAll(file.raw, sizeHint: Int(info.st_size))
    return LoadedFile(bytes: bytes, info: info, resolved: resolved)
  }

  static func requireRegular(_ info: stat, _ path: String) throws(ToolError) {
    switch info.st_mode & S_IFMT {
    case S_IFREG: return
    case S_IFDIR:
      throw ToolError(.isADirectory, "\(path.isEmpty ? "." : path) is a directory", hint: "Use fs_list to see what it holds.", details: ["path": .string(path)])
    default:
      throw ToolError(
        .denied, "\(path) is not a regular file (a device, fifo or socket)", hint: "The file tools only read and write regular files.",
        details: ["path": .string(path)])
    }
  }

  /// Where a write to `path` lands and what is there now: an existing file is written in place of its resolved
  /// target (writes through an in-root symlink reach the target), a new one in its (possibly new) parent.
  struct WriteTarget {
    var dir: OwnedFD
    var name: String
    var resolved: String
    var existing: stat?
  }

  func writeTarget(_ path: String, createParents: Bool, doing action: String) throws(ToolError) -> WriteTarget {
    let requested = try confined(path, doing: action)
    try refuseGitPath(requested, doing: action)
    do throws(ToolError) {
      let (file, resolved) = try openResolved(path, flags: mish_O_PATH, doing: action)
      var info = stat()
      guard fstat(file.raw, &info) == 0 else { throw pathError(errno, requested, doing: action) }
      try Self.requireRegular(info, requested)
      try refuseGitPath(resolved, doing: action)
      if info.st_nlink > 1 {
        throw ToolError(
          .denied, "\(requested) has \(info.st_nlink) hard links; writing it would change other paths too (or break the link)",
          hint: "Copy the file to a new path and write that instead.", details: ["path": .string(requested)])
      }
      let parent = try openParent(resolved, doing: action)
      return WriteTarget(dir: parent.dir, name: parent.name, resolved: resolved, existing: info)
    } catch let error where error.code == .notFound {
      var parent: Parent
      do throws(ToolError) {
        parent = try openParent(path, doing: action)
      } catch let missing where missing.code == .notFound && createParents {
        if let slash = requested.lastIndex(of: "/") { try makeDirectories(String(requested[..<slash]), doing: action) }
        parent = try openParent(path, doing: action)
      }
      var linkInfo = stat()
      if fstatat(parent.dir.raw, parent.name, &linkInfo, AT_SYMLINK_NOFOLLOW) == 0, linkInfo.st_mode & S_IFMT == S_IFLNK {
        throw ToolError(
          .denied, "\(requested) is a symlink whose target does not exist", hint: "Write the target path itself, or remove the link first.",
          details: ["path": .string(requested)])
      }
      try refuseGitPath(parent.resolved, doing: action)
      return WriteTarget(dir: parent.dir, name: parent.name, resolved: parent.resolved, existing: nil)
    }
  }

  /// Replaces (or creates) a file atomically: the bytes go to an unnamed temp file in the same directory, are
  /// fsynced, get the old file's mode and owner, and are renamed over the target. Readers see the old or the new file,
  /// never a torn one, even if the server is killed mid-write.
  func commitWrite(_ bytes: [UInt8], to target: WriteTarget, createOnly: Bool) throws(ToolError) -> WriteOutcome {
    let mode = target.existing.map { $0.st_mode & 0o7777 } ?? Self.newFileMode
    var tempFD = retrying { openat(target.dir.raw, ".", mish_O_TMPFILE | O_WRONLY | O_CLOEXEC, mode) }
    var tempName: String? = nil
    if tempFD < 0 {
      // File systems without mish_O_TMPFILE: a named temp file instead.
      let name = ".\(target.name).mish-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      tempFD = retrying { openat(target.dir.raw, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode) }
      guard tempFD >= 0 else { throw pathError(errno, target.resolved, doing: "creating a temp file for") }
      tempName = name
    }
    let temp = OwnedFD(tempFD)
    func fail(_ code: Int32, _ action: String) -> ToolError {
      if let tempName { unlinkat(target.dir.raw, tempName, 0) }
      return pathError(code, target.resolved, doing: action)
    }
    if let code = writeAll(temp.raw, bytes) { throw fail(code, "writing") }
    _ = fchmod(temp.raw, mode)
    if let existing = target.existing, geteuid() == 0 { _ = fchown(temp.raw, existing.st_uid, existing.st_gid) }
    guard fsync(temp.raw) == 0 else { throw fail(errno, "syncing") }
    if tempName == nil {
      let name = ".\(target.name).mish-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      guard linkat(AT_FDCWD, "/proc/self/fd/\(temp.raw)", target.dir.raw, name, AT_SYMLINK_FOLLOW) == 0 else {
        throw fail(errno, "linking the temp file for")
      }
      tempName = name
    }
    let flags: UInt32 = createOnly ? 1 : 0  // RENAME_NOREPLACE
    guard retrying({ mish_renameat2(target.dir.raw, tempName!, target.dir.raw, target.name, flags) }) == 0 else {
      let code = errno
      unlinkat(target.dir.raw, tempName!, 0)
      if code == EEXIST {
        throw ToolError(
          .exists, "\(target.resolved) already exists", hint: "Drop create_only to overwrite it (pass expected_sha256 to be safe).",
          details: ["path": .string(target.resolved)])
      }
      throw pathError(code, target.resolved, doing: "renaming into place")
    }
    return WriteOutcome(created: target.existing == nil, resolved: target.resolved)
  }

  static let newFileMode: mode_t = {
    let mask = umask(0o022)
    umask(mask)
    return 0o666 & ~mask
  }()

  /// Refuses a change when the caller's view of the file is out of date.
  static func checkExpected(_ expected: String?, current: [UInt8]?, path: String) throws(ToolError) {
    guard let expected else { return }
    guard let current else {
      throw ToolError(
        .stale, "\(path) does not exist, but expected_sha256 was given", hint: "Drop expected_sha256 to create it.",
        details: ["current_sha256": .null])
    }
    let actual = SHA256.hex(current)
    if actual != expected.lowercased() {
      throw ToolError(
        .stale, "\(path) changed since you read it (sha256 \(actual.prefix(12))…, expected \(expected.prefix(12))…)",
        hint: "Read it again and redo the change against the current content.",
        details: ["current_sha256": .string(actual), "path": .string(path)])
    }
  }
}
