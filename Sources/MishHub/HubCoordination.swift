import Foundation
import Glibc
import MishJSON
import MishRPC

extension Hub {
  // MARK: - Leases

  func liveLeases() throws(ToolError) -> [Lease] {
    do throws(Journal.Failure) {
      return try journal.query("SELECT \(Lease.columns) FROM leases WHERE expires_ms > ? ORDER BY id", [.int(Self.nowMs())]).rows.map(Lease.init(row:))
    } catch {
      throw error.toolError
    }
  }

  /// Refuses a call that would write where another session holds an exclusive lease. Paths are taken as the
  /// session's server takes them (an absolute path inside its worktree counts as the relative one), and a directory
  /// (fs/remove or fs/move of a whole tree, git/restore of a folder) is refused when anything beneath it is leased.
  func checkLeases(session: HubSession, paths: [String], method: String) throws(ToolError) {
    let leases = try liveLeases().filter { $0.sessionID != session.id && $0.exclusive }
    guard !leases.isEmpty else { return }
    let roots = [session.worktree] + [Self.resolvedPath(session.worktree)].compactMap { $0 }
    for path in paths {
      // A path outside the worktree is refused by the session's server itself (outside_root).
      guard let relative = LeaseRules.relativePath(path, roots: roots) else { continue }
      var blocked: (path: String, lease: Lease)?
      if let holder = LeaseRules.blocking(path: relative, session: session.id, leases: leases, nowMs: Self.nowMs()) {
        blocked = (relative, holder)
      } else if case let full = session.worktree + (relative.isEmpty ? "" : "/" + relative), Self.isDirectory(full),
        Self.staysInside(full, roots: roots),
        leases.contains(where: { LeaseRules.patternsOverlap($0.pattern, relative.isEmpty ? "**" : relative + "/**") })
      {
        blocked = leasedBeneath(relative, worktree: session.worktree, session: session.id, leases: leases)
      }
      guard let (leasedPath, holder) = blocked else { continue }
      let task = lock.withLock { sessions[holder.sessionID]?.task } ?? ""
      let shown = leasedPath == relative ? relative : "\(leasedPath) (inside \(relative.isEmpty ? "the worktree's root" : relative), which \(method) would change)"
      record("lease.refused", session: session.id, ["path": .string(leasedPath), "method": .string(method), "holder": .string(holder.sessionID), "pattern": .string(holder.pattern)])
      let remaining = max(0, holder.expiresMs - Self.nowMs())
      throw ToolError(
        .init(rawValue: "leased"),
        "\(shown) is leased exclusively by session \(holder.sessionID)\(task.isEmpty ? "" : " (\(task))") under \(holder.pattern) for \(remaining < 1000 ? "under a second" : "\(remaining / 1000) s") more; \(method) was not sent",
        hint: "Work on other files, wait for hub_release (hub_events shows lease.released), or coordinate through hub_decisions.",
        details: ["holder": .string(holder.sessionID), "pattern": .string(holder.pattern), "path": .string(leasedPath)])
    }
  }

  /// Whether `path` resolves (symlinks followed) to one of `roots` or beneath it. A directory reached through a
  /// symlink that leaves the worktree is not walked: the session's server refuses such a path (outside_root) anyway.
  static func staysInside(_ path: String, roots: [String]) -> Bool {
    guard let real = resolvedPath(path) else { return false }
    return roots.contains { real == $0 || real.hasPrefix($0 + "/") }
  }

