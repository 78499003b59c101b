import Foundation
import MishJSON
import MishRPC

extension Hub {
  /// After a restart (a crash or kill -9 included): rebuilds sessions from the journal and reconciles them with
  /// git's worktrees and branches. Live sessions whose worktree and branch are there get a fresh server (calls in
  /// flight at the crash are lost and said so); those whose worktree is gone are marked failed with the reason;
  /// worktrees no session owns become pool trees when clean and detached, and are reported otherwise. Returns a
  /// summary (also recorded as a `hub.recovered` event).
  public func recover() async -> JSONValue {
    let rows = (try? journal.query("SELECT id, state, branch, worktree, base, task, profile, created_ms, reason FROM sessions ORDER BY created_ms").rows) ?? []
    let worktrees = (try? git.worktrees()) ?? [:]
    var restarted: [JSONValue] = []
    var failed: [JSONValue] = []
    for row in rows {
      guard let id = row[0].text, let stateName = row[1].text, let state = SessionState(rawValue: stateName) else { continue }
      let session = HubSession(
        id: id, branch: row[2].text ?? "", worktree: row[3].text ?? "", base: row[4].text ?? "", task: row[5].text ?? "",
        profile: row[6].text ?? "", createdMs: Int64(row[7].int ?? 0), state: state)
      session.reason = row[8].text
      lock.withLock {
        sessions[id] = session
        order.append(id)
      }
      guard state.isLive else { continue }
      let branchExists = git.commit("refs/heads/" + session.branch) != nil
      guard worktrees[session.worktree] != nil, FileManager.default.fileExists(atPath: session.worktree), branchExists else {
        let reason = "after the hub restarted, its \(branchExists ? "worktree \(session.worktree) was gone" : "branch \(session.branch) was gone")"
        setState(session, .failed, reason: reason)
        failed.append(["session_id": .string(id), "reason": .string(reason)])
        continue
      }
      do throws(ToolError) {
        try await startChild(session)
        if state == .working || state == .stuck || state == .provisioning {
          setState(session, .ready, reason: "its server was restarted with the hub; a call it was running when the hub stopped (if any) got no answer")
        }
        restarted.append(.string(id))
      } catch {
        setState(session, .failed, reason: "after the hub restarted, its server would not start: \(error.message)")
        failed.append(["session_id": .string(id), "reason": .string(error.message)])
      }
    }
    // Worktrees under .mish/worktrees that no live session owns.
    let owned = Set(allSessions().filter { $0.state.isLive }.map(\.worktree))
    var pooled: [JSONValue] = []
    var orphans: [JSONValue] = []
    for (path, entry) in worktrees.sorted(by: { $0.key < $1.key }) where path.hasPrefix(stateDirectory + "/worktrees/") && !owned.contains(path) {
      let clean = ((try? git.run(["status", "--porcelain", "--untracked-files=all"], in: path)) ?? "?").isEmpty
      if clean, entry.branch == nil, !entry.locked, let head = entry.head {
        lock.withLock { pool.append((path, head)) }
        pooled.append(.string(path))
      } else if clean {
        if (try? removeWorktree(path)) != nil {
          orphans.append(["worktree": .string(path), "action": "removed (clean; its branch is kept)"])
        }
      } else {
        orphans.append(["worktree": .string(path), "action": "kept: it has uncommitted changes and no live session"])
      }
    }
    _ = try? worktreeGit(["worktree", "prune"])
    var summary: JSONObject = ["restarted": .array(restarted), "failed": .array(failed), "pooled": .array(pooled), "orphans": .array(orphans)]
    summary["queue"] = .object(recoverQueue())
    if !rows.isEmpty || !orphans.isEmpty || queueItems().contains(where: { $0.state != .landed && $0.state != .rejected }) { record("hub.recovered", session: nil, summary) }
    return .object(summary)
  }
}
