import CGit2
import Foundation
import MishJSON

/// One repository handle for the hub's lander: resolving commits, merging trees in memory and writing commit
/// objects, with no index, no work tree and no ref touched (the lander moves the target itself, by compare-and-swap).
/// libgit2 objects are single-threaded, so every method holds `lock`.
public final class MergeRepository: @unchecked Sendable {
  let pointer: OpaquePointer
  let lock = NSLock()

  public init(path: String) throws(GitError) {
    _ = Git.initialized
    pointer = try Git.make("git_repository_open") { git_repository_open(&$0, path) }
  }

  deinit { git_repository_free(pointer) }

  func locked<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  /// The commit a revision names (tags peeled).
  public func commit(_ revision: String) throws(GitError) -> String {
    try locked { () throws(GitError) -> String in
      let object = try Git.make("git_revparse_single") { git_revparse_single(&$0, pointer, revision) }
      defer { git_object_free(object) }
      let commit = try Git.make("git_object_peel") { git_object_peel(&$0, object, GIT_OBJECT_COMMIT) }
      defer { git_object_free(commit) }
      return ObjectID(git_object_id(commit)).description
    }
  }

  public func tree(ofCommit sha: String) throws(GitError) -> String {
    try locked { () throws(GitError) -> String in
      var oid = try Self.oid(sha)
      let commit = try Git.make("git_commit_lookup") { git_commit_lookup(&$0, pointer, &oid) }
      defer { git_commit_free(commit) }
      return ObjectID(git_commit_tree_id(commit)).description
    }
  }

  /// The best common ancestor, nil when the histories are unrelated.
  public func mergeBase(_ a: String, _ b: String) throws(GitError) -> String? {
    try locked { () throws(GitError) -> String? in
      var one = try Self.oid(a)
      var two = try Self.oid(b)
      var base = git_oid()
      let rc = git_merge_base(&base, pointer, &one, &two)
      if rc == GIT_ENOTFOUND.rawValue {
        git_error_clear()
        return nil
      }
      guard rc == 0 else { throw Git.lastError("git_merge_base", rc) }
      return ObjectID(base).description
    }
  }

  /// True when `ancestor` is `descendant` or one of its ancestors.
  public func isAncestor(_ ancestor: String, of descendant: String) throws(GitError) -> Bool {
    try locked { () throws(GitError) -> Bool in
      var old = try Self.oid(ancestor)
      var new = try Self.oid(descendant)
      if git_oid_equal(&old, &new) == 1 { return true }
      return try Git.call("git_graph_descendant_of") { git_graph_descendant_of(pointer, &new, &old) } == 1
    }
  }

  /// Writes a commit object (no ref moves) with the hub as author and committer.
  public func createCommit(tree: String, parents: [String], message: String) throws(GitError) -> String {
    try locked { () throws(GitError) -> String in
      var treeID = try Self.oid(tree)
      let treeObject = try Git.make("git_tree_lookup") { git_tree_lookup(&$0, pointer, &treeID) }
      defer { git_tree_free(treeObject) }
      var commits: [OpaquePointer?] = []
      defer { for commit in commits { git_commit_free(commit) } }
      for parent in parents {
        var id = try Self.oid(parent)
        commits.append(try Git.make("git_commit_lookup") { git_commit_lookup(&$0, pointer, &id) })
      }
      var signature: UnsafeMutablePointer<git_signature>?
      try Git.call("git_signature_now") { git_signature_now(&signature, "mish hub", "hub@mish.invalid") }
      defer { git_signature_free(signature) }
      var result = git_oid()
      try Git.call("git_commit_create") {
        git_commit_create(&result, pointer, nil, signature, signature, nil, message, treeObject, commits.count, &commits)
      }
      return ObjectID(result).description
    }
  }

