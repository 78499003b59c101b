import CGit2
import Foundation
import Glibc
import MishFiles
import MishJSON
import MishRPC

/// The session's repository: the root must be a git work tree (a plain repository or a linked worktree). It is
/// opened on first use, and again after a failed open (an agent may `git init` later).
public final class GitSession: @unchecked Sendable {
  public let workspace: Workspace
  let lock = NSLock()
  var opened: GitRepository?

  public init(workspace: Workspace) { self.workspace = workspace }

  /// The repository, or a clear error when the root is not a work tree's top.
  func repository() throws(ToolError) -> GitRepository {
    lock.lock()
    defer { lock.unlock() }
    if let opened { return opened }
    let root = workspace.rootPath
    let repository: GitRepository
    do {
      repository = try GitRepository(workdir: root)
    } catch {
      if error.code == GIT_ENOTFOUND.rawValue {
        var found = git_buf()
        defer { git_buf_dispose(&found) }
        if git_repository_discover(&found, root, 0, nil) == 0, let pointer = found.ptr {
          throw ToolError(
            "not_a_repository", "The root \(root) is inside the repository at \(String(cString: pointer)), not the top of its work tree",
            hint: "Serve the work tree's top directory (mish serve --root TOP) to use the git tools.")
        }
        throw ToolError(
          "not_a_repository", "The root \(root) is not a git repository",
          hint: "Create one with exec_run {\"argv\": [\"git\", \"init\"]}, or serve a git work tree.")
      }
      throw error.toolError
    }
    opened = repository
    return repository
  }

  /// Runs `body` on the repository's queue; libgit2 errors become tool errors.
  func run<T>(_ body: (GitRepository, OpaquePointer) throws(GitError) -> T) throws(ToolError) -> T {
    let repository = try repository()
    do {
      return try repository.sync { pointer throws(GitError) in try body(repository, pointer) }
    } catch {
      throw error.toolError
    }
  }

  /// A path argument made root-relative and checked: inside the root (lexically, then by the kernel: no parent
  /// directory may be a symlink, which libgit2 would follow), and not inside `.git`. A path that does not exist is
  /// fine (a deleted file can be staged or restored). "" and "." mean the whole tree.
  func checkedPath(_ path: String, doing action: String) throws(ToolError) -> String {
    let relative = workspace.relative(path)
    if relative.hasPrefix("/") {
      throw ToolError(.outsideRoot, "\(path) is outside the root", hint: "Use a path inside the root, relative to it.", details: ["path": .string(path)])
    }
    let components = relative.split(separator: "/")
    if components.contains(".git") {
      throw ToolError(.denied, "\(path) is inside .git; the git tools do not \(action) git's own files", hint: "Name work tree files.", details: ["path": .string(path)])
    }
    try workspace.checkNoSymlinkParents(relative, doing: action)
    return relative
  }

  func checkedPaths(_ paths: [String]?, doing action: String) throws(ToolError) -> [String] {
    var result: [String] = []
    for path in paths ?? [] {
      let checked = try checkedPath(path, doing: action)
      if !checked.isEmpty { result.append(checked) } else { return [] }  // the whole tree: no filter
    }
    return result
  }
}
