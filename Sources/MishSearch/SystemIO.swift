import CMishSys
import Glibc

// Every system call of MishSearch lives in this file. Every fd is opened O_CLOEXEC and owned by exactly one value
// that closes it.

/// An open directory, closed when the last reference goes away. The walker and in-flight file reads share it, so a
/// worker can still `openat` a file after the walker has moved on to another directory.
final class DirectoryHandle: Sendable {
  let fd: Int32

  init(adopting fd: Int32) { self.fd = fd }

  deinit { close(fd) }
}

/// An open regular file, closed when released.
final class OpenFile: Sendable {
  let fd: Int32
  init(adopting fd: Int32) { self.fd = fd }
  deinit { close(fd) }
}

/// A name read from a directory, kept NUL-terminated so it can be passed to `openat` as is.
struct EntryName: Sendable {
  /// The name's bytes followed by one NUL.
  let terminated: [UInt8]

  var count: Int { terminated.count - 1 }
  var bytes: ArraySlice<UInt8> { terminated[..<(terminated.count - 1)] }
  var isHidden: Bool { terminated[0] == UInt8(ascii: ".") }
  var isGitDirectory: Bool { terminated == [0x2E, 0x67, 0x69, 0x74, 0] }  // ".git"

  /// Bytewise order, as `memcmp` then length.
  static func compare(_ lhs: [UInt8], _ lhsCount: Int, _ rhs: [UInt8], _ rhsCount: Int) -> Int {
    let common = min(lhsCount, rhsCount)
    let result = lhs.withUnsafeBufferPointer { l in
      rhs.withUnsafeBufferPointer { r in common == 0 ? 0 : memcmp(l.baseAddress!, r.baseAddress!, common) }
    }
    if result != 0 { return Int(result) }
    return lhsCount - rhsCount
  }
}

struct RawEntry: Sendable {
  let name: EntryName
  /// Nil when the file system did not say (DT_UNKNOWN); resolved with `fstatat` when needed.
  let type: EntryType?
}

enum SystemIO {
  static let resolveBeneath = UInt64(MISH_RESOLVE_BENEATH) | UInt64(MISH_RESOLVE_NO_MAGICLINKS)

