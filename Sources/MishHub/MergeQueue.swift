import Foundation
import MishJSON
import MishRPC

/// One submitted change in the merge queue: a session's branch head, frozen at submit time.
struct QueueItem: Sendable {
  enum State: String, Sendable, CaseIterable {
    case queued, merging, gating, landed, rejected
  }

  var id: Int
  var sessionID: String
  var branch: String
  var head: String
  var message: String
  var priority: Int
  var noBatch: Bool
  var state: State
  var submittedMs: Int64
  var updatedMs: Int64
  /// The latest gate results that concern it (its pre-merge gates, its group's post-merge and release gates).
  var gates: [JSONValue] = []
  var reason: JSONValue?
  var landedSHA: String?
  /// The queue ids that landed in the same commit.
  var batch: [Int] = []
  /// What happened last, in a sentence (requeued behind a batch-mate, split out of a failed batch, …).
  var note: String?

  static let columns = "id, session_id, branch, head, message, priority, no_batch, state, submitted_ms, updated_ms, gates, reason, landed_sha, batch, note"

  init(row: [Journal.Value]) {
    id = row[0].int ?? 0
    sessionID = row[1].text ?? ""
    branch = row[2].text ?? ""
    head = row[3].text ?? ""
    message = row[4].text ?? ""
    priority = row[5].int ?? 0
    noBatch = (row[6].int ?? 0) != 0
    state = State(rawValue: row[7].text ?? "") ?? .queued
    submittedMs = Int64(row[8].int ?? 0)
    updatedMs = Int64(row[9].int ?? 0)
    gates = row[10].text.flatMap { try? JSONParser.parse(Array($0.utf8)) }?.arrayValue ?? []
    reason = row[11].text.flatMap { try? JSONParser.parse(Array($0.utf8)) }
    landedSHA = row[12].text
    batch = row[13].text.flatMap { try? JSONParser.parse(Array($0.utf8)) }?.arrayValue?.compactMap(\.intValue) ?? []
    note = row[14].text
  }

  var json: JSONValue {
    var object: JSONObject = [
      "queue_id": .int(id), "session_id": .string(sessionID), "branch": .string(branch), "head": .string(head),
      "message": .string(message), "priority": .int(priority), "no_batch": .bool(noBatch), "state": .string(state.rawValue),
      "submitted_ms": .int(Int(submittedMs)), "updated_ms": .int(Int(updatedMs)), "gates": .array(gates),
    ]
    if let reason { object["reason"] = reason }
    if let landedSHA { object["landed_sha"] = .string(landedSHA) }
    if !batch.isEmpty { object["batch"] = .array(batch.map(JSONValue.int)) }
    if let note { object["note"] = .string(note) }
    return .object(object)
  }
}

extension Hub {
  // MARK: - Queue rows

  func queueItems(state: QueueItem.State? = nil, id: Int? = nil) -> [QueueItem] {
    var sql = "SELECT \(QueueItem.columns) FROM queue"
    var values: [Journal.Value] = []
    if let id {
      sql += " WHERE id = ?"
      values.append(.int(Int64(id)))
    } else if let state {
      sql += " WHERE state = ?"
      values.append(.text(state.rawValue))
    }
    return ((try? journal.query(sql + " ORDER BY id", values).rows) ?? []).map(QueueItem.init(row:))
  }

  /// Queued items in landing order: higher priority first, then first submitted.
  func queuedItems() -> [QueueItem] {
    queueItems(state: .queued).sorted { ($0.priority, -$0.id) > ($1.priority, -$1.id) }
  }

  /// Writes an item's mutable fields and reports the change as a `queue.<state>` event (queue.state for the
  /// in-between states, queue.landed / queue.rejected at the end).
  func save(_ item: inout QueueItem, event: Bool = true) {
    item.updatedMs = Self.nowMs()
    _ = try? journal.query(
      "UPDATE queue SET state = ?, updated_ms = ?, gates = ?, reason = ?, landed_sha = ?, batch = ?, note = ? WHERE id = ?",
      [
        .text(item.state.rawValue), .int(item.updatedMs), .text(JSONWriter.string(.array(item.gates))),
        item.reason.map { .text(JSONWriter.string($0)) } ?? .null, item.landedSHA.map(Journal.Value.text) ?? .null,
        .text(JSONWriter.string(.array(item.batch.map(JSONValue.int)))), item.note.map(Journal.Value.text) ?? .null, .int(Int64(item.id)),
      ])
    guard event else { return }
    var data: JSONObject = ["queue_id": .int(item.id), "state": .string(item.state.rawValue)]
    switch item.state {
    case .landed:
      data["landed_sha"] = item.landedSHA.map(JSONValue.string) ?? .null
      data["batch"] = .array(item.batch.map(JSONValue.int))
      data["gates"] = .array(item.gates)
      record("queue.landed", session: item.sessionID, data)
    case .rejected:
      data["reason"] = item.reason ?? .null
      data["gates"] = .array(item.gates)
      record("queue.rejected", session: item.sessionID, data)
    default:
      if let note = item.note { data["note"] = .string(note) }
      record("queue.state", session: item.sessionID, data)
    }
  }

