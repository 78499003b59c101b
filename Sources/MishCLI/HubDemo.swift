import Foundation
import MishJSON

/// `mish demo`: the seed's four loops on one codebase. A real `mish hub` runs on a sample repository; six scripted
/// agents each get a sandboxed session on their own branch and worktree, edit, test and commit through it, and
/// submit. The merge queue gates and lands the good changes and sends the two bad ones back with reasons: a
/// textual conflict, and a change that merges cleanly but breaks a test. Everything printed comes from the hub's
/// replies and events.
enum HubDemo {
  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  static func run(directory: String?) -> Int32 {
    let started = Date()
    let root = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("mish-demo-\(getpid())").path
    defer { if directory == nil { try? FileManager.default.removeItem(atPath: root) } }
    do {
      try makeRepository(at: root)
      let hub = try StdioClient(executable: StdioClient.currentExecutable, arguments: ["hub", "--repo", root, "--pool", "4", "--log-level", "warning"])
      var demo = Driver(hub: hub, root: root)
      print("mish demo: six scripted agents on one repository (\(root)), landed through the merge queue\n")
      let outcome = try demo.script()
      _ = hub.close()
      print(String(format: "\nDone in %.1f s.", Date().timeIntervalSince(started)))
      if outcome.isEmpty {
        print("Every change ended as intended: four landed, the conflict and the broken test were rejected with their reasons.")
        return 0
      }
      print("Unexpected:\n" + outcome.map { "  - \($0)" }.joined(separator: "\n"))
      return 1
    } catch {
      FileHandle.standardError.write(Data("mish demo: \(error)\n".utf8))
      return 1
    }
  }

  static func makeRepository(at root: String) throws {
    let manager = FileManager.default
    try? manager.removeItem(atPath: root)
    for (path, content) in DemoProject.files {
      let url = URL(fileURLWithPath: root).appendingPathComponent(path)
      try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try content.write(to: url, atomically: true, encoding: .utf8)
    }
    for arguments in [["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=demo", "-c", "user.email=demo@mish.invalid", "commit", "-qm", "inventory: first version"]] {
      let (status, output) = shell(["git"] + arguments, in: root)
      guard status == 0 else { throw Failure(description: "git \(arguments.joined(separator: " ")) failed: \(output)") }
    }
    try manager.createDirectory(atPath: root + "/.mish", withIntermediateDirectories: true)
    try DemoProject.config.write(toFile: root + "/.mish/config.json", atomically: true, encoding: .utf8)
  }

