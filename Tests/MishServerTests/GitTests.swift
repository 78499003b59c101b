// The git tools against the real git CLI: a repository with every kind of change, built with git itself, and
// git_status / git_diff compared with `git status --porcelain=v2` and `git diff --numstat`.
import Foundation
import Glibc
import MishJSON
import MishTestSupport
import Testing

/// Runs git in `directory` (MishTestSupport's runGit) and returns its stdout; fails the test on a non-zero exit.
@discardableResult
func git(_ arguments: [String], in directory: String, allowFailure: Bool = false) throws -> String {
  try runGit(arguments, in: directory, allowFailure: allowFailure).output
}

/// A repository with one of each: modified, staged new, deleted, staged rename, mode change, binary, untracked in a
/// new directory, ignored, a submodule (gitlink) entry moved, and a merge conflict.
func repositoryWithEveryChange() throws -> TempDir {
  let root = try TempDir("git")
  let path = root.path
  try git(["init", "-q"], in: path)
  try root.write("keep.txt", "one\ntwo\nthree\n")
  try root.write("modify.txt", "alpha\nbeta\n")
  try root.write("delete.txt", "bye\n")
  try root.write("rename-me.txt", String(repeating: "the same content line\n", count: 20))
  try root.write("script.sh", "echo hi\n")
  try root.write("conflict.txt", "base\n")
  try root.write(".gitignore", "*.log\n")
  try Data([0, 1, 2, 3, 0, 255]).write(to: URL(fileURLWithPath: root.at("image.bin")))
  try git(["add", "-A"], in: path)
  try git(["update-index", "--add", "--cacheinfo", "160000,1111111111111111111111111111111111111111,vendor/lib"], in: path)
  try git(["commit", "-qm", "base"], in: path)
  try startConflictingMerge(root, file: "conflict.txt")
  // The rest of the changes.
  try root.write("modify.txt", "alpha\nbeta changed\ngamma\n")
  try root.write("added.txt", "new file\n")
  try git(["add", "added.txt"], in: path)
  unlink(root.at("delete.txt"))
  try git(["mv", "rename-me.txt", "renamed.txt"], in: path)
  chmod(root.at("script.sh"), 0o755)
  try Data([0, 9, 9, 9, 0, 255, 7]).write(to: URL(fileURLWithPath: root.at("image.bin")))
  try root.write("newdir/inner/file.txt", "untracked\n")
  try root.write("debug.log", "ignored\n")
  try git(["update-index", "--add", "--cacheinfo", "160000,2222222222222222222222222222222222222222,vendor/lib"], in: path)
  return root
}

/// A temp directory holding a repository at `name` with one commit ("base", adding a.txt).
func repositoryWithOneCommit(at name: String) throws -> TempDir {
  let parent = try TempDir("git")
  try git(["init", "-q", name], in: parent.path)
  try parent.write(name + "/a.txt", "a\n")
  try git(["add", "-A"], in: parent.at(name))
  try git(["commit", "-qm", "base"], in: parent.at(name))
  return parent
}

/// A merge stopped on a conflict in `file`: branch other writes "theirs", main "ours", then main merges other.
func startConflictingMerge(_ root: TempDir, file: String) throws {
  try git(["checkout", "-qb", "other"], in: root.path)
  try root.write(file, "theirs\n")
  try git(["commit", "-qam", "theirs"], in: root.path)
  try git(["checkout", "-q", "main"], in: root.path)
  try root.write(file, "ours\n")
  try git(["commit", "-qam", "ours"], in: root.path)
  try git(["merge", "-q", "other"], in: root.path, allowFailure: true)
}

/// `git status --porcelain=v2` as (xy, path, orig) triples; untracked and ignored as ?? and !!.
func porcelain(_ text: String) -> Set<[String]> {
  var result = Set<[String]>()
  for line in text.split(separator: "\n") {
    let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    switch fields.first {
    case "1": result.insert([fields[1], fields[8...].joined(separator: " "), ""])
    case "2":
      let paths = fields[9...].joined(separator: " ").split(separator: "\t").map(String.init)
      result.insert([fields[1], paths[0], paths[1]])
    case "u": result.insert([fields[1], fields[10...].joined(separator: " "), ""])
    case "?": result.insert(["??", fields[1...].joined(separator: " "), ""])
    case "!": result.insert(["!!", fields[1...].joined(separator: " "), ""])
    default: break
    }
  }
  return result
}

