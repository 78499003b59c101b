import Foundation
import Glibc
import MishGit
import MishJSON
import MishRPC
import Synchronization

extension Hub {
  // MARK: - Blocking git work, off the cooperative pool

  /// Runs `body` on the repository-wide admin queue (git worktree and ref admin is serialized there).
  func admin<T: Sendable>(_ body: @escaping @Sendable () throws(ToolError) -> T) async throws(ToolError) -> T {
    let result: Result<T, ToolError> = await withCheckedContinuation { continuation in
      adminQueue.async { continuation.resume(returning: Result { () throws(ToolError) in try body() }) }
    }
    return try result.get()
  }

  static func gitError(_ failure: GitCLI.Failure, doing action: String) -> ToolError {
    ToolError(.init(rawValue: "git"), "Cannot \(action): \(failure.description)", hint: "The repository is unchanged by this step; check it with git status, then retry.")
  }

  // MARK: - Worktree admin

  /// Runs git commands that make, lock, remove or list worktrees one at a time across the hub's threads (spawns,
  /// pool refills, gates, reclaims, recovery): a command that lists worktrees fails when it meets one that another
  /// command is half-way through making or removing ("failed to read .git/worktrees/w3/commondir"). Only git's admin
  /// files are written under it; checking out or deleting a whole tree happens outside.
  func worktreeAdmin<T>(_ body: () throws(GitCLI.Failure) -> T) throws(GitCLI.Failure) -> T {
    worktreeLock.lock()
    defer { worktreeLock.unlock() }
    return try body()
  }

  /// One git command under the admin lock (retried while another git holds a lock file).
  @discardableResult
  func worktreeGit(_ arguments: [String], in directory: String? = nil) throws(GitCLI.Failure) -> String {
    try worktreeAdmin { () throws(GitCLI.Failure) in try git.runRetryingLocks(arguments, in: directory) }
  }

  /// `git worktree add --no-checkout ARGUMENTS` (`path` among them) under the admin lock, then the files checked
  /// out in that worktree alone.
  func addWorktree(_ arguments: [String], at path: String) throws(GitCLI.Failure) {
    try worktreeGit(["worktree", "add", "--no-checkout"] + arguments)
    try git.runRetryingLocks(["reset", "--hard", "--quiet"], in: path)
  }

  /// Removes a worktree whatever it holds (callers check first when that matters): unlocked, moved under
  /// .mish/trash and pruned from git's list under the admin lock, its files deleted afterwards in the background.
  func removeWorktree(_ path: String) throws(GitCLI.Failure) {
    let trash = "\(stateDirectory)/trash/\((path as NSString).lastPathComponent)-\(UInt32.random(in: 0..<UInt32.max))"
    try? FileManager.default.createDirectory(atPath: stateDirectory + "/trash", withIntermediateDirectories: true)
    let checkpoints = checkpointRefs(ofWorktreeAt: path)
    try worktreeAdmin { () throws(GitCLI.Failure) in
      // Its checkpoints go with it: a later worktree may get the same ID, and its session would find them.
      for ref in checkpoints { _ = try? git.runRetryingLocks(["update-ref", "-d", ref]) }
      _ = try? git.run(["worktree", "unlock", path])
      if rename(path, trash) == 0 || errno == ENOENT {
        _ = try git.runRetryingLocks(["worktree", "prune"])
      } else {
        _ = try git.runRetryingLocks(["worktree", "remove", "--force", "--force", path])
      }
    }
    emptyTrash()
  }

  /// The checkpoint refs the worktree at `path` keeps.
  func checkpointRefs(ofWorktreeAt path: String) -> [String] {
    guard let prefix = CheckpointRefs.prefix(ofWorktreeAt: path) else { return [] }
    let refs = (try? git.run(["for-each-ref", "--format=%(refname)", prefix])) ?? ""
    return refs.split(separator: "\n").map(String.init)
  }

  /// Deletes what removed worktrees left in .mish/trash, in the background, one deletion at a time (two at once
  /// would both walk the same tree).
  func emptyTrash() {
    let trash = stateDirectory + "/trash"
    trashQueue.async {
      for entry in (try? FileManager.default.contentsOfDirectory(atPath: trash)) ?? [] {
        try? FileManager.default.removeItem(atPath: trash + "/" + entry)
      }
    }
  }