  /// A three-way merge of trees, in memory: see `TreeMerger`.
  public func mergeTrees(base: String?, ours: String, theirs: String) throws(GitError) -> TreeMergeResult {
    try locked { () throws(GitError) -> TreeMergeResult in
      var merger = TreeMerger(repository: pointer)
      let result = try merger.merge(
        base: try base.map { sha throws(GitError) in try Self.oid(sha) }, ours: try Self.oid(ours), theirs: try Self.oid(theirs), path: "")
      let stats = TreeMergeStats(treesVisited: merger.treesVisited, filesMerged: merger.filesMerged)
      if !merger.conflicts.isEmpty { return .conflicts(merger.conflicts.sorted { $0.path < $1.path }, stats: stats) }
      let tree: git_oid
      if let result { tree = result } else { tree = try merger.emptyTree() }
      return .clean(tree: ObjectID(tree).description, stats: stats)
    }
  }

  static func oid(_ sha: String) throws(GitError) -> git_oid {
    var oid = git_oid()
    guard git_oid_fromstrn(&oid, sha, sha.utf8.count) == 0, sha.utf8.count == 40 else {
      git_error_clear()
      throw GitError(function: "git_oid_fromstr", code: -1, errorClass: 0, message: "\(sha) is not a full object id")
    }
    return oid
  }
}

public enum TreeMergeResult: Sendable {
  case clean(tree: String, stats: TreeMergeStats)
  case conflicts([MergeConflict], stats: TreeMergeStats)
}

/// How much of the trees a merge read: it descends only where both sides changed the same subtree.
public struct TreeMergeStats: Sendable, Equatable {
  public var treesVisited: Int
  public var filesMerged: Int
}

/// A path both sides changed in ways that cannot be combined, with what each side had there.
public struct MergeConflict: Sendable, Equatable {
  public struct Side: Sendable, Equatable {
    public var oid: String
    public var mode: Int
    var json: JSONValue { .object(["oid": .string(oid), "mode": .string(String(mode, radix: 8))]) }
  }

  public var path: String
  /// content, add/add, modify/delete, delete/modify, binary, mode, type (file / directory / symlink), submodule.
  public var kind: String
  public var base: Side?
  public var ours: Side?
  public var theirs: Side?

  public var json: JSONValue {
    .object([
      "path": .string(path), "kind": .string(kind), "base": base?.json ?? .null, "ours": ours?.json ?? .null,
      "theirs": theirs?.json ?? .null,
    ])
  }
}

/// The recursive three-way merge over tree entries. Per name in any of the three trees: the same on both sides, or
/// unchanged on one side, is settled by the entry's id without reading it; only a subtree both sides changed is
/// read and merged entry by entry, and only a file both sides changed is merged line by line (`git_merge_file`,
/// the same xdiff merge git uses). So a merge of two small branches reads a handful of trees however large the
/// repository is. There is no rename detection: a file renamed on one side and edited on the other is reported
/// as modify/delete — the safe direction (a conflict to look at, never a silently lost edit).
struct TreeMerger {
  struct Entry: Equatable {
    var oid: git_oid
    var mode: UInt32

    static func == (a: Entry, b: Entry) -> Bool {
      var x = a.oid
      var y = b.oid
      return a.mode == b.mode && git_oid_equal(&x, &y) == 1
    }

    var isTree: Bool { mode == GIT_FILEMODE_TREE.rawValue }
    var isFile: Bool { mode == GIT_FILEMODE_BLOB.rawValue || mode == GIT_FILEMODE_BLOB_EXECUTABLE.rawValue }
    var isLink: Bool { mode == GIT_FILEMODE_LINK.rawValue }
    var isSubmodule: Bool { mode == GIT_FILEMODE_COMMIT.rawValue }
    var side: MergeConflict.Side { MergeConflict.Side(oid: ObjectID(oid).description, mode: Int(mode)) }

    func sameContent(_ other: Entry) -> Bool {
      var x = oid
      var y = other.oid
      return git_oid_equal(&x, &y) == 1
    }
  }

