import CGit2
import Glibc
import MishJSON
import MishRPC

/// Staging, restoring and committing: the index and the work tree changed through libgit2 (no hooks run).
enum ChangeWriter {
  /// The repository's index, re-read from disk when another process (a git command the agent ran) changed it.
  static func index(_ repo: OpaquePointer) throws(GitError) -> OpaquePointer {
    let index = try Git.make("git_repository_index") { git_repository_index(&$0, repo) }
    do throws(GitError) {
      try Git.call("git_index_read") { git_index_read(index, 0) }
    } catch {
      git_index_free(index)
      throw error
    }
    return index
  }

  /// `git add -A PATHS`: new and modified files staged, deleted ones removed; ignored files are not added unless
  /// named exactly (then refused, as git does, unless `force`). Empty `paths` means the whole tree.
  static func stage(_ index: OpaquePointer, _ paths: [String], force: Bool = false) throws(GitError) {
    try Git.withStrarray(paths) { pathspec throws(GitError) in
      let spec: UnsafeMutablePointer<git_strarray>? = paths.isEmpty ? nil : pathspec
      var flags = paths.isEmpty ? GIT_INDEX_ADD_DEFAULT.rawValue : GIT_INDEX_ADD_CHECK_PATHSPEC.rawValue
      if force { flags = GIT_INDEX_ADD_FORCE.rawValue }
      do throws(GitError) {
        try Git.call("git_index_add_all") { git_index_add_all(index, spec, flags, nil, nil) }
      } catch where error.code == GIT_EINVALIDSPEC.rawValue {
        throw GitError(
          ToolError(
            "ignored", "Not staged: \(error.message) (a .gitignore or info/exclude rule matches it)",
            hint: "Pass force: true to git_add to stage it anyway, or change the ignore rule; name only the other paths to stage them."))
      }
      try Git.call("git_index_update_all") { git_index_update_all(index, spec, nil, nil) }
    }
  }

  /// The paths (pathspecs) that match nothing in `index`, nothing in `tree` (when given) and, with `workdir`, no
  /// file of the work tree. git refuses such a path ("did not match any files"); staging or restoring nothing
  /// would hide a typo from the agent.
  static func unmatched(_ repo: OpaquePointer, _ paths: [String], index: OpaquePointer, tree: OpaquePointer?, workdir: Bool) throws(GitError) -> [String] {
    guard !paths.isEmpty else { return [] }
    let pathspec = try Git.withStrarray(paths) { array throws(GitError) in try Git.make("git_pathspec_new") { git_pathspec_new(&$0, array) } }
    defer { git_pathspec_free(pathspec) }
    let flags = GIT_PATHSPEC_FIND_FAILURES.rawValue | GIT_PATHSPEC_FAILURES_ONLY.rawValue
    func failures(_ match: (inout OpaquePointer?) -> Int32) throws(GitError) -> Set<String> {
      let list = try Git.make("git_pathspec_match") { match(&$0) }
      defer { git_pathspec_match_list_free(list) }
      return Set((0..<git_pathspec_match_list_failed_entrycount(list)).compactMap { git_pathspec_match_list_failed_entry(list, $0).map { String(cString: $0) } })
    }
    var missing = try failures { git_pathspec_match_index(&$0, index, flags, pathspec) }
    if let tree, !missing.isEmpty { missing.formIntersection(try failures { git_pathspec_match_tree(&$0, tree, flags, pathspec) }) }
    if workdir, !missing.isEmpty, let top = git_repository_workdir(repo).map({ String(cString: $0) }) {
      // A file on disk counts even when ignored: staging then says it is ignored, which is the better answer.
      var info = stat()
      missing = missing.filter { lstat(top + $0, &info) != 0 }
      if !missing.isEmpty { missing.formIntersection(try failures { git_pathspec_match_workdir(&$0, repo, flags, pathspec) }) }
    }
    return paths.filter(missing.contains)
  }

  /// Refuses paths that name nothing (see `unmatched`), saying which.
  static func requireMatches(_ unmatched: [String], in place: String) throws(GitError) {
    guard !unmatched.isEmpty else { return }
    let list = unmatched.joined(separator: ", ")
    throw GitError(
      ToolError(
        .notFound, "Nothing matches \(list) in \(place)",
        hint: "Check the spelling (git_status lists changed paths, fs_list the work tree); nothing was changed.",
        details: ["paths": .array(unmatched.map(JSONValue.string))]))
  }

