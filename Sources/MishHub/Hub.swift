import Foundation
import Glibc
import MishJSON
import MishRPC
import Synchronization

/// A session's place in its life. `stuck` is `working` with a call in flight and nothing heard for too long.
enum SessionState: String, Sendable, CaseIterable {
  case provisioning, ready, working, stuck, submitted, landed, rejected, failed, killed

  /// States whose session has a worktree and (normally) a running server. A rejected session stays live: its
  /// agent fixes what the rejection names and submits again.
  var isLive: Bool { [.provisioning, .ready, .working, .stuck, .submitted, .rejected].contains(self) }
}

/// One agent session: its branch and worktree, and the `mish serve` child confined to that worktree.
final class HubSession: @unchecked Sendable {
  let id: String
  let branch: String
  let worktree: String
  let base: String
  let task: String
  let profile: String
  let createdMs: Int64
  var state: SessionState
  var reason: String?
  var child: ChildSession?

  init(id: String, branch: String, worktree: String, base: String, task: String, profile: String, createdMs: Int64, state: SessionState) {
    self.id = id
    self.branch = branch
    self.worktree = worktree
    self.base = base
    self.task = task
    self.profile = profile
    self.createdMs = createdMs
    self.state = state
  }
}

/// Options the hub starts with.
public struct HubOptions: Sendable {
  /// Worktrees kept checked out and ready for the next spawn.
  public var poolSize = 2
  /// A session with a call in flight and nothing heard for this long is reported stuck.
  public var stuckAfterMs: Int64 = 120_000
  /// The `mish` executable sessions run (`mish serve`).
  public var executable: String
  /// The sandbox profiles a session may have (checked at hub_spawn; empty: not checked here).
  public var profiles: [String] = []
  /// Sessions' and gates' servers are forked from one warm template (`SessionForker`) rather than executed.
  public var forkSessions = true
  public init(executable: String) { self.executable = executable }
}

/// The orchestrator's state and behaviour: sessions on their own branches and worktrees, routing to their servers,
/// the event log, leases, decisions. Durable state is written to the journal before it is acted on.
public final class Hub: @unchecked Sendable {
  public let repository: String
  public let stateDirectory: String
  let git: GitCLI
  let journal: Journal
  let options: HubOptions
  /// `.mish/config.json` (or the defaults), read when the hub starts.
  public let config: HubConfig
  /// The merge queue's lander (started by `startLander`).
  var lander: Lander?
  /// The hub's warnings (logged at warning level; messages carry no level prefix of their own).
  let log: @Sendable (String) -> Void
  let lock = NSLock()
  var sessions: [String: HubSession] = [:]
  var order: [String] = []
  /// Prepared worktrees: path → the commit checked out (detached).
  var pool: [(path: String, commit: String)] = []
  var poolFilling = false
  var socket: HubSocket?
  /// Set while the hub stops its sessions' servers at the end of its input: their exits are expected.
  var shuttingDown = false
  var worktreeCounter = 0
  /// Long-polls of hub/events waiting for a seq beyond the one they know.
  var eventWaiters: [(after: Int, resume: @Sendable () -> Void)] = []
  var lastSeq = 0
  /// Events recorded but not yet written, and whether a write of them is scheduled.
  var pendingEvents: [PendingEvent] = []
  var eventWriteScheduled = false
  /// Writes events to the journal, one batch at a time.
  let journalQueue = DispatchQueue(label: "mish.hub.journal")
  /// The oldest event seq not yet trimmed away (used on the journal queue).
  var oldestKeptSeq = 1
  struct PendingEvent {
    let time: Int64
    let kind: String
    let session: String?
    let data: String
  }
  /// Repository-wide git admin (worktree add/remove, branch creation) one at a time.
  let adminQueue = DispatchQueue(label: "mish.hub.git-admin")
  /// Pool refills (whole checkouts, seconds on a large repository) run apart, so a spawn never waits behind one.
  let poolQueue = DispatchQueue(label: "mish.hub.pool")
  /// Held by git commands that make, lock, remove or list worktrees (`worktreeAdmin`).
  let worktreeLock = NSLock()
  /// Deletes removed worktrees' files (`emptyTrash`).
  let trashQueue = DispatchQueue(label: "mish.hub.trash", qos: .background)
  /// Forks sessions' servers (nil: each is executed).
  let forker: SessionForker?

  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  public init(repository given: String, options: HubOptions, log: @escaping @Sendable (String) -> Void) throws(Failure) {
    let probe = GitCLI(repository: given)
    let top: String
    do {
      top = try probe.run(["rev-parse", "--show-toplevel"])
    } catch {
      throw Failure(description: "\(given) is not inside a git work tree (\(error.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); run mish hub --repo on a git repository")
    }
    repository = top
    git = GitCLI(repository: top)
    guard git.commit("HEAD") != nil else {
      throw Failure(description: "\(top) has no commit yet; sessions branch from a commit, so make one first (git commit --allow-empty -m init)")
    }
    stateDirectory = top + "/.mish"
    self.options = options
    self.log = log
    forker = options.forkSessions ? SessionForker(executable: options.executable, log: log) : nil
    do throws(HubConfig.Failure) {
      config = try HubConfig.load(repository: top)
    } catch {
      throw Failure(description: error.description)
    }
    for directory in [stateDirectory, stateDirectory + "/worktrees", stateDirectory + "/sessions"] {
      if mkdir(directory, 0o755) != 0 && errno != EEXIST {
        throw Failure(description: "Cannot create \(directory): \(String(cString: strerror(errno)))")
      }
    }
    Self.excludeStateDirectory(git: git)
    do throws(Journal.Failure) {
      journal = try Journal(path: stateDirectory + "/hub.db")
      lastSeq = try journal.query("SELECT COALESCE(MAX(seq), 0) FROM events").rows.first?.first?.int ?? 0
      oldestKeptSeq = try journal.query("SELECT COALESCE(MIN(seq), 1) FROM events").rows.first?.first?.int ?? 1
    } catch {
      throw Failure(description: error.description)
    }
    emptyTrash()  // what an earlier hub removed but had not deleted yet
    // The session template starts now, in the background, so the first spawn does not wait for it.
    if let forker { DispatchQueue.global().async { forker.prepare() } }
  }