  let repository: OpaquePointer
  var conflicts: [MergeConflict] = []
  /// A text conflict's file with conflict markers (git's diff3-less form), by path: what an agent edits to resolve it.
  var markedText: [String: String] = [:]
  var treesVisited = 0
  var filesMerged = 0

  init(repository: OpaquePointer) { self.repository = repository }

  static func equal(_ a: git_oid?, _ b: git_oid?) -> Bool {
    guard var x = a, var y = b else { return a == nil && b == nil }
    return git_oid_equal(&x, &y) == 1
  }

  /// The merged tree's id, or nil when it is empty (its parent then drops it).
  mutating func merge(base: git_oid?, ours: git_oid, theirs: git_oid, path: String) throws(GitError) -> git_oid? {
    if Self.equal(ours, theirs) || Self.equal(base, theirs) { return ours }
    if Self.equal(base, ours) { return theirs }
    treesVisited += 1
    let baseEntries = try base.map { oid throws(GitError) in try entries(oid) } ?? [:]
    let ourEntries = try entries(ours)
    let theirEntries = try entries(theirs)
    var oursID = ours
    let source = try Git.make("git_tree_lookup") { git_tree_lookup(&$0, repository, &oursID) }
    defer { git_tree_free(source) }
    let builder = try Git.make("git_treebuilder_new") { git_treebuilder_new(&$0, repository, source) }
    defer { git_treebuilder_free(builder) }
    let names = Set(baseEntries.keys).union(ourEntries.keys).union(theirEntries.keys).sorted()
    for name in names {
      let (b, o, t) = (baseEntries[name], ourEntries[name], theirEntries[name])
      // Settled without looking inside: both sides agree, or only theirs changed it (ours is already in place).
      if o == t || b == t { continue }
      let child = path.isEmpty ? name : path + "/" + name
      if b == o {
        try put(builder, name, t)
        continue
      }
      // Both sides changed this name, differently.
      guard let o, let t else {
        conflicts.append(MergeConflict(path: child, kind: o == nil ? "delete/modify" : "modify/delete", base: b?.side, ours: o?.side, theirs: t?.side))
        continue
      }
      if o.isTree && t.isTree {
        let merged = try merge(base: b?.isTree == true ? b?.oid : nil, ours: o.oid, theirs: t.oid, path: child)
        try put(builder, name, merged.map { Entry(oid: $0, mode: GIT_FILEMODE_TREE.rawValue) })
      } else if o.isFile && t.isFile {
        if let merged = try mergeFile(base: b?.isFile == true ? b : nil, ours: o, theirs: t, path: child) { try put(builder, name, merged) }
      } else {
        let kind = o.isSubmodule && t.isSubmodule ? "submodule" : o.isLink && t.isLink ? "content" : "type"
        conflicts.append(MergeConflict(path: child, kind: kind, base: b?.side, ours: o.side, theirs: t.side))
      }
    }
    guard git_treebuilder_entrycount(builder) > 0 else { return nil }
    var written = git_oid()
    try Git.call("git_treebuilder_write") { git_treebuilder_write(&written, builder) }
    return written
  }