  /// The commit sessions branch from by default: the queue's target (the main worktree's branch unless configured).
  var targetBranch: String { targetBranchName ?? "HEAD" }

  func nextWorktreePath() -> String {
    lock.withLock {
      while true {
        worktreeCounter += 1
        let path = "\(stateDirectory)/worktrees/w\(worktreeCounter)"
        if !FileManager.default.fileExists(atPath: path) { return path }
      }
    }
  }

  // MARK: - Spawning

  func spawn(task: String, base requested: String?, profile: String) async throws(ToolError) -> HubSession {
    guard options.profiles.isEmpty || options.profiles.contains(profile) else {
      throw ToolError(.invalidArgument, "Unknown sandbox profile \(profile)", hint: "Use one of \(options.profiles.joined(separator: ", ")).")
    }
    let id = "s" + String(UInt32.random(in: 0..<UInt32.max), radix: 16)
    let branch = "mish/" + id
    let (session, fromPool) = try await admin { [self] () throws(ToolError) -> (HubSession, Bool) in
      let baseName = requested ?? targetBranch
      guard let base = git.commit(baseName) else {
        throw ToolError(.notFound, "No commit named \(baseName) in \(repository)", hint: "Pass base as a branch, tag or commit sha that exists (git log shows them).")
      }
      let created = Self.nowMs()
      var taken: (path: String, commit: String)?
      lock.withLock {
        if let index = pool.firstIndex(where: { $0.commit == base }) ?? (pool.isEmpty ? nil : 0) { taken = pool.remove(at: index) }
      }
      let path = taken?.path ?? nextWorktreePath()
      let session = HubSession(id: id, branch: branch, worktree: path, base: base, task: task, profile: profile, createdMs: created, state: .provisioning)
      do throws(Journal.Failure) {
        try journal.query(
          "INSERT INTO sessions(id, state, branch, worktree, base, task, profile, created_ms, updated_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
          [.text(id), .text("provisioning"), .text(branch), .text(path), .text(base), .text(task), .text(profile), .int(created), .int(created)])
      } catch {
        if let taken { lock.withLock { pool.append(taken) } }
        throw error.toolError
      }
      lock.withLock {
        sessions[id] = session
        order.append(id)
      }
      record("session.spawned", session: id, ["branch": .string(branch), "base": .string(base), "task": .string(task), "worktree": .string(path)])
      do throws(GitCLI.Failure) {
        if let taken, taken.commit == base {
          // The prepared tree already holds the base: only HEAD moves, no file is touched.
          try git.runRetryingLocks(["branch", "--no-track", branch, base])
          try git.runRetryingLocks(["symbolic-ref", "HEAD", "refs/heads/" + branch], in: path)
        } else if taken != nil {
          try worktreeGit(["switch", "--no-guess", "-c", branch, base], in: path)
        } else {
          try addWorktree(["-b", branch, path, base], at: path)
        }
        try worktreeGit(["worktree", "lock", "--reason", "mish session \(id)", path])
      } catch {
        setState(session, .failed, reason: error.description)
        throw Self.gitError(error, doing: "prepare the worktree for \(id)")
      }
      return (session, taken != nil)
    }
    do throws(ToolError) {
      try await startChild(session)
    } catch {
      setState(session, .failed, reason: error.message)
      throw error
    }
    setState(session, .ready)
    record("session.ready", session: id, ["from_pool": .bool(fromPool)])
    refillPool()
    return session
  }

  /// `--limits` for sessions' servers, from the configuration's `session.limits`.
  var limitArguments: [String] {
    let limits = config.sessionLimits
    let pairs = ["memory_mb", "pids", "timeout_ms"].compactMap { key in limits[key]?.intValue.map { "\(key)=\($0)" } }
    return pairs.isEmpty ? [] : ["--limits", pairs.joined(separator: ",")]
  }