/// Every path of the work tree but .git, with its content and executable bit (not its mtime).
func workTree(_ root: TempDir) -> [String: String] {
  root.snapshot().filter { !$0.key.hasPrefix(".git/") && $0.key != ".git" }.reduce(into: [:]) { result, entry in
    let full = root.at(entry.key)
    if entry.value == "dir" || entry.value.hasPrefix("link") {
      result[entry.key] = entry.value
    } else {
      let data = FileManager.default.contents(atPath: full) ?? Data()
      result[entry.key] = "\(access(full, X_OK) == 0 ? "x " : "")\(data.base64EncodedString())"
    }
  }
}

@Suite("Git tools against the git CLI", .serialized)
struct GitTests {
  @Test func statusAgreesWithPorcelainV2() throws {
    let root = try repositoryWithEveryChange()
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    for ignored in [false, true] {
      let expected = porcelain(try git(["status", "--porcelain=v2"] + (ignored ? ["--ignored"] : []), in: root.path))
      let result = try server.callTool("git_status", ["ignored": .bool(ignored)])
      #expect(result["isError"]?.boolValue != true, "\(result.compact)")
      let entries = result["structuredContent"]?["entries"]?.arrayValue ?? []
      let actual = Set(entries.map { [$0["xy"]?.stringValue ?? "", $0["path"]?.stringValue ?? "", $0["orig_path"]?.stringValue ?? ""] })
      #expect(actual == expected, "ignored: \(ignored)\nonly mish: \(actual.subtracting(expected))\nonly git: \(expected.subtracting(actual))")
      #expect(expected.count >= 9, "the fixture should hold every kind of change: \(expected)")
    }
    let status = try server.callTool("git_status", [:])["structuredContent"] ?? .null
    #expect(status["branch"]?.stringValue == "main")
    #expect(status["head"]?.stringValue == (try git(["rev-parse", "HEAD"], in: root.path)).trimmingCharacters(in: .whitespacesAndNewlines))
    #expect(status["clean"]?.boolValue == false)
  }

  @Test(arguments: [false, true])
  func diffStatAgreesWithNumstat(staged: Bool) throws {
    let root = try repositoryWithEveryChange()
    defer { root.remove() }
    // A conflicted index makes `git diff` print unmerged entries; resolve it for this comparison.
    try root.write("conflict.txt", "resolved\n")
    try git(["add", "conflict.txt"], in: root.path)
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    let numstat = try git(["diff", "--numstat"] + (staged ? ["--cached"] : []), in: root.path)
    var expected = Set<[String]>()
    for line in numstat.split(separator: "\n") {
      let fields = line.split(separator: "\t").map(String.init)
      var path = fields[2]
      if path.contains(" => ") { path = String(path.split(separator: " ").last!) }
      expected.insert([fields[0], fields[1], path])
    }
    let result = try server.callTool("git_diff", ["staged": .bool(staged), "stat_only": true])
    let files = result["structuredContent"]?["files"]?.arrayValue ?? []
    let actual = Set(files.map { file -> [String] in
      let binary = file["binary"]?.boolValue == true
      return [binary ? "-" : String(file["additions"]?.intValue ?? -1), binary ? "-" : String(file["deletions"]?.intValue ?? -1), file["path"]?.stringValue ?? ""]
    })
    #expect(actual == expected, "staged: \(staged)\nonly mish: \(actual.subtracting(expected))\nonly git: \(expected.subtracting(actual))")
  }

