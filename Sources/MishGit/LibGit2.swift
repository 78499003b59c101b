import CGit2
import Dispatch
import Foundation
import MishJSON
import MishRPC

/// A failed libgit2 call: the function, its return code, and libgit2's own error class and message, read on the
/// same thread right after the call (libgit2 keeps the last error per thread).
public struct GitError: Error, Sendable, CustomStringConvertible {
  public var function: String
  public var code: Int32
  public var errorClass: Int32
  public var message: String

  /// A failure the tool itself diagnosed (nothing to commit, a branch in use), said as it should reach the user.
  public var diagnosed: ToolError?

  public var description: String { "\(function): \(message) (code \(code), class \(errorClass))" }

  init(function: String, code: Int32, errorClass: Int32, message: String) {
    self.function = function
    self.code = code
    self.errorClass = errorClass
    self.message = message
  }

  /// A refusal decided by mish, carried through the repository queue unchanged.
  init(_ diagnosed: ToolError) {
    self.init(function: "mish", code: -1, errorClass: 0, message: diagnosed.message)
    self.diagnosed = diagnosed
  }

  /// The error as the wire sees it: `not_found` for what does not exist, `git` for the rest.
  public var toolError: ToolError {
    if let diagnosed { return diagnosed }
    let details: JSONObject = ["function": .string(function), "git_code": .int(Int(code)), "git_class": .int(Int(errorClass))]
    switch code {
    case GIT_ENOTFOUND.rawValue:
      return ToolError(.notFound, "\(message)", hint: "Check the name: git_branch (list) and git_log show what exists.", details: details)
    case GIT_EAMBIGUOUS.rawValue:
      return ToolError(.invalidArgument, "\(message)", hint: "Give more characters of the object id, or a full ref name.", details: details)
    case GIT_EEXISTS.rawValue:
      return ToolError(.exists, "\(message)", hint: "Choose another name, or delete the existing one first.", details: details)
    case GIT_EUNMERGED.rawValue, GIT_ECONFLICT.rawValue:
      return ToolError("conflict", "\(message)", hint: "Resolve the conflicts (git_status lists them as conflicted), stage the results with git_add, then retry.", details: details)
    case GIT_EUNBORNBRANCH.rawValue:
      return ToolError("git", "\(message)", hint: "The branch has no commit yet: make the first commit with git_commit.", details: details)
    case GIT_ELOCKED.rawValue:
      return ToolError("git", "\(message)", hint: "Another git process holds the lock; retry when it is done (remove a stale .lock file only if none runs).", details: details)
    default:
      return ToolError("git", "\(function) failed: \(message)", hint: "See message; git_status shows the repository's state.", details: details)
    }
  }
}

/// libgit2 calls with their errors read at once.
enum Git {
  static let initialized: Void = {
    git_libgit2_init()
    // Objects are only ever used from one repository's serial queue; strict object creation keeps libgit2 checking
    // that every referenced object exists.
  }()

  /// Runs a libgit2 call and turns a negative return into a `GitError` (read on this thread, right away).
  @discardableResult
  static func call(_ function: String, _ body: () -> Int32) throws(GitError) -> Int32 {
    let rc = body()
    guard rc < 0 else { return rc }
    throw lastError(function, rc)
  }

  static func lastError(_ function: String, _ rc: Int32) -> GitError {
    if let error = git_error_last() {
      return GitError(function: function, code: rc, errorClass: error.pointee.klass, message: String(cString: error.pointee.message))
    }
    return GitError(function: function, code: rc, errorClass: 0, message: "libgit2 returned \(rc)")
  }

  /// A libgit2 object out-parameter call: `body` fills the pointer, or throws.
  static func make(_ function: String, _ body: (inout OpaquePointer?) -> Int32) throws(GitError) -> OpaquePointer {
    var pointer: OpaquePointer?
    try call(function) { body(&pointer) }
    guard let pointer else { throw GitError(function: function, code: -1, errorClass: 0, message: "no object returned") }
    return pointer
  }

  /// A `git_strarray` over `strings` for the duration of `body`.
  static func withStrarray<R>(_ strings: [String], _ body: (UnsafeMutablePointer<git_strarray>) throws(GitError) -> R) throws(GitError) -> R {
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: max(1, strings.count))
    for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
    defer {
      for index in 0..<strings.count { free(pointers[index]) }
      pointers.deallocate()
    }
    var array = git_strarray(strings: pointers, count: strings.count)
    return try body(&array)
  }
}

/// A 20-byte object id, copied out of libgit2.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible {
  public var raw: git_oid

  init(_ oid: git_oid) { raw = oid }
  init(_ pointer: UnsafePointer<git_oid>) { raw = pointer.pointee }

  public var description: String {
    var oid = raw
    var buffer = [CChar](repeating: 0, count: 41)
    git_oid_fmt(&buffer, &oid)
    return String(cString: buffer)
  }

  public var isZero: Bool {
    var oid = raw
    return git_oid_is_zero(&oid) == 1
  }

  public static func == (a: ObjectID, b: ObjectID) -> Bool {
    var x = a.raw
    var y = b.raw
    return git_oid_cmp(&x, &y) == 0
  }

  public func hash(into hasher: inout Hasher) {
    withUnsafeBytes(of: raw) { hasher.combine(bytes: $0) }
  }
}

/// A git repository opened once per session, used only from its own serial queue (libgit2 objects are
/// single-threaded). Every tool's work is one synchronous closure on that queue, so an error is read on the thread
/// that caused it and no two calls interleave.
public final class GitRepository: @unchecked Sendable {
  let queue = DispatchQueue(label: "mish.git")
  let pointer: OpaquePointer
  /// The work tree, with a trailing slash stripped.
  public let workdir: String
  /// The git directory (for a linked worktree, its private one under the main repository's .git/worktrees).
  public let gitdir: String
  /// The directory shared by all worktrees (objects, refs); the gitdir itself for a plain repository.
  public let commondir: String
  /// Status computed before, kept between calls (see `StatusCache`).
  lazy var statusCache = StatusCache(workdir: workdir, gitdir: gitdir, commondir: commondir)

  init(workdir root: String) throws(GitError) {
    _ = Git.initialized
    pointer = try Git.make("git_repository_open_ext") { out in
      git_repository_open_ext(&out, root, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil)
    }
    guard let workdir = git_repository_workdir(pointer) else {
      git_repository_free(pointer)
      throw GitError(function: "git_repository_workdir", code: -1, errorClass: 0, message: "\(root) is a bare repository")
    }
    var path = String(cString: workdir)
    if path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    self.workdir = path
    var git = String(cString: git_repository_path(pointer))
    if git.count > 1 && git.hasSuffix("/") { git.removeLast() }
    gitdir = git
    var common = String(cString: git_repository_commondir(pointer))
    if common.count > 1 && common.hasSuffix("/") { common.removeLast() }
    commondir = common
  }

  /// The loose ref file HEAD's branch lives in (nil when detached), for noticing commits made elsewhere.
  var branchRefFile: String? {
    guard let head = try? String(contentsOfFile: gitdir + "/HEAD", encoding: .utf8), head.hasPrefix("ref: ") else { return nil }
    return commondir + "/" + head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  deinit { git_repository_free(pointer) }

  /// Runs `body` on the repository's queue and returns its result.
  func sync<T>(_ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
    var result: Result<T, GitError>?
    queue.sync {
      do throws(GitError) {
        result = .success(try body(pointer))
      } catch {
        result = .failure(error)
      }
    }
    return try result!.get()
  }
}
