import Foundation
import Glibc
import MishJSON
import Testing

/// A root with every kind of escape hatch in it, beside an `outside` directory that must never change.
/// Nothing here ever aims a write at /etc: the suite may run as root, and a confinement bug must not cost the machine.
struct EscapeFixture {
  let parent: TempDir
  var root: String { parent.at("root") }
  var outside: String { parent.at("outside") }
  /// The server's working directory, where /proc/self/cwd leads.
  let serverCWD = FileManager.default.currentDirectoryPath
  static let probeName = "mish-e2e-escape-probe"

  init() throws {
    parent = try TempDir("escape")
    try parent.write("outside/secret.txt", "outside secret\n")
    try parent.subdirectory("outside/dir")
    try parent.write("outside/dir/inner.txt", "inner\n")
    try parent.write("root/inside.txt", "inside\n")
    try parent.write("root/sub/keep.txt", "keep\n")
    try parent.write("root/.git/config", "[core]\n")
    try parent.write("root/.git/HEAD", "ref: refs/heads/main\n")
    try parent.write("root/hard_a", "hard\n")
    guard link(parent.at("root/hard_a"), parent.at("root/hard_b")) == 0 else { throw HarnessError("link failed") }
    let links: [(String, String)] = [
      ("etc_link", "/etc"),
      ("passwd_link", "/etc/passwd"),
      ("up_link", "../outside"),
      ("up_file_link", "../outside/secret.txt"),
      ("abs_out_link", parent.at("outside")),
      ("abs_out_file_link", parent.at("outside/secret.txt")),
      ("dangling_out_link", "../outside/created-through-link.txt"),
      ("dangling_abs_link", parent.at("outside/created-through-abs-link.txt")),
      ("chain1", "chain2"),
      ("chain2", "sub/chain3"),
      ("sub/chain3", "../../outside/secret.txt"),
      ("chain_dir1", "chain_dir2"),
      ("chain_dir2", "sub/chain_dir3"),
      ("sub/chain_dir3", "../up_link"),
      ("proc_root_link", "/proc/self/root/etc/passwd"),
      ("proc_root_out_link", "/proc/self/root" + parent.at("outside/secret.txt")),
      ("proc_cwd_link", "/proc/self/cwd"),
      ("proc_fd_link", "/proc/self/fd/0"),
      ("gitlink", ".git"),
      ("inside_link", "inside.txt"),
    ]
    for (name, target) in links { try parent.symlink("root/" + name, to: target) }
  }

  func remove() {
    unlink(serverCWD + "/" + Self.probeName)
    parent.remove()
  }

  /// Paths that leave the root before their last component, or lexically: refused by every tool.
  var throughPaths: [String] {
    [
      "../outside/secret.txt", "../x", parent.at("outside/secret.txt"), "sub/../../outside/secret.txt", "sub/../../x",
      "up_link/secret.txt", "abs_out_link/secret.txt", "chain_dir1/secret.txt", "proc_cwd_link/" + Self.probeName,
      "/proc/self/cwd/" + Self.probeName, "/proc/self/root" + parent.at("outside/secret.txt"),
    ]
  }

  /// Final-component symlinks that lead out: refused by the tools that follow them (read, write).
  var finalLinks: [String] {
    ["up_file_link", "abs_out_file_link", "chain1", "proc_root_out_link", "dangling_out_link", "dangling_abs_link", "proc_fd_link", "proc_cwd_link"]
  }

  /// Reads may also aim at /etc and /proc directly.
  var readOnlyTargets: [String] {
    ["/etc/passwd", "etc_link/passwd", "passwd_link", "etc_link", "proc_root_link", "/proc/self/root/etc/passwd", "/proc/self/fd/0"]
  }

  /// Everything that exists outside the root, for before/after comparison.
  func outsideState() -> [String: String] {
    var state = parent.snapshot("outside").mapValues { $0 }
    state["[parent entries]"] = ((try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []).sorted().joined(separator: ",")
    state["[probe in server cwd]"] = String(access(serverCWD + "/" + Self.probeName, F_OK) == 0)
    return state
  }
}

/// One refused call, in both faces.
func expectRefused(
  _ server: LiveServer, _ method: String, _ params: JSONValue, code: String,
  sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let native = try server.request(method, params)
  #expect(native["result"] == nil, "\(method) \(params.compact) succeeded: \(native.compact)", sourceLocation: sourceLocation)
  #expect(native.mishErrorCode == code, "\(method) \(params.compact): \(native.compact)", sourceLocation: sourceLocation)
  let tool = String(method.map { $0 == "/" ? "_" : $0 })
  let result = try server.callTool(tool, params)
  #expect(result["isError"] == true, "\(tool) \(params.compact): \(result.compact)", sourceLocation: sourceLocation)
  #expect(
    result["structuredContent"]?["error"]?["code"] == .string(code), "\(tool) \(params.compact): \(result.compact)", sourceLocation: sourceLocation)
}