  /// `.mish/` is the hub's, never the project's: listed in the repository's own exclude file.
  static func excludeStateDirectory(git: GitCLI) {
    guard let common = try? git.run(["rev-parse", "--path-format=absolute", "--git-common-dir"]) else { return }
    let exclude = common + "/info/exclude"
    let current = (try? String(contentsOfFile: exclude, encoding: .utf8)) ?? ""
    guard !current.split(separator: "\n").contains("/.mish/") else { return }
    try? FileManager.default.createDirectory(atPath: common + "/info", withIntermediateDirectories: true)
    try? (current + (current.isEmpty || current.hasSuffix("\n") ? "" : "\n") + "/.mish/\n").write(toFile: exclude, atomically: true, encoding: .utf8)
  }

  static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

  // MARK: - Events

  /// Appends an event and wakes long-polls; returns once it is in the journal. Events are written by whoever finds
  /// some waiting, in one transaction per batch, in the order they were recorded.
  func record(_ kind: String, session: String?, _ data: JSONObject = [:]) {
    enqueueEvent(kind, session: session, data)
    journalQueue.sync { writeEvents() }
  }

  /// `record` for the routing's hot path (a call's event): returns at once; the journal queue writes it with the
  /// others that arrive meanwhile (one transaction for a burst of calls instead of one each), and hub/events
  /// writes what is waiting before it reads.
  func recordSoon(_ kind: String, session: String?, _ data: JSONObject = [:]) {
    if enqueueEvent(kind, session: session, data) { journalQueue.async { [self] in writeEvents() } }
  }

  /// Returns true when no write was already scheduled.
  @discardableResult
  private func enqueueEvent(_ kind: String, session: String?, _ data: JSONObject) -> Bool {
    let event = PendingEvent(time: Self.nowMs(), kind: kind, session: session, data: JSONWriter.string(.object(data)))
    return lock.withLock {
      pendingEvents.append(event)
      defer { eventWriteScheduled = true }
      return !eventWriteScheduled
    }
  }