  static func add(_ repo: OpaquePointer, paths: [String], force: Bool = false) throws(GitError) {
    let index = try index(repo)
    defer { git_index_free(index) }
    try requireStageable(repo, paths, index: index)
    try stage(index, paths, force: force)
    try Git.call("git_index_write") { git_index_write(index) }
  }

  /// `git restore`: the index from HEAD (or `source`) when `staged`; the work tree from the index (or `source`)
  /// when `worktree`.
  static func restore(_ repo: OpaquePointer, paths: [String], staged: Bool, worktree: Bool, source: String?) throws(GitError) {
    try requireRestorable(repo, paths, staged: staged, source: source)
    try Git.withStrarray(paths) { pathspec throws(GitError) in
      if staged {
        var target: OpaquePointer?
        if let source {
          target = try HistoryReader.commit(repo, source)
        } else if git_repository_head_unborn(repo) != 1 {
          target = try HistoryReader.commit(repo, "HEAD")
        }
        defer { if let target { git_commit_free(target) } }
        // With no target (an unborn branch) the entries leave the index.
        try Git.call("git_reset_default") { git_reset_default(repo, target, pathspec) }
      }
      guard worktree else { return }
      var options = git_checkout_options()
      try Git.call("git_checkout_options_init") { git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)) }
      options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
      if !paths.isEmpty { options.paths = pathspec.pointee }
      if let source, !staged {
        options.checkout_strategy |= GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue
        let tree = try DiffReader.tree(repo, source)
        defer { git_tree_free(tree) }
        try Git.call("git_checkout_tree") { git_checkout_tree(repo, tree, &options) }
      } else {
        try Git.call("git_checkout_index") { git_checkout_index(repo, nil, &options) }
      }
    }
  }

  /// git add's check: each path must be in the work tree or in the index.
  static func requireStageable(_ repo: OpaquePointer, _ paths: [String], index: OpaquePointer) throws(GitError) {
    try requireMatches(try unmatched(repo, paths, index: index, tree: nil, workdir: true), in: "the work tree or the index")
  }

  /// git restore's check: each path must be in the index or in what it is restored from (source, or HEAD when
  /// unstaging).
  static func requireRestorable(_ repo: OpaquePointer, _ paths: [String], staged: Bool, source: String?) throws(GitError) {
    guard !paths.isEmpty else { return }
    let index = try index(repo)
    defer { git_index_free(index) }
    var from: OpaquePointer?
    if let source { from = try DiffReader.tree(repo, source) } else if staged { from = try DiffReader.headTree(repo) }
    defer { if let from { git_tree_free(from) } }
    let place = source.map { "the index or \($0)" } ?? (from == nil ? "the index" : "the index or HEAD")
    try requireMatches(try unmatched(repo, paths, index: index, tree: from, workdir: false), in: place)
  }

  public struct Author: Sendable {
    var name: String
    var email: String
  }

  /// Creates a commit on HEAD from the index (after staging `paths`, or every tracked change with `all`).
  static func commit(
    _ repo: OpaquePointer, message: String, paths: [String], all: Bool, author: Author?, allowEmpty: Bool
  ) throws(GitError) -> (sha: String, files: Int) {
    let index = try index(repo)
    defer { git_index_free(index) }
    if all { try Git.call("git_index_update_all") { git_index_update_all(index, nil, nil, nil) } }
    if !paths.isEmpty {
      try requireStageable(repo, paths, index: index)
      try stage(index, paths)
    }
    if all || !paths.isEmpty { try Git.call("git_index_write") { git_index_write(index) } }
    if git_index_has_conflicts(index) == 1 {
      throw GitError(
        ToolError(
          "conflict", "The index has unresolved conflicts, so no commit can be made",
          hint: "Resolve each conflicted path (git_status shows them), stage it with git_add, then commit."))
    }
    var treeID = git_oid()
    try Git.call("git_index_write_tree") { git_index_write_tree(&treeID, index) }
    let tree = try Git.make("git_tree_lookup") { git_tree_lookup(&$0, repo, &treeID) }
    defer { git_tree_free(tree) }
    var parent: OpaquePointer?
    if git_repository_head_unborn(repo) != 1 { parent = try HistoryReader.commit(repo, "HEAD") }
    defer { if let parent { git_commit_free(parent) } }
    let filesChanged = try changedFiles(repo, from: parent, to: tree)
    // Concluding a merge (git merge stopped for conflicts): the merged commits are parents too, as git commit makes
    // them; without them the merge would be lost from history. Its tree may equal HEAD's (a merge resolved as ours).
    let merged = try mergeHeads(repo)
    defer { merged.forEach { git_commit_free($0) } }
    if filesChanged == 0 && !allowEmpty && merged.isEmpty {
      throw GitError(
        ToolError(
          "nothing_to_commit", "Nothing to commit: the index matches \(parent == nil ? "an empty tree" : "HEAD")",
          hint: "Stage changes first (git_add, or pass paths / all: true), or pass allow_empty: true for an empty commit."))
    }
    let signature = try signature(repo, author)
    defer { git_signature_free(signature) }
    var cleaned = git_buf()
    defer { git_buf_dispose(&cleaned) }
    try Git.call("git_message_prettify") { git_message_prettify(&cleaned, message, 0, 0x23) }
    guard cleaned.size > 0 else {
      throw GitError(ToolError(.invalidArgument, "The commit message is empty", hint: "Pass a message: a summary line, then a blank line and details."))
    }
    var commitID = git_oid()
    var parents: [OpaquePointer?] = (parent.map { [$0] } ?? []) + merged.map { $0 }
    try Git.call("git_commit_create") {
      git_commit_create(&commitID, repo, "HEAD", signature, signature, nil, cleaned.ptr, tree, parents.count, &parents)
    }
    // The merge is concluded: MERGE_HEAD and MERGE_MSG go, as after git commit.
    if !merged.isEmpty { try Git.call("git_repository_state_cleanup") { git_repository_state_cleanup(repo) } }
    return (ObjectID(commitID).description, filesChanged)
  }

  /// The commits of MERGE_HEAD while a merge is in progress (none otherwise), owned by the caller.
  static func mergeHeads(_ repo: OpaquePointer) throws(GitError) -> [OpaquePointer] {
    guard git_repository_state(repo) == Int32(GIT_REPOSITORY_STATE_MERGE.rawValue) else { return [] }
    var ids: [git_oid] = []
    let rc = withUnsafeMutablePointer(to: &ids) { pointer in
      git_repository_mergehead_foreach(
        repo, { oid, payload in
          guard let oid, let payload else { return -1 }
          payload.assumingMemoryBound(to: [git_oid].self).pointee.append(oid.pointee)
          return 0
        }, pointer)
    }
    if rc < 0 { throw Git.lastError("git_repository_mergehead_foreach", rc) }
    var commits: [OpaquePointer] = []
    for var id in ids {
      do throws(GitError) {
        commits.append(try Git.make("git_commit_lookup") { git_commit_lookup(&$0, repo, &id) })
      } catch {
        commits.forEach { git_commit_free($0) }
        throw error
      }
    }
    return commits
  }

  /// How many files differ between a commit's tree (nil: the empty tree) and `tree`.
  static func changedFiles(_ repo: OpaquePointer, from commit: OpaquePointer?, to tree: OpaquePointer) throws(GitError) -> Int {
    var old: OpaquePointer?
    if let commit { old = try Git.make("git_commit_tree") { git_commit_tree(&$0, commit) } }
    defer { if let old { git_tree_free(old) } }
    let diff = try Git.make("git_diff_tree_to_tree") { git_diff_tree_to_tree(&$0, repo, old, tree, nil) }
    defer { git_diff_free(diff) }
    return git_diff_num_deltas(diff)
  }

  static func signature(_ repo: OpaquePointer, _ author: Author?) throws(GitError) -> UnsafeMutablePointer<git_signature> {
    var signature: UnsafeMutablePointer<git_signature>?
    if let author {
      try Git.call("git_signature_now") { git_signature_now(&signature, author.name, author.email) }
    } else if git_signature_default(&signature, repo) < 0 {
      git_error_clear()
      throw GitError(
        ToolError(
          "no_author", "No author for the commit: none was passed and user.name / user.email are not set in the repository's config",
          hint: "Pass author {\"name\": …, \"email\": …}, or set them with exec_run git config user.name … / user.email …."))
    }
    return signature!
  }
}
