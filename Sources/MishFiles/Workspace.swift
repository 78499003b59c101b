import CMishSys
import Glibc
import MishJSON
import MishRPC

/// The root every path is confined to. Paths are resolved by the kernel from one directory fd with
/// `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, so `..`, absolute paths, escaping symlinks and /proc magic links
/// are refused by the kernel, not by string checks; everything after resolution uses `*at` calls on the resolved fds.
public final class Workspace: Sendable {
  /// The root's canonical absolute path.
  public let rootPath: String
  let rootFD: OwnedFD

  public init(root: String) throws(ToolError) {
    guard let real = realpath(root, nil) else {
      throw ToolError(.notFound, "Root \(root) does not exist: \(errnoText(errno))", hint: "Pass an existing directory as --root.")
    }
    rootPath = String(cString: real)
    free(real)
    let fd = Glibc.open(rootPath, mish_O_PATH | O_DIRECTORY | O_CLOEXEC)
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
  /// repeated slashes go. Anything else (absolute paths elsewhere, `..`) is left for the kernel to judge.
  public func relative(_ path: String) -> String {
    var path = path
    if path.hasPrefix("/") {
      if path == rootPath { return "" }
      if path.hasPrefix(rootPath + "/") { path = String(path.dropFirst(rootPath.count + 1)) } else { return path }
    }
    let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
    return parts.joined(separator: "/")
  }

  /// Opens `path` beneath the root. The corresponding C function is `openat2`.
  func open(_ path: String, flags: Int32, mode: mode_t = 0, doing action: String) throws(ToolError) -> OwnedFD {
    let relative = relative(path)
    if relative.hasPrefix("/") { throw pathError(EXDEV, path, doing: action) }
    let fd = retrying { mish_openat2(rootFD.raw, relative.isEmpty ? "." : relative, UInt64(flags | O_CLOEXEC), UInt64(mode), Self.resolveFlags) }
    guard fd >= 0 else { throw pathError(errno, relative, doing: action) }
    return OwnedFD(fd)
  }

  /// The directory holding `path` (opened beneath the root) and the last component's name, for `*at` calls that
  /// must not follow a final symlink (unlink, rename, create).
  func openParent(_ path: String, doing action: String) throws(ToolError) -> (dir: OwnedFD, name: String, relative: String) {
    let relative = relative(path)
    if relative.hasPrefix("/") { throw pathError(EXDEV, path, doing: action) }
    guard !relative.isEmpty else {
      throw ToolError(.denied, "The root itself cannot be \(action)", hint: "Name a path inside the root.")
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
    let dir = try open(parent, flags: mish_O_PATH | O_DIRECTORY, doing: action)
    return (dir, name, relative)
  }

  /// Creates the missing directories of `relativeDir` beneath the root, one `mkdirat` at a time.
  func makeDirectories(_ relativeDir: String, doing action: String) throws(ToolError) {
    var current = try open("", flags: mish_O_PATH | O_DIRECTORY, doing: action)
    var walked = ""
    for component in relativeDir.split(separator: "/") {
      let name = String(component)
      walked = walked.isEmpty ? name : walked + "/" + name
      if retrying({ mkdirat(current.raw, name, 0o777) }) != 0, errno != EEXIST {
        throw pathError(errno, walked, doing: action)
      }
      current = try open(walked, flags: mish_O_PATH | O_DIRECTORY, doing: action)
    }
  }

  /// Where an open fd really is, relative to the root (symlinks resolved): what `.git` checks and reports use.
  func resolvedRelativePath(of fd: Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = mish_fd_path(fd, &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    let full = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if full == rootPath { return "" }
    guard full.hasPrefix(rootPath + "/") else { return nil }
    return String(full.dropFirst(rootPath.count + 1))
  }

  /// Writes never touch git's own files: the object store and refs are git's to change.
  static func isInsideGitDir(_ relative: String) -> Bool {
    relative.split(separator: "/").contains(".git")
  }

  func refuseGitPath(_ relative: String, doing action: String) throws(ToolError) {
    if Self.isInsideGitDir(relative) {
      throw ToolError(
        .denied, "\(relative) is inside .git; mish does not \(action) git's own files",
        hint: "Use the git tools for repository state; edit work-tree files only.", details: ["path": .string(relative)])
    }
  }
}

/// Lexically normalised path for ordering requests (no syscalls): the footprint key of a path argument.
public func footprintKey(_ path: String?, in workspace: Workspace) -> String {
  workspace.relative(path ?? "")
}
