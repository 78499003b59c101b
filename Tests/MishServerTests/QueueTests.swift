// The merge queue end to end: the real hub on real repositories, sessions committing through their own sandboxed
// servers, gates run in the sandbox on scratch worktrees, landings checked in git itself.
import Foundation
import Glibc
import MishJSON
import Testing

/// A project whose test suite is TAP from a shell script: every tests/t_*.sh is one test, passing when it exits 0.
let queueProjectFiles: [String: String] = [
  "README.md": "# greeter\nA tiny greeting library.\n",
  "lib/greet.sh": "greet() { echo \"hello, $1\"; }\n",
  "lib/limits.txt": "max=10\n",
  "tests/t_greet.sh": ". lib/greet.sh\n[ \"$(greet bob)\" = \"hello, bob\" ] || { echo \"greet bob gave: $(greet bob)\"; exit 1; }\n",
  // Fails on its first run in a fresh tree, passes when run again there: the test gate's retry finds it flaky.
  "tests/t_flaky.sh": "if [ -e .flaky-marker ]; then exit 0; fi\ntouch .flaky-marker\necho 'first run fails'\nexit 1\n",
  "tests/run.sh": """
    #!/bin/sh
    # TAP: one test per tests/t_*.sh (optionally only the names given).
    set -- tests/t_*.sh
    echo "TAP version 13"
    echo "1..$#"
    n=0; status=0
    for t in "$@"; do
      n=$((n + 1))
      if out=$(sh "$t" 2>&1); then echo "ok $n - $t"; else
        echo "not ok $n - $t"; echo "  ---"; echo "  message: '$(echo "$out" | head -1 | tr -d "'")'"; echo "  file: $t"; echo "  ..."; status=1
      fi
    done
    exit $status

    """,
]

/// Gates: a pre-merge syntax check, the TAP suite after the merge (retried once, so its flaky test is reported
/// and passes), a gate that fails 5% of first attempts (always passing on the retry), and a release smoke check.
let queueConfig = """
  {
    "target": "main",
    "gates": [
      { "name": "syntax", "command": "for f in lib/*.sh tests/*.sh; do sh -n \\"$f\\" || exit 1; done", "phase": "pre-merge", "timeout_ms": 60000 },
      { "name": "tests", "tool": "test/run", "params": { "command": "sh tests/run.sh", "retries": 1 }, "phase": "post-merge", "timeout_ms": 120000 },
      { "name": "flaky-infra", "command": "[ \\"$MISH_GATE_ATTEMPT\\" = 2 ] || [ $(od -An -N1 -tu1 /dev/urandom) -ge 13 ]", "phase": "post-merge", "timeout_ms": 60000 },
      { "name": "smoke", "command": ". lib/greet.sh && test -s README.md", "phase": "release", "timeout_ms": 60000 }
    ],
    "queue": { "batch_size": 4, "batch_wait_ms": 500 }
  }
  """

@Suite("Merge queue: gates, batches, rejections as data, recovery", .serialized)
final class QueueTests {
  let base = HubTests()

  func project(config: String = queueConfig) throws -> TempDir {
    let repository = try makeRepository("queue", files: queueProjectFiles)
    base.repositories.append(repository)
    try repository.write(".mish/config.json", config)
    return repository
  }

  /// A session that writes `files` (path → content, nil deletes) and commits them.
  func change(_ hub: LiveServer, _ task: String, _ files: [String: String?]) throws -> String {
    let id = try base.spawn(hub, task)
    for (path, content) in files.sorted(by: { $0.key < $1.key }) {
      if let content {
        _ = try base.sessionCall(hub, id, "fs/write", ["path": .string(path), "content": .string(content)])
      } else {
        _ = try base.sessionCall(hub, id, "exec/run", ["argv": ["rm", .string(path)]])
      }
    }
    _ = try base.sessionCall(hub, id, "git/add", ["all": true])
    _ = try base.sessionCall(hub, id, "git/commit", ["message": .string(task), "author": ["name": "agent", "email": "agent@example.com"]])
    return id
  }