  /// Two regular files changed differently: the mode and the content merge separately; nil after a conflict.
  mutating func mergeFile(base: Entry?, ours: Entry, theirs: Entry, path: String) throws(GitError) -> Entry? {
    let mode: UInt32
    if ours.mode == theirs.mode || base?.mode == theirs.mode {
      mode = ours.mode
    } else if base?.mode == ours.mode {
      mode = theirs.mode
    } else {
      // Both sides added the file, one executable and one not.
      conflicts.append(MergeConflict(path: path, kind: "mode", base: base?.side, ours: ours.side, theirs: theirs.side))
      return nil
    }
    if ours.sameContent(theirs) || base.map(theirs.sameContent) == true { return Entry(oid: ours.oid, mode: mode) }
    if base.map(ours.sameContent) == true { return Entry(oid: theirs.oid, mode: mode) }
    let baseBlob = try base.map { entry throws(GitError) in try blob(entry.oid) }
    let ourBlob = try blob(ours.oid)
    let theirBlob = try blob(theirs.oid)
    defer {
      if let baseBlob { git_blob_free(baseBlob) }
      git_blob_free(ourBlob)
      git_blob_free(theirBlob)
    }
    if [baseBlob, ourBlob, theirBlob].contains(where: { $0.map { git_blob_is_binary($0) == 1 } ?? false }) {
      conflicts.append(MergeConflict(path: path, kind: "binary", base: base?.side, ours: ours.side, theirs: theirs.side))
      return nil
    }
    filesMerged += 1
    var inputs = [git_merge_file_input(), git_merge_file_input(), git_merge_file_input()]
    for (index, blob) in [baseBlob, ourBlob, theirBlob].enumerated() {
      git_merge_file_input_init(&inputs[index], UInt32(GIT_MERGE_FILE_INPUT_VERSION))
      if let blob {
        inputs[index].ptr = git_blob_rawcontent(blob).assumingMemoryBound(to: CChar.self)
        inputs[index].size = Int(git_blob_rawsize(blob))
      }
      inputs[index].path = nil
      inputs[index].mode = index == 0 ? (base?.mode ?? 0) : index == 1 ? ours.mode : theirs.mode
    }
    var result = git_merge_file_result()
    try Git.call("git_merge_file") { git_merge_file(&result, &inputs[0], &inputs[1], &inputs[2], nil) }
    defer { git_merge_file_result_free(&result) }
    guard result.automergeable == 1 else {
      if let text = result.ptr {
        markedText[path] = String(decoding: UnsafeRawBufferPointer(start: text, count: result.len), as: UTF8.self)
      }
      conflicts.append(MergeConflict(path: path, kind: base == nil ? "add/add" : "content", base: base?.side, ours: ours.side, theirs: theirs.side))
      return nil
    }
    var written = git_oid()
    try Git.call("git_blob_create_from_buffer") { git_blob_create_from_buffer(&written, repository, result.ptr, result.len) }
    return Entry(oid: written, mode: mode)
  }

  func entries(_ oid: git_oid) throws(GitError) -> [String: Entry] {
    var id = oid
    let tree = try Git.make("git_tree_lookup") { git_tree_lookup(&$0, repository, &id) }
    defer { git_tree_free(tree) }
    var entries: [String: Entry] = [:]
    let count = git_tree_entrycount(tree)
    entries.reserveCapacity(count)
    for index in 0..<count {
      guard let entry = git_tree_entry_byindex(tree, index) else { continue }
      entries[String(cString: git_tree_entry_name(entry))] = Entry(oid: git_tree_entry_id(entry).pointee, mode: git_tree_entry_filemode(entry).rawValue)
    }
    return entries
  }

  func blob(_ oid: git_oid) throws(GitError) -> OpaquePointer {
    var id = oid
    return try Git.make("git_blob_lookup") { git_blob_lookup(&$0, repository, &id) }
  }

  /// Sets `name` to `entry` in the tree being built, or removes it (nil).
  func put(_ builder: OpaquePointer, _ name: String, _ entry: Entry?) throws(GitError) {
    if var entry {
      try Git.call("git_treebuilder_insert") { git_treebuilder_insert(nil, builder, name, &entry.oid, git_filemode_t(entry.mode)) }
    } else if git_treebuilder_get(builder, name) != nil {
      try Git.call("git_treebuilder_remove") { git_treebuilder_remove(builder, name) }
    }
  }

  func emptyTree() throws(GitError) -> git_oid {
    let builder = try Git.make("git_treebuilder_new") { git_treebuilder_new(&$0, repository, nil) }
    defer { git_treebuilder_free(builder) }
    var written = git_oid()
    try Git.call("git_treebuilder_write") { git_treebuilder_write(&written, builder) }
    return written
  }
}
