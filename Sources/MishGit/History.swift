import CGit2
import Foundation
import MishJSON
import MishRPC

/// A commit, copied out of libgit2.
public struct CommitInfo: Sendable, Equatable {
  public struct Person: Sendable, Equatable {
    public var name: String
    public var email: String
    /// Seconds since the epoch, and the author's UTC offset in minutes.
    public var time: Int64
    public var offsetMinutes: Int

    init(_ signature: UnsafePointer<git_signature>) {
      name = String(cString: signature.pointee.name)
      email = String(cString: signature.pointee.email)
      time = signature.pointee.when.time
      offsetMinutes = Int(signature.pointee.when.offset)
    }

    /// RFC 3339 in the person's own offset, as git shows it.
    public var timestamp: String {
      let formatter = ISO8601DateFormatter()
      formatter.timeZone = TimeZone(secondsFromGMT: offsetMinutes * 60)
      return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time)))
    }

    var json: JSONValue { ["name": .string(name), "email": .string(email), "time": .string(timestamp)] }
  }

  public var sha: String
  public var parents: [String]
  public var author: Person
  public var committer: Person
  public var summary: String
  public var message: String

  init(_ commit: OpaquePointer) {
    sha = ObjectID(git_commit_id(commit)).description
    parents = (0..<git_commit_parentcount(commit)).compactMap { index in git_commit_parent_id(commit, index).map { ObjectID($0).description } }
    author = Person(git_commit_author(commit))
    committer = Person(git_commit_committer(commit))
    summary = git_commit_summary(commit).map { String(cString: $0) } ?? ""
    message = git_commit_message(commit).map { String(cString: $0) } ?? ""
  }

  public var json: JSONValue {
    [
      "sha": .string(sha), "parents": .array(parents.map(JSONValue.string)), "author": author.json,
      "committer": committer.json, "time": .string(committer.timestamp), "summary": .string(summary),
      "message": .string(message),
    ]
  }
}

public struct LogRequest: Sendable {
  public var rev = "HEAD"
  public var maxCount = 20
  public var skip = 0
  public var paths: [String] = []
}

enum HistoryReader {
  /// A revision peeled to a commit, owned by the caller.
  static func commit(_ repo: OpaquePointer, _ spec: String) throws(GitError) -> OpaquePointer {
    try peeled(repo, spec, to: GIT_OBJECT_COMMIT, "commit")
  }

  /// A revision as an object, owned by the caller. A revision that names nothing is said with its name and what to
  /// do next: libgit2's own message ("parent 0 does not exist" for HEAD~9) names neither.
  static func object(_ repo: OpaquePointer, _ spec: String) throws(GitError) -> OpaquePointer {
    do throws(GitError) {
      return try Git.make("git_revparse_single(\(spec))") { git_revparse_single(&$0, repo, spec) }
    } catch where error.code == GIT_ENOTFOUND.rawValue || error.code == GIT_EINVALIDSPEC.rawValue {
      if spec.hasPrefix("HEAD") && git_repository_head_unborn(repo) == 1 {
        throw GitError(
          ToolError(
            .notFound, "\(spec) names nothing yet: the current branch has no commits", hint: "Make the first commit with git_commit (git_status shows what there is to commit).",
            details: ["rev": .string(spec)]))
      }
      throw GitError(
        ToolError(
          .notFound, "No revision \(spec) (\(error.message))",
          hint: "Name a branch (git_branch lists them), a tag, or a commit sha from git_log; HEAD~N must stay within the history.",
          details: ["rev": .string(spec)]))
    }
  }

  /// A revision peeled to `type` (a commit, a tree), owned by the caller; a revision of another kind (a file's
  /// blob, REV:PATH) is an invalid argument, said as such.
  static func peeled(_ repo: OpaquePointer, _ spec: String, to type: git_object_t, _ word: String) throws(GitError) -> OpaquePointer {
    let object = try object(repo, spec)
    defer { git_object_free(object) }
    do throws(GitError) {
      return try Git.make("git_object_peel(\(spec), \(word))") { git_object_peel(&$0, object, type) }
    } catch where error.code == GIT_EINVALIDSPEC.rawValue || error.code == GIT_EPEEL.rawValue {
      let kind = git_object_type2string(git_object_type(object)).map { String(cString: $0) } ?? "object"
      throw GitError(
        ToolError(
          .invalidArgument, "\(spec) is a \(kind), not a \(word)", hint: "Name a commit: a branch, a tag or a sha (REV:PATH names a file's content).",
          details: ["rev": .string(spec)]))
    }
  }

