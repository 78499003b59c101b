import CGit2
import MishJSON

/// One path's state, at the level of detail of `git status --porcelain=v2`: the two-letter code (index, work tree),
/// what each side means in words, the rename source, and for conflicts which stages exist.
public struct StatusEntry: Sendable, Equatable {
  public enum Kind: String, Sendable { case changed, renamed, conflicted, untracked, ignored }

  public var kind: Kind
  public var path: String
  /// Porcelain v2 XY: index side, then work tree side; `.` is unchanged. `??` untracked, `!!` ignored.
  public var xy: String
  public var origPath: String?
  public var similarity: Int?
  /// For a submodule (gitlink) entry.
  public var submodule = false

  static func word(_ letter: Character) -> String? {
    switch letter {
    case "M": return "modified"
    case "A": return "added"
    case "D": return "deleted"
    case "R": return "renamed"
    case "C": return "copied"
    case "T": return "typechange"
    case "U": return "unmerged"
    default: return nil
    }
  }

  public var staged: String? { kind == .untracked || kind == .ignored ? nil : Self.word(xy.first!) }
  public var unstaged: String? {
    switch kind {
    case .untracked: return "untracked"
    case .ignored: return "ignored"
    default: return Self.word(xy.last!)
    }
  }

  public var json: JSONValue {
    var object: JSONObject = [
      "path": .string(path), "kind": .string(kind.rawValue), "xy": .string(xy), "staged": JSONValue(staged),
      "unstaged": JSONValue(unstaged),
    ]
    if let origPath { object["orig_path"] = .string(origPath) }
    if let similarity { object["similarity"] = .int(similarity) }
    if submodule { object["submodule"] = .bool(true) }
    return .object(object)
  }
}

/// Where HEAD is, and how the branch stands against its upstream.
public struct BranchState: Sendable, Equatable {
  public var branch: String?
  public var head: String?
  public var detached: Bool
  public var upstream: String?
  public var ahead: Int?
  public var behind: Int?

  public var json: JSONValue {
    [
      "branch": JSONValue(branch), "head": JSONValue(head), "detached": .bool(detached),
      "upstream": upstream.map { ["name": .string($0), "ahead": JSONValue(ahead), "behind": JSONValue(behind)] } ?? .null,
    ]
  }
}

public struct StatusOptions: Sendable, Equatable {
  public enum Untracked: String, Sendable { case no, normal, all }
  public var untracked: Untracked = .normal
  public var ignored = false
  public var paths: [String] = []
}

enum StatusReader {
  static func branchState(_ repo: OpaquePointer) -> BranchState {
    var state = BranchState(branch: nil, head: nil, detached: git_repository_head_detached(repo) == 1)
    var head: OpaquePointer?
    if git_repository_head(&head, repo) == 0, let head {
      defer { git_reference_free(head) }
      if let target = git_reference_target(head) { state.head = ObjectID(target).description }
      if !state.detached, let name = git_reference_shorthand(head) { state.branch = String(cString: name) }
      var upstream: OpaquePointer?
      if !state.detached, git_branch_upstream(&upstream, head) == 0, let upstream {
        defer { git_reference_free(upstream) }
        state.upstream = String(cString: git_reference_shorthand(upstream))
        if let local = git_reference_target(head), let remote = git_reference_target(upstream) {
          var ahead = 0
          var behind = 0
          if git_graph_ahead_behind(&ahead, &behind, repo, local, remote) == 0 {
            state.ahead = ahead
            state.behind = behind
          }
        }
      }
    } else {
      // Unborn: HEAD names a branch with no commit yet.
      var symbolic: OpaquePointer?
      if git_reference_lookup(&symbolic, repo, "HEAD") == 0, let symbolic {
        defer { git_reference_free(symbolic) }
        if let target = git_reference_symbolic_target(symbolic) {
          var name = String(cString: target)
          if name.hasPrefix("refs/heads/") { name.removeFirst("refs/heads/".count) }
          state.branch = name
        }
      }
    }
    git_error_clear()
    return state
  }

  /// A path as a pathspec that matches only itself (and what is beneath it): fnmatch characters escaped.
  static func literalPathspec(_ path: String) -> String {
    var escaped = ""
    for character in path {
      if "*?[]\\".contains(character) { escaped.append("\\") }
      escaped.append(character)
    }
    return escaped
  }

  static func flags(_ options: StatusOptions) -> UInt32 {
    var flags = GIT_STATUS_OPT_RENAMES_HEAD_TO_INDEX.rawValue | GIT_STATUS_OPT_SORT_CASE_SENSITIVELY.rawValue
    switch options.untracked {
    case .no: break
    case .normal: flags |= GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue
    case .all: flags |= GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
    }
    if options.ignored { flags |= GIT_STATUS_OPT_INCLUDE_IGNORED.rawValue }
    return flags
  }

