import CGit2
import Foundation
import MishJSON
import MishRPC

/// `git/merge`: brings another commit (the hub's target, after a rejection) into HEAD, in memory with the same
/// three-way tree merge the hub's lander uses, then checks the result out. Conflicts are not left in the work tree:
/// they come back as data (each path's kind, base/ours/theirs, and the file with conflict markers), and the agent
/// calls again with `resolutions` (path → the resolved content, or null to delete), which completes the merge in
/// one step. The work tree must be clean, so nothing uncommitted is ever overwritten.
enum MergeInto {
  struct Outcome {
    var sha: String
    var fastForward: Bool
    var upToDate: Bool
    var resolved: [String]
  }

  static func merge(
    _ repo: OpaquePointer, revision: String, resolutions: [String: String?], message: String?, author: ChangeWriter.Author?
  ) throws(GitError) -> Outcome {
    try requireClean(repo)
    let head = try commitID(repo, "HEAD")
    let other = try commitID(repo, revision)
    if try descends(repo, head, from: other) { return Outcome(sha: ObjectID(head).description, fastForward: false, upToDate: true, resolved: []) }
    var newCommit = other
    var fastForward = true
    var resolved: [String] = []
    if !(try descends(repo, other, from: head)) {
      fastForward = false
      var one = head
      var two = other
      var base = git_oid()
      let baseTree: git_oid?
      if git_merge_base(&base, repo, &one, &two) == 0 { baseTree = try treeID(repo, base) } else {
        git_error_clear()
        baseTree = nil
      }
      var merger = TreeMerger(repository: repo)
      let merged = try merger.merge(base: baseTree, ours: try treeID(repo, head), theirs: try treeID(repo, other), path: "")
      var tree: git_oid
      if let merged { tree = merged } else { tree = try merger.emptyTree() }
      if !merger.conflicts.isEmpty {
        let paths = merger.conflicts.map(\.path)
        let missing = paths.filter { resolutions[$0] == nil }
        guard missing.isEmpty else {
          let details: JSONObject = [
            "conflicts": .array(merger.conflicts.map { conflict in
              guard case .object(var object) = conflict.json else { return conflict.json }
              if let text = merger.markedText[conflict.path] { object["marked"] = .string(text) }
              return .object(object)
            }),
            "paths": .array(paths.map(JSONValue.string)),
          ]
          throw GitError(ToolError(
            "conflict", "Merging \(revision) into HEAD conflicts in \(missing.joined(separator: ", ")); nothing was changed",
            hint: "Call git_merge again with resolutions: {path: resolved content (or null to delete)} for every conflicting path; each conflict's marked text shows both sides.",
            details: details))
        }
        resolved = paths
        tree = try applying(resolutions.filter { paths.contains($0.key) }, to: tree, repo)
      }
      let extra = Set(resolutions.keys).subtracting(resolved)
      guard extra.isEmpty else {
        throw GitError(ToolError(.invalidArgument, "resolutions names paths that do not conflict: \(extra.sorted().joined(separator: ", "))", hint: "Give resolutions only for the paths the conflict listed; change other files with a commit of their own."))
      }
      newCommit = try commit(repo, tree: tree, parents: [head, other], message: message ?? "Merge \(revision)", author: author)
    }
    try checkout(repo, newCommit)
    return Outcome(sha: ObjectID(newCommit).description, fastForward: fastForward, upToDate: false, resolved: resolved)
  }