@Suite("Confinement: escapes refused, nothing outside touched")
struct ConfinementTests {
  static let tools = ["fs/read", "fs/write", "fs/stat", "fs/move", "fs/remove", "fs/mkdir"]

  @Test("every escape route is refused with outside_root", .timeLimit(.minutes(1)), arguments: tools)
  func escapesRefused(_ method: String) throws {
    let fixture = try EscapeFixture()
    defer { fixture.remove() }
    let before = fixture.outsideState()
    let server = try LiveServer(root: fixture.root)
    var calls: [JSONValue] = []
    switch method {
    case "fs/read":
      calls = (fixture.throughPaths + fixture.finalLinks + fixture.readOnlyTargets).map { ["path": .string($0)] }
    case "fs/write":
      let targets =
        fixture.throughPaths + fixture.finalLinks + [
          "../outside/new.txt", fixture.parent.at("outside/new.txt"), "up_link/new.txt", "chain_dir1/new.txt",
        ]
      calls = targets.map { ["path": .string($0), "content": "PWNED\n"] }
    case "fs/stat":
      calls = (fixture.throughPaths + ["/etc/passwd", "etc_link/passwd", "/proc/self/root/etc/passwd", "/proc/self/fd/0"]).map {
        ["path": .string($0)]
      }
    case "fs/move":
      calls = fixture.throughPaths.map { ["from": .string($0), "to": "stolen.txt"] }
      calls += [
        "../outside/moved.txt", fixture.parent.at("outside/moved.txt"), "up_link/moved.txt", "chain_dir1/moved.txt", "abs_out_link/moved.txt",
      ]
      .map { ["from": "inside.txt", "to": .string($0), "overwrite": true] }
      calls += [["from": "inside.txt", "to": "up_link/secret.txt", "overwrite": true]]
    case "fs/remove":
      calls = fixture.throughPaths.map { ["path": .string($0)] }
      calls += ["../outside", "up_link/dir", "abs_out_link/dir", "chain_dir1/dir"].map { ["path": .string($0), "recursive": true] }
    case "fs/mkdir":
      calls = [
        "../outside/newdir", fixture.parent.at("outside/newdir"), "up_link/newdir", "chain_dir1/newdir", "abs_out_link/newdir",
        "sub/../../outside/newdir", "proc_cwd_link/" + EscapeFixture.probeName, "up_link/dir/deeper/newdir",
      ]
      .map { ["path": .string($0)] }
    default:
      Issue.record("no cases for \(method)")
    }
    for params in calls { try expectRefused(server, method, params, code: "outside_root") }

    let (status, _) = try server.finish()
    #expect(status == .exited(0))
    let after = fixture.outsideState()
    for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
      Issue.record("\(method) changed \(key) outside the root: \(before[key] ?? "absent") -> \(after[key] ?? "absent")")
    }
    #expect(FileManager.default.contents(atPath: fixture.parent.at("outside/secret.txt")) == Data("outside secret\n".utf8))
    #expect(fixture.parent.read("root/inside.txt") == "inside\n", "inside.txt was moved or changed by a refused call")
  }

  @Test("a final-component symlink is described by fs/stat, never followed out", .timeLimit(.minutes(1)))
  func statDescribesLinks() throws {
    let fixture = try EscapeFixture()
    defer { fixture.remove() }
    let server = try LiveServer(root: fixture.root)
    for (link, target) in [("passwd_link", "/etc/passwd"), ("up_file_link", "../outside/secret.txt"), ("proc_cwd_link", "/proc/self/cwd")] {
      let reply = try server.request("fs/stat", ["path": .string(link)])
      let result = try #require(reply["result"], "\(reply.compact)")
      #expect(result["type"] == "symlink" && result["link_target"] == .string(target), "\(result.compact)")
      #expect(result["size"] == .int(target.utf8.count), "the size must be the link's own: \(result.compact)")
      #expect(result["sha256"] == nil || result["sha256"] == .null, "hashed the target outside the root: \(result.compact)")
    }
    _ = try server.finish()
  }

  @Test("absolute paths inside the root and in-root symlinks work", .timeLimit(.minutes(1)))
  func absoluteInsideRoot() throws {
    let fixture = try EscapeFixture()
    defer { fixture.remove() }
    let server = try LiveServer(root: fixture.root)
    let abs = { (relative: String) -> JSONValue in .string(fixture.root + "/" + relative) }
    let read = try server.request("fs/read", ["path": abs("inside.txt")])
    #expect(read["result"]?["content"] == "inside\n" && read["result"]?["path"] == "inside.txt", "\(read.compact)")
    #expect(try server.request("fs/read", ["path": "inside_link"])["result"]?["content"] == "inside\n")
    let wrote = try server.request("fs/write", ["path": abs("new/abs.txt"), "content": "absolute\n"])
    #expect(wrote["result"]?["path"] == "new/abs.txt" && wrote["result"]?["created"] == true, "\(wrote.compact)")
    #expect(fixture.parent.read("root/new/abs.txt") == "absolute\n")
    #expect(try server.request("fs/stat", ["path": abs("new/abs.txt")])["result"]?["type"] == "file")
    #expect(try server.request("fs/stat", ["path": .string(fixture.root)])["result"]?["type"] == "dir")
    #expect(try server.request("fs/mkdir", ["path": abs("made/deep")])["result"]?["created"] == true)
    let moved = try server.request("fs/move", ["from": abs("new/abs.txt"), "to": abs("made/deep/abs.txt")])
    #expect(moved["result"]?["to"] == "made/deep/abs.txt", "\(moved.compact)")
    #expect(fixture.parent.read("root/made/deep/abs.txt") == "absolute\n")
    let removed = try server.request("fs/remove", ["path": abs("made"), "recursive": true])
    #expect(removed["result"]?["removed"] == 3, "\(removed.compact)")
    // Writing through an in-root symlink reaches its in-root target.
    #expect(try server.request("fs/write", ["path": "inside_link", "content": "via link\n"])["result"]?["path"] == "inside.txt")
    #expect(fixture.parent.read("root/inside.txt") == "via link\n")
    let (status, _) = try server.finish()
    #expect(status == .exited(0))
  }

  /// `--root` given through a symlink: an absolute path spelled the same way the root was given is inside the root.
  @Test("an absolute path spelled through the root's own symlinked path works", .timeLimit(.minutes(1)))
  func absoluteThroughSymlinkedRoot() throws {
    let parent = try TempDir("rootlink")
    defer { parent.remove() }
    try parent.write("real/inside.txt", "inside\n")
    try parent.symlink("alias", to: "real")
    let server = try LiveServer(root: parent.at("alias"))
    let reply = try server.request("fs/read", ["path": .string(parent.at("alias/inside.txt"))])
    #expect(reply["result"]?["content"] == "inside\n", "\(reply.compact)")
    _ = try server.finish()
  }

  @Test("writes and changes under .git are refused with denied", .timeLimit(.minutes(1)))
  func gitDirectoryProtected() throws {
    let fixture = try EscapeFixture()
    defer { fixture.remove() }
    let gitBefore = fixture.parent.snapshot("root/.git")
    let server = try LiveServer(root: fixture.root)
    for path in [".git/config", ".git/HEAD", ".git/new-file", "./.git/config", fixture.root + "/.git/config", "gitlink/config", "gitlink/new-file"] {
      try expectRefused(server, "fs/write", ["path": .string(path), "content": "PWNED\n"], code: "denied")
    }
    try expectRefused(server, "fs/remove", ["path": ".git/config"], code: "denied")
    try expectRefused(server, "fs/remove", ["path": ".git", "recursive": true], code: "denied")
    try expectRefused(server, "fs/move", ["from": ".git/HEAD", "to": "HEAD.txt"], code: "denied")
    try expectRefused(server, "fs/move", ["from": "inside.txt", "to": ".git/inside.txt"], code: "denied")
    try expectRefused(server, "fs/move", ["from": "inside.txt", "to": "gitlink/inside.txt"], code: "denied")
    try expectRefused(server, "fs/mkdir", ["path": ".git/hooks2"], code: "denied")
    let (status, _) = try server.finish()
    #expect(status == .exited(0))
    #expect(fixture.parent.snapshot("root/.git") == gitBefore, ".git changed")
    #expect(fixture.parent.read("root/inside.txt") == "inside\n")
  }

  /// "missing/../../x" leaves the root lexically; that the kernel trips over the missing directory first must not
  /// turn the refusal into not_found (which tells an agent to fix a typo) or, with parents, into a mkdir.
  @Test("a path escaping through a missing directory is outside_root for every tool", .timeLimit(.minutes(1)))
  func escapeThroughMissingDirectory() throws {
    let fixture = try EscapeFixture()
    defer { fixture.remove() }
    let server = try LiveServer(root: fixture.root)
    let calls: [(String, JSONValue)] = [
      ("fs/read", ["path": "a/../../x"]),
      ("fs/stat", ["path": "a/../../x"]),
      ("fs/write", ["path": "a/../../x", "content": "x", "create_parents": false]),
      ("fs/remove", ["path": "a/../../x"]),
      ("fs/mkdir", ["path": "a/../../x", "parents": false]),
      ("fs/move", ["from": "a/../../outside/secret.txt", "to": "stolen.txt"]),
    ]
    for (method, params) in calls {
      let reply = try server.request(method, params)
      #expect(reply.mishErrorCode == "outside_root", "\(method) \(params.compact): \(reply.compact)")
    }
    _ = try server.finish()
  }

  /// The same protection when .git is reached through an in-root symlink (`gitlink -> .git`): fs/write checks the
  /// resolved path, so fs/remove and fs/move must too.
  @Test("remove and move cannot reach .git through an in-root symlink", .timeLimit(.minutes(1)))
  func gitDirectoryProtectedThroughSymlink() throws {
    let fixture = try EscapeFixture()
    defer { fixture.remove() }
    let gitBefore = fixture.parent.snapshot("root/.git")
    let server = try LiveServer(root: fixture.root)
    let removed = try server.request("fs/remove", ["path": "gitlink/config"])
    #expect(removed.mishErrorCode == "denied", "fs/remove gitlink/config: \(removed.compact)")
    let moved = try server.request("fs/move", ["from": "gitlink/HEAD", "to": "stolen-HEAD"])
    #expect(moved.mishErrorCode == "denied", "fs/move gitlink/HEAD: \(moved.compact)")
    let (status, _) = try server.finish()
    #expect(status == .exited(0))
    let gitAfter = fixture.parent.snapshot("root/.git")
    #expect(gitAfter == gitBefore, ".git changed through gitlink: before \(gitBefore.keys.sorted()), after \(gitAfter.keys.sorted())")
  }

  @Test("writing a file with two hard links is refused with denied", .timeLimit(.minutes(1)))
  func hardLinksRefused() throws {
    let fixture = try EscapeFixture()
    defer { fixture.remove() }
    let server = try LiveServer(root: fixture.root)
    for path in ["hard_a", "hard_b"] {
      try expectRefused(server, "fs/write", ["path": .string(path), "content": "changed\n"], code: "denied")
    }
    let (status, _) = try server.finish()
    #expect(status == .exited(0))
    #expect(fixture.parent.read("root/hard_a") == "hard\n" && fixture.parent.read("root/hard_b") == "hard\n")
    var info = stat()
    #expect(lstat(fixture.parent.at("root/hard_a"), &info) == 0 && info.st_nlink == 2, "the hard link was broken")
  }

  /// A refused request must change nothing, inside the root as well as outside: no directories made on the way to
  /// the refusal.
  @Test("refused requests leave the root exactly as it was", .timeLimit(.minutes(1)))
  func refusalsHaveNoSideEffects() throws {
    let fixture = try EscapeFixture()
    defer { fixture.remove() }
    let server = try LiveServer(root: fixture.root)
    let cases: [(String, JSONValue, String)] = [
      ("fs/mkdir", ["path": "/mish-e2e-nonexistent/evil/dir"], "outside_root"),
      ("fs/move", ["from": "inside.txt", "to": "/mish-e2e-nonexistent/moved.txt"], "outside_root"),
      ("fs/write", ["path": "q/../../x.txt", "content": "x"], "outside_root"),
      ("fs/mkdir", ["path": "q2/../../escape"], "outside_root"),
      ("fs/move", ["from": "inside.txt", "to": "q3/../../moved.txt"], "outside_root"),
      ("fs/write", ["path": ".git/newdir/x", "content": "x"], "denied"),
      ("fs/write", ["path": "gitlink/newdir2/x", "content": "x"], "denied"),
    ]
    var traces: [String] = []
    for (method, params, code) in cases {
      let before = fixture.parent.snapshot("root")
      let reply = try server.request(method, params)
      #expect(reply.mishErrorCode == code, "\(method) \(params.compact): \(reply.compact)")
      let after = fixture.parent.snapshot("root")
      let added = Set(after.keys).subtracting(before.keys).sorted()
      let removed = Set(before.keys).subtracting(after.keys).sorted()
      if !added.isEmpty || !removed.isEmpty {
        traces.append("\(method) \(params.compact) was refused (\(reply.mishErrorCode ?? "?")) but created \(added) removed \(removed)")
      }
    }
    #expect(traces.isEmpty, "\(traces.joined(separator: "\n"))")
    _ = try server.finish()
  }
}