  @Test func stageCommitLogShowAndBranches() throws {
    let root = try TempDir("git")
    defer { root.remove() }
    try git(["init", "-q"], in: root.path)
    try root.write("a.txt", "first\n")
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    // Without an author in params, the repository's config decides: this one has none.
    try git(["config", "user.name", ""], in: root.path)
    let noAuthor = try server.callTool("git_commit", ["message": "first", "paths": ["a.txt"]])
    #expect(noAuthor["structuredContent"]?["error"]?["code"]?.stringValue == "no_author", "\(noAuthor.compact)")
    let first = try server.callTool(
      "git_commit", ["message": "first", "paths": ["a.txt"], "author": ["name": "Agent", "email": "agent@example.com"]])
    let sha = try #require(first["structuredContent"]?["sha"]?.stringValue)
    #expect(try git(["log", "--format=%H %an", "-1"], in: root.path).trimmingCharacters(in: .whitespacesAndNewlines) == "\(sha) Agent")
    let empty = try server.callTool("git_commit", ["message": "again", "author": ["name": "Agent", "email": "a@e"]])
    #expect(empty["structuredContent"]?["error"]?["code"]?.stringValue == "nothing_to_commit")
    try root.write("a.txt", "first\nsecond\n")
    _ = try server.callTool("git_add", ["paths": ["a.txt"]])
    #expect(try git(["diff", "--cached", "--name-only"], in: root.path) == "a.txt\n")
    let unstaged = try server.callTool("git_restore", ["paths": ["a.txt"], "staged": true])
    #expect(unstaged["structuredContent"]?["staged"]?.arrayValue?.isEmpty == true)
    #expect(root.read("a.txt") == "first\nsecond\n", "unstaging keeps the work tree")
    _ = try server.callTool("git_restore", ["paths": ["a.txt"]])
    #expect(root.read("a.txt") == "first\n")
    try root.write("b.txt", "b\n")
    let second = try server.callTool("git_commit", ["message": "add b\n\nwith a body", "paths": ["b.txt"], "author": ["name": "Agent", "email": "a@e"]])
    #expect(second["structuredContent"]?["files_changed"]?.intValue == 1)
    let log = try server.callTool("git_log", ["max_count": 1])["structuredContent"] ?? .null
    #expect(log["commits"]?.arrayValue?.first?["summary"]?.stringValue == "add b")
    #expect(log["next_cursor"]?.stringValue == "1")
    let older = try server.callTool("git_log", ["max_count": 1, "cursor": "1"])["structuredContent"] ?? .null
    #expect(older["commits"]?.arrayValue?.first?["sha"]?.stringValue == sha)
    #expect(older["next_cursor"] == .null)
    let show = try server.callTool("git_show", [:])["structuredContent"] ?? .null
    #expect(show["files"]?.arrayValue?.map { $0["path"]?.stringValue ?? "" } == ["b.txt"])
    let rootShow = try server.callTool("git_show", ["rev": .string(sha)])["structuredContent"] ?? .null
    #expect(rootShow["files"]?.arrayValue?.first?["status"]?.stringValue == "added")
    _ = try server.callTool("git_branch", ["action": "create", "name": "feature"])
    #expect(try git(["branch", "--list", "feature"], in: root.path).contains("feature"))
    let current = try server.callTool("git_branch", ["action": "delete", "name": "main"])
    #expect(current["structuredContent"]?["error"]?["code"]?.stringValue == "branch_in_use")
    let bad = try server.callTool("git_branch", ["action": "create", "name": "no spaces"])
    #expect(bad["structuredContent"]?["error"]?["code"]?.stringValue == "invalid_argument")
    _ = try server.callTool("git_branch", ["action": "delete", "name": "feature"])
    #expect(try git(["branch", "--list", "feature"], in: root.path).isEmpty)
    let outside = try server.callTool("git_add", ["paths": ["../x"]])
    #expect(outside["structuredContent"]?["error"]?["code"]?.stringValue == "outside_root")
  }