  static func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }

  /// Opens `path` (relative, already normalized; "" = the root itself) beneath `rootFD` with the kernel refusing to
  /// leave the root. Returns the fd or throws the mapped error.
  static func openBeneath(rootFD: Int32, path: String, directory: Bool) throws -> Int32 {
    var flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK
    if directory { flags |= O_DIRECTORY }
    let target = path.isEmpty ? "." : path
    let fd = mish_openat2(rootFD, target, UInt64(flags), 0, resolveBeneath)
    if fd >= 0 { return fd }
    throw mapOpenError(errno, path: path.isEmpty ? "." : path)
  }

  static func mapOpenError(_ code: Int32, path: String) -> SearchError {
    switch code {
    case EXDEV, ELOOP:
      return SearchError(
        .outsideRoot, "path \"\(path)\" resolves outside the root",
        hint: "Use a path inside the root; symlinks that point outside it are not followed.")
    case ENOENT:
      return SearchError(
        .notFound, "path \"\(path)\" does not exist",
        hint: "Check the spelling, or list the parent directory with fs/list to see what is there.")
    case ENOTDIR:
      return SearchError(
        .notDirectory, "path \"\(path)\" is not a directory",
        hint: "Pass a directory; use fs/read or fs/stat for a single file.")
    case EACCES, EPERM:
      return SearchError(
        .io, "permission denied opening \"\(path)\"", hint: "Pick a directory the server is allowed to read.")
    default:
      return SearchError(
        .io, "cannot open \"\(path)\": \(errnoText(code))", hint: "Retry; if it persists, check the file system.")
    }
  }

  /// Opens the child directory `name` of `parent` without following a symlink; nil when it cannot be opened.
  static func openChildDirectory(_ parent: DirectoryHandle, _ name: EntryName) -> DirectoryHandle? {
    let fd = name.terminated.withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) {
        openat(parent.fd, $0.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
      }
    }
    return fd >= 0 ? DirectoryHandle(adopting: fd) : nil
  }

  /// Reads all entries of `directory` except `.` and `..`, sorted bytewise by name; nil when unreadable.
  static func readEntries(_ directory: DirectoryHandle) -> [RawEntry]? {
    let copy = fcntl(directory.fd, F_DUPFD_CLOEXEC, 0)
    guard copy >= 0 else { return nil }
    guard let stream = fdopendir(copy) else {
      close(copy)
      return nil
    }
    defer { closedir(stream) }
    rewinddir(stream)
    let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    var entries: [RawEntry] = []
    while let record = readdir(stream) {
      let raw = UnsafeRawPointer(record)
      let namePointer = (raw + nameOffset).assumingMemoryBound(to: UInt8.self)
      let length = strlen(UnsafeRawPointer(namePointer).assumingMemoryBound(to: CChar.self))
      if namePointer[0] == UInt8(ascii: ".") {
        if length == 1 || (length == 2 && namePointer[1] == UInt8(ascii: ".")) { continue }
      }
      let terminated = Array(UnsafeBufferPointer(start: namePointer, count: length + 1))
      let type: EntryType?
      switch Int32(record.pointee.d_type) {
      case Int32(DT_REG): type = .file
      case Int32(DT_DIR): type = .directory
      case Int32(DT_LNK): type = .symlink
      case Int32(DT_UNKNOWN): type = nil
      default: type = .other
      }
      entries.append(RawEntry(name: EntryName(terminated: terminated), type: type))
    }
    entries.sort { EntryName.compare($0.name.terminated, $0.name.count, $1.name.terminated, $1.name.count) < 0 }
    return entries
  }

  /// `fstatat` without following symlinks: the entry's type and size, or nil when it vanished.
  static func statEntry(_ parent: DirectoryHandle, _ name: EntryName) -> (type: EntryType, size: Int64)? {
    var info = stat()
    let result = name.terminated.withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { fstatat(parent.fd, $0.baseAddress!, &info, AT_SYMLINK_NOFOLLOW) }
    }
    guard result == 0 else { return nil }
    return (entryType(mode: info.st_mode), Int64(info.st_size))
  }

  static func entryType(mode: mode_t) -> EntryType {
    switch mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .directory
    case S_IFLNK: return .symlink
    default: return .other
    }
  }

  /// Reads a small regular file (a .gitignore) in `parent` without following symlinks; nil when absent or unreadable.
  static func readSmallFile(_ parent: Int32, _ name: String, limit: Int = 1 << 24) -> [UInt8]? {
    let fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= limit else { return nil }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var total = 0
    while total < bytes.count {
      let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      total += count
    }
    bytes.removeSubrange(total...)
    return bytes
  }

  /// `.git/info/exclude` of the root, when `.git` is a directory (not a worktree's `gitdir:` file).
  static func readInfoExclude(rootFD: Int32) -> [UInt8]? {
    let resolve = resolveBeneath | UInt64(MISH_RESOLVE_NO_SYMLINKS)
    let infoFD = mish_openat2(rootFD, ".git/info", UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK), 0, resolve)
    guard infoFD >= 0 else { return nil }
    defer { close(infoFD) }
    return readSmallFile(infoFD, "exclude")
  }

  /// The `.gitignore` of `directory` (relative to the root, "" for the root itself), if it has one.
  static func readGitignore(rootFD: Int32, directory: String) -> [UInt8]? {
    if directory.isEmpty { return readSmallFile(rootFD, ".gitignore") }
    guard let fd = try? openBeneath(rootFD: rootFD, path: directory, directory: true) else { return nil }
    defer { close(fd) }
    return readSmallFile(fd, ".gitignore")
  }

  /// Opens `path` beneath the root whatever its type, and says whether it is a directory.
  static func openBeneathAnyType(rootFD: Int32, path: String) throws -> (fd: Int32, isDirectory: Bool) {
    let fd = try openBeneath(rootFD: rootFD, path: path, directory: false)
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let code = errno
      close(fd)
      throw SearchError(
        .io, "cannot stat \"\(path)\": \(errnoText(code))", hint: "Retry; if it persists, check the file system.")
    }
    return (fd, info.st_mode & S_IFMT == S_IFDIR)
  }

  /// Opens a directory by a path relative to `parent` (no symlinks followed); -1 when that fails.
  static func openDirectoryNoFollow(_ parent: Int32, _ path: String) -> Int32 {
    let resolve = resolveBeneath | UInt64(MISH_RESOLVE_NO_SYMLINKS)
    return mish_openat2(parent, path, UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK), 0, resolve)
  }
}

/// A growable byte buffer owned by one worker thread, reused across files to avoid an allocation per file.
final class ReadBuffer {
  private(set) var pointer: UnsafeMutableRawPointer
  private(set) var capacity: Int

  init(capacity: Int = 1 << 16) {
    self.capacity = capacity
    self.pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
  }

  deinit { pointer.deallocate() }

  func reserve(_ needed: Int) {
    guard needed > capacity else { return }
    var newCapacity = capacity
    while newCapacity < needed { newCapacity *= 2 }
    pointer.deallocate()
    pointer = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 64)
    capacity = newCapacity
  }
}

enum FileReadOutcome {
  case read(count: Int)
  case tooLarge
  case notRegular
  case unreadable
}

extension SystemIO {
  /// Reads the regular file `name` of `parent` into `buffer` (without following a symlink), refusing files larger
  /// than `maxSize`. A file that grows while being read is cut at the size `fstat` reported.
  static func readFile(_ parent: Int32, _ name: UnsafePointer<CChar>, into buffer: ReadBuffer, maxSize: Int)
    -> FileReadOutcome
  {
    let fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard fd >= 0 else { return .unreadable }
    defer { close(fd) }
    return readOpenFile(fd, into: buffer, maxSize: maxSize)
  }

  static func readOpenFile(_ fd: Int32, into buffer: ReadBuffer, maxSize: Int) -> FileReadOutcome {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return .unreadable }
    guard info.st_mode & S_IFMT == S_IFREG else { return .notRegular }
    let size = Int(info.st_size)
    guard size <= maxSize else { return .tooLarge }
    buffer.reserve(size + 1)
    var total = 0
    while total < size {
      let count = read(fd, buffer.pointer + total, size - total)
      if count < 0 && errno == EINTR { continue }
      if count < 0 { return .unreadable }
      if count == 0 { break }
      total += count
    }
    return .read(count: total)
  }
}