  /// Runs a program (found on PATH) in `directory`; its exit status and combined output.
  static func shell(_ arguments: [String], in directory: String) -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  struct Driver {
    let hub: StdioClient
    let root: String
    var seq = 0
    /// queue_id → the agent's name, session_id → the agent's name.
    var names: [Int: String] = [:]
    var sessions: [String: String] = [:]

    init(hub: StdioClient, root: String) {
      self.hub = hub
      self.root = root
    }

    /// A native hub call; an error reply becomes a thrown Failure carrying the hub's message.
    func call(_ method: String, _ params: JSONValue = [:]) throws -> JSONValue {
      let reply = try hub.request(method, params)
      if let result = reply["result"] { return result }
      let error = reply["error"]
      throw Failure(description: "\(method): \(error?["data"]?["message"]?.stringValue ?? error?["message"]?.stringValue ?? JSONWriter.string(reply))")
    }

    func session(_ id: String, _ method: String, _ params: JSONValue) throws -> JSONValue {
      try call("hub/call", ["session_id": .string(id), "method": .string(method), "params": params])
    }

    mutating func script() throws -> [String] {
      print("== The agents work, each in its own sandboxed session")
      var ids: [String] = []
      for agent in DemoProject.agents { ids.append(try work(agent)) }

      print("\n== The first four submit; the queue gates and lands them")
      for (index, agent) in DemoProject.agents.prefix(4).enumerated() { try submit(ids[index], agent, priority: 4 - index) }
      try drain()
      print("\n== Then the other two submit, on top of what landed")
      for (index, agent) in DemoProject.agents.enumerated().dropFirst(4) { try submit(ids[index], agent, priority: 0) }
      try drain()
      return try summary(ids)
    }

    /// One scripted agent: a session, its edits, a local test run, a commit.
    mutating func work(_ agent: DemoProject.Agent) throws -> String {
      let spawned = try call("hub/spawn", ["task": .string(agent.task)])
      let id = spawned["session_id"]?.stringValue ?? "?"
      sessions[id] = agent.name
      let tag = "[\(agent.name) \(id)]".padding(toLength: 20, withPad: " ", startingAt: 0)
      print("\(tag) hub_spawn → \(spawned["state"]?.stringValue ?? "?") on \(spawned["branch"]?.stringValue ?? "?"): \(agent.task)")
      for edit in agent.edits {
        if edit.old.isEmpty {
          let wrote = try session(id, "fs/write", ["path": .string(edit.path), "content": .string(edit.new)])
          print("\(tag) fs_write \(edit.path) → \(wrote["bytes"]?.intValue ?? 0) bytes")
        } else {
          let read = try session(id, "fs/read", ["path": .string(edit.path)])
          let edited = try session(id, "fs/edit", [
            "path": .string(edit.path), "expected_sha256": read["sha256"] ?? .null,
            "edits": [["old_text": .string(edit.old), "new_text": .string(edit.new)]],
          ])
          let diff = (edited["diff"]?.stringValue ?? "").split(separator: "\n")
          let added = diff.filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.count
          let removed = diff.filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.count
          print("\(tag) fs_edit \(edit.path) → \(edited["applied"]?.intValue ?? 0) replacement (+\(added) -\(removed) lines)")
        }
      }
      let tests = try session(id, "test/run", ["command": "python3 run_tests.py"])
      let summary = tests["summary"]
      print("\(tag) test_run → \(tests["outcome"]?.stringValue ?? "?"): \(summary?["passed"]?.intValue ?? 0) passed, \(summary?["failed"]?.intValue ?? 0) failed\(agent.expected == .lands ? "" : " (submitted anyway)")")
      _ = try session(id, "git/add", ["all": true])
      let commit = try session(id, "git/commit", ["message": .string(agent.task), "author": ["name": .string("agent-\(agent.name)"), "email": "agent@mish.invalid"]])
      print("\(tag) git_commit → \(commit["sha"]?.stringValue?.prefix(10) ?? "?") (\(commit["files_changed"]?.intValue ?? 0) files)")
      return id
    }

    mutating func submit(_ id: String, _ agent: DemoProject.Agent, priority: Int) throws {
      let queued = try call("hub/submit", ["session_id": .string(id), "message": .string(agent.task), "priority": .int(priority)])
      let queueID = queued["queue_id"]?.intValue ?? 0
      names[queueID] = agent.name
      print("hub_submit \(agent.name) → queued as #\(queueID)")
    }

    /// Prints the hub's queue and gate events until no change is queued, merging or gating.
    mutating func drain() throws {
      let deadline = Date().addingTimeInterval(180)
      var drained = false
      while Date() < deadline {
        let page = try call("hub/events", ["since_seq": .int(seq), "wait_ms": drained ? 0 : 400, "limit": 500])
        for event in page["events"]?.arrayValue ?? [] { show(event) }
        seq = page["next_seq"]?.intValue ?? seq
        // One more read after the queue drained, for the events of its last moments.
        if drained { return }
        let items = try call("hub/queue")["items"]?.arrayValue ?? []
        drained = items.allSatisfy { ["landed", "rejected"].contains($0["state"]?.stringValue ?? "") }
      }
      throw Failure(description: "the queue did not drain within 180 s")
    }

    func who(_ event: JSONValue) -> String {
      let id = event["queue_id"]?.intValue ?? 0
      return "#\(id) \(names[id] ?? "?")"
    }

    func show(_ event: JSONValue) {
      let kind = event["kind"]?.stringValue ?? ""
      switch kind {
      case "queue.state":
        let state = event["state"]?.stringValue ?? ""
        guard state != "queued" || event["note"] != nil else { return }
        print("  queue   \(who(event)) \(state)\(event["note"]?.stringValue.map { ": \($0)" } ?? "")")
      case "gate.finished":
        let cached = event["cached"]?.boolValue == true ? ", cached" : ""
        print("  gate    \(event["name"]?.stringValue ?? "?") (\(event["phase"]?.stringValue ?? "?")) \(event["outcome"]?.stringValue ?? "?") in \(event["duration_ms"]?.intValue ?? 0) ms\(cached) for \(event["for"]?.stringValue ?? "?")")
      case "queue.split":
        print("  queue   batch \((event["batch"]?.arrayValue ?? []).compactMap(\.intValue).map { "#\($0)" }.joined(separator: " ")) failed gate \(event["gate"]?.stringValue ?? "?"): split to find the culprit")
      case "queue.landed":
        print("  landed  \(who(event)) → main at \(event["landed_sha"]?.stringValue?.prefix(10) ?? "?")")
      case "queue.rejected":
        print("  REJECT  \(who(event)): \(event["reason"]?["message"]?.stringValue ?? "?")")
      default:
        return
      }
    }

    /// The sessions, the queue and main's history; returns what did not end as intended.
    func summary(_ ids: [String]) throws -> [String] {
      print("\n== Sessions")
      let listed = try call("hub/sessions")["sessions"]?.arrayValue ?? []
      HubCommand.printTable(["SESSION", "AGENT", "STATE", "TASK"], listed.map { row in
        let id = row["session_id"]?.stringValue ?? ""
        return [id, sessions[id] ?? "", row["state"]?.stringValue ?? "", row["task"]?.stringValue ?? ""]
      })
      print("\n== Queue")
      let items = try call("hub/queue")["items"]?.arrayValue ?? []
      HubCommand.printTable(["QUEUE", "SESSION", "STATE", "GATES", "RESULT"], items.map(HubCommand.queueRow))
      for item in items {
        guard let reason = item["reason"] else { continue }
        print("\n#\(item["queue_id"]?.intValue ?? 0) \(names[item["queue_id"]?.intValue ?? 0] ?? "") was sent back as data:")
        if let conflicts = reason["conflicts"]?.arrayValue {
          for conflict in conflicts {
            print("  conflict \(conflict["kind"]?.stringValue ?? "") in \(conflict["path"]?.stringValue ?? ""): base \(conflict["base"]?["oid"]?.stringValue?.prefix(8) ?? "-"), ours (main) \(conflict["ours"]?["oid"]?.stringValue?.prefix(8) ?? "-"), theirs \(conflict["theirs"]?["oid"]?.stringValue?.prefix(8) ?? "-")")
          }
        }
        for failure in reason["failures"]?.arrayValue ?? [] {
          print("  test \(failure["name"]?.stringValue ?? "?") failed at \(failure["file"]?.stringValue ?? "?"):\(failure["line"]?.intValue ?? 0): \(failure["message"]?.stringValue ?? "")")
        }
        if let hint = reason["hint"]?.stringValue { print("  next: \(hint)") }
      }
      print("\n== main")
      print(HubDemo.shell(["git", "log", "--oneline", "--graph", "-n", "14", "main"], in: root).1, terminator: "")
      let (status, output) = HubDemo.shell(["python3", "run_tests.py"], in: root)
      let passed = output.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count
      print("main's tests in the repository's own checkout: \(passed) passed, exit \(status)")

      var unexpected: [String] = []
      for (index, agent) in DemoProject.agents.enumerated() {
        guard let item = items.last(where: { $0["session_id"]?.stringValue == ids[index] }) else {
          unexpected.append("\(agent.name) has no queue item")
          continue
        }
        let state = item["state"]?.stringValue
        let reason = item["reason"]
        switch agent.expected {
        case .lands where state != "landed":
          unexpected.append("\(agent.name) ended \(state ?? "?"): \(reason?["message"]?.stringValue ?? "")")
        case .conflict(let path) where !(state == "rejected" && reason?["kind"]?.stringValue == "conflict" && reason?["paths"]?.arrayValue == [.string(path)]):
          unexpected.append("\(agent.name) should be rejected for a conflict in \(path); it ended \(state ?? "?") \(reason.map(JSONWriter.string) ?? "")")
        case .failsTest(let name) where !(state == "rejected" && reason?["gate"]?.stringValue == "tests" && (reason?["failures"]?.arrayValue ?? []).contains { $0["name"]?.stringValue?.hasSuffix(name) == true }):
          unexpected.append("\(agent.name) should be rejected by the tests gate naming \(name); it ended \(state ?? "?") \(reason.map(JSONWriter.string) ?? "")")
        default: break
        }
      }
      if status != 0 { unexpected.append("main's tests fail in the repository's checkout:\n\(output)") }
      return unexpected
    }
  }
}