  /// Starts the session's `mish serve` and waits until it answers.
  func startChild(_ session: HubSession) async throws(ToolError) {
    let stateDir = "\(stateDirectory)/sessions/\(session.id)"
    let child: ChildSession
    do throws(ChildSession.Failure) {
      child = try ChildSession(
        executable: options.executable,
        arguments: ["serve", "--root", session.worktree, "--state-dir", stateDir, "--profile", session.profile, "--log-level", "warning"] + limitArguments,
        label: session.id, forker: forker, onExit: { [weak self, weak session] child in
          guard let self, let session else { return }
          self.childExited(session, child)
        })
    } catch {
      throw ToolError(.init(rawValue: error.code), error.message, hint: "The worktree is kept; hub_kill it, or restart the hub to retry.")
    }
    lock.withLock { session.child = child }
    let answer: Result<JSONValue, ChildSession.Failure> = await withCheckedContinuation { continuation in
      _ = child.request(["jsonrpc": "2.0", "method": "ping"]) { continuation.resume(returning: $0) }
    }
    if case .failure(let failure) = answer {
      throw ToolError(.init(rawValue: "spawn_failed"), "The session's server did not start: \(failure.message)", hint: "Check that \(options.executable) runs; the hub's log has its stderr.")
    }
  }

  func childExited(_ session: HubSession, _ child: ChildSession) {
    let (current, state, stopping) = lock.withLock { (session.child === child, session.state, shuttingDown) }
    guard current, state.isLive, !stopping else { return }
    let tail = child.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
    setState(session, .failed, reason: "its server exited unexpectedly\(tail.isEmpty ? "" : ": " + String(tail.suffix(300)))")
  }

  /// Keeps `poolSize` worktrees checked out at the target's head, in the background.
  public func refillPool() {
    let start: Bool = lock.withLock {
      guard !poolFilling, pool.count < options.poolSize else { return false }
      poolFilling = true
      return true
    }
    guard start else { return }
    poolQueue.async { [self] in
      defer { lock.withLock { poolFilling = false } }
      while lock.withLock({ pool.count }) < options.poolSize {
        guard let commit = git.commit(targetBranch) else { return }
        let path = nextWorktreePath()
        do throws(GitCLI.Failure) {
          try addWorktree(["--detach", path, commit], at: path)
        } catch {
          log("cannot prepare a pooled worktree: \(error)")
          return
        }
        lock.withLock { pool.append((path, commit)) }
        record("pool.prepared", session: nil, ["worktree": .string(path), "commit": .string(commit)])
      }
    }
  }

  // MARK: - Killing and reclaiming

  func kill(_ id: String) async throws(ToolError) -> JSONValue {
    let session = try session(id)
    guard lock.withLock({ session.state.isLive }) else {
      throw ToolError(.init(rawValue: "session_ended"), "Session \(id) has already ended (\(session.state.rawValue))", hint: "hub_sessions shows every session's state.")
    }
    let child = lock.withLock { session.child }
    setState(session, .killed, reason: "killed by hub_kill")
    child?.stop()
    _ = try? journal.query("DELETE FROM leases WHERE session_id = ?", [.text(id)])
    let kept = try await reclaim(session)
    // What it submitted stays in the queue (its head was frozen at submit): said here, so nobody is surprised when it lands.
    let queued = queueItems().filter { $0.sessionID == id && [.queued, .merging, .gating].contains($0.state) }.map { JSONValue.int($0.id) }
    return .object([
      "session_id": .string(id), "state": .string("killed"), "worktree_kept": .bool(kept != nil), "reason": kept.map(JSONValue.string) ?? .null,
      "queued": .array(queued),
    ])
  }

  /// Removes an ended session's worktree when nothing would be lost (its branch stays); returns why it was kept.
  func reclaim(_ session: HubSession) async throws(ToolError) -> String? {
    try await admin { [self] () throws(ToolError) -> String? in
      guard FileManager.default.fileExists(atPath: session.worktree) else { return nil }
      let dirty = (try? git.run(["status", "--porcelain", "--untracked-files=all"], in: session.worktree)) ?? "?"
      if !dirty.isEmpty {
        let reason = "uncommitted changes in \(session.worktree) are kept (commit them on \(session.branch), or remove the worktree by hand)"
        record("worktree.kept", session: session.id, ["worktree": .string(session.worktree), "reason": .string(reason)])
        return reason
      }
      do throws(GitCLI.Failure) {
        try removeWorktree(session.worktree)
      } catch {
        throw Self.gitError(error, doing: "remove the worktree of \(session.id)")
      }
      record("worktree.reclaimed", session: session.id, ["worktree": .string(session.worktree), "branch": .string(session.branch)])
      return nil
    }
  }

  // MARK: - Routing

