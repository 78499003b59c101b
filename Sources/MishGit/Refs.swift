import CGit2
import Foundation
import MishJSON
import MishRPC

public struct BranchInfo: Sendable, Equatable {
  public var name: String
  public var sha: String?
  public var isHead: Bool
  public var upstream: String?

  public var json: JSONValue {
    ["name": .string(name), "sha": JSONValue(sha), "head": .bool(isHead), "upstream": JSONValue(upstream)]
  }
}

public struct CheckpointInfo: Sendable, Equatable {
  public var name: String
  public var sha: String
  public var time: String
  public var message: String

  public var json: JSONValue { ["name": .string(name), "sha": .string(sha), "time": .string(time), "message": .string(message)] }
}

/// Where a work tree's checkpoints are. Linked worktrees (the hub's sessions) share their repository's refs, so each
/// keeps its own, apart: refs/mish/checkpoints/main/NAME for the main work tree and
/// refs/mish/checkpoints/worktrees/ID/NAME for a linked one (ID as in .git/worktrees/ID). Otherwise sessions would
/// list, number and restore one another's.
public enum CheckpointRefs {
  /// The prefix for the main work tree (nil) or the linked worktree `worktreeID`.
  public static func prefix(worktreeID: String?) -> String {
    guard let worktreeID else { return "refs/mish/checkpoints/main/" }
    return "refs/mish/checkpoints/worktrees/\(refComponent(worktreeID))/"
  }

  /// The prefix of the linked worktree at `path`, found from its `.git` file ("gitdir: …/worktrees/ID"); nil when
  /// `path` holds no linked worktree.
  public static func prefix(ofWorktreeAt path: String) -> String? {
    guard let link = try? String(contentsOfFile: path + "/.git", encoding: .utf8), link.hasPrefix("gitdir: "),
      let id = link.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/").last
    else { return nil }
    return prefix(worktreeID: String(id))
  }

  /// `text` as one valid ref name component: bytes other than letters, digits, '-' and '_' are written %XX.
  static func refComponent(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
      let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
      if plain {
        out.unicodeScalars.append(Unicode.Scalar(byte))
      } else {
        out += byte < 0x10 ? "%0" : "%"
        out += String(byte, radix: 16, uppercase: true)
      }
    }
    return out.isEmpty ? "%" : out
  }
}

/// Branches and checkpoints: refs created, listed and deleted through libgit2.
enum RefWriter {
  static func branches(_ repo: OpaquePointer) throws(GitError) -> [BranchInfo] {
    let iterator = try Git.make("git_branch_iterator_new") { git_branch_iterator_new(&$0, repo, GIT_BRANCH_LOCAL) }
    defer { git_branch_iterator_free(iterator) }
    var result: [BranchInfo] = []
    var reference: OpaquePointer?
    var type = GIT_BRANCH_LOCAL
    while git_branch_next(&reference, &type, iterator) == 0, let branch = reference {
      defer { git_reference_free(branch) }
      var name: UnsafePointer<CChar>?
      guard git_branch_name(&name, branch) == 0, let name else { continue }
      var info = BranchInfo(
        name: String(cString: name), sha: git_reference_target(branch).map { ObjectID($0).description },
        isHead: git_branch_is_head(branch) == 1, upstream: nil)
      var upstream: OpaquePointer?
      if git_branch_upstream(&upstream, branch) == 0, let upstream {
        info.upstream = String(cString: git_reference_shorthand(upstream))
        git_reference_free(upstream)
      }
      result.append(info)
    }
    git_error_clear()
    return result.sorted { $0.name < $1.name }
  }

  static func createBranch(_ repo: OpaquePointer, name: String, start: String) throws(GitError) -> BranchInfo {
    var valid: Int32 = 0
    try Git.call("git_branch_name_is_valid") { git_branch_name_is_valid(&valid, name) }
    guard valid == 1 else {
      throw GitError(ToolError(.invalidArgument, "\"\(name)\" is not a valid branch name", hint: "Use letters, digits, / - _ . (no spaces, no .., no leading -)."))
    }
    let commit = try HistoryReader.commit(repo, start)
    defer { git_commit_free(commit) }
    let branch = try Git.make("git_branch_create(\(name))") { git_branch_create(&$0, repo, name, commit, 0) }
    defer { git_reference_free(branch) }
    return BranchInfo(name: name, sha: ObjectID(git_commit_id(commit)).description, isHead: false, upstream: nil)
  }