  static func requireClean(_ repo: OpaquePointer) throws(GitError) {
    var options = git_status_options()
    git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION))
    options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
    let list = try Git.make("git_status_list_new") { git_status_list_new(&$0, repo, &options) }
    defer { git_status_list_free(list) }
    let count = git_status_list_entrycount(list)
    guard count == 0 else {
      throw GitError(ToolError("dirty", "The work tree has \(count) uncommitted change(s); a merge needs a clean tree so nothing is overwritten", hint: "Commit (git_commit) or discard (git_restore) them first; git_status lists them."))
    }
  }

  static func commitID(_ repo: OpaquePointer, _ revision: String) throws(GitError) -> git_oid {
    let object = try Git.make("git_revparse_single") { git_revparse_single(&$0, repo, revision) }
    defer { git_object_free(object) }
    let commit = try Git.make("git_object_peel") { git_object_peel(&$0, object, GIT_OBJECT_COMMIT) }
    defer { git_object_free(commit) }
    return git_object_id(commit).pointee
  }

  static func treeID(_ repo: OpaquePointer, _ commit: git_oid) throws(GitError) -> git_oid {
    var id = commit
    let object = try Git.make("git_commit_lookup") { git_commit_lookup(&$0, repo, &id) }
    defer { git_commit_free(object) }
    return git_commit_tree_id(object).pointee
  }

  /// True when `commit` is `ancestor` or descends from it.
  static func descends(_ repo: OpaquePointer, _ commit: git_oid, from ancestor: git_oid) throws(GitError) -> Bool {
    var a = commit
    var b = ancestor
    if git_oid_equal(&a, &b) == 1 { return true }
    return try Git.call("git_graph_descendant_of") { git_graph_descendant_of(repo, &a, &b) } == 1
  }

  /// `tree` with each path set to its resolved content (a regular file, keeping an existing file's mode) or removed.
  static func applying(_ resolutions: [String: String?], to tree: git_oid, _ repo: OpaquePointer) throws(GitError) -> git_oid {
    var id = tree
    let baseline = try Git.make("git_tree_lookup") { git_tree_lookup(&$0, repo, &id) }
    defer { git_tree_free(baseline) }
    var updates: [git_tree_update] = []
    let paths = resolutions.keys.sorted().map { strdup($0) }
    defer { for path in paths { free(path) } }
    for (index, key) in resolutions.keys.sorted().enumerated() {
      var update = git_tree_update()
      update.path = UnsafePointer(paths[index])
      if case .some(.some(let content)) = resolutions[key] {
        var blob = git_oid()
        let bytes = Array(content.utf8)
        try Git.call("git_blob_create_from_buffer") { git_blob_create_from_buffer(&blob, repo, bytes, bytes.count) }
        var mode = GIT_FILEMODE_BLOB
        var existing: OpaquePointer?
        if git_tree_entry_bypath(&existing, baseline, key) == 0, let existing {
          if git_tree_entry_filemode(existing) == GIT_FILEMODE_BLOB_EXECUTABLE { mode = GIT_FILEMODE_BLOB_EXECUTABLE }
          git_tree_entry_free(existing)
        } else {
          git_error_clear()
        }
        update.action = GIT_TREE_UPDATE_UPSERT
        update.id = blob
        update.filemode = mode
      } else {
        update.action = GIT_TREE_UPDATE_REMOVE
      }
      updates.append(update)
    }
    var result = git_oid()
    try Git.call("git_tree_create_updated") { git_tree_create_updated(&result, repo, baseline, updates.count, &updates) }
    return result
  }

  static func commit(_ repo: OpaquePointer, tree: git_oid, parents: [git_oid], message: String, author: ChangeWriter.Author?) throws(GitError) -> git_oid {
    var treeID = tree
    let treeObject = try Git.make("git_tree_lookup") { git_tree_lookup(&$0, repo, &treeID) }
    defer { git_tree_free(treeObject) }
    var commits: [OpaquePointer?] = []
    defer { for commit in commits { git_commit_free(commit) } }
    for parent in parents {
      var id = parent
      commits.append(try Git.make("git_commit_lookup") { git_commit_lookup(&$0, repo, &id) })
    }
    let signature = try ChangeWriter.signature(repo, author)
    defer { git_signature_free(signature) }
    var result = git_oid()
    try Git.call("git_commit_create") { git_commit_create(&result, repo, nil, signature, signature, nil, message, treeObject, commits.count, &commits) }
    return result
  }

  /// Updates the work tree and index from HEAD's tree to `commit`'s (safe: the tree is clean), then moves HEAD's
  /// branch (or a detached HEAD) to it.
  static func checkout(_ repo: OpaquePointer, _ commit: git_oid) throws(GitError) {
    var id = commit
    let object = try Git.make("git_object_lookup") { git_object_lookup(&$0, repo, &id, GIT_OBJECT_COMMIT) }
    defer { git_object_free(object) }
    var options = git_checkout_options()
    git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION))
    options.checkout_strategy = GIT_CHECKOUT_SAFE.rawValue
    try Git.call("git_checkout_tree") { git_checkout_tree(repo, object, &options) }
    let head = try Git.make("git_repository_head") { git_repository_head(&$0, repo) }
    defer { git_reference_free(head) }
    if git_repository_head_detached(repo) == 1 {
      try Git.call("git_repository_set_head_detached") { git_repository_set_head_detached(repo, &id) }
    } else {
      let moved = try Git.make("git_reference_set_target") { git_reference_set_target(&$0, head, &id, "mish git_merge") }
      git_reference_free(moved)
    }
  }
}
