import CGit2
import MishJSON

/// What to compare: the work tree, the index, or trees of revisions.
public enum DiffSides: Sendable, Equatable {
  /// index → work tree (`git diff`)
  case indexToWorkdir
  /// tree → index (`git diff --cached [rev]`), HEAD when nil
  case treeToIndex(String?)
  /// tree → work tree, through the index (`git diff rev`)
  case treeToWorkdir(String)
  /// tree → tree (`git diff a b`)
  case treeToTree(String, String)
}

/// One file's change.
public struct FileDiff: Sendable, Equatable {
  public var path: String
  public var oldPath: String?
  /// added, deleted, modified, renamed, copied, typechange
  public var status: String
  public var additions: Int
  public var deletions: Int
  public var binary: Bool
  public var similarity: Int?
  public var oldMode: Int
  public var newMode: Int
  /// The unified patch text (`diff --git` header on), or nil for stat-only.
  public var patch: String?
  public var patchTruncated = false

  public var json: JSONValue {
    var object: JSONObject = [
      "path": .string(path), "status": .string(status), "additions": .int(additions), "deletions": .int(deletions),
      "binary": .bool(binary),
    ]
    if let oldPath { object["old_path"] = .string(oldPath) }
    if let similarity { object["similarity"] = .int(similarity) }
    if oldMode != newMode && oldMode != 0 && newMode != 0 {
      object["old_mode"] = .string(String(oldMode, radix: 8))
      object["new_mode"] = .string(String(newMode, radix: 8))
    }
    if let patch { object["patch"] = .string(patch) }
    if patchTruncated { object["patch_truncated"] = .bool(true) }
    return .object(object)
  }
}

public struct DiffRequest: Sendable {
  public var sides: DiffSides = .indexToWorkdir
  public var paths: [String] = []
  public var contextLines = 3
  public var statOnly = false
  public var findRenames = true
  /// Patch bytes per page; the page always holds at least one file.
  public var maxBytes = 100_000
  /// The file index to start at (from `next_cursor`).
  public var start = 0
  /// `paths` are exact file paths, not pathspecs (what the status cache says changed).
  public var exactPaths = false
}

public struct DiffPage: Sendable {
  public var files: [FileDiff]
  public var totalFiles: Int
  public var additions: Int
  public var deletions: Int
  public var nextStart: Int?
}

enum DiffReader {
  static func statusWord(_ status: git_delta_t) -> String {
    switch status {
    case GIT_DELTA_ADDED, GIT_DELTA_UNTRACKED: return "added"
    case GIT_DELTA_DELETED: return "deleted"
    case GIT_DELTA_RENAMED: return "renamed"
    case GIT_DELTA_COPIED: return "copied"
    case GIT_DELTA_TYPECHANGE: return "typechange"
    case GIT_DELTA_CONFLICTED: return "conflicted"
    default: return "modified"
    }
  }

  /// A revision's tree (commit, tag or tree spec), owned by the caller.
  static func tree(_ repo: OpaquePointer, _ spec: String) throws(GitError) -> OpaquePointer {
    try HistoryReader.peeled(repo, spec, to: GIT_OBJECT_TREE, "tree")
  }

  /// HEAD's tree, or nil on an unborn branch (everything is then new).
  static func headTree(_ repo: OpaquePointer) throws(GitError) -> OpaquePointer? {
    if git_repository_head_unborn(repo) == 1 { return nil }
    return try tree(repo, "HEAD")
  }