  /// `path` with every symlink resolved, or nil when it does not exist.
  static func resolvedPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// The first path beneath the worktree-relative `directory` ("" for the root) that one of `leases` covers, with
  /// that lease. Symlinked directories are not followed, and .git is not entered.
  func leasedBeneath(_ directory: String, worktree: String, session: String, leases: [Lease]) -> (path: String, lease: Lease)? {
    var pending = [directory]
    while let current = pending.popLast() {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: worktree + (current.isEmpty ? "" : "/" + current))) ?? []
      for name in names.sorted() where !(current.isEmpty && name == ".git") {
        let path = current.isEmpty ? name : current + "/" + name
        if let holder = LeaseRules.blocking(path: path, session: session, leases: leases, nowMs: Self.nowMs()) { return (path, holder) }
        if Self.isDirectory(worktree + "/" + path) { pending.append(path) }
      }
    }
    return nil
  }

  func claim(session id: String, patterns: [String], exclusive: Bool, ttlSeconds: Int) throws(ToolError) -> JSONValue {
    let session = try session(id)
    guard lock.withLock({ session.state.isLive }) else {
      throw ToolError(.invalidArgument, "Session \(id) has ended; it cannot hold leases", hint: "Claim from a live session (hub_sessions).")
    }
    let expires = Self.nowMs() + Int64(ttlSeconds) * 1000
    let outcome: (granted: [Lease], conflicts: [Lease])
    do throws(Journal.Failure) {
      outcome = try journal.transaction { (transaction) throws(Journal.Failure) -> ([Lease], [Lease]) in
        let leases = try transaction.query("SELECT \(Lease.columns) FROM leases WHERE expires_ms > ?", [.int(Self.nowMs())]).rows.map(Lease.init(row:))
        var conflicts: [Lease] = []
        for pattern in patterns {
          // Each lease in the way once, however many of the patterns it meets.
          for lease in LeaseRules.conflicts(pattern: pattern, exclusive: exclusive, session: id, leases: leases, nowMs: Self.nowMs())
          where !conflicts.contains(where: { $0.id == lease.id }) {
            conflicts.append(lease)
          }
        }
        guard conflicts.isEmpty else { return ([], conflicts) }
        var granted: [Lease] = []
        for pattern in patterns {
          // Re-claiming one's own pattern renews it.
          try transaction.query("DELETE FROM leases WHERE session_id = ? AND pattern = ?", [.text(id), .text(pattern)])
          let row = try transaction.query(
            "INSERT INTO leases(session_id, pattern, exclusive, expires_ms) VALUES(?, ?, ?, ?)",
            [.text(id), .text(pattern), .int(exclusive ? 1 : 0), .int(expires)])
          granted.append(Lease(id: Int(row.lastID), sessionID: id, pattern: pattern, exclusive: exclusive, expiresMs: expires))
        }
        return (granted, [])
      }
    } catch {
      throw error.toolError
    }
    if outcome.conflicts.isEmpty {
      record("lease.granted", session: id, ["patterns": .array(patterns.map(JSONValue.string)), "exclusive": .bool(exclusive), "ttl_s": .int(ttlSeconds)])
    } else {
      record("lease.refused", session: id, ["patterns": .array(patterns.map(JSONValue.string)), "holders": .array(outcome.conflicts.map { .string($0.sessionID) })])
    }
    return .object([
      "granted": .bool(outcome.conflicts.isEmpty),
      "leases": .array(outcome.granted.map(\.json)),
      "conflicts": .array(outcome.conflicts.map(\.json)),
    ])
  }

  func release(session id: String, patterns: [String]?) throws(ToolError) -> JSONValue {
    _ = try session(id)
    do throws(Journal.Failure) {
      let before = try journal.query("SELECT COUNT(*) FROM leases WHERE session_id = ?", [.text(id)]).rows.first?.first?.int ?? 0
      if let patterns {
        for pattern in patterns { try journal.query("DELETE FROM leases WHERE session_id = ? AND pattern = ?", [.text(id), .text(pattern)]) }
      } else {
        try journal.query("DELETE FROM leases WHERE session_id = ?", [.text(id)])
      }
      let after = try journal.query("SELECT COUNT(*) FROM leases WHERE session_id = ?", [.text(id)]).rows.first?.first?.int ?? 0
      record("lease.released", session: id, ["patterns": patterns.map { .array($0.map(JSONValue.string)) } ?? "all", "count": .int(before - after)])
      return .object(["released": .int(before - after)])
    } catch {
      throw error.toolError
    }
  }

  // MARK: - Overlaps

  /// Files changed (committed on the branch or not) by more than one live session, asked of each session's own
  /// server (its status and diff are kept warm there).
  func overlaps(context: RequestContext) async throws(ToolError) -> JSONValue {
    var touched: [String: [String]] = [:]
    var skipped: [JSONValue] = []
    for session in allSessions() where lock.withLock({ session.state.isLive && session.child != nil }) {
      do throws(ToolError) {
        var paths = Set<String>()
        let diff = try await call(session.id, method: "git/diff", params: ["base": .string(session.base), "stat_only": true], context: RequestContext())
        for file in diff["files"]?.arrayValue ?? [] { if let path = file["path"]?.stringValue { paths.insert(path) } }
        let status = try await call(session.id, method: "git/status", params: [:], context: RequestContext())
        for entry in status["entries"]?.arrayValue ?? [] { if let path = entry["path"]?.stringValue { paths.insert(path) } }
        for path in paths { touched[path, default: []].append(session.id) }
      } catch {
        skipped.append(["session_id": .string(session.id), "error": .string(error.message)])
      }
    }
    let files = touched.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map { path, ids in
      JSONValue.object(["path": .string(path), "sessions": .array(ids.map(JSONValue.string))])
    }
    if !files.isEmpty { record("overlaps", session: nil, ["files": .int(files.count)]) }
    return .object(["files": .array(files), "skipped": .array(skipped)])
  }

  // MARK: - Decisions

  func addDecision(text: String, author: String) throws(ToolError) -> JSONValue {
    do throws(Journal.Failure) {
      let time = Self.nowMs()
      let row = try journal.query("INSERT INTO decisions(time_ms, author, text) VALUES(?, ?, ?)", [.int(time), .text(author), .text(text)])
      record("decision", session: author == "hub" ? nil : author, ["decision_id": .int(Int(row.lastID)), "text": .string(text)])
      return .object(["decision_id": .int(Int(row.lastID)), "author": .string(author), "time_ms": .int(Int(time)), "text": .string(text)])
    } catch {
      throw error.toolError
    }
  }

  func decisions() -> [JSONValue] {
    let rows = (try? journal.query("SELECT id, time_ms, author, text FROM decisions ORDER BY id").rows) ?? []
    return rows.map { row in
      .object(["decision_id": .int(row[0].int ?? 0), "time_ms": .int(row[1].int ?? 0), "author": .string(row[2].text ?? ""), "text": .string(row[3].text ?? "")])
    }
  }

  /// A session's session/info, with the hub's view added: its id, task, branch, base and the decisions log.
  func withDecisions(_ info: JSONValue, session: HubSession) -> JSONValue {
    var object = info.objectValue ?? [:]
    object["hub"] = .object([
      "session_id": .string(session.id), "task": .string(session.task), "branch": .string(session.branch),
      "base": .string(session.base), "decisions": .array(decisions()),
    ])
    return .object(object)
  }
}