  /// Writes the waiting events (on the journal queue) and wakes the long-polls they satisfy.
  private func writeEvents() {
    let batch: [PendingEvent] = lock.withLock {
      defer {
        pendingEvents = []
        eventWriteScheduled = false
      }
      return pendingEvents
    }
    guard !batch.isEmpty else { return }
    let last: Int
    do throws(Journal.Failure) {
      last = try journal.transaction { (transaction) throws(Journal.Failure) -> Int in
        var id: Int64 = 0
        for event in batch {
          id = try transaction.query(
            "INSERT INTO events(time_ms, kind, session_id, data) VALUES(?, ?, ?, ?)",
            [.int(event.time), .text(event.kind), event.session.map(Journal.Value.text) ?? .null, .text(event.data)]
          ).lastID
        }
        return Int(id)
      }
    } catch {
      log("the journal refused \(batch.count) event(s) (\(batch.map(\.kind).joined(separator: ", "))): \(error)")
      return
    }
    trimEvents(last: last)
    let waking: [@Sendable () -> Void] = lock.withLock {
      lastSeq = max(lastSeq, last)
      let ready = eventWaiters.filter { $0.after < last }.map(\.resume)
      eventWaiters.removeAll { $0.after < last }
      return ready
    }
    for resume in waking { resume() }
  }

  /// Keeps the journal's events to `events.keep` (on the journal queue): once a tenth more has gathered, the oldest
  /// go in one delete.
  private func trimEvents(last: Int) {
    let keep = config.eventsKeep
    guard keep > 0, last - oldestKeptSeq + 1 > keep + max(keep / 10, 100) else { return }
    let oldest = last - keep + 1
    do throws(Journal.Failure) {
      try journal.query("DELETE FROM events WHERE seq < ?", [.int(Int64(oldest))])
      oldestKeptSeq = oldest
    } catch {
      log("the journal could not delete events before seq \(oldest): \(error)")
    }
  }

  /// The oldest event the journal still has (0 when it has none).
  func oldestEventSeq() throws(ToolError) -> Int {
    do throws(Journal.Failure) {
      return try journal.query("SELECT COALESCE(MIN(seq), 0) FROM events").rows.first?.first?.int ?? 0
    } catch {
      throw error.toolError
    }
  }

  /// Events after `since`, up to `limit`; waits up to `waitMs` for the first one when there is none yet.
  func events(since: Int, limit: Int, waitMs: Int) async throws(ToolError) -> (events: [JSONValue], next: Int) {
    journalQueue.sync { writeEvents() }
    if waitMs > 0 && lock.withLock({ lastSeq }) <= since {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let once = Atomic(false)
        let resume: @Sendable () -> Void = { if !once.exchange(true, ordering: .acquiringAndReleasing) { continuation.resume() } }
        let ready: Bool = lock.withLock {
          if lastSeq > since { return true }
          eventWaiters.append((since, resume))
          return false
        }
        if ready { resume() } else { DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(waitMs), execute: resume) }
      }
    }
    let rows: [[Journal.Value]]
    do throws(Journal.Failure) {
      rows = try journal.query(
        "SELECT seq, time_ms, kind, session_id, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?", [.int(Int64(since)), .int(Int64(limit))]
      ).rows
    } catch {
      throw error.toolError
    }
    var events: [JSONValue] = []
    var next = since
    for row in rows {
      var event: JSONObject = (row[4].text.flatMap { try? JSONParser.parse(Array($0.utf8)) }?.objectValue) ?? [:]
      event["seq"] = .int(row[0].int ?? 0)
      let timeMs = row[1].int ?? 0
      event["time"] = .string(Self.rfc3339(milliseconds: timeMs))
      event["time_ms"] = .int(timeMs)
      event["kind"] = .string(row[2].text ?? "")
      event["session_id"] = row[3].text.map(JSONValue.string) ?? .null
      events.append(.object(event))
      next = row[0].int ?? next
    }
    return (events, next)
  }

  /// `2026-12-04T23:30:05.123Z`: an event's time as the contract's `time` field gives it (`time_ms` beside it).
  static func rfc3339(milliseconds: Int) -> String {
    var seconds = time_t(milliseconds / 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    let millis = milliseconds % 1000
    return String(
      format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour),
      Int(parts.tm_min), Int(parts.tm_sec), millis)
  }

  // MARK: - Session state

  func setState(_ session: HubSession, _ state: SessionState, reason: String? = nil) {
    let previous: SessionState = lock.withLock {
      defer {
        session.state = state
        session.reason = reason
      }
      return session.state
    }
    guard previous != state else { return }
    _ = try? journal.query(
      "UPDATE sessions SET state = ?, reason = ?, updated_ms = ? WHERE id = ?",
      [.text(state.rawValue), reason.map(Journal.Value.text) ?? .null, .int(Self.nowMs()), .text(session.id)])
    var data: JSONObject = ["from": .string(previous.rawValue), "to": .string(state.rawValue)]
    if let reason { data["reason"] = .string(reason) }
    record("session.state", session: session.id, data)
  }

  func session(_ id: String) throws(ToolError) -> HubSession {
    guard let session = lock.withLock({ sessions[id] }) else {
      throw ToolError(.notFound, "No session \(id) in this hub", hint: "hub_sessions lists them; hub_spawn starts one.")
    }
    return session
  }

  func json(_ session: HubSession) -> JSONValue {
    let (state, reason, child) = lock.withLock { (session.state, session.reason, session.child) }
    var object: JSONObject = [
      "session_id": .string(session.id), "state": .string(state.rawValue), "branch": .string(session.branch),
      "worktree": .string(session.worktree), "base": .string(session.base), "task": .string(session.task),
      "profile": .string(session.profile), "created_ms": .int(Int(session.createdMs)),
      "in_flight": .int(child?.inFlight ?? 0),
    ]
    if let child { object["pid"] = .int(Int(child.pid)) }
    if let reason { object["reason"] = .string(reason) }
    return .object(object)
  }

  func allSessions() -> [HubSession] { lock.withLock { order.compactMap { sessions[$0] } } }
}