  // MARK: - Submitting

  /// Enqueues a session's branch head: refused while its worktree has uncommitted work (named), when the branch
  /// has nothing the target lacks, or when it is already queued.
  func submit(_ id: String, message: String?, priority: Int, noBatch: Bool) async throws(ToolError) -> JSONValue {
    let session = try session(id)
    let state = lock.withLock { session.state }
    guard state.isLive else {
      throw ToolError(.init(rawValue: "session_ended"), "Session \(id) is \(state.rawValue); only a live session can submit", hint: "Spawn a new session (hub_spawn, base: its branch \(session.branch)) to carry the work on.")
    }
    if state == .submitted, let queued = queueItems().last(where: { $0.sessionID == id && [.queued, .merging, .gating].contains($0.state) }) {
      throw ToolError(.init(rawValue: "already_queued"), "Session \(id) is already in the queue as #\(queued.id) (\(queued.state.rawValue))", hint: "Wait for it to land or be rejected (hub_queue, or hub_events queue.*).")
    }
    guard let target = targetBranchName else {
      throw ToolError(.init(rawValue: "no_target"), "The hub has no target branch: the repository's main worktree is on a detached HEAD and .mish/config.json names no target", hint: "Set \"target\" in .mish/config.json (e.g. \"main\") and restart the hub.")
    }
    let (head, dirty, ahead) = try await admin { [self] () throws(ToolError) -> (String, [String], Bool) in
      let status: String
      do throws(GitCLI.Failure) {
        status = try git.run(["status", "--porcelain", "--untracked-files=all"], in: session.worktree)
      } catch {
        throw Self.gitError(error, doing: "read the status of \(session.worktree)")
      }
      guard let head = git.commit("refs/heads/" + session.branch), let targetSHA = git.commit("refs/heads/" + target) else {
        throw ToolError(.notFound, "The branch \(session.branch) or the target \(target) has no commit", hint: "Check the repository (git branch -a).")
      }
      let ahead = (try? git.run(["merge-base", "--is-ancestor", head, targetSHA])) == nil
      return (head, status.split(separator: "\n").map(String.init), ahead)
    }
    guard dirty.isEmpty else {
      let shown = dirty.prefix(20).joined(separator: ", ") + (dirty.count > 20 ? ", and \(dirty.count - 20) more" : "")
      throw ToolError(
        .init(rawValue: "dirty"), "Session \(id) has uncommitted work, so there is nothing definite to land: \(shown)",
        hint: dirty.contains { $0.hasPrefix("??") }
          ? "Commit it with git_commit (new files, shown ??, are committed by naming them in paths, or git_add them first; all: true takes only tracked files), or discard it with git_restore and fs_remove, then submit again."
          : "Commit it with git_commit (or discard it with git_restore), then submit again.",
        details: ["paths": .array(dirty.map { .string(String($0.dropFirst(3))) }), "status": .array(dirty.map(JSONValue.string))])
    }
    guard ahead else {
      throw ToolError(.init(rawValue: "nothing_to_land"), "Branch \(session.branch) has no commit that \(target) does not already have", hint: "Commit the work first (git_commit), then submit.")
    }
    let now = Self.nowMs()
    let text = message ?? session.task
    let queueID: Int
    do throws(Journal.Failure) {
      queueID = Int(
        try journal.query(
          "INSERT INTO queue(session_id, branch, head, message, priority, no_batch, state, submitted_ms, updated_ms, gates) VALUES(?, ?, ?, ?, ?, ?, 'queued', ?, ?, '[]')",
          [.text(id), .text(session.branch), .text(head), .text(text), .int(Int64(priority)), .int(noBatch ? 1 : 0), .int(now), .int(now)]
        ).lastID)
    } catch {
      throw error.toolError
    }
    setState(session, .submitted, reason: "queued as #\(queueID)")
    record("queue.submitted", session: id, ["queue_id": .int(queueID), "head": .string(head), "branch": .string(session.branch), "priority": .int(priority), "no_batch": .bool(noBatch)])
    lander?.wake()
    let item = queueItems(id: queueID).first
    return .object(["queue_id": .int(queueID), "item": item?.json ?? .null])
  }

  /// The branch work lands on: the configuration's, else the main worktree's current branch.
  var targetBranchName: String? { config.target ?? git.currentBranch() }

  func queueJSON(state: QueueItem.State?, id: Int?) -> JSONValue {
    let target = targetBranchName
    return .object([
      "target": target.map(JSONValue.string) ?? .null,
      "target_sha": target.flatMap { git.commit("refs/heads/" + $0) }.map(JSONValue.string) ?? .null,
      "items": .array(queueItems(state: state, id: id).map(\.json)),
    ])
  }

  // MARK: - Recovery