  /// Sends one call to the session's server; `done` gets its result, or the session's own error as the same error,
  /// exactly once, on the thread that read the session's answer. Returns a canceller. Writes to paths another
  /// session leases exclusively are refused before they reach the session.
  func call(_ id: String, method: String, params: JSONValue, context: RequestContext, done: @escaping @Sendable (Result<JSONValue, ToolError>) -> Void) -> @Sendable () -> Void {
    var progress: (@Sendable (JSONValue) -> Void)?
    if context.wantsProgress {
      progress = { params in
        context.progress(params["progress"]?.doubleValue ?? 0, total: params["total"]?.doubleValue, message: params["message"]?.stringValue)
      }
    }
    return route(id, method: method, params: params, progress: progress) { outcome in
      done(outcome.flatMap { message in
        if let result = message["result"] { return .success(result) }
        let error = message["error"] ?? .null
        let data = error["data"]
        // The session's own error, with its details (conflicts, paths, field) kept. The top-level message is the
        // whole sentence ("Invalid params for fs/read: $.path is required"; data's says only "is required").
        let details = JSONObject((data?.objectValue ?? [:]).filter { !["code", "message", "hint"].contains($0.key) }.map { ($0.key, $0.value) })
        return .failure(
          ToolError(
            .init(rawValue: data?["code"]?.stringValue ?? Self.protocolCode(error["code"]?.intValue)),
            error["message"]?.stringValue ?? data?["message"]?.stringValue ?? "The session refused the call",
            hint: data?["hint"]?.stringValue ?? "Check the method name and params against the session's tools (hub_call session/info, or tools/list on mish connect).",
            details: details))
      })
    }
  }

  /// `call` for async callers (overlaps): cancelling the task cancels the call.
  func call(_ id: String, method: String, params: JSONValue, context: RequestContext) async throws(ToolError) -> JSONValue {
    try await Self.awaiting { done in call(id, method: method, params: params, context: context, done: done) }
  }

  /// `route` for async callers (`mish connect`'s socket): cancelling the task cancels the call.
  func route(_ id: String, method: String, params: JSONValue, progress: (@Sendable (JSONValue) -> Void)?) async throws(ToolError) -> JSONValue {
    try await Self.awaiting { done in route(id, method: method, params: params, progress: progress, done: done) }
  }

