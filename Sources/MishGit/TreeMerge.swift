import CGit2
import Foundation
import MishJSON

/// One repository handle for the hub's lander: resolving commits, merging trees in memory and writing commit
/// objects, with no index, no work tree and no ref touched (the lander moves the target itself, by compare-and-swap).
/// libgit2 objects are single-threaded, so every method holds `lock`, and reads libgit2's error inside it.
public final class MergeRepository: @unchecked Sendable {
  let pointer: OpaquePointer
  let lock = NSLock()

  /// Opens the repository at `path` (a work tree, a linked worktree or a git directory).
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

  /// The tree of the commit `sha` (a full object id).
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

  /// Writes a commit object (no ref moves) with the hub as author and committer, dated now.
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

  /// A three-way merge of the trees `ours` and `theirs` from `base` (nil: the empty tree, for unrelated histories),
  /// in memory: see `TreeMerger`. New blobs and trees are written to the object database; nothing else changes.
  public func mergeTrees(base: String?, ours: String, theirs: String) throws(GitError) -> TreeMergeResult {
    try locked { () throws(GitError) -> TreeMergeResult in
      let baseID = try base.map { sha throws(GitError) in try Self.oid(sha) }
      let (ourID, theirID) = (try Self.oid(ours), try Self.oid(theirs))
      var merger = TreeMerger(repository: pointer)
      let merged = try merger.merge(base: baseID, ours: ourID, theirs: theirID, path: "")
      let stats = TreeMergeStats(treesVisited: merger.treesVisited, filesMerged: merger.filesMerged)
      if !merger.conflicts.isEmpty { return .conflicts(merger.conflicts.sorted { $0.path < $1.path }, stats: stats) }
      guard let merged else { return .clean(tree: ObjectID(try merger.emptyTree()).description, stats: stats) }
      return .clean(tree: ObjectID(merged).description, stats: stats)
    }
  }

  /// A full 40-hex object id; abbreviations are refused (the lander always has full ids, and an ambiguous prefix
  /// must never pick an object silently).
  static func oid(_ sha: String) throws(GitError) -> git_oid {
    var oid = git_oid()
    guard sha.utf8.count == 40, git_oid_fromstrn(&oid, sha, 40) == 0 else {
      git_error_clear()
      throw GitError(function: "git_oid_fromstr", code: -1, errorClass: 0, message: "\(sha) is not a full object id")
    }
    return oid
  }
}

/// The outcome of `MergeRepository.mergeTrees`: a conflict is a result, not an error.
public enum TreeMergeResult: Sendable {
  case clean(tree: String, stats: TreeMergeStats)
  case conflicts([MergeConflict], stats: TreeMergeStats)
}

/// How much of the trees a merge read: it descends only where both sides changed the same subtree, so these stay
/// small however large the repository is (the benchmark and the tests check it).
public struct TreeMergeStats: Sendable, Equatable {
  /// Trees read and merged entry by entry (the root counts when both sides changed something).
  public var treesVisited: Int
  /// Files both sides changed, merged line by line.
  public var filesMerged: Int

  public init(treesVisited: Int, filesMerged: Int) {
    self.treesVisited = treesVisited
    self.filesMerged = filesMerged
  }
}

/// A path both sides changed in ways that cannot be combined, with what each side had there.
public struct MergeConflict: Sendable, Equatable {
  /// One side's entry at the path: its object id and git's file mode (`0o100644`, `0o100755`, `0o120000`
  /// symlink, `0o160000` submodule, `0o040000` directory).
  public struct Side: Sendable, Equatable {
    public var oid: String
    public var mode: Int

    public init(oid: String, mode: Int) {
      self.oid = oid
      self.mode = mode
    }

    /// The mode as git prints it ("100644", "040000"), since six octal digits are how every git user reads modes.
    var json: JSONValue {
      let octal = String(mode, radix: 8)
      return ["oid": .string(oid), "mode": .string(String(repeating: "0", count: max(0, 6 - octal.count)) + octal)]
    }
  }

  /// Relative to the repository root, '/'-separated.
  public var path: String
  /// `content` (both edited the same lines, or a symlink's target), `add/add` (both added different files),
  /// `modify/delete` (ours modified, theirs deleted), `delete/modify`, `binary`, `mode` (both added the file, one
  /// executable), `type` (a file, directory, symlink or submodule on one side, another kind on the other),
  /// `submodule` (both moved it, differently).
  public var kind: String
  public var base: Side?
  public var ours: Side?
  public var theirs: Side?

  public init(path: String, kind: String, base: Side?, ours: Side?, theirs: Side?) {
    self.path = path
    self.kind = kind
    self.base = base
    self.ours = ours
    self.theirs = theirs
  }