  /// Deletes a local branch: never the one checked out here or in another worktree, and (unless `force`) only when
  /// HEAD contains its commits.
  static func deleteBranch(_ repo: OpaquePointer, name: String, force: Bool) throws(GitError) -> String {
    let branch = try Git.make("git_branch_lookup(\(name))") { git_branch_lookup(&$0, repo, name, GIT_BRANCH_LOCAL) }
    defer { git_reference_free(branch) }
    if git_branch_is_checked_out(branch) == 1 {
      throw GitError(ToolError("branch_in_use", "Branch \(name) is checked out (here or in another worktree)", hint: "Switch that worktree to another branch first; a checked-out branch is never deleted."))
    }
    let sha = git_reference_target(branch).map { ObjectID($0).description } ?? ""
    if !force, let target = git_reference_target(branch) {
      // An unborn HEAD (a new orphan branch) contains no commit at all.
      var merged = false
      if git_repository_head_unborn(repo) != 1 {
        let head = try HistoryReader.commit(repo, "HEAD")
        defer { git_commit_free(head) }
        merged = git_oid_equal(git_commit_id(head), target) == 1 || git_graph_descendant_of(repo, git_commit_id(head), target) == 1
      }
      if !merged {
        throw GitError(ToolError("not_merged", "Branch \(name) has commits HEAD does not contain", hint: "Merge it first, or pass force: true to delete it anyway (its commits stay reachable by sha \(sha) for a while)."))
      }
    }
    try Git.call("git_branch_delete") { git_branch_delete(branch) }
    return sha
  }

  // MARK: - Checkpoints

  static func checkpointPrefix(_ repo: OpaquePointer) -> String {
    guard git_repository_is_worktree(repo) == 1, let gitDir = git_repository_path(repo) else { return CheckpointRefs.prefix(worktreeID: nil) }
    return CheckpointRefs.prefix(worktreeID: String(cString: gitDir).split(separator: "/").last.map(String.init) ?? "")
  }

  /// A snapshot of the whole work tree — tracked and untracked files, not ignored ones — as a commit on a private
  /// ref, parented on HEAD. The index and HEAD are left as they were.
  static func createCheckpoint(_ repo: OpaquePointer, name: String?, message: String?) throws(GitError) -> CheckpointInfo {
    var treeID = try workTreeSnapshot(repo)
    return try commitCheckpoint(repo, name: name ?? autoName(repo), message: message, tree: &treeID)
  }

  /// The work tree (tracked and untracked files, not ignored ones) written as a tree: the repository's index is
  /// staged in memory only to write it, then re-read from disk.
  static func workTreeSnapshot(_ repo: OpaquePointer) throws(GitError) -> git_oid {
    let index = try ChangeWriter.index(repo)
    defer { git_index_free(index) }
    if git_index_has_conflicts(index) == 1 {
      throw GitError(ToolError("conflict", "The index has unresolved conflicts; a checkpoint cannot capture them", hint: "Resolve and stage the conflicted paths first."))
    }
    var treeID = git_oid()
    let staged: Result<Void, GitError> = Result { () throws(GitError) in
      try ChangeWriter.stage(index, [])
      try Git.call("git_index_write_tree") { git_index_write_tree(&treeID, index) }
    }
    // Back to what is on disk, whatever happened: the index file was never written.
    _ = git_index_read(index, 1)
    try staged.get()
    return treeID
  }

  static func commitCheckpoint(_ repo: OpaquePointer, name: String, message: String?, tree treeID: inout git_oid) throws(GitError) -> CheckpointInfo {
    let refName = checkpointPrefix(repo) + name
    var valid: Int32 = 0
    try Git.call("git_reference_name_is_valid") { git_reference_name_is_valid(&valid, refName) }
    guard valid == 1 else {
      throw GitError(ToolError(.invalidArgument, "\"\(name)\" is not a valid checkpoint name", hint: "Use letters, digits, - _ . /."))
    }
    let tree = try Git.make("git_tree_lookup") { git_tree_lookup(&$0, repo, &treeID) }
    defer { git_tree_free(tree) }
    var parent: OpaquePointer?
    if git_repository_head_unborn(repo) != 1 { parent = try HistoryReader.commit(repo, "HEAD") }
    defer { if let parent { git_commit_free(parent) } }
    var signature: UnsafeMutablePointer<git_signature>?
    try Git.call("git_signature_now") { git_signature_now(&signature, "mish", "mish@localhost") }
    defer { git_signature_free(signature) }
    let text = "mish checkpoint \(name)" + (message.map { "\n\n\($0)" } ?? "") + "\n"
    var commitID = git_oid()
    var parents: [OpaquePointer?] = parent.map { [$0] } ?? []
    try Git.call("git_commit_create") {
      git_commit_create(&commitID, repo, nil, signature, signature, nil, text, tree, parents.count, &parents)
    }
    let reference = try Git.make("git_reference_create(\(refName))") {
      git_reference_create(&$0, repo, refName, &commitID, 0, "mish checkpoint")
    }
    git_reference_free(reference)
    let commit = try HistoryReader.commit(repo, ObjectID(commitID).description)
    defer { git_commit_free(commit) }
    return info(name: name, commit: commit)
  }