  @Test func checkpointRestoresTheWorkTreeExactly() throws {
    let root = try repositoryWithEveryChange()
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    // A conflicted index cannot be captured: refused with the conflict named.
    let refused = try server.callTool("git_checkpoint", ["action": "create"])
    #expect(refused["structuredContent"]?["error"]?["code"]?.stringValue == "conflict")
    try root.write("conflict.txt", "resolved\n")
    try git(["add", "conflict.txt"], in: root.path)
    let indexBefore = try git(["ls-files", "--stage"], in: root.path)
    let headBefore = try git(["rev-parse", "HEAD"], in: root.path)
    let before = workTree(root)
    let created = try server.callTool("git_checkpoint", ["action": "create", "name": "before-mess", "message": "safe point"])
    try #require(created["isError"]?.boolValue != true, "\(created.compact)")
    try root.write("modify.txt", "mangled\n")
    unlink(root.at("keep.txt"))
    try root.write("newdir/inner/file.txt", "changed\n")
    try root.write("brand/new/thing.txt", "new\n")
    let restored = try server.callTool("git_checkpoint", ["action": "restore", "name": "before-mess"])
    #expect(restored["isError"]?.boolValue != true, "\(restored.compact)")
    let after = workTree(root)
    #expect(after == before, "the work tree differs after restore: \(after.filter { before[$0.key] != $0.value }.keys.sorted()) \(before.keys.filter { after[$0] == nil }.sorted())")
    #expect(try git(["ls-files", "--stage"], in: root.path) == indexBefore, "the index changed")
    #expect(try git(["rev-parse", "HEAD"], in: root.path) == headBefore)
    // The work tree restore replaced is kept as a checkpoint of its own, named in the answer.
    let backup = restored["structuredContent"]?["backup"]?["name"]?.stringValue ?? "(none)"
    #expect(
      try git(["for-each-ref", "--format=%(refname)", "refs/mish/checkpoints/"], in: root.path)
        == "refs/mish/checkpoints/main/before-mess\nrefs/mish/checkpoints/main/\(backup)\n")
  }

  /// The status cache (inotify-driven, incremental) against the CLI after each of a seeded series of changes: edits,
  /// new files in new and nested directories, deletions of files and directories, staging, commits, .gitignore.
  @Test func cachedStatusFollowsEveryChange() throws {
    let seed = UInt64.random(in: 0...UInt64.max)
    var rng = SplitMix64(seed: seed)
    let root = try TempDir("git")
    defer { root.remove() }
    try git(["init", "-q"], in: root.path)
    for index in 0..<12 { try root.write("d\(index % 3)/sub\(index % 2)/f\(index).txt", "line \(index)\n") }
    try root.write("top.txt", "top\n")
    try git(["add", "-A"], in: root.path)
    try git(["commit", "-qm", "base"], in: root.path)
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    func compare(_ step: String) throws {
      let expected = porcelain(try git(["status", "--porcelain=v2"], in: root.path))
      let entries = try server.callTool("git_status", [:])["structuredContent"]?["entries"]?.arrayValue ?? []
      let actual = Set(entries.map { [$0["xy"]?.stringValue ?? "", $0["path"]?.stringValue ?? "", $0["orig_path"]?.stringValue ?? ""] })
      #expect(actual == expected, "seed \(seed), after \(step)\nonly mish: \(actual.subtracting(expected))\nonly git: \(expected.subtracting(actual))")
      // git_diff (work tree vs index) reads only what the cached status says changed: it must still be whole.
      let numstat = Set(try git(["diff", "--numstat"], in: root.path).split(separator: "\n").map(String.init))
      let files = try server.callTool("git_diff", ["stat_only": true])["structuredContent"]?["files"]?.arrayValue ?? []
      let stats = Set(files.map { "\($0["additions"]?.intValue ?? -1)\t\($0["deletions"]?.intValue ?? -1)\t\($0["path"]?.stringValue ?? "")" })
      #expect(stats == numstat, "seed \(seed), diff after \(step)")
    }
    try compare("start")
    for step in 0..<40 {
      let pick = Int.random(in: 0..<9, using: &rng)
      let a = Int.random(in: 0..<3, using: &rng)
      let b = Int.random(in: 0..<4, using: &rng)
      var what = ""
      switch pick {
      case 0:
        what = "edit d\(a)/sub\(b % 2)/f\(a + 3 * b).txt"
        try? root.write("d\(a)/sub\(b % 2)/f\(a + 3 * (b % 2)).txt", "edited \(step)\n")
      case 1:
        what = "new nested untracked n\(a)/deep\(b)/x.txt"
        try root.write("n\(a)/deep\(b)/x\(step).txt", "new\n")
      case 2:
        what = "new file in tracked dir d\(a)/new\(step).txt"
        try root.write("d\(a)/new\(step).txt", "new\n")
      case 3:
        what = "remove d\(a)/sub\(b % 2)"
        try? FileManager.default.removeItem(atPath: root.at("d\(a)/sub\(b % 2)"))
      case 4:
        what = "remove untracked n\(a)"
        try? FileManager.default.removeItem(atPath: root.at("n\(a)"))
      case 5:
        what = "stage all"
        try git(["add", "-A"], in: root.path)
      case 6:
        what = "commit"
        try git(["add", "-A"], in: root.path)
        try git(["commit", "-qm", "step \(step)", "--allow-empty"], in: root.path)
      case 7:
        what = ".gitignore n\(a)"
        try root.write(".gitignore", "n\(a)/\n")
      default:
        what = "edit top.txt"
        try root.write("top.txt", "top \(step)\n")
      }
      try compare("step \(step): \(what)")
    }
  }

  /// A linked worktree (as the hub makes one per session): status, commit on its own branch, checkpoint.
  @Test func linkedWorktreeWorks() throws {
    let parent = try repositoryWithOneCommit(at: "main-repo")
    defer { parent.remove() }
    try git(["worktree", "add", "-q", "-b", "mish/s1", "../wt"], in: parent.at("main-repo"))
    let server = try LiveServer(root: parent.at("wt"))
    defer { server.kill() }
    try parent.write("wt/b.txt", "b\n")
    let status = try server.callTool("git_status", [:])["structuredContent"] ?? .null
    #expect(status["branch"]?.stringValue == "mish/s1")
    #expect(status["entries"]?.arrayValue?.map { $0["path"]?.stringValue ?? "" } == ["b.txt"])
    let commit = try server.callTool("git_commit", ["message": "add b", "paths": ["b.txt"], "author": ["name": "A", "email": "a@e"]])
    #expect(commit["structuredContent"]?["branch"]?.stringValue == "mish/s1", "\(commit.compact)")
    #expect(try git(["log", "--format=%s", "-1", "mish/s1"], in: parent.at("main-repo")) == "add b\n")
    #expect(try git(["log", "--format=%s", "-1", "HEAD"], in: parent.at("main-repo")) == "base\n", "the main worktree's branch is untouched")
    let checkpoint = try server.callTool("git_checkpoint", ["action": "create"])
    #expect(checkpoint["isError"]?.boolValue != true, "\(checkpoint.compact)")
  }

  /// Sessions are linked worktrees of one repository, whose refs they share: each sees, numbers and restores only
  /// its own checkpoints (before, a session listed the others' and could restore one over its own work tree).
  @Test func checkpointsBelongToTheirWorktree() throws {
    let parent = try repositoryWithOneCommit(at: "main-repo")
    defer { parent.remove() }
    var servers: [LiveServer] = []
    defer { servers.forEach { $0.kill() } }
    for name in ["s1", "s.2"] {
      try git(["worktree", "add", "-q", "-b", "mish/\(name)", "../\(name)"], in: parent.at("main-repo"))
      try parent.write("\(name)/mine.txt", "written by \(name)\n")
      servers.append(try LiveServer(root: parent.at(name)))
    }
    servers.append(try LiveServer(root: parent.at("main-repo")))
    for server in servers {
      let created = try server.callTool("git_checkpoint", ["action": "create"])["structuredContent"] ?? .null
      #expect(created["checkpoints"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ["cp-1"], "\(created.compact)")
      let named = try server.callTool("git_checkpoint", ["action": "create", "name": "same-name"])
      #expect(named["isError"]?.boolValue != true, "\(named.compact)")
    }
    // s1 restores its own cp-1 after a change: its file comes back, the other work trees are untouched.
    try parent.write("s1/mine.txt", "changed\n")
    let restored = try servers[0].callTool("git_checkpoint", ["action": "restore", "name": "cp-1"])
    #expect(restored["isError"]?.boolValue != true, "\(restored.compact)")
    #expect(try String(contentsOfFile: parent.at("s1/mine.txt"), encoding: .utf8) == "written by s1\n")
    #expect(!FileManager.default.fileExists(atPath: parent.at("s1/s.2")))
    let listed = try servers[1].callTool("git_checkpoint", ["action": "list"])["structuredContent"] ?? .null
    #expect(listed["checkpoints"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" }.sorted() == ["cp-1", "same-name"])
    #expect(
      try git(["for-each-ref", "--format=%(refname)", "refs/mish/checkpoints/"], in: parent.at("main-repo")).split(separator: "\n").count == 7,
      "three checkpoints of s1 (one the restore's backup), two each of s.2 and main")
    #expect(try git(["for-each-ref", "--format=%(refname)", "refs/mish/checkpoints/worktrees/s%2E2/"], in: parent.at("main-repo")).contains("/same-name"))
  }

  /// git_diff pages by max_bytes: following next_cursor yields every file once, in order, with the same totals.
  @Test func diffPagesWithACursor() throws {
    let root = try TempDir("git")
    defer { root.remove() }
    try git(["init", "-q"], in: root.path)
    for index in 0..<30 { try root.write(String(format: "f%02d.txt", index), String(repeating: "line\n", count: 100)) }
    try git(["add", "-A"], in: root.path)
    try git(["commit", "-qm", "base"], in: root.path)
    for index in 0..<30 { try root.write(String(format: "f%02d.txt", index), String(repeating: "changed\n", count: 100)) }
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    var seen: [String] = []
    var cursor: JSONValue = .null
    var pages = 0
    repeat {
      var arguments: JSONObject = ["max_bytes": 4096]
      if !cursor.isNull { arguments["cursor"] = cursor }
      let page = try server.callTool("git_diff", .object(arguments))["structuredContent"] ?? .null
      #expect(page["total_files"]?.intValue == 30)
      #expect(page["additions"]?.intValue == 3000)
      seen += page["files"]?.arrayValue?.map { $0["path"]?.stringValue ?? "" } ?? []
      cursor = page["next_cursor"] ?? .null
      pages += 1
    } while !cursor.isNull && pages < 100
    #expect(seen == (0..<30).map { String(format: "f%02d.txt", $0) })
    #expect(pages > 5, "4 KB pages of 30 patches of about 1.5 KB must take several pages")
  }

  @Test func notARepositoryIsAClearError() throws {
    let root = try TempDir("git")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    let result = try server.callTool("git_status", [:])
    #expect(result["structuredContent"]?["error"]?["code"]?.stringValue == "not_a_repository")
    #expect(result["structuredContent"]?["error"]?["hint"]?.stringValue?.contains("git") == true)
  }

  /// git refuses a path that names nothing ("did not match any files"); so must git_add, git_restore and
  /// git_commit's paths, or a typo would look like success. Ignored files get their own code and a way through.
  @Test func pathsThatMatchNothingAreRefused() throws {
    let root = try TempDir("git")
    defer { root.remove() }
    try git(["init", "-q"], in: root.path)
    try root.write("a.txt", "a\n")
    try root.write("gone.txt", "gone\n")
    try root.write(".gitignore", "*.log\n")
    try git(["add", "-A"], in: root.path)
    try git(["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "base"], in: root.path)
    try root.write("a.txt", "a changed\n")
    try root.write("new.txt", "new\n")
    try root.write("debug.log", "log\n")
    unlink(root.at("gone.txt"))
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    func code(_ tool: String, _ arguments: JSONObject) throws -> String? {
      try server.callTool(tool, .object(arguments))["structuredContent"]?["error"]?["code"]?.stringValue
    }
    #expect(try code("git_add", ["paths": ["a.txt", "typo.txt"]]) == "not_found")
    #expect(try git(["diff", "--cached", "--name-only"], in: root.path).isEmpty, "nothing is staged when one path names nothing")
    #expect(try code("git_commit", ["message": "m", "paths": ["typo.txt"], "author": ["name": "A", "email": "a@e"]]) == "not_found")
    #expect(try code("git_restore", ["paths": ["typo.txt"]]) == "not_found")
    #expect(try code("git_restore", ["paths": ["new.txt"]]) == "not_found", "an untracked file is not in the index (git restore says so too)")
    #expect(try code("git_restore", ["paths": ["typo.txt"], "staged": true]) == "not_found")
    // What does exist still works: a deleted file, a directory-less glob, a tracked file restored from HEAD.
    #expect(try code("git_add", ["paths": ["gone.txt"]]) == nil)
    #expect(try code("git_add", ["paths": ["*.txt"]]) == nil)
    #expect(try git(["diff", "--cached", "--name-status"], in: root.path) == "M\ta.txt\nD\tgone.txt\nA\tnew.txt\n")
    #expect(try code("git_restore", ["paths": ["gone.txt"], "staged": true]) == nil)
    // An ignored file: refused with its own code and a hint naming force, which then stages it.
    let ignored = try server.callTool("git_add", ["paths": ["debug.log"]])["structuredContent"]?["error"] ?? .null
    #expect(ignored["code"]?.stringValue == "ignored", "\(ignored)")
    #expect(ignored["hint"]?.stringValue?.contains("force") == true)
    #expect(try code("git_add", ["paths": ["debug.log"], "force": true]) == nil)
    #expect(try git(["diff", "--cached", "--name-only", "--", "debug.log"], in: root.path) == "debug.log\n")
  }

  /// From an unborn HEAD (a new orphan branch) every other branch has commits HEAD lacks: deleting one needs force,
  /// as git branch -d says.
  @Test func deletingABranchFromAnUnbornHeadNeedsForce() throws {
    let root = try TempDir("git")
    defer { root.remove() }
    try git(["init", "-q", "-b", "main"], in: root.path)
    try root.write("a.txt", "a\n")
    try git(["add", "-A"], in: root.path)
    try git(["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "base"], in: root.path)
    try git(["checkout", "-q", "--orphan", "fresh"], in: root.path)
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    let refused = try server.callTool("git_branch", ["action": "delete", "name": "main"])
    #expect(refused["structuredContent"]?["error"]?["code"]?.stringValue == "not_merged", "\(refused.compact)")
    #expect(try git(["branch", "--list", "main"], in: root.path).contains("main"))
    let forced = try server.callTool("git_branch", ["action": "delete", "name": "main", "force": true])
    #expect(forced["isError"]?.boolValue != true, "\(forced.compact)")
    #expect(try git(["branch", "--list", "main"], in: root.path).isEmpty)
  }

  /// Restoring a checkpoint removes files written since (untracked ones included): it must say what it changed and
  /// keep the replaced work tree as a checkpoint, so restoring that one undoes it.
  @Test func checkpointRestoreKeepsWhatItReplaces() throws {
    let root = try TempDir("git")
    defer { root.remove() }
    try git(["init", "-q"], in: root.path)
    try root.write("a.txt", "a\n")
    try git(["add", "-A"], in: root.path)
    try git(["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "base"], in: root.path)
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    _ = try server.callTool("git_checkpoint", ["action": "create", "name": "start"])
    try root.write("a.txt", "a edited\n")
    try root.write("notes/new.txt", "hours of work\n")
    let before = workTree(root)
    let restored = try server.callTool("git_checkpoint", ["action": "restore", "name": "start"])["structuredContent"] ?? .null
    #expect(root.read("a.txt") == "a\n")
    #expect(access(root.at("notes/new.txt"), F_OK) != 0)
    let changes = Set((restored["changes"]?.arrayValue ?? []).map { "\($0["status"]?.stringValue ?? "") \($0["path"]?.stringValue ?? "")" })
    #expect(changes == ["modified a.txt", "deleted notes/new.txt"], "\(restored)")
    let backup = try #require(restored["backup"]?["name"]?.stringValue, "\(restored)")
    let undone = try server.callTool("git_checkpoint", ["action": "restore", "name": .string(backup)])
    #expect(undone["isError"]?.boolValue != true, "\(undone.compact)")
    #expect(workTree(root) == before, "restoring the backup brings back what the restore replaced")
    // Restoring onto an identical work tree changes nothing and keeps no backup.
    let same = try server.callTool("git_checkpoint", ["action": "restore", "name": .string(backup)])["structuredContent"] ?? .null
    #expect(same["backup"] == .null && same["changes"]?.arrayValue?.isEmpty == true, "\(same)")
  }

  /// A patch cut at max_bytes stays within it and ends on a whole line, or on a whole character for one long line;
  /// never a U+FFFD from a split character.
  @Test(arguments: [1024, 1025, 1026, 4097, 5000])
  func diffCutsPatchesWithinMaxBytes(maxBytes: Int) throws {
    let root = try TempDir("git")
    defer { root.remove() }
    try git(["init", "-q"], in: root.path)
    try root.write("lines.txt", (0..<2000).map { "line \($0)\n" }.joined())
    try root.write("wide.txt", String(repeating: "é", count: 3000) + "\n")
    try git(["add", "-A"], in: root.path)
    try git(["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "base"], in: root.path)
    try root.write("lines.txt", (0..<2000).map { "LINE \($0)\n" }.joined())
    try root.write("wide.txt", String(repeating: "ü", count: 3000) + "\n")
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    for path in ["lines.txt", "wide.txt"] {
      let page = try server.callTool("git_diff", ["paths": [.string(path)], "max_bytes": .int(maxBytes)])["structuredContent"] ?? .null
      let file = try #require(page["files"]?.arrayValue?.first, "\(page)")
      let patch = file["patch"]?.stringValue ?? ""
      #expect(file["patch_truncated"]?.boolValue == true)
      #expect(patch.utf8.count <= maxBytes, "\(path): \(patch.utf8.count) bytes for max_bytes \(maxBytes)")
      #expect(patch.utf8.count >= maxBytes / 2, "\(path): the cut keeps most of the room")
      #expect(!patch.contains("\u{FFFD}"), "\(path): a character was split")
      if path == "lines.txt" { #expect(patch.hasSuffix("\n")) }
    }
  }

  /// Revisions that name nothing (or not a commit) are said with the revision and what to do; a new repository's
  /// log is empty; a cursor that is not one is refused.
  @Test func revisionErrorsNameTheRevision() throws {
    let root = try TempDir("git")
    defer { root.remove() }
    try git(["init", "-q"], in: root.path)
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    let emptyLog = try server.callTool("git_log", [:])
    #expect(emptyLog["isError"]?.boolValue != true, "\(emptyLog.compact)")
    #expect(emptyLog["structuredContent"]?["commits"]?.arrayValue?.isEmpty == true)
    let unborn = try server.callTool("git_show", [:])["structuredContent"]?["error"] ?? .null
    #expect(unborn["hint"]?.stringValue?.contains("git_commit") == true, "\(unborn)")
    try root.write("a.txt", "a\n")
    try git(["add", "-A"], in: root.path)
    try git(["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "base"], in: root.path)
    let beyond = try server.callTool("git_diff", ["base": "HEAD~10"])["structuredContent"]?["error"] ?? .null
    #expect(beyond["code"]?.stringValue == "not_found")
    #expect(beyond["message"]?.stringValue?.contains("HEAD~10") == true, "\(beyond)")
    let blob = try server.callTool("git_show", ["rev": "HEAD:a.txt"])["structuredContent"]?["error"] ?? .null
    #expect(blob["code"]?.stringValue == "invalid_argument", "\(blob)")
    let checkpoint = try server.callTool("git_checkpoint", ["action": "restore", "name": "nope"])["structuredContent"]?["error"] ?? .null
    #expect(checkpoint["code"]?.stringValue == "not_found")
    #expect(checkpoint["hint"]?.stringValue?.contains("list") == true, "\(checkpoint)")
    for tool in ["git_log", "git_diff"] {
      let cursor = try server.callTool(tool, ["cursor": "abc"])["structuredContent"]?["error"]?["code"]?.stringValue
      #expect(cursor == "invalid_argument", "\(tool)")
    }
  }

  /// git merge stopped for conflicts, the agent resolves and commits with git_commit: the commit concludes the merge
  /// (both parents, MERGE_HEAD gone), as git commit does, even when the resolution keeps HEAD's tree.
  @Test(arguments: ["resolved\n", "ours\n"])
  func commitConcludesAMergeInProgress(resolution: String) throws {
    let root = try TempDir("git")
    defer { root.remove() }
    let path = root.path
    try git(["init", "-q", "-b", "main"], in: path)
    try git(["config", "user.name", "T"], in: path)
    try git(["config", "user.email", "t@e"], in: path)
    try root.write("c.txt", "base\n")
    try git(["add", "-A"], in: path)
    try git(["commit", "-qm", "base"], in: path)
    try startConflictingMerge(root, file: "c.txt")
    try root.write("c.txt", resolution)
    let server = try LiveServer(root: path)
    defer { server.kill() }
    let commit = try server.callTool("git_commit", ["message": "merge other", "paths": ["c.txt"]])
    #expect(commit["isError"]?.boolValue != true, "\(commit.compact)")
    let parents = try git(["log", "-1", "--format=%P"], in: path).split(separator: " ").count
    #expect(parents == 2, "a merge commit has both parents")
    #expect(access(root.at(".git/MERGE_HEAD"), F_OK) != 0, "the merge is concluded")
    #expect(try git(["branch", "--merged", "main", "--list", "other"], in: path).contains("other"))
  }
}