  public var json: JSONValue {
    [
      "path": .string(path), "kind": .string(kind), "base": base?.json ?? .null, "ours": ours?.json ?? .null,
      "theirs": theirs?.json ?? .null,
    ]
  }
}

/// The recursive three-way merge over tree entries, written here instead of `git_merge_trees` because libgit2
/// merges into a whole-repository index (≈0.4 s on 100,000 files) where this reads only what both sides changed.
///
/// Per name in any of the three trees: the same on both sides, or unchanged on one side (a deletion included), is
/// settled by the entry's id without reading it; only a subtree both sides changed is read and merged entry by
/// entry, and only a file both sides changed is merged line by line (`git_merge_file`, the xdiff merge git uses, at
/// the same level). So a merge of two small branches reads a handful of trees however large the repository is, and
/// a clean result is the tree `git merge-tree --write-tree` writes (the tests compare them on random histories).
///
/// Like git, it merges by path: a file `a` and a directory `a/` are different paths, each merged on its own, and
/// only when both survive is the name a `type` conflict. A directory left empty disappears from its parent.
///
/// There is no rename detection: a file renamed on one side and edited on the other is reported as modify/delete —
/// the safe direction (a conflict to look at, never an edit silently dropped), where git would follow the rename.
struct TreeMerger {
  /// A tree entry as the merge compares it: same id and mode means unchanged.
  struct Entry: Equatable {
    var oid: git_oid
    var mode: UInt32

    static func == (a: Entry, b: Entry) -> Bool { a.mode == b.mode && TreeMerger.equal(a.oid, b.oid) }

    var isTree: Bool { mode == GIT_FILEMODE_TREE.rawValue }
    var isFile: Bool { mode == GIT_FILEMODE_BLOB.rawValue || mode == GIT_FILEMODE_BLOB_EXECUTABLE.rawValue }
    var isLink: Bool { mode == GIT_FILEMODE_LINK.rawValue }
    var isSubmodule: Bool { mode == GIT_FILEMODE_COMMIT.rawValue }
    var side: MergeConflict.Side { MergeConflict.Side(oid: ObjectID(oid).description, mode: Int(mode)) }

    static func tree(_ oid: git_oid) -> Entry { Entry(oid: oid, mode: GIT_FILEMODE_TREE.rawValue) }
  }

  /// What a name merged to: an entry, nothing (deleted, or an emptied directory), or a conflict already recorded.
  enum Outcome {
    case merged(Entry?)
    case conflict
  }

  /// git reads this much of a file to decide it is binary (a NUL byte in it), and so does this merge.
  static let binaryProbeBytes = 8000

  let repository: OpaquePointer
  /// Every conflict, in the order found (`MergeRepository` sorts them by path).
  var conflicts: [MergeConflict] = []
  /// A text conflict's file with conflict markers (`<<<<<<< ours` … `>>>>>>> theirs`), by path: what an agent edits
  /// to resolve it (`git/merge` returns it).
  var markedText: [String: String] = [:]
  var treesVisited = 0
  var filesMerged = 0

  init(repository: OpaquePointer) { self.repository = repository }

  static func equal(_ a: git_oid?, _ b: git_oid?) -> Bool {
    guard var x = a, var y = b else { return a == nil && b == nil }
    return git_oid_equal(&x, &y) == 1
  }

  /// The three-way rule that settles a name without reading it: both sides agree, or one side left the base as it
  /// was. `nil` when both changed it, differently.
  static func trivial(_ base: Entry?, _ ours: Entry?, _ theirs: Entry?) -> Entry?? {
    if ours == theirs || base == theirs { return .some(ours) }
    if base == ours { return .some(theirs) }
    return nil
  }

