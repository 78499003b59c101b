import CMishSys
import Glibc
import MishRPC

/// An fd closed when the last reference goes away, so no early return can leak it.
final class OwnedFD: @unchecked Sendable {
  let raw: Int32
  init(_ raw: Int32) { self.raw = raw }
  deinit { close(raw) }
}

/// Retries a syscall on EINTR. The corresponding C pattern is `while ((r = call()) < 0 && errno == EINTR);`.
@inline(__always)
func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
  while true {
    let result = call()
    if result >= 0 || errno != EINTR { return result }
  }
}

func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// Maps an errno from resolving or touching `path` to the error the user sees, with what to do next.
func pathError(_ code: Int32, _ path: String, doing action: String) -> ToolError {
  let shown = path.isEmpty ? "." : path
  switch code {
  case EXDEV, ELOOP:
    return ToolError(
      .outsideRoot, "\(shown) resolves outside the root (through \"..\", an absolute path, a symlink or a /proc magic link)",
      hint: "Use a path relative to the root that stays inside it; session/info shows the root.",
      details: ["path": .string(shown)])
  case ENOENT:
    return ToolError(
      .notFound, "\(shown) does not exist (\(action))",
      hint: "Check the spelling, or find it with fs_glob or fs_list.", details: ["path": .string(shown)])
  case ENOTDIR:
    return ToolError(
      .notADirectory, "A component of \(shown) is not a directory (\(action))",
      hint: "Check the path with fs_stat or fs_list.", details: ["path": .string(shown)])
  case EISDIR:
    return ToolError(
      .isADirectory, "\(shown) is a directory (\(action))", hint: "Use fs_list to see what it holds.",
      details: ["path": .string(shown)])
  case EACCES, EPERM, EROFS:
    return ToolError(
      .denied, "Permission denied for \(shown) (\(action)): \(errnoText(code))",
      hint: "The file system or the sandbox does not allow this; choose another path.", details: ["path": .string(shown)])
  case EEXIST:
    return ToolError(
      .exists, "\(shown) already exists (\(action))", hint: "Choose another name, or remove what is there first.",
      details: ["path": .string(shown)])
  case ENAMETOOLONG:
    return ToolError(.invalidArgument, "Path too long: \(shown.prefix(80))…", hint: "Use a shorter path.")
  case ENOSPC, EDQUOT:
    return ToolError(.io, "No space left while \(action) \(shown)", hint: "Free disk space, then retry; nothing was changed.")
  default:
    return ToolError(
      .io, "\(action) \(shown) failed: \(errnoText(code))", hint: "Retry; if it persists, check the file with fs_stat.",
      details: ["errno": .int(Int(code)), "path": .string(shown)])
  }
}

/// Reads an fd to its end.
func readAll(_ fd: Int32, sizeHint: Int) throws(ToolError) -> [UInt8] {
  var bytes = [UInt8](repeating: 0, count: max(sizeHint, 0) + 1)
  var count = 0
  while true {
    if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 65536))) }
    let n = bytes.withUnsafeMutableBytes { raw in retrying { read(fd, raw.baseAddress! + count, raw.count - count) } }
    if n < 0 { throw pathError(errno, "", doing: "reading") }
    if n == 0 { break }
    count += n
    // The size fstat gave has been read: a regular file is done (one read syscall fewer). A file that grew since
    // is read up to that size, as if it had been read a moment earlier.
    if sizeHint > 0, count == sizeHint { break }
  }
  bytes.removeSubrange(count...)
  return bytes
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
  var offset = 0
  while offset < bytes.count {
    let n = bytes.withUnsafeBytes { raw in retrying { write(fd, raw.baseAddress! + offset, raw.count - offset) } }
    if n < 0 { return errno }
    offset += n
  }
  return nil
}
