import Foundation
import MishGit
import MishJSON
import MishRPC
import Synchronization

/// The merge queue's lander, on its own thread: takes a batch of queued changes (bors-style), runs their pre-merge
/// gates, merges them in memory onto the target (no checkout anywhere), commits the merged tree, gates it
/// (post-merge, then release), and advances the target by compare-and-swap from the exact commit the batch was
/// merged onto. A failing batch is split in halves until the culprit fails alone and is rejected; a gate that
/// fails is first retried once on the same tree (GateRunner), so a flake never rejects a change. The target only
/// ever points at commits whose trees passed every gate.
final class Lander: @unchecked Sendable {
  let hub: Hub
  let config: HubConfig
  let target: String
  let gates: GateRunner
  let repository: MergeRepository
  let condition = NSCondition()
  var stopping = false

  init(hub: Hub, config: HubConfig, target: String) throws(ToolError) {
    self.hub = hub
    self.config = config
    self.target = target
    do throws(GitError) {
      repository = try MergeRepository(path: hub.repository)
    } catch {
      throw error.toolError
    }
    gates = GateRunner(hub: hub, count: config.parallelGates, profile: config.gateProfile)
  }

  func start() {
    let thread = Thread { [self] in loop() }
    thread.name = "mish.hub.lander"
    thread.start()
  }

  func wake() {
    condition.lock()
    condition.broadcast()
    condition.unlock()
  }

  func stop() {
    condition.lock()
    stopping = true
    condition.broadcast()
    condition.unlock()
    gates.stop()
  }

  var isStopping: Bool {
    condition.lock()
    defer { condition.unlock() }
    return stopping
  }