  /// Awaits a callback-style operation (started with its `done`, returning its canceller).
  static func awaiting(_ start: (@escaping @Sendable (Result<JSONValue, ToolError>) -> Void) -> @Sendable () -> Void) async throws(ToolError) -> JSONValue {
    let canceller = Mutex<(@Sendable () -> Void)?>(nil)
    let outcome: Result<JSONValue, ToolError> = await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let cancel = start { continuation.resume(returning: $0) }
        canceller.withLock { $0 = cancel }
      }
    } onCancel: {
      canceller.withLock { $0 }?()
    }
    return try outcome.get()
  }

  /// One call to a session's server, native (`fs/read`) or MCP (`tools/call` of `fs_read`, from `mish connect`):
  /// the lease check first, then the child's own reply message (its id is the child's; callers put theirs back),
  /// given to `done` exactly once. Nothing here blocks: the request is written to the child on this thread (or
  /// queued when its pipe is full), and `done` runs on the child's reader thread. Every call becomes an event
  /// (method, args digest, outcome, duration), a commit also a commit event, and a session/info answer carries the
  /// hub's view (session, task, decisions). Returns a canceller.
  func route(_ id: String, method: String, params: JSONValue, progress: (@Sendable (JSONValue) -> Void)?, done: @escaping @Sendable (Result<JSONValue, ToolError>) -> Void) -> @Sendable () -> Void {
    let session: HubSession
    let child: ChildSession
    let state: SessionState
    do throws(ToolError) {
      session = try self.session(id)
      let current = lock.withLock { (session.state, session.child) }
      guard current.0.isLive, let live = current.1, !live.hasExited else {
        throw ToolError(.init(rawValue: "session_ended"), "Session \(id) is \(current.0.rawValue)\(session.reason.map { ": \($0)" } ?? "")", hint: "Spawn a new session with hub_spawn; this one's branch \(session.branch) keeps its commits.")
      }
      (state, child) = (current.0, live)
    } catch {
      done(.failure(error))
      return {}
    }
    // What the call does, whichever face it came through.
    let isTool = method == "tools/call"
    let operation = isTool ? Self.nativeMethod(ofTool: params["name"]?.stringValue ?? "") : method
    let arguments = isTool ? params["arguments"] ?? [:] : params
    if let paths = LeaseRules.writtenPaths(method: operation, params: arguments) {
      do throws(ToolError) {
        try checkLeases(session: session, paths: paths, method: operation)
      } catch {
        done(.failure(error))
        return {}
      }
    }
    if state == .ready || state == .rejected { setState(session, .working) }
    let started = Self.nowMs()
    var forwarded: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
    if params != .null { forwarded["params"] = params }
    let childID = child.request(forwarded, progress: progress) { [self] reply in
      done(finishRoute(reply, session: session, operation: operation, isTool: isTool, arguments: arguments, started: started))
    }
    return { if let childID { child.cancel(childID: childID) } }
  }

  /// A routed call's answer: its event recorded, a commit's event too, session/info given the hub's view.
  private func finishRoute(_ reply: Result<JSONValue, ChildSession.Failure>, session: HubSession, operation: String, isTool: Bool, arguments: JSONValue, started: Int64) -> Result<JSONValue, ToolError> {
    var event: JSONObject = ["method": .string(operation), "args_digest": .string(Self.digest(arguments)), "duration_ms": .int(Int(Self.nowMs() - started))]
    defer { recordSoon("call", session: session.id, event) }
    switch reply {
    case .failure(let failure):
      event["outcome"] = .string(failure.code)
      return .failure(ToolError(.init(rawValue: failure.code), failure.message, hint: "hub_sessions shows the session's state; its branch \(session.branch) keeps its commits."))
    case .success(var message):
      let result = message["result"]
      let payload = isTool ? result?["structuredContent"] : result
      if let error = message["error"] {
        event["outcome"] = .string(error["data"]?["code"]?.stringValue ?? Self.protocolCode(error["code"]?.intValue))
      } else if isTool && result?["isError"]?.boolValue == true {
        event["outcome"] = .string(payload?["error"]?["code"]?.stringValue ?? "error")
      } else {
        event["outcome"] = "ok"
        if operation == "git/commit", let sha = payload?["sha"]?.stringValue {
          record("commit", session: session.id, ["sha": .string(sha), "branch": .string(session.branch)])
        }
        if operation == "session/info", let result, let payload, var whole = message.objectValue {
          var augmented = withDecisions(payload, session: session)
          if isTool, var toolResult = result.objectValue {
            toolResult["structuredContent"] = augmented
            augmented = .object(toolResult)
          }
          whole["result"] = augmented
          message = .object(whole)
        }
      }
      return .success(message)
    }
  }

  /// `fs_read` → `fs/read`: an MCP tool's native method (the family is before the first underscore).
  static func nativeMethod(ofTool name: String) -> String {
    guard let underscore = name.firstIndex(of: "_") else { return name }
    return name[..<underscore] + "/" + name[name.index(after: underscore)...]
  }

  static func protocolCode(_ code: Int?) -> String {
    switch code {
    case -32601: "method_not_found"
    case -32602: "invalid_argument"
    case -32600, -32700: "invalid_request"
    default: "internal"
    }
  }

  /// FNV-1a 64 of the params' JSON: enough to spot the same call repeated, without logging its content.
  static func digest(_ value: JSONValue) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in JSONWriter.encode(value) {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
  }

  // MARK: - Watching

  /// Marks sessions stuck when a call is in flight and the server has been silent too long (and back to
  /// working when it speaks again). Runs on its own thread for the hub's life.
  public func startWatchdog() {
    let thread = Thread { [weak self] in
      while let self {
        Thread.sleep(forTimeInterval: 1)
        let now = Self.nowMs()
        for session in self.allSessions() {
          let (state, child) = self.lock.withLock { (session.state, session.child) }
          guard let child, state == .working || state == .stuck else { continue }
          let silent = now - child.lastHeard.load(ordering: .relaxed)
          let busy = child.inFlight > 0
          if state == .working && busy && silent > self.options.stuckAfterMs {
            self.setState(session, .stuck, reason: "a call has been in flight with nothing heard for \(silent / 1000) s")
          } else if state == .stuck && (!busy || silent < self.options.stuckAfterMs) {
            self.setState(session, .working)
          }
        }
      }
    }
    thread.name = "mish.hub.watchdog"
    thread.start()
  }
}