  static func info(name: String, commit: OpaquePointer) -> CheckpointInfo {
    let details = CommitInfo(commit)
    let body = details.message.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
    return CheckpointInfo(
      name: name, sha: details.sha, time: details.committer.timestamp,
      message: body.count > 2 ? String(body[2]).trimmingCharacters(in: .whitespacesAndNewlines) : "")
  }

  /// `cp-1`, `cp-2`, ...: the next number not taken.
  static func autoName(_ repo: OpaquePointer) -> String {
    let taken = Set(((try? checkpoints(repo)) ?? []).map(\.name))
    var number = taken.count + 1
    while taken.contains("cp-\(number)") { number += 1 }
    return "cp-\(number)"
  }

  static func checkpoints(_ repo: OpaquePointer) throws(GitError) -> [CheckpointInfo] {
    let prefix = checkpointPrefix(repo)
    let iterator = try Git.make("git_reference_iterator_glob_new") {
      git_reference_iterator_glob_new(&$0, repo, prefix + "*")
    }
    defer { git_reference_iterator_free(iterator) }
    var result: [CheckpointInfo] = []
    var reference: OpaquePointer?
    while git_reference_next(&reference, iterator) == 0, let ref = reference {
      defer { git_reference_free(ref) }
      let name = String(String(cString: git_reference_name(ref)).dropFirst(prefix.count))
      var object: OpaquePointer?
      guard git_reference_peel(&object, ref, GIT_OBJECT_COMMIT) == 0, let object else { continue }
      defer { git_object_free(object) }
      result.append(info(name: name, commit: object))
    }
    git_error_clear()
    return result.sorted { ($0.time, $0.name) < ($1.time, $1.name) }
  }

  /// What a restore did: the checkpoint, the backup of the work tree it replaced (nil when they were the same),
  /// and each path it changed (added: brought back, deleted: not in the checkpoint, modified).
  struct Restored {
    var checkpoint: CheckpointInfo
    var backup: CheckpointInfo?
    var changes: [(path: String, status: String)]
  }

  /// Makes the work tree exactly the checkpoint's (tracked and untracked files; ignored ones are left alone),
  /// without touching the index or HEAD. What it replaces is first kept as a checkpoint of its own, so files
  /// written since (untracked ones too, which the restore removes) can still be brought back.
  static func restoreCheckpoint(_ repo: OpaquePointer, name: String) throws(GitError) -> Restored {
    try requireCheckpoint(repo, name)
    let commit = try HistoryReader.commit(repo, checkpointPrefix(repo) + name)
    defer { git_commit_free(commit) }
    let tree = try Git.make("git_commit_tree") { git_commit_tree(&$0, commit) }
    defer { git_tree_free(tree) }
    var currentID = try workTreeSnapshot(repo)
    let current = try Git.make("git_tree_lookup") { git_tree_lookup(&$0, repo, &currentID) }
    defer { git_tree_free(current) }
    let diff = try Git.make("git_diff_tree_to_tree") { git_diff_tree_to_tree(&$0, repo, current, tree, nil) }
    defer { git_diff_free(diff) }
    let changes = (0..<git_diff_num_deltas(diff)).compactMap { position -> (path: String, status: String)? in
      guard let delta = git_diff_get_delta(diff, position)?.pointee else { return nil }
      return (String(cString: delta.new_file.path), DiffReader.statusWord(delta.status))
    }
    var restored = Restored(checkpoint: info(name: name, commit: commit), backup: nil, changes: changes)
    if changes.isEmpty { return restored }
    restored.backup = try commitCheckpoint(repo, name: autoName(repo), message: "The work tree before restoring \(name).", tree: &currentID)
    var options = git_checkout_options()
    try Git.call("git_checkout_options_init") { git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)) }
    options.checkout_strategy =
      GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue
    // The baseline is the tree itself, so every path of the work tree not in it counts as untracked (and goes).
    options.baseline = tree
    try Git.call("git_checkout_tree") { git_checkout_tree(repo, tree, &options) }
    return restored
  }

  /// Refuses a checkpoint name that names none, saying where the names are.
  static func requireCheckpoint(_ repo: OpaquePointer, _ name: String) throws(GitError) {
    var id = git_oid()
    guard git_reference_name_to_id(&id, repo, checkpointPrefix(repo) + name) == 0 else {
      git_error_clear()
      throw GitError(
        ToolError(.notFound, "No checkpoint named \(name)", hint: "git_checkpoint {\"action\": \"list\"} shows the checkpoints there are.", details: ["name": .string(name)]))
    }
  }

  static func deleteCheckpoint(_ repo: OpaquePointer, name: String) throws(GitError) -> String {
    try requireCheckpoint(repo, name)
    let reference = try Git.make("git_reference_lookup") { git_reference_lookup(&$0, repo, checkpointPrefix(repo) + name) }
    defer { git_reference_free(reference) }
    let sha = git_reference_target(reference).map { ObjectID($0).description } ?? ""
    try Git.call("git_reference_delete") { git_reference_delete(reference) }
    return sha
  }
}
