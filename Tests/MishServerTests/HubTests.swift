// mish hub end to end: the real binary on real git repositories; sessions are real `mish serve` children on their
// own worktrees, and every reply is checked against its request.
import Foundation
import Glibc
import MishJSON
import Testing

extension String {
  var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// A git repository in a temp dir with one commit on main.
func makeRepository(_ label: String, files: [String: String] = ["README.md": "hello\n", "src/a.txt": "a\n"]) throws -> TempDir {
  let directory = try TempDir(label)
  for (path, content) in files { try directory.write(path, content) }
  for arguments in [["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]] { try git(arguments, in: directory.path) }
  return directory
}

@Suite("Hub: sessions, routing, leases, overlaps, journal", .serialized)
final class HubTests {
  var repositories: [TempDir] = []
  var hubs: [LiveServer] = []

  deinit {
    for hub in hubs { hub.kill() }
    for repository in repositories { repository.remove() }
  }

  func repository() throws -> TempDir {
    let repository = try makeRepository("hub")
    repositories.append(repository)
    return repository
  }

  func startHub(_ repository: TempDir, pool: Int = 2) throws -> LiveServer {
    let hub = try LiveServer(arguments: ["hub", "--repo", repository.path, "--pool", String(pool), "--log-level", "warning"], root: repository.path)
    hubs.append(hub)
    return hub
  }

  /// A native call that must succeed.
  func ok(_ hub: LiveServer, _ method: String, _ params: JSONValue = [:], timeout: TimeInterval = 60) throws -> JSONValue {
    let reply = try hub.request(method, params, timeout: timeout)
    guard let result = reply["result"] else { throw HarnessError("\(method) failed: \(JSONWriter.string(reply))") }
    return result
  }

  /// A native call that must fail; returns error.data.
  func refused(_ hub: LiveServer, _ method: String, _ params: JSONValue) throws -> JSONValue {
    let reply = try hub.request(method, params)
    guard let error = reply["error"] else { throw HarnessError("\(method) should have failed: \(JSONWriter.string(reply))") }
    return error["data"] ?? .null
  }

  func spawn(_ hub: LiveServer, _ task: String) throws -> String {
    let session = try ok(hub, "hub/spawn", ["task": .string(task)])
    #expect(session["state"]?.stringValue == "ready")
    return session["session_id"]?.stringValue ?? ""
  }

  func sessionCall(_ hub: LiveServer, _ id: String, _ method: String, _ params: JSONValue) throws -> JSONValue {
    try ok(hub, "hub/call", ["session_id": .string(id), "method": .string(method), "params": params])
  }

  @Test func sessionsWorkOnTheirOwnBranchesAndWorktrees() throws {
    let repository = try repository()
    let hub = try startHub(repository)
    let first = try spawn(hub, "add a feature")
    let second = try spawn(hub, "fix a bug")
    let sessions = try ok(hub, "hub/sessions")["sessions"]?.arrayValue ?? []
    #expect(sessions.map { $0["session_id"]?.stringValue } == [first, second])
    let worktree = sessions[0]["worktree"]?.stringValue ?? ""
    #expect(worktree.hasPrefix(repository.path + "/.mish/worktrees/"))
    #expect(sessions[0]["branch"]?.stringValue == "mish/\(first)")

    _ = try sessionCall(hub, first, "fs/write", ["path": "feature.txt", "content": "new\n"])
    _ = try sessionCall(hub, first, "git/add", ["paths": ["feature.txt"]])
    let commit = try sessionCall(hub, first, "git/commit", ["message": "add feature", "author": ["name": "agent", "email": "agent@example.com"]])
    let sha = commit["sha"]?.stringValue ?? ""
    #expect(try git(["rev-parse", "mish/\(first)"], in: repository.path).trimmed == sha, "the commit is on the session's branch")
    #expect(try git(["rev-parse", "main"], in: repository.path).trimmed != sha, "main is untouched")
    #expect(!repository.exists("feature.txt"), "the main worktree is untouched")
    let elsewhere = try hub.request("hub/call", ["session_id": .string(second), "method": "fs/read", "params": ["path": "feature.txt"]])
    #expect(elsewhere["error"]?["data"]?["code"]?.stringValue == "not_found", "the other session does not see it: \(elsewhere)")
    #expect(try git(["status", "--porcelain"], in: repository.path).trimmed.isEmpty, ".mish/ is excluded from the project's status")

    // Commands run in the session's worktree.
    let run = try sessionCall(hub, second, "exec/run", ["command": "pwd"])
    #expect(run["stdout"]?["text"]?.stringValue?.hasPrefix(repository.path + "/.mish/worktrees/") == true)

    // Decisions reach every session's session/info, with their author.
    _ = try ok(hub, "hub/decisions", ["action": "add", "text": "Errors are values, not exceptions.", "session_id": .string(first)])
    let info = try sessionCall(hub, second, "session/info", [:])
    #expect(info["hub"]?["decisions"]?.arrayValue?.first?["text"]?.stringValue == "Errors are values, not exceptions.")
    #expect(info["hub"]?["decisions"]?.arrayValue?.first?["author"]?.stringValue == first)
    #expect(info["hub"]?["session_id"]?.stringValue == second)

    // Every call, state change and commit is an event, in seq order.
    let events = try ok(hub, "hub/events", ["since_seq": 0, "limit": 1000])["events"]?.arrayValue ?? []
    let seqs = events.compactMap { $0["seq"]?.intValue }
    // The contract's `time` (RFC 3339, UTC) agrees with `time_ms`.
    let stamp = try #require(events.first)
    let seconds = (stamp["time_ms"]?.intValue ?? 0) / 1000
    let expectedTime = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    #expect(stamp["time"]?.stringValue?.hasPrefix(String(expectedTime.dropLast())) == true, "\(stamp)")
    #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
    let kinds = Set(events.compactMap { $0["kind"]?.stringValue })
    #expect(kinds.isSuperset(of: ["session.spawned", "session.state", "call", "commit", "decision"]), "\(kinds)")
    let commitEvent = events.first { $0["kind"]?.stringValue == "commit" }
    #expect(commitEvent?["sha"]?.stringValue == sha && commitEvent?["session_id"]?.stringValue == first)
    let call = events.first { $0["kind"]?.stringValue == "call" && $0["method"]?.stringValue == "fs/write" }
    #expect(call?["outcome"]?.stringValue == "ok" && call?["args_digest"]?.stringValue?.isEmpty == false && call?["duration_ms"]?.intValue != nil)

    // A long-poll returns as soon as an event arrives.
    let next = try ok(hub, "hub/events", ["since_seq": .int(seqs.last ?? 0)])["next_seq"]?.intValue ?? 0
    hub.send(rpc(7001, "hub/events", ["since_seq": .int(next), "wait_ms": 20_000]))
    usleep(200_000)
    _ = try sessionCall(hub, first, "fs/read", ["path": "feature.txt"])
    let woken = try hub.reply(to: 7001, timeout: 5)
    #expect(woken["result"]?["events"]?.arrayValue?.isEmpty == false, "\(woken)")

    // Each session has checkpoints of its own.
    _ = try sessionCall(hub, first, "git/checkpoint", ["action": "create", "name": "mine"])
    let others = try sessionCall(hub, second, "git/checkpoint", ["action": "list"])
    #expect(others["checkpoints"]?.arrayValue?.isEmpty == true, "\(others)")

    // A killed session's clean worktree is reclaimed, with its checkpoints; its branch stays.
    let killed = try ok(hub, "hub/kill", ["session_id": .string(first)])
    #expect(killed["worktree_kept"]?.boolValue == false)
    #expect(!FileManager.default.fileExists(atPath: worktree))
    #expect(try git(["for-each-ref", "refs/mish/checkpoints/"], in: repository.path).trimmed.isEmpty)
    #expect(try git(["rev-parse", "mish/\(first)"], in: repository.path).trimmed == sha)
    let gone = try refused(hub, "hub/call", ["session_id": .string(first), "method": "fs/read", "params": ["path": "README.md"]])
    #expect(gone["code"]?.stringValue == "session_ended")
    #expect(try refused(hub, "hub/kill", ["session_id": .string(first)])["code"]?.stringValue == "session_ended")
  }

  @Test func leaseConflictIsRefusedNamingTheHolder() throws {
    let hub = try startHub(try repository())
    let holder = try spawn(hub, "owns src")
    let other = try spawn(hub, "wants src")
    let granted = try ok(hub, "hub/claim", ["session_id": .string(holder), "paths": ["src/**"], "exclusive": true, "ttl_s": 600])
    #expect(granted["granted"]?.boolValue == true)
    let refusal = try refused(hub, "hub/call", ["session_id": .string(other), "method": "fs/write", "params": ["path": "src/a.txt", "content": "mine\n"]])
    #expect(refusal["code"]?.stringValue == "leased")
    #expect(refusal["holder"]?.stringValue == holder)
    #expect(refusal["message"]?.stringValue?.contains(holder) == true && refusal["hint"]?.stringValue?.isEmpty == false)
    let patch = try refused(hub, "hub/call", ["session_id": .string(other), "method": "fs/patch", "params": ["patch": "*** Begin Patch\n*** Add File: src/new.txt\n+x\n*** End Patch\n"]])
    #expect(patch["code"]?.stringValue == "leased", "patches are checked by the files they name")
    let contested = try ok(hub, "hub/claim", ["session_id": .string(other), "paths": ["src/a.txt"], "exclusive": false])
    #expect(contested["granted"]?.boolValue == false)
    #expect(contested["conflicts"]?.arrayValue?.first?["session_id"]?.stringValue == holder)
    // Outside the lease, and for the holder, writes go through.
    _ = try sessionCall(hub, other, "fs/write", ["path": "README.md", "content": "fine\n"])
    _ = try sessionCall(hub, holder, "fs/write", ["path": "src/a.txt", "content": "holder\n"])
    _ = try ok(hub, "hub/release", ["session_id": .string(holder)])
    _ = try sessionCall(hub, other, "fs/write", ["path": "src/a.txt", "content": "now mine\n"])
  }

  /// A lease binds every spelling of a path and every call that reaches it through a directory; the refusal and
  /// the session's own errors say what happened in whole sentences. Found by a helper agent's review.
  @Test func leasesHoldForAbsolutePathsAndWholeDirectories() throws {
    let hub = try startHub(try repository())
    let holder = try spawn(hub, "owns src/a.txt")
    let other = try spawn(hub, "tidies up")
    _ = try ok(hub, "hub/claim", ["session_id": .string(holder), "paths": ["src/a.txt", "README.md"]])
    let worktree = try ok(hub, "hub/sessions")["sessions"]?.arrayValue?.first { $0["session_id"]?.stringValue == other }?["worktree"]?.stringValue ?? ""
    let absolute = try refused(hub, "hub/call", ["session_id": .string(other), "method": "fs/write", "params": ["path": .string(worktree + "/src/a.txt"), "content": "x\n"]])
    #expect(absolute["code"]?.stringValue == "leased" && absolute["path"]?.stringValue == "src/a.txt", "\(absolute)")
    let removal = try refused(hub, "hub/call", ["session_id": .string(other), "method": "fs/remove", "params": ["path": "src", "recursive": true]])
    #expect(removal["code"]?.stringValue == "leased" && removal["path"]?.stringValue == "src/a.txt", "\(removal)")
    #expect(removal["message"]?.stringValue?.contains("inside src") == true, "\(removal)")
    let move = try refused(hub, "hub/call", ["session_id": .string(other), "method": "fs/move", "params": ["from": "src", "to": "lib"]])
    #expect(move["code"]?.stringValue == "leased", "\(move)")
    #expect(try sessionCall(hub, other, "fs/read", ["path": "src/a.txt"])["content"]?.stringValue == "a\n", "nothing was written or removed")
    // A directory with nothing leased in it is the session's to change.
    _ = try sessionCall(hub, other, "fs/mkdir", ["path": "tmp/deep", "parents": true])
    _ = try sessionCall(hub, other, "fs/remove", ["path": "tmp", "recursive": true])
    // A claim meeting one lease through several patterns names it once.
    let claim = try ok(hub, "hub/claim", ["session_id": .string(other), "paths": ["src/**", "src/*.txt"]])
    #expect(claim["granted"]?.boolValue == false && claim["conflicts"]?.arrayValue?.count == 1, "\(claim)")
    // The session's refusal of bad params keeps its whole message.
    let badParams = try refused(hub, "hub/call", ["session_id": .string(other), "method": "fs/read", "params": ["pth": "README.md"]])
    #expect(badParams["code"]?.stringValue == "invalid_argument" && badParams["message"]?.stringValue?.contains("$.path") == true, "\(badParams)")
  }

  @Test func aSessionsProfileConfinesItsCommands() throws {
    let hub = try startHub(try repository())
    let reader = try ok(hub, "hub/spawn", ["task": "look only", "profile": "read-only"])["session_id"]?.stringValue ?? ""
    let info = try sessionCall(hub, reader, "session/info", [:])
    #expect(info["profiles"]?.arrayValue?.first?["name"]?.stringValue == "read-only", "the session's profile comes first: \(info)")
    let write = try sessionCall(hub, reader, "exec/run", ["command": "echo x > written.txt && echo WROTE || echo REFUSED"])
    #expect(write["stdout"]?["text"]?.stringValue == "REFUSED\n", "\(write)")
    #expect(write["profile"]?.stringValue == "read-only")
    let unknown = try refused(hub, "hub/spawn", ["profile": "wide-open"])
    #expect(unknown["code"]?.stringValue == "invalid_argument" && unknown["hint"]?.stringValue?.contains("workspace-write") == true)
  }

  @Test func overlapIsReportedBeforeSubmit() throws {
    let hub = try startHub(try repository())
    let first = try spawn(hub, "one")
    let second = try spawn(hub, "two")
    let third = try spawn(hub, "three")
    _ = try sessionCall(hub, first, "fs/write", ["path": "README.md", "content": "first\n"])
    _ = try sessionCall(hub, first, "git/commit", ["message": "first", "all": true, "author": ["name": "a", "email": "a@a"]])
    _ = try sessionCall(hub, second, "fs/write", ["path": "README.md", "content": "second, not committed\n"])
    _ = try sessionCall(hub, third, "fs/write", ["path": "other.txt", "content": "alone\n"])
    let overlaps = try ok(hub, "hub/overlaps")
    let files = overlaps["files"]?.arrayValue ?? []
    #expect(files.count == 1, "\(overlaps)")
    #expect(files.first?["path"]?.stringValue == "README.md")
    #expect(Set(files.first?["sessions"]?.arrayValue?.compactMap(\.stringValue) ?? []) == [first, second])
  }

  @Test func oldEventsAreTrimmedToTheConfiguredNumber() throws {
    let repository = try repository()
    try repository.write(".mish/config.json", #"{"events": {"keep": 100}}"#)
    let hub = try startHub(repository)
    let id = try spawn(hub, "many reads")
    for _ in 0..<300 { _ = try sessionCall(hub, id, "fs/read", ["path": "README.md"]) }
    let page = try ok(hub, "hub/events", ["since_seq": 0, "limit": 10_000])
    let events = page["events"]?.arrayValue ?? []
    let oldest = page["oldest_seq"]?.intValue ?? 0
    // Trimmed once more than a tenth (at least 100) over the 100 kept had gathered; the newest are all there.
    #expect(oldest > 100)
    #expect(events.first?["seq"]?.intValue == oldest)
    #expect((100...250).contains(events.count))
    #expect(events.last?["seq"]?.intValue == page["next_seq"]?.intValue)
    #expect(events.last?["kind"]?.stringValue == "call")
    #expect(zip(events, events.dropFirst()).allSatisfy { ($0["seq"]?.intValue ?? 0) + 1 == $1["seq"]?.intValue })
  }

  @Test func killedHubRestartsWithEverySessionAccountedFor() throws {
    let repository = try repository()
    var hub = try startHub(repository)
    let ids = try (0..<3).map { try spawn(hub, "task \($0)") }
    _ = try sessionCall(hub, ids[0], "fs/write", ["path": "unsaved.txt", "content": "work in progress\n"])
    _ = try ok(hub, "hub/claim", ["session_id": .string(ids[1]), "paths": ["src/**"]])
    _ = try ok(hub, "hub/kill", ["session_id": .string(ids[2])])
    hub.child.kill(SIGKILL)
    _ = hub.child.wait(timeout: 5)
    hub.allowTruncatedTail = true

    hub = try startHub(repository)
    let sessions = try ok(hub, "hub/sessions")["sessions"]?.arrayValue ?? []
    #expect(sessions.compactMap { $0["session_id"]?.stringValue } == ids)
    #expect(sessions.compactMap { $0["state"]?.stringValue } == ["ready", "ready", "killed"])
    let read = try sessionCall(hub, ids[0], "fs/read", ["path": "unsaved.txt"])
    #expect(read["content"]?.stringValue == "work in progress\n", "uncommitted work survives the crash")
    let leased = try refused(hub, "hub/call", ["session_id": .string(ids[0]), "method": "fs/write", "params": ["path": "src/a.txt", "content": "x"]])
    #expect(leased["code"]?.stringValue == "leased", "leases survive the crash")
    let events = try ok(hub, "hub/events", ["since_seq": 0, "limit": 1000])["events"]?.arrayValue ?? []
    let recovered = events.last { $0["kind"]?.stringValue == "hub.recovered" }
    #expect(recovered?["restarted"]?.arrayValue?.compactMap(\.stringValue) == [ids[0], ids[1]], "\(String(describing: recovered))")

    let status = try runMish(["hub", "status", "--repo", repository.path, "--json"])
    #expect(status.status == .exited(0))
    let listed = (try? JSONParser.parse(Array(status.stdout.utf8)))?["sessions"]?.arrayValue ?? []
    #expect(listed.compactMap { $0["session_id"]?.stringValue } == ids)
    let table = try runMish(["hub", "status", "--repo", repository.path])
    #expect(table.stdout.contains("SESSION") && table.stdout.contains(ids[0]) && table.stdout.contains("killed"))
  }

  /// 64 sessions driven at once: each writes, reads back, edits, runs a command, stages and commits, with every request in
  /// flight together per step; every reply must carry what its own session was asked.
  @Test(.timeLimit(.minutes(10))) func sixtyFourSessionsConcurrently() throws {
    let repository = try repository()
    let hub = try startHub(repository, pool: 4)
    let count = 64
    let ids = try (0..<count).map { try spawn(hub, "worker \($0)") }
    var nextID = 100_000
    /// Sends one request per session at once, then claims every reply by id.
    func fanOut(_ make: (Int, String) -> (String, JSONValue)) throws -> [JSONValue] {
      var sent: [(JSONValue, Int)] = []
      for (index, id) in ids.enumerated() {
        nextID += 1
        let (method, params) = make(index, id)
        hub.send(rpc(.int(nextID), "hub/call", ["session_id": .string(id), "method": .string(method), "params": params]))
        sent.append((.int(nextID), index))
      }
      return try sent.map { requestID, index in
        let reply = try hub.reply(to: requestID, timeout: 120)
        guard let result = reply["result"] else { throw HarnessError("session \(ids[index]): \(JSONWriter.string(reply))") }
        return result
      }
    }
    let token = { (index: Int) in "token-\(index)-\(ids[index])" }
    _ = try fanOut { index, _ in ("fs/write", ["path": "work.txt", "content": .string(token(index) + "\n")]) }
    let reads = try fanOut { _, _ in ("fs/read", ["path": "work.txt"]) }
    for (index, read) in reads.enumerated() { #expect(read["content"]?.stringValue == token(index) + "\n") }
    _ = try fanOut { _, _ in ("fs/edit", ["path": "work.txt", "edits": [["old_text": "token", "new_text": "edited"]]]) }
    let runs = try fanOut { _, _ in ("exec/run", ["command": "cat work.txt", "yield_ms": 120_000]) }
    for (index, run) in runs.enumerated() {
      #expect(run["stdout"]?["text"]?.stringValue == token(index).replacingOccurrences(of: "token", with: "edited") + "\n", "session \(index)")
    }
    _ = try fanOut { _, _ in ("git/add", ["paths": ["work.txt"]]) }
    let commits = try fanOut { index, _ in ("git/commit", ["message": .string("work \(index)"), "author": ["name": "w", "email": "w@w"]]) }
    for (index, commit) in commits.enumerated() {
      let sha = commit["sha"]?.stringValue ?? ""
      #expect(try git(["rev-parse", "mish/\(ids[index])"], in: repository.path).trimmed == sha)
      #expect(try git(["show", "\(sha):work.txt"], in: repository.path).trimmed == token(index).replacingOccurrences(of: "token", with: "edited"))
    }
    let events = try ok(hub, "hub/events", ["since_seq": 0, "limit": 10_000])["events"]?.arrayValue ?? []
    #expect(events.filter { $0["kind"]?.stringValue == "call" }.count == count * 6)
    #expect(events.filter { $0["kind"]?.stringValue == "commit" }.count == count)
  }
}