  /// Merges three trees (nil: absent, i.e. empty) into a new one and returns its id, or nil when the result is
  /// empty (its parent then drops it). After a conflict the returned tree is meaningless; `conflicts` says what.
  mutating func merge(base: git_oid?, ours: git_oid?, theirs: git_oid?, path: String) throws(GitError) -> git_oid? {
    if Self.equal(ours, theirs) || Self.equal(base, theirs) { return ours }
    if Self.equal(base, ours) { return theirs }
    treesVisited += 1
    let baseEntries = try withTree(base) { $0.map(Self.entries) ?? [:] }
    let theirEntries = try withTree(theirs) { $0.map(Self.entries) ?? [:] }
    // The result starts as ours (looked up once, for its entries and as the builder's source): only the names
    // merged differently are then written.
    var ourEntries: [String: Entry] = [:]
    let builder = try withTree(ours) { tree throws(GitError) in
      if let tree { ourEntries = Self.entries(tree) }
      return try Git.make("git_treebuilder_new") { git_treebuilder_new(&$0, repository, tree) }
    }
    defer { git_treebuilder_free(builder) }
    var edited = false
    for name in Set(baseEntries.keys).union(ourEntries.keys).union(theirEntries.keys).sorted() {
      let (b, o, t) = (baseEntries[name], ourEntries[name], theirEntries[name])
      let outcome: Outcome
      if let settled = Self.trivial(b, o, t) {
        outcome = .merged(settled)
      } else {
        outcome = try mergeEntry(base: b, ours: o, theirs: t, path: path.isEmpty ? name : path + "/" + name)
      }
      // A conflict leaves ours in place; the tree is not used then.
      guard case .merged(let entry) = outcome, entry != o else { continue }
      try put(builder, name, entry)
      edited = true
    }
    if !edited { return ours }
    guard git_treebuilder_entrycount(builder) > 0 else { return nil }
    var written = git_oid()
    try Git.call("git_treebuilder_write") { git_treebuilder_write(&written, builder) }
    return written
  }

  /// One name both sides changed differently. The directory and the non-directory at the name are merged apart
  /// (git's paths `a/…` and `a`); if both are left, the name is a `type` conflict.
  mutating func mergeEntry(base: Entry?, ours: Entry?, theirs: Entry?, path: String) throws(GitError) -> Outcome {
    func tree(_ entry: Entry?) -> Entry? { entry?.isTree == true ? entry : nil }
    func other(_ entry: Entry?) -> Entry? { entry?.isTree == false ? entry : nil }

    var treeResult: Entry?
    let conflictsBefore = conflicts.count
    if let settled = Self.trivial(tree(base), tree(ours), tree(theirs)) {
      treeResult = settled
    } else {
      let merged = try merge(base: tree(base)?.oid, ours: tree(ours)?.oid, theirs: tree(theirs)?.oid, path: path)
      treeResult = merged.map(Entry.tree)
    }
    let treeConflicted = conflicts.count > conflictsBefore

    var otherResult: Entry?
    var otherConflict: String?
    if let settled = Self.trivial(other(base), other(ours), other(theirs)) {
      otherResult = settled
    } else {
      switch try mergeNonTree(base: other(base), ours: other(ours), theirs: other(theirs), path: path) {
      case .merged(let entry): otherResult = entry
      case .failed(let kind): otherConflict = kind
      }
    }

    let treeLeft = treeResult != nil || treeConflicted
    let otherLeft = otherResult != nil || otherConflict != nil
    if let kind = treeLeft && otherLeft ? "type" : otherConflict {
      conflicts.append(MergeConflict(path: path, kind: kind, base: base?.side, ours: ours?.side, theirs: theirs?.side))
      return .conflict
    }
    return treeConflicted ? .conflict : .merged(treeResult ?? otherResult)
  }

  enum NonTreeOutcome {
    case merged(Entry?)
    case failed(kind: String)
  }

  /// A file, symlink or submodule both sides changed differently (none of the three is a directory).
  mutating func mergeNonTree(base: Entry?, ours: Entry?, theirs: Entry?, path: String) throws(GitError) -> NonTreeOutcome {
    // A deletion against a change: the base exists, or the rule in `trivial` would have settled it.
    guard let ours else { return .failed(kind: "delete/modify") }
    guard let theirs else { return .failed(kind: "modify/delete") }
    if ours.isFile && theirs.isFile {
      // A base of another kind (a symlink that became a file on both sides) has no lines in common with them.
      return try mergeFile(base: base?.isFile == true ? base : nil, ours: ours, theirs: theirs, path: path)
    }
    if ours.isSubmodule && theirs.isSubmodule { return .failed(kind: "submodule") }
    if ours.isLink && theirs.isLink { return .failed(kind: "content") }
    return .failed(kind: "type")
  }