  func submit(_ hub: LiveServer, _ id: String, priority: Int = 0, noBatch: Bool = false) throws -> Int {
    try base.ok(hub, "hub/submit", ["session_id": .string(id), "priority": .int(priority), "no_batch": .bool(noBatch)])["queue_id"]?.intValue ?? 0
  }

  /// Waits until no item is queued, merging or gating; returns the items.
  func drain(_ hub: LiveServer, timeout: TimeInterval = 240) throws -> [JSONValue] {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      let items = try base.ok(hub, "hub/queue")["items"]?.arrayValue ?? []
      if !items.isEmpty && items.allSatisfy({ ["landed", "rejected"].contains($0["state"]?.stringValue ?? "") }) { return items }
      Thread.sleep(forTimeInterval: 0.2)
    }
    throw HarnessError("the queue did not drain: \(JSONWriter.string(try base.ok(hub, "hub/queue")))")
  }

  func show(_ repository: TempDir, _ revision: String) -> String? { try? git(["show", revision], in: repository.path) }

  /// Every commit on main's first-parent line since `since` carries the tree some landed item's gates all passed on.
  func expectEveryLandedTreeGated(_ repository: TempDir, since: String, items: [JSONValue], gateNames: Set<String>) throws {
    let commits = try git(["rev-list", "--first-parent", "\(since)..main"], in: repository.path).split(separator: "\n").map(String.init)
    #expect(!commits.isEmpty)
    for commit in commits {
      let tree = try git(["rev-parse", "\(commit)^{tree}"], in: repository.path).trimmed
      let gated = items.filter { $0["landed_sha"]?.stringValue == commit }
      #expect(!gated.isEmpty, "commit \(commit) on main was not landed by the queue")
      for item in gated {
        let merged = (item["gates"]?.arrayValue ?? []).filter { $0["phase"]?.stringValue != "pre-merge" }
        #expect(Set(merged.compactMap { $0["name"]?.stringValue }) == gateNames, "\(JSONWriter.string(item))")
        #expect(merged.allSatisfy { $0["tree"]?.stringValue == tree && ["passed", "flaky"].contains($0["outcome"]?.stringValue ?? "") }, "\(JSONWriter.string(item))")
      }
    }
  }

  /// Eight sessions: four clean changes, a textual conflict, a semantic conflict (merges cleanly, breaks a test),
  /// one that breaks the pre-merge gate; a flaky test and a gate that flakes at 5%. Exactly the good changes land,
  /// each landed commit's tree passed every gate, and the bad ones come back with the right reasons as data.
  @Test(.timeLimit(.minutes(8))) func eightSessionsLandExactlyTheGoodChanges() throws {
    let repository = try project()
    let start = try git(["rev-parse", "main"], in: repository.path).trimmed
    let hub = try base.startHub(repository, pool: 4)

    let docs = try change(hub, "docs: usage", ["docs/usage.md": "Run greet NAME.\n"])
    let limits = try change(hub, "raise the limit", ["lib/limits.txt": "max=20\n"])
    let readmeA = try change(hub, "readme: tagline A", ["README.md": "# greeter\nGreetings, done well.\n"])
    let readmeB = try change(hub, "readme: tagline B", ["README.md": "# greeter\nThe friendliest greeter.\n"])
    let rename = try change(hub, "rename greet to welcome", [
      "lib/greet.sh": "welcome() { echo \"hello, $1\"; }\n",
      "tests/t_greet.sh": ". lib/greet.sh\n[ \"$(welcome bob)\" = \"hello, bob\" ] || { echo \"welcome bob gave: $(welcome bob)\"; exit 1; }\n",
    ])
    let caller = try change(hub, "add a farewell test using greet", [
      "tests/t_farewell.sh": ". lib/greet.sh\ncommand -v greet >/dev/null || { echo \"greet is gone\"; exit 1; }\n[ \"$(greet amy)\" = \"hello, amy\" ]\n",
    ])
    let broken = try change(hub, "a syntax error", ["lib/broken.sh": "if then fi (\n"])
    let extra = try change(hub, "a new test", ["tests/t_limits.sh": "grep -q '^max=' lib/limits.txt\n"])

    // Dirty work is refused, naming what is dirty, and nothing is queued for it.
    _ = try base.sessionCall(hub, extra, "fs/write", ["path": "scratch.txt", "content": "not committed\n"])
    let dirty = try base.refused(hub, "hub/submit", ["session_id": .string(extra)])
    #expect(dirty["code"]?.stringValue == "dirty")
    #expect(dirty["message"]?.stringValue?.contains("scratch.txt") == true, "\(dirty)")
    _ = try base.sessionCall(hub, extra, "exec/run", ["argv": ["rm", "scratch.txt"]])

    // Priorities fix who wins each conflict: A before B, the rename before its new caller.
    var queued: [String: Int] = [:]
    for (id, priority) in [(readmeA, 9), (rename, 8), (docs, 5), (limits, 5), (readmeB, 1), (caller, 1), (broken, 1), (extra, 1)] {
      queued[id] = try submit(hub, id, priority: priority)
    }
    let items = try drain(hub)
    func item(_ session: String) -> JSONValue { items.first { $0["queue_id"]?.intValue == queued[session] } ?? .null }

    for good in [docs, limits, readmeA, rename, extra] {
      #expect(item(good)["state"]?.stringValue == "landed", "\(JSONWriter.string(item(good)))")
    }
    let conflict = item(readmeB)
    #expect(conflict["state"]?.stringValue == "rejected")
    #expect(conflict["reason"]?["kind"]?.stringValue == "conflict", "\(JSONWriter.string(conflict))")
    #expect(conflict["reason"]?["paths"]?.arrayValue == ["README.md"])
    let stages = conflict["reason"]?["conflicts"]?.arrayValue?.first
    #expect(stages?["kind"]?.stringValue == "content")
    #expect(stages?["base"]?["oid"]?.stringValue == (try git(["rev-parse", "\(start):README.md"], in: repository.path).trimmed))

    let semantic = item(caller)
    #expect(semantic["state"]?.stringValue == "rejected")
    #expect(semantic["reason"]?["kind"]?.stringValue == "gate_failed", "\(JSONWriter.string(semantic))")
    #expect(semantic["reason"]?["gate"]?.stringValue == "tests")
    let failure = semantic["reason"]?["failures"]?.arrayValue?.first
    #expect(failure?["name"]?.stringValue?.contains("t_farewell.sh") == true, "\(JSONWriter.string(semantic))")
    #expect(failure?["message"]?.stringValue?.contains("greet is gone") == true)

    let syntax = item(broken)
    #expect(syntax["reason"]?["kind"]?.stringValue == "gate_failed")
    #expect(syntax["reason"]?["gate"]?.stringValue == "syntax" && syntax["reason"]?["phase"]?.stringValue == "pre-merge")

    // Exactly the good changes are on main, and nothing else.
    #expect(show(repository, "main:docs/usage.md") == "Run greet NAME.\n")
    #expect(show(repository, "main:lib/limits.txt") == "max=20\n")
    #expect(show(repository, "main:README.md") == "# greeter\nGreetings, done well.\n")
    #expect(show(repository, "main:lib/greet.sh")?.contains("welcome()") == true)
    #expect(show(repository, "main:tests/t_limits.sh") != nil)
    #expect(show(repository, "main:tests/t_farewell.sh") == nil)
    #expect(show(repository, "main:lib/broken.sh") == nil)
    try expectEveryLandedTreeGated(repository, since: start, items: items, gateNames: ["tests", "flaky-infra", "smoke"])

    // The flaky test was reported by the test gate, and rejected nobody.
    let landed = items.filter { $0["state"]?.stringValue == "landed" }
    let testGates = landed.flatMap { $0["gates"]?.arrayValue ?? [] }.filter { $0["name"]?.stringValue == "tests" }
    #expect(testGates.contains { ($0["flaky_tests"]?.arrayValue ?? []).contains { "\($0)".contains("t_flaky") } }, "\(JSONWriter.string(.array(testGates)))")

    // Sessions follow their items; rejections are events too, and a rejected session can fix and resubmit.
    let sessions = try base.ok(hub, "hub/sessions")["sessions"]?.arrayValue ?? []
    func state(_ id: String) -> String? { sessions.first { $0["session_id"]?.stringValue == id }?["state"]?.stringValue }
    #expect(state(docs) == "landed" && state(readmeB) == "rejected" && state(caller) == "rejected")
    let events = try base.ok(hub, "hub/events", ["since_seq": 0, "limit": 10000])["events"]?.arrayValue ?? []
    #expect(events.contains { $0["kind"]?.stringValue == "queue.rejected" && $0["session_id"]?.stringValue == readmeB && $0["reason"]?["kind"]?.stringValue == "conflict" })

    // The agent brings main in: the conflict comes back as data with the marked file, then is resolved in one call.
    let clash = try base.refused(hub, "hub/call", ["session_id": .string(readmeB), "method": "git/merge", "params": ["ref": "main"]])
    #expect(clash["code"]?.stringValue == "conflict" && clash["paths"]?.arrayValue == ["README.md"], "\(clash)")
    #expect(clash["conflicts"]?.arrayValue?.first?["marked"]?.stringValue?.contains("<<<<<<<") == true, "\(clash)")
    let merged = try base.sessionCall(hub, readmeB, "git/merge", [
      "ref": "main", "resolutions": ["README.md": "# greeter\nThe friendliest greeter.\n"], "author": ["name": "agent", "email": "agent@example.com"],
    ])
    #expect(merged["resolved"]?.arrayValue == ["README.md"] && merged["fast_forward"]?.boolValue == false, "\(merged)")
    let again = try submit(hub, readmeB)
    let after = try drain(hub)
    #expect(after.first { $0["queue_id"]?.intValue == again }?["state"]?.stringValue == "landed", "\(JSONWriter.string(.array(after)))")
    #expect(show(repository, "main:README.md") == "# greeter\nThe friendliest greeter.\n")
  }

  /// Submitting needs committed work that the target lacks, on a live session.
  @Test func submitRefusals() throws {
    let repository = try project()
    let hub = try base.startHub(repository)
    let id = try base.spawn(hub, "nothing yet")
    #expect(try base.refused(hub, "hub/submit", ["session_id": .string(id)])["code"]?.stringValue == "nothing_to_land")
    #expect(try base.refused(hub, "hub/submit", ["session_id": "nope"])["code"]?.stringValue == "not_found")
    _ = try base.sessionCall(hub, id, "fs/write", ["path": "new.txt", "content": "x\n"])
    let dirty = try base.refused(hub, "hub/submit", ["session_id": .string(id)])
    #expect(dirty["code"]?.stringValue == "dirty" && dirty["paths"]?.arrayValue == ["new.txt"], "\(dirty)")
  }

  /// What a session commits after submitting is not in the head that lands: the session stays live to submit it,
  /// and says so. Killing a session with a queued change says the change stays queued (and it lands). A test gate
  /// that fails without failing tests (here: it finds none) says why. Found by a helper agent's review.
  @Test(.timeLimit(.minutes(3))) func workAfterSubmitAndKilledSubmittersAreAccountedFor() throws {
    let repository = try project(config: #"{"target": "main", "queue": {"batch_size": 4, "batch_wait_ms": 200}, "gates": [{"name": "ok", "command": "true"}]}"#)
    let hub = try base.startHub(repository, pool: 2)
    let eager = try change(hub, "eager", ["first.txt": "first\n"])
    _ = try submit(hub, eager)
    _ = try base.sessionCall(hub, eager, "fs/write", ["path": "second.txt", "content": "second\n"])
    _ = try base.sessionCall(hub, eager, "git/add", ["paths": ["second.txt"]])
    _ = try base.sessionCall(hub, eager, "git/commit", ["message": "second", "author": ["name": "agent", "email": "agent@example.com"]])
    let quitter = try change(hub, "quitter", ["third.txt": "third\n"])
    let queued = try submit(hub, quitter)
    let killed = try base.ok(hub, "hub/kill", ["session_id": .string(quitter)])
    #expect(killed["queued"]?.arrayValue == [.int(queued)], "\(killed)")
    let items = try drain(hub)
    #expect(items.allSatisfy { $0["state"]?.stringValue == "landed" }, "\(JSONWriter.string(.array(items)))")
    #expect(show(repository, "main:first.txt") != nil && show(repository, "main:third.txt") != nil && show(repository, "main:second.txt") == nil)
    let session = try base.ok(hub, "hub/sessions")["sessions"]?.arrayValue?.first { $0["session_id"]?.stringValue == eager }
    #expect(session?["state"]?.stringValue == "ready" && session?["reason"]?.stringValue?.contains("1 commit(s)") == true, "\(String(describing: session))")
    _ = try submit(hub, eager)
    _ = try drain(hub)
    #expect(show(repository, "main:second.txt") != nil, "the later commit lands on the second submit")
  }

  @Test(.timeLimit(.minutes(3))) func aTestGateThatFindsNoTestsSaysSo() throws {
    let repository = try project(config: #"{"target": "main", "queue": {"batch_wait_ms": 100}, "gates": [{"name": "tests", "tool": "test/run", "params": {"command": "true"}}]}"#)
    let hub = try base.startHub(repository, pool: 1)
    _ = try submit(hub, try change(hub, "anything", ["x.txt": "x\n"]))
    let reason = try drain(hub).first?["reason"]
    #expect(reason?["kind"]?.stringValue == "gate_failed" && reason?["test_outcome"]?.stringValue == "no_tests", "\(String(describing: reason))")
    #expect(reason?["message"]?.stringValue?.contains("no_tests") == true && reason?["notes"]?.arrayValue?.isEmpty == false, "\(String(describing: reason))")
  }

  /// A configuration with a mistake stops the hub with the field named.
  @Test func badConfigurationIsALoudError() throws {
    let repository = try project(config: #"{"gates": [{"name": "x", "comand": "true"}]}"#)
    let result = try runMish(["hub", "--repo", repository.path])
    #expect(result.status != .exited(0))
    #expect(result.stderr.contains("comand"), "\(result.stderr)")
  }

  /// kill -9 of the hub at random points while it lands (many trials): after a restart every change lands exactly
  /// once (each branch head is a parent of exactly one commit on main), and main only ever held gated trees.
  @Test(.timeLimit(.minutes(15))) func killedWhileLandingNothingIsLostOrDoubled() throws {
    let config = """
      {"target": "main", "queue": {"batch_size": 2, "batch_wait_ms": 50},
       "gates": [{"name": "check", "command": "sleep 0.2; test -f README.md", "phase": "post-merge"},
                 {"name": "release", "command": "true", "phase": "release"}]}
      """
    var generator = SystemRandomNumberGenerator()
    let trials = Int(ProcessInfo.processInfo.environment["MISH_KILL_TRIALS"] ?? "") ?? 6
    for trial in 0..<trials {
      let repository = try project(config: config)
      let start = try git(["rev-parse", "main"], in: repository.path).trimmed
      var hub = try base.startHub(repository, pool: 2)
      var heads: [String: String] = [:]
      for index in 0..<4 {
        let id = try change(hub, "change \(index)", ["file\(index).txt": "trial \(trial) change \(index)\n"])
        heads[id] = try git(["rev-parse", "mish/\(id)"], in: repository.path).trimmed
        _ = try submit(hub, id)
      }
      // Kill at a random point of the landing work (merging, gating, compare-and-swap, bookkeeping).
      Thread.sleep(forTimeInterval: Double.random(in: 0.05...2.5, using: &generator))
      let before = try git(["rev-parse", "main"], in: repository.path).trimmed
      hub.child.kill(SIGKILL)
      _ = hub.child.wait(timeout: 10)
      hub.allowTruncatedTail = true

      hub = try base.startHub(repository, pool: 2)
      let items = try drain(hub)
      #expect(items.count == 4 && items.allSatisfy { $0["state"]?.stringValue == "landed" }, "trial \(trial): \(JSONWriter.string(.array(items)))")
      let merges = try git(["rev-list", "--first-parent", "--parents", "\(start)..main"], in: repository.path).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
      for (id, head) in heads {
        let carriers = merges.filter { $0.dropFirst(2).contains(head) }
        #expect(carriers.count == 1, "trial \(trial): \(id)'s head \(head) is carried by \(carriers.count) commits on main")
      }
      for index in 0..<4 {
        #expect(show(repository, "main:file\(index).txt") == "trial \(trial) change \(index)\n")
      }
      // Where main stood at the kill, and everything after, was gated.
      try expectEveryLandedTreeGated(repository, since: start, items: items, gateNames: ["check", "release"])
      if before != start {
        #expect(items.contains { $0["landed_sha"]?.stringValue == before }, "trial \(trial): main was at \(before) when killed, which no item landed")
      }
      hub.kill()
    }
  }

  /// The README's main job: `mish demo` lands the four good changes and rejects the conflict and the broken test.
  @Test(.timeLimit(.minutes(3))) func demoEndsAsIntended() throws {
    let result = try runMish(["demo"], timeout: 150)
    #expect(result.status == .exited(0), "\(result.stdout)\n\(result.stderr)")
    #expect(result.stdout.contains("Every change ended as intended"))
    #expect(result.stdout.contains("conflict content in README.md"))
    #expect(result.stdout.contains("test tests.test_core.LineTotalTest.test_rounds_to_cents failed at tests/test_core.py:8"))
  }

  /// no_batch gates and lands a change alone; priority decides who goes first; the rest share one batch commit.
  @Test(.timeLimit(.minutes(3))) func noBatchAndPriority() throws {
    let repository = try project(config: #"{"target": "main", "queue": {"batch_size": 4, "batch_wait_ms": 1500}, "gates": [{"name": "ok", "command": "true"}]}"#)
    let hub = try base.startHub(repository, pool: 3)
    let low = try change(hub, "low", ["low.txt": "low\n"])
    let other = try change(hub, "other", ["other.txt": "other\n"])
    let risky = try change(hub, "risky", ["risky.txt": "risky\n"])
    let ids = [try submit(hub, low), try submit(hub, other), try submit(hub, risky, priority: 5, noBatch: true)]
    let items = try drain(hub)
    func landed(_ id: Int) -> String { items.first { $0["queue_id"]?.intValue == id }?["landed_sha"]?.stringValue ?? "?" }
    #expect(landed(ids[0]) == landed(ids[1]), "the two ordinary changes share a batch: \(JSONWriter.string(.array(items)))")
    #expect(landed(ids[2]) != landed(ids[0]))
    let parents = try git(["rev-list", "--parents", "-n", "1", landed(ids[0])], in: repository.path).split(separator: " ").map(String.init)
    #expect(parents.count == 4 && parents[1] == landed(ids[2]), "the risky change landed first, alone, and the batch on top of it: \(parents)")
  }
}