  static func makeDiff(_ repo: OpaquePointer, _ request: DiffRequest) throws(GitError) -> OpaquePointer {
    var options = git_diff_options()
    try Git.call("git_diff_options_init") { git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)) }
    options.context_lines = UInt32(max(0, request.contextLines))
    if request.exactPaths { options.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue }
    return try Git.withStrarray(request.paths) { pathspec throws(GitError) -> OpaquePointer in
      if !request.paths.isEmpty { options.pathspec = pathspec.pointee }
      let diff: OpaquePointer
      switch request.sides {
      case .indexToWorkdir:
        diff = try Git.make("git_diff_index_to_workdir") { git_diff_index_to_workdir(&$0, repo, nil, &options) }
      case .treeToIndex(let spec):
        let old: OpaquePointer?
        if let spec { old = try tree(repo, spec) } else { old = try headTree(repo) }
        defer { if let old { git_tree_free(old) } }
        diff = try Git.make("git_diff_tree_to_index") { git_diff_tree_to_index(&$0, repo, old, nil, &options) }
      case .treeToWorkdir(let spec):
        let old = try tree(repo, spec)
        defer { git_tree_free(old) }
        diff = try Git.make("git_diff_tree_to_workdir_with_index") { git_diff_tree_to_workdir_with_index(&$0, repo, old, &options) }
      case .treeToTree(let a, let b):
        let old = try tree(repo, a)
        defer { git_tree_free(old) }
        let new = try tree(repo, b)
        defer { git_tree_free(new) }
        diff = try Git.make("git_diff_tree_to_tree") { git_diff_tree_to_tree(&$0, repo, old, new, &options) }
      }
      if request.findRenames {
        var find = git_diff_find_options()
        do throws(GitError) {
          try Git.call("git_diff_find_options_init") { git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)) }
          find.flags = GIT_DIFF_FIND_RENAMES.rawValue
          try Git.call("git_diff_find_similar") { git_diff_find_similar(diff, &find) }
        } catch {
          git_diff_free(diff)
          throw error
        }
      }
      return diff
    }
  }

  /// How many of `bytes` a patch cut at `limit` keeps: up to the last whole line that fits or, when that would
  /// drop more than half the room (one very long line), the last whole UTF-8 character (a cut inside one would
  /// decode to U+FFFD and overshoot the limit).
  static func cutLength(_ bytes: UnsafeRawBufferPointer, limit: Int) -> Int {
    guard bytes.count > limit else { return bytes.count }
    if let newline = bytes[..<limit].lastIndex(of: UInt8(ascii: "\n")), newline + 1 >= limit / 2 { return newline + 1 }
    var end = limit
    while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
    return end
  }

  static func page(_ repo: OpaquePointer, _ request: DiffRequest) throws(GitError) -> DiffPage {
    let diff = try makeDiff(repo, request)
    defer { git_diff_free(diff) }
    return try page(diff: diff, request)
  }

  /// Every file's stats (all of them, for the totals) and, from `start`, patches until `maxBytes`.
  static func page(diff: OpaquePointer, _ request: DiffRequest) throws(GitError) -> DiffPage {
    let count = git_diff_num_deltas(diff)
    var result = DiffPage(files: [], totalFiles: count, additions: 0, deletions: 0, nextStart: nil)
    var bytes = 0
    for position in 0..<count {
      let patch = try Git.make("git_patch_from_diff") { git_patch_from_diff(&$0, diff, position) }
      defer { git_patch_free(patch) }
      var context = 0
      var additions = 0
      var deletions = 0
      try Git.call("git_patch_line_stats") { git_patch_line_stats(&context, &additions, &deletions, patch) }
      result.additions += additions
      result.deletions += deletions
      guard position >= request.start, result.nextStart == nil else { continue }
      let delta = git_patch_get_delta(patch)!.pointee
      let binary = delta.flags & GIT_DIFF_FLAG_BINARY.rawValue != 0
      let newPath = String(cString: delta.new_file.path)
      let oldPath = String(cString: delta.old_file.path)
      var file = FileDiff(
        path: newPath, oldPath: oldPath != newPath ? oldPath : nil, status: statusWord(delta.status),
        additions: additions, deletions: deletions, binary: binary,
        similarity: delta.status == GIT_DELTA_RENAMED || delta.status == GIT_DELTA_COPIED ? Int(delta.similarity) : nil,
        oldMode: Int(delta.old_file.mode), newMode: Int(delta.new_file.mode), patch: nil)
      if !request.statOnly {
        var buffer = git_buf()
        try Git.call("git_patch_to_buf") { git_patch_to_buf(&buffer, patch) }
        defer { git_buf_dispose(&buffer) }
        let size = buffer.size
        if bytes > 0 && bytes + size > request.maxBytes {
          result.nextStart = position
          continue
        }
        let whole = buffer.ptr.map { UnsafeRawBufferPointer(start: $0, count: size) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
        let take = cutLength(whole, limit: max(request.maxBytes - bytes, 0))
        file.patch = String(decoding: whole.prefix(take), as: UTF8.self)
        if take < size { file.patchTruncated = true }
        bytes += take
      }
      result.files.append(file)
    }
    return result
  }
}