  /// Commits reachable from `rev`, newest first (time order, parents after children), optionally only those that
  /// change one of `paths` — a merge counts when it differs from every parent there, as git log simplifies history.
  /// Returns the page and whether more remain.
  static func log(_ repo: OpaquePointer, _ request: LogRequest) throws(GitError) -> ([CommitInfo], Bool) {
    // A new repository's history is empty, not an error.
    if request.rev == "HEAD" && git_repository_head_unborn(repo) == 1 { return ([], false) }
    let start = try commit(repo, request.rev)
    defer { git_commit_free(start) }
    let walk = try Git.make("git_revwalk_new") { git_revwalk_new(&$0, repo) }
    defer { git_revwalk_free(walk) }
    try Git.call("git_revwalk_sorting") { git_revwalk_sorting(walk, GIT_SORT_TIME.rawValue | GIT_SORT_TOPOLOGICAL.rawValue) }
    try Git.call("git_revwalk_push") { git_revwalk_push(walk, git_commit_id(start)) }
    var commits: [CommitInfo] = []
    var skipped = 0
    var oid = git_oid()
    while git_revwalk_next(&oid, walk) == 0 {
      let commit = try Git.make("git_commit_lookup") { git_commit_lookup(&$0, repo, &oid) }
      defer { git_commit_free(commit) }
      if !request.paths.isEmpty, try !touches(repo, commit, request.paths) { continue }
      if skipped < request.skip {
        skipped += 1
        continue
      }
      if commits.count == request.maxCount { return (commits, true) }
      commits.append(CommitInfo(commit))
    }
    git_error_clear()
    return (commits, false)
  }

  /// Whether `commit` changes something under `paths` compared with each of its parents (all of them, for a merge).
  static func touches(_ repo: OpaquePointer, _ commit: OpaquePointer, _ paths: [String]) throws(GitError) -> Bool {
    let tree = try Git.make("git_commit_tree") { git_commit_tree(&$0, commit) }
    defer { git_tree_free(tree) }
    let parents = git_commit_parentcount(commit)
    if parents == 0 { return try changes(repo, nil, tree, paths) }
    for index in 0..<parents {
      let parent = try Git.make("git_commit_parent") { git_commit_parent(&$0, commit, index) }
      defer { git_commit_free(parent) }
      let parentTree = try Git.make("git_commit_tree") { git_commit_tree(&$0, parent) }
      defer { git_tree_free(parentTree) }
      if try !changes(repo, parentTree, tree, paths) { return false }
    }
    return true
  }

  static func changes(_ repo: OpaquePointer, _ old: OpaquePointer?, _ new: OpaquePointer, _ paths: [String]) throws(GitError) -> Bool {
    var options = git_diff_options()
    try Git.call("git_diff_options_init") { git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)) }
    return try Git.withStrarray(paths) { pathspec throws(GitError) -> Bool in
      options.pathspec = pathspec.pointee
      let diff = try Git.make("git_diff_tree_to_tree") { git_diff_tree_to_tree(&$0, repo, old, new, &options) }
      defer { git_diff_free(diff) }
      return git_diff_num_deltas(diff) > 0
    }
  }

  /// The commit and its changes against its first parent (or, for a root commit, against nothing).
  static func show(_ repo: OpaquePointer, rev: String, diff request: DiffRequest) throws(GitError) -> (CommitInfo, DiffPage) {
    let commit = try commit(repo, rev)
    defer { git_commit_free(commit) }
    let info = CommitInfo(commit)
    var request = request
    let sha = info.sha
    if let parent = info.parents.first {
      request.sides = .treeToTree(parent, sha)
      return (info, try DiffReader.page(repo, request))
    }
    // A root commit: everything is added, from the empty tree.
    var empty = git_oid()
    try Git.call("git_treebuilder") { () -> Int32 in
      var builder: OpaquePointer?
      let rc = git_treebuilder_new(&builder, repo, nil)
      guard rc == 0, let builder else { return rc }
      defer { git_treebuilder_free(builder) }
      return git_treebuilder_write(&empty, builder)
    }
    request.sides = .treeToTree(ObjectID(empty).description, sha)
    return (info, try DiffReader.page(repo, request))
  }
}