extension Hub {
  /// Stops every session's server (end of the hub's input). Sessions keep their state, worktree and branch: the
  /// next `mish hub` on this repository starts their servers again.
  public func shutdown() {
    let (children, socket): ([ChildSession], HubSocket?) = lock.withLock {
      shuttingDown = true
      return (sessions.values.compactMap(\.child), self.socket)
    }
    socket?.stop()
    lander?.stop()
    for child in children { child.stop(grace: 2) }
    let deadline = Date().addingTimeInterval(3)
    while Date() < deadline, children.contains(where: { !$0.hasExited }) { usleep(20_000) }
    forker?.shutDown()
    journalQueue.sync { writeEvents() }
  }

  /// The sessions recorded in a repository's journal, for `mish hub status` (works while a hub runs: WAL readers
  /// do not block it).
  public static func sessionRows(repository: String) throws(Failure) -> [JSONValue] {
    let journal = try openJournal(repository: repository)
    do throws(Journal.Failure) {
      return try journal.query("SELECT id, state, branch, worktree, base, task, profile, created_ms, updated_ms, reason FROM sessions ORDER BY created_ms").rows.map { row in
        var object: JSONObject = [
          "session_id": .string(row[0].text ?? ""), "state": .string(row[1].text ?? ""), "branch": .string(row[2].text ?? ""),
          "worktree": .string(row[3].text ?? ""), "base": .string(row[4].text ?? ""), "task": .string(row[5].text ?? ""),
          "profile": .string(row[6].text ?? ""), "created_ms": .int(row[7].int ?? 0), "updated_ms": .int(row[8].int ?? 0),
        ]
        if let reason = row[9].text { object["reason"] = .string(reason) }
        return .object(object)
      }
    } catch {
      throw Failure(description: error.description)
    }
  }

  /// The merge queue's items recorded in a repository's journal, oldest first (for `mish hub status`).
  public static func queueRows(repository: String) throws(Failure) -> [JSONValue] {
    let journal = try openJournal(repository: repository)
    do throws(Journal.Failure) {
      return try journal.query("SELECT \(QueueItem.columns) FROM queue ORDER BY id").rows.map { QueueItem(row: $0).json }
    } catch {
      throw Failure(description: error.description)
    }
  }

  static func openJournal(repository: String) throws(Failure) -> Journal {
    let top = (try? GitCLI(repository: repository).run(["rev-parse", "--show-toplevel"])) ?? repository
    let path = top + "/.mish/hub.db"
    guard FileManager.default.fileExists(atPath: path) else {
      throw Failure(description: "No hub has run on \(top) (no \(path)); start one with mish hub --repo \(top)")
    }
    do throws(Journal.Failure) {
      return try Journal(path: path)
    } catch {
      throw Failure(description: error.description)
    }
  }
}