  /// The entries, as libgit2 computes them against the index and HEAD, turned into porcelain-v2 terms.
  static func entries(_ repo: OpaquePointer, _ options: StatusOptions) throws(GitError) -> [StatusEntry] {
    var gitOptions = git_status_options()
    try Git.call("git_status_options_init") { git_status_options_init(&gitOptions, UInt32(GIT_STATUS_OPTIONS_VERSION)) }
    gitOptions.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
    gitOptions.flags = flags(options)
    let list = try Git.withStrarray(options.paths) { pathspec throws(GitError) -> OpaquePointer in
      if !options.paths.isEmpty { gitOptions.pathspec = pathspec.pointee }
      return try Git.make("git_status_list_new") { git_status_list_new(&$0, repo, &gitOptions) }
    }
    defer { git_status_list_free(list) }
    let index = try Git.make("git_repository_index") { git_repository_index(&$0, repo) }
    defer { git_index_free(index) }
    var entries: [StatusEntry] = []
    let count = git_status_list_entrycount(list)
    entries.reserveCapacity(count)
    for position in 0..<count {
      guard let entry = git_status_byindex(list, position)?.pointee else { continue }
      if let converted = convert(entry, index: index) { entries.append(converted) }
    }
    return entries
  }

  static func convert(_ entry: git_status_entry, index: OpaquePointer) -> StatusEntry? {
    let status = entry.status.rawValue
    func has(_ flag: git_status_t) -> Bool { status & flag.rawValue != 0 }
    let headToIndex = entry.head_to_index?.pointee
    let indexToWorkdir = entry.index_to_workdir?.pointee
    let path = String(cString: (indexToWorkdir?.new_file.path ?? headToIndex?.new_file.path)!)
    let isGitlink = [headToIndex?.new_file.mode, headToIndex?.old_file.mode, indexToWorkdir?.old_file.mode, indexToWorkdir?.new_file.mode]
      .contains { $0 == UInt16(GIT_FILEMODE_COMMIT.rawValue) }
    if has(GIT_STATUS_IGNORED) {
      return StatusEntry(kind: .ignored, path: path, xy: "!!")
    }
    if has(GIT_STATUS_CONFLICTED) {
      return StatusEntry(kind: .conflicted, path: path, xy: conflictCode(index: index, path: path), submodule: isGitlink)
    }
    if has(GIT_STATUS_WT_NEW) && !has(GIT_STATUS_INDEX_NEW) && headToIndex == nil {
      return StatusEntry(kind: .untracked, path: path, xy: "??")
    }
    var x: Character = "."
    if has(GIT_STATUS_INDEX_NEW) { x = "A" }
    if has(GIT_STATUS_INDEX_MODIFIED) { x = "M" }
    if has(GIT_STATUS_INDEX_DELETED) { x = "D" }
    if has(GIT_STATUS_INDEX_RENAMED) { x = "R" }
    if has(GIT_STATUS_INDEX_TYPECHANGE) { x = "T" }
    var y: Character = "."
    if has(GIT_STATUS_WT_MODIFIED) { y = "M" }
    if has(GIT_STATUS_WT_DELETED) { y = "D" }
    if has(GIT_STATUS_WT_TYPECHANGE) { y = "T" }
    if has(GIT_STATUS_WT_RENAMED) { y = "R" }
    if x == "." && y == "." { return nil }
    var result = StatusEntry(kind: .changed, path: path, xy: String([x, y]), submodule: isGitlink)
    if x == "R", let headToIndex {
      result.kind = .renamed
      result.path = String(cString: headToIndex.new_file.path)
      result.origPath = String(cString: headToIndex.old_file.path)
      result.similarity = Int(headToIndex.similarity)
    }
    return result
  }

  /// Porcelain v2's XY for an unmerged path, from which conflict stages the index holds.
  static func conflictCode(index: OpaquePointer, path: String) -> String {
    var ancestor: UnsafePointer<git_index_entry>?
    var ours: UnsafePointer<git_index_entry>?
    var theirs: UnsafePointer<git_index_entry>?
    guard git_index_conflict_get(&ancestor, &ours, &theirs, index, path) == 0 else {
      git_error_clear()
      return "UU"
    }
    switch (ancestor != nil, ours != nil, theirs != nil) {
    case (true, false, false): return "DD"
    case (false, true, false): return "AU"
    case (true, true, false): return "UD"
    case (false, false, true): return "UA"
    case (true, false, true): return "DU"
    case (false, true, true): return "AA"
    default: return "UU"
    }
  }
}