  /// After a restart: a landing whose commit reached the target is finished (its items landed), any other is
  /// rolled back (its items queued again); items caught merging or gating are queued again; sessions follow their
  /// items. The target ref only ever moved by compare-and-swap, so nothing is applied twice.
  func recoverQueue() -> JSONObject {
    var finished: [JSONValue] = []
    var rolledBack: [JSONValue] = []
    let landings = (try? journal.query("SELECT id, items, target, old_sha, new_sha FROM landings WHERE state = 'landing'").rows) ?? []
    for row in landings {
      let landingID = row[0].int ?? 0
      let ids = row[1].text.flatMap { try? JSONParser.parse(Array($0.utf8)) }?.arrayValue?.compactMap(\.intValue) ?? []
      let newSHA = row[4].text ?? ""
      let targetSHA = git.commit("refs/heads/" + (row[2].text ?? "")) ?? ""
      let reached = !targetSHA.isEmpty && (try? git.run(["merge-base", "--is-ancestor", newSHA, targetSHA])) != nil
      for id in ids {
        guard var item = queueItems(id: id).first, item.state != .landed, item.state != .rejected else { continue }
        if reached {
          item.state = .landed
          item.landedSHA = newSHA
          item.batch = ids
          item.note = "landing finished after the hub restarted"
        } else {
          item.state = .queued
          item.note = "landing rolled back after the hub restarted (the target never moved to \(newSHA.prefix(12)))"
        }
        save(&item)
      }
      _ = try? journal.query("UPDATE landings SET state = ? WHERE id = ?", [.text(reached ? "done" : "aborted"), .int(Int64(landingID))])
      (reached ? { finished.append(.int(landingID)) } : { rolledBack.append(.int(landingID)) })()
    }
    var requeued: [JSONValue] = []
    for var item in queueItems() where item.state == .merging || item.state == .gating {
      item.note = "queued again: the hub stopped while it was \(item.state.rawValue)"
      item.state = .queued
      save(&item)
      requeued.append(.int(item.id))
    }
    // Sessions follow their latest item (a crash between the item's update and the session's leaves them apart).
    for session in allSessions() where lock.withLock({ session.state }) == .submitted {
      guard let item = queueItems().last(where: { $0.sessionID == session.id }) else { continue }
      if item.state == .landed { finishLanded(session, item: item) }
      if item.state == .rejected { setState(session, .rejected, reason: (item.reason?["message"]?.stringValue).map { "queue #\(item.id): \($0)" }) }
    }
    return ["landings_finished": .array(finished), "landings_rolled_back": .array(rolledBack), "requeued": .array(requeued)]
  }

  /// A landed session is done: its server stops, its leases go, its worktree is reclaimed (its branch stays). Unless
  /// it committed more after submitting: the queue landed the head frozen at submit, so the later commits are not
  /// on the target yet, and the session stays live (server, leases, worktree) to submit them.
  func finishLanded(_ session: HubSession, item: QueueItem) {
    if lock.withLock({ session.state.isLive }), let head = git.commit("refs/heads/" + session.branch), head != item.head,
      let target = targetBranchName, let targetSHA = git.commit("refs/heads/" + target),
      (try? git.run(["merge-base", "--is-ancestor", head, targetSHA])) == nil
    {
      let count = (try? git.run(["rev-list", "--count", targetSHA + ".." + head])).flatMap { Int($0) } ?? 0
      let reason = "queue #\(item.id) landed \(item.head.prefix(12)) on \(target); \(count) commit(s) made on \(session.branch) since the submit are not landed: submit again to land them"
      setState(session, .ready, reason: reason)
      record("session.unlanded_commits", session: session.id, ["queue_id": .int(item.id), "landed_head": .string(item.head), "head": .string(head), "commits": .int(count), "message": .string(reason)])
      return
    }
    setState(session, .landed)
    lock.withLock { session.child }?.stop()
    _ = try? journal.query("DELETE FROM leases WHERE session_id = ?", [.text(session.id)])
    Task { _ = try? await reclaim(session) }
  }
}

extension Hub {
  /// Starts the merge queue's lander (after `recover`, so the queue is consistent first). Without a target branch
  /// the queue cannot land; submits then say so.
  public func startLander() throws(Failure) {
    guard let target = targetBranchName else {
      log("no target branch (detached HEAD and no \"target\" in .mish/config.json): hub_submit will refuse until one is set")
      return
    }
    guard git.commit("refs/heads/" + target) != nil else {
      throw Failure(description: "The target branch \(target) (from \(config.source)) does not exist in \(repository); create it or fix \"target\"")
    }
    do throws(ToolError) {
      let lander = try Lander(hub: self, config: config, target: target)
      lock.withLock { self.lander = lander }
      lander.start()
    } catch {
      throw Failure(description: "Cannot open \(repository) for merging: \(error.message)")
    }
  }
}

extension Hub {
  /// The target branch as the log shows it.
  public var targetDescription: String { targetBranchName ?? "(none: detached HEAD)" }
}