  /// Sleeps until woken (a submit) or `seconds` pass.
  func pause(_ seconds: Double) {
    condition.lock()
    if !stopping { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
    condition.unlock()
  }

  func loop() {
    while !isStopping {
      let queued = hub.queuedItems()
      guard let first = queued.first else {
        pause(1)
        continue
      }
      // A batch waits up to batch_wait_ms after its first change for more to join (bors' filling batch).
      if queued.count < config.batchSize && !first.noBatch {
        let wait = queued.map(\.submittedMs).min()! + Int64(config.batchWaitMs) - Hub.nowMs()
        if wait > 0 {
          pause(Double(wait) / 1000)
          continue
        }
      }
      let batch = first.noBatch ? [first] : Array(queued.filter { !$0.noBatch }.prefix(config.batchSize))
      land(batch)
    }
  }

  enum Step {
    case done
    /// The group failed its gates: try each half on its own, the first half first.
    case split([QueueItem], [QueueItem])
  }

  func land(_ batch: [QueueItem]) {
    var pending: [[QueueItem]] = [batch]
    while !pending.isEmpty && !isStopping {
      let group = pending.removeFirst()
      switch attempt(group) {
      case .done: break
      case .split(let left, let right): pending.insert(contentsOf: [left, right], at: 0)
      }
    }
  }

  func label(_ items: [QueueItem]) -> String { items.map { "#\($0.id)" }.joined(separator: " ") }

  func attempt(_ group: [QueueItem]) -> Step {
    var items = group
    for index in items.indices {
      items[index].state = .merging
      items[index].note = items.count > 1 ? "in a batch of \(items.count): \(label(items))" : nil
      hub.save(&items[index])
    }
    do throws(GitError) {
      // 1. Pre-merge gates, on each change's own commit (cached by tree, so a split batch does not run them again).
      let preMerge = config.gates(.preMerge)
      if !preMerge.isEmpty {
        let trees = try items.map { item throws(GitError) in try repository.tree(ofCommit: item.head) }
        let collected = Mutex<[[GateRunner.Result]]>(Array(repeating: [], count: items.count))
        let heads = items.map { ($0.head, "#\($0.id)") }
        DispatchQueue.concurrentPerform(iterations: heads.count) { index in
          let results = gates.run(preMerge, commit: heads[index].0, tree: trees[index], label: heads[index].1)
          collected.withLock { $0[index] = results }
        }
        // Stopping mid-run: nothing is judged; the items are queued again when the hub starts.
        if isStopping { return .done }
        let verdicts = collected.withLock { $0 }
        var kept: [QueueItem] = []
        for (index, var item) in items.enumerated() {
          item.gates = verdicts[index].map { .object($0.json) }
          if let failed = verdicts[index].first(where: { !$0.passed }) {
            reject(&item, gateFailure(failed, on: "its branch head \(item.head.prefix(12))"))
          } else {
            kept.append(item)
          }
        }
        items = kept
      }
      guard !items.isEmpty else { return .done }

      // 2. Merge in memory onto the target, one change after another.
      let targetSHA = try repository.commit("refs/heads/" + target)
      let targetTree = try repository.tree(ofCommit: targetSHA)
      var running = targetTree
      var included: [QueueItem] = []
      for var item in items {
        if try repository.isAncestor(item.head, of: targetSHA) {
          item.state = .landed
          item.landedSHA = targetSHA
          item.note = "already contained in \(target) (\(targetSHA.prefix(12))): nothing to merge"
          hub.save(&item)
          if let session = try? hub.session(item.sessionID) { hub.finishLanded(session, item: item) }
          continue
        }
        let base = try repository.mergeBase(targetSHA, item.head).map { sha throws(GitError) in try repository.tree(ofCommit: sha) }
        let theirs = try repository.tree(ofCommit: item.head)
        switch try repository.mergeTrees(base: base, ours: running, theirs: theirs) {
        case .clean(let tree, _):
          running = tree
          included.append(item)
        case .conflicts(let conflicts, _):
          if included.isEmpty {
            reject(&item, conflictReason(conflicts, with: "\(target) at \(targetSHA.prefix(12))"))
          } else if case .conflicts(let alone, _) = try repository.mergeTrees(base: base, ours: targetTree, theirs: theirs) {
            reject(&item, conflictReason(alone, with: "\(target) at \(targetSHA.prefix(12))"))
          } else {
            // It conflicts only with changes ahead of it in this batch: it waits for them to land or fail.
            item.state = .queued
            item.note = "conflicts with \(label(included)) in the same batch (\(conflicts.map(\.path).prefix(5).joined(separator: ", "))); queued again behind them"
            hub.save(&item)
          }
        }
      }
      guard !included.isEmpty else { return .done }

      // 3. The merged tree, committed (not yet on any ref), then gated.
      let parents = [targetSHA] + included.map(\.head)
      let commit = try repository.createCommit(tree: running, parents: parents, message: commitMessage(included))
      for index in included.indices {
        included[index].state = .gating
        hub.save(&included[index])
      }
      var results = gates.run(config.gates(.postMerge), commit: commit, tree: running, label: label(included))
      if results.allSatisfy(\.passed) {
        results += gates.run(config.gates(.release), commit: commit, tree: running, label: label(included))
      }
      if isStopping { return .done }
      for index in included.indices {
        included[index].gates = included[index].gates.filter { $0["phase"]?.stringValue == HubConfig.Phase.preMerge.rawValue } + results.map { .object($0.json) }
      }
      if let failed = results.first(where: { !$0.passed }) {
        if included.count == 1 {
          reject(&included[0], gateFailure(failed, on: "the merge of its branch onto \(target) (\(commit.prefix(12)))"))
          return .done
        }
        let half = included.count / 2
        for index in included.indices {
          included[index].state = .queued
          included[index].note = "the batch \(label(included)) failed gate \(failed.json["name"]?.stringValue ?? "?"); split to find the culprit"
          hub.save(&included[index])
        }
        hub.record("queue.split", session: nil, ["batch": .array(included.map { .int($0.id) }), "gate": failed.json["name"] ?? .null])
        return .split(Array(included[..<half]), Array(included[half...]))
      }

      // 4. Land: the gate results and the landing go to the journal first, then the target moves by
      // compare-and-swap from the exact commit the merge was made on.
      for index in included.indices { hub.save(&included[index], event: false) }
      return landCommit(commit, tree: running, from: targetSHA, items: included)
    } catch {
      // The repository itself failed (not a change's fault): the group goes back to the queue and waits.
      hub.log("the lander could not process \(label(items)): \(error)")
      for var item in items where item.state == .merging || item.state == .gating {
        item.state = .queued
        item.note = "the lander hit a repository error (\(error.message)); retrying"
        hub.save(&item)
      }
      pause(2)
      return .done
    }
  }

  func landCommit(_ commit: String, tree: String, from old: String, items: [QueueItem]) -> Step {
    var items = items
    let ids = items.map(\.id)
    let idsJSON = JSONWriter.string(.array(ids.map(JSONValue.int)))
    let landingID = (try? hub.journal.query(
      "INSERT INTO landings(items, target, old_sha, new_sha, tree, state, time_ms) VALUES(?, ?, ?, ?, ?, 'landing', ?)",
      [.text(idsJSON), .text(target), .text(old), .text(commit), .text(tree), .int(Hub.nowMs())]).lastID) ?? 0
    do throws(GitCLI.Failure) {
      try hub.git.runRetryingLocks(["update-ref", "-m", "mish queue: land \(label(items))", "refs/heads/" + target, commit, old])
    } catch {
      _ = try? hub.journal.query("UPDATE landings SET state = 'aborted' WHERE id = ?", [.int(landingID)])
      let now = hub.git.commit("refs/heads/" + target) ?? "?"
      hub.record("queue.cas_failed", session: nil, ["batch": .array(ids.map(JSONValue.int)), "expected": .string(old), "found": .string(now), "error": .string(error.description)])
      for index in items.indices {
        items[index].state = .queued
        items[index].note = now == old
          ? "\(target) could not be updated (\(error.stderr.prefix(200))); retrying"
          : "\(target) moved from \(old.prefix(12)) to \(now.prefix(12)) while gating; merging again"
        hub.save(&items[index])
      }
      if now == old { pause(2) }
      return .done
    }
    _ = try? hub.journal.query("UPDATE landings SET state = 'done' WHERE id = ?", [.int(landingID)])
    for index in items.indices {
      items[index].state = .landed
      items[index].landedSHA = commit
      items[index].batch = ids
      items[index].note = nil
      hub.save(&items[index])
      if let session = try? hub.session(items[index].sessionID) { hub.finishLanded(session, item: items[index]) }
    }
    updateMainWorktree(from: old, to: commit)
    return .done
  }

  /// When the repository's own worktree has the target checked out, its files follow the target (a two-tree
  /// read-tree, which refuses to overwrite local changes); when it cannot, an event says so.
  func updateMainWorktree(from old: String, to new: String) {
    guard hub.git.currentBranch() == target else { return }
    do throws(GitCLI.Failure) {
      try hub.git.run(["read-tree", "-m", "-u", old, new])
    } catch {
      hub.record("target.worktree_behind", session: nil, [
        "worktree": .string(hub.repository), "message": .string("\(hub.repository) has \(target) checked out, but its files could not follow the landing: \(error.stderr.prefix(300)); run git status there (git reset --keep HEAD brings it up to date)"),
      ])
    }
  }

  func commitMessage(_ items: [QueueItem]) -> String {
    if items.count == 1 {
      let item = items[0]
      return "\(item.message.isEmpty ? "Land \(item.branch)" : item.message)\n\nLanded by the mish queue as #\(item.id) from \(item.branch) (\(item.head.prefix(12))).\n"
    }
    return "Land \(label(items)) (mish queue)\n\n" + items.map { "#\($0.id) \($0.branch): \($0.message)" }.joined(separator: "\n") + "\n"
  }

  // MARK: - Rejections, as data the session can act on

  func reject(_ item: inout QueueItem, _ reason: JSONObject) {
    item.state = .rejected
    item.reason = .object(reason)
    item.note = nil
    hub.save(&item)
    if let session = try? hub.session(item.sessionID) {
      hub.setState(session, .rejected, reason: "queue #\(item.id): \(reason["message"]?.stringValue ?? "rejected")")
    }
  }

  func conflictReason(_ conflicts: [MergeConflict], with other: String) -> JSONObject {
    let paths = conflicts.map(\.path)
    return [
      "kind": "conflict",
      "message": .string("Merging onto \(other) conflicts in \(paths.prefix(10).joined(separator: ", "))\(paths.count > 10 ? " and \(paths.count - 10) more" : "")"),
      "paths": .array(paths.map(JSONValue.string)),
      "conflicts": .array(conflicts.map(\.json)),
      "hint": .string("In the session, git_merge ref \(target): it returns these conflicts with each file's marked text; call it again with resolutions for them, then submit again."),
    ]
  }

  func gateFailure(_ result: GateRunner.Result, on what: String) -> JSONObject {
    let json = result.json
    let name = json["name"]?.stringValue ?? "?"
    let phase = json["phase"]?.stringValue ?? "?"
    var detail = ""
    if let failures = json["failures"]?.arrayValue, !failures.isEmpty {
      detail = ": " + failures.prefix(3).map { failure in
        let place = failure["file"]?.stringValue.map { file in " (\(file)\(failure["line"]?.intValue.map { ":\($0)" } ?? ""))" } ?? ""
        return "\(failure["name"]?.stringValue ?? failure["id"]?.stringValue ?? "?")\(place)"
      }.joined(separator: ", ")
    } else if let diagnostics = json["diagnostics"]?.arrayValue, !diagnostics.isEmpty {
      detail = ": " + diagnostics.prefix(3).map { diagnostic in
        let place = diagnostic["file"]?.stringValue.map { file in "\(file)\(diagnostic["line"]?.intValue.map { ":\($0)" } ?? ""): " } ?? ""
        return place + (diagnostic["message"]?.stringValue ?? "?")
      }.joined(separator: "; ")
    } else if let message = json["message"]?.stringValue {
      detail = ": " + message
    }
    // A test run that failed without failing tests (none found, the build broke, the runner's report unreadable)
    // says which, with the runner's own note: "failed" alone leaves nothing to fix.
    if let testOutcome = json["test_outcome"]?.stringValue, testOutcome != "tests_failed", json["failures"]?.arrayValue?.isEmpty ?? true {
      let note = json["notes"]?.arrayValue?.compactMap(\.stringValue).last.map { ": \($0)" } ?? ""
      detail += " (test_run outcome \(testOutcome)\(note))"
    }
    var reason: JSONObject = [
      "kind": json["outcome"]?.stringValue == "error" ? "error" : "gate_failed",
      "message": .string("Gate \(name) (\(phase)) \(json["outcome"]?.stringValue ?? "failed") on \(what), twice on the same tree\(detail)"),
      "gate": .string(name), "phase": .string(phase), "outcome": json["outcome"] ?? .null, "tree": json["tree"] ?? .null,
      "hint": .string("Reproduce it in the session (the gate's tool or command), fix, commit, and submit again."),
    ]
    for key in ["failures", "diagnostics", "test_outcome", "notes", "log_tail", "exit_code", "summary", "log_id"] where json[key] != nil { reason[key] = json[key] }
    return reason
  }
}