  /// Two regular files changed differently: the mode and the content merge separately, like git's.
  mutating func mergeFile(base: Entry?, ours: Entry, theirs: Entry, path: String) throws(GitError) -> NonTreeOutcome {
    let mode: UInt32
    if ours.mode == theirs.mode || base?.mode == theirs.mode {
      mode = ours.mode
    } else if base?.mode == ours.mode {
      mode = theirs.mode
    } else {
      // Both added the file (with only two regular modes, changing it on both sides means agreeing), one
      // executable and one not.
      return .failed(kind: "mode")
    }
    // The content as `trivial` would settle it, now that the modes are merged apart.
    if Self.equal(ours.oid, theirs.oid) || Self.equal(base?.oid, theirs.oid) {
      return .merged(Entry(oid: ours.oid, mode: mode))
    }
    if Self.equal(base?.oid, ours.oid) { return .merged(Entry(oid: theirs.oid, mode: mode)) }

    let baseBlob = try base.map { entry throws(GitError) in try blob(entry.oid) }
    defer { if let baseBlob { git_blob_free(baseBlob) } }
    let ourBlob = try blob(ours.oid)
    defer { git_blob_free(ourBlob) }
    let theirBlob = try blob(theirs.oid)
    defer { git_blob_free(theirBlob) }
    if [baseBlob, ourBlob, theirBlob].contains(where: { $0.map(Self.isBinary) ?? false }) {
      return .failed(kind: "binary")
    }

    filesMerged += 1
    var baseInput = git_merge_file_input()
    var ourInput = git_merge_file_input()
    var theirInput = git_merge_file_input()
    Self.input(&baseInput, baseBlob, mode: base?.mode ?? 0)
    Self.input(&ourInput, ourBlob, mode: ours.mode)
    Self.input(&theirInput, theirBlob, mode: theirs.mode)
    var options = git_merge_file_options()
    git_merge_file_options_init(&options, UInt32(GIT_MERGE_FILE_OPTIONS_VERSION))
    options.our_label = Self.label("ours")
    options.their_label = Self.label("theirs")
    var result = git_merge_file_result()
    try Git.call("git_merge_file") { git_merge_file(&result, &baseInput, &ourInput, &theirInput, &options) }
    defer { git_merge_file_result_free(&result) }
    guard result.automergeable == 1 else {
      if let text = result.ptr {
        markedText[path] = String(decoding: UnsafeRawBufferPointer(start: text, count: result.len), as: UTF8.self)
      }
      return .failed(kind: base == nil ? "add/add" : "content")
    }
    var written = git_oid()
    try Git.call("git_blob_create_from_buffer") { git_blob_create_from_buffer(&written, repository, result.ptr, result.len) }
    return .merged(Entry(oid: written, mode: mode))
  }

  /// A merge input over a blob's bytes (which stay owned by the blob); no blob is the empty file.
  static func input(_ input: inout git_merge_file_input, _ blob: OpaquePointer?, mode: UInt32) {
    git_merge_file_input_init(&input, UInt32(GIT_MERGE_FILE_INPUT_VERSION))
    if let blob {
      input.ptr = git_blob_rawcontent(blob).assumingMemoryBound(to: CChar.self)
      input.size = Int(git_blob_rawsize(blob))
    }
    input.mode = mode
  }

  /// A conflict marker label that lives as long as the program (a literal in the binary).
  static func label(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
  }

  /// git's test (`buffer_is_binary`): a NUL byte in the first 8000 bytes. Not `git_blob_is_binary`, which also
  /// counts control characters and so would call some files binary that git merges as text.
  static func isBinary(_ blob: OpaquePointer) -> Bool {
    let size = min(Int(git_blob_rawsize(blob)), binaryProbeBytes)
    guard size > 0, let bytes = git_blob_rawcontent(blob) else { return false }
    return memchr(bytes, 0, size) != nil
  }

  /// Runs `body` with the tree `oid` (nil: none), freeing it afterwards.
  func withTree<T>(_ oid: git_oid?, _ body: (OpaquePointer?) throws(GitError) -> T) throws(GitError) -> T {
    guard var id = oid else { return try body(nil) }
    let tree = try Git.make("git_tree_lookup") { git_tree_lookup(&$0, repository, &id) }
    defer { git_tree_free(tree) }
    return try body(tree)
  }

  /// A tree's entries by name (copied out: they outlive the tree object).
  static func entries(_ tree: OpaquePointer) -> [String: Entry] {
    let count = git_tree_entrycount(tree)
    var entries: [String: Entry] = [:]
    entries.reserveCapacity(count)
    for index in 0..<count {
      guard let entry = git_tree_entry_byindex(tree, index) else { continue }
      entries[String(cString: git_tree_entry_name(entry))] = Entry(
        oid: git_tree_entry_id(entry).pointee, mode: git_tree_entry_filemode(entry).rawValue)
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

  /// The empty tree's id (written, so a commit can name it): the result when everything was deleted.
  func emptyTree() throws(GitError) -> git_oid {
    let builder = try Git.make("git_treebuilder_new") { git_treebuilder_new(&$0, repository, nil) }
    defer { git_treebuilder_free(builder) }
    var written = git_oid()
    try Git.call("git_treebuilder_write") { git_treebuilder_write(&written, builder) }
    return written
  }
}
