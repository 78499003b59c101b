import Foundation
import MishHub
import MishJSON
import MishRPC
import MishSandbox
import MishServer

/// `mish hub` (the orchestrator on stdio) and `mish hub status` (its sessions, read from the journal).
enum HubCommand {
  static let instructions = """
    mish hub runs agent sessions on one git repository, each on its own branch (mish/<id>) and worktree, served by \
    its own sandboxed mish server. hub_spawn starts one; hub_call sends it any session method (fs/read, fs/edit, \
    exec/run, test/run, git/commit, ...). hub_claim leases paths so other sessions cannot write them; \
    hub_overlaps shows files changed by more than one session before anyone submits; hub_decisions is the shared \
    log every session sees in session/info; hub_events streams what happened, from any seq. hub_submit queues a \
    session's committed branch for landing: the quality gates of .mish/config.json run on its branch and on the \
    merged tree, and only a tree that passed every gate reaches the target; hub_queue shows each change's state, \
    gate results, and a rejection's reason as data (conflicting paths, or the failing tests) so the agent can fix \
    and resubmit.
    """

  static func serve(repo: String, pool: Int, logLevel: String, stuckAfterMs: Int) -> Never {
    signal(SIGPIPE, SIG_IGN)
    let protocolFD = fcntl(1, F_DUPFD_CLOEXEC, 3)
    guard protocolFD >= 0 else { MishCLI.fail("cannot duplicate stdout: \(String(cString: strerror(errno)))") }
    dup2(2, 1)
    let logger = Logger(level: Logger.Level(name: logLevel) ?? .info)
    var options = HubOptions(executable: StdioClient.currentExecutable)
    options.poolSize = pool
    options.stuckAfterMs = Int64(stuckAfterMs)
    options.profiles = Profile.builtIn.map(\.name)
    let hub: Hub
    do {
      hub = try Hub(repository: repo, options: options, log: { logger.warning($0) })
    } catch {
      MishCLI.fail(error.description)
    }
    let recovered = waitFor { await hub.recover() }
    if recovered["restarted"]?.arrayValue?.isEmpty == false || recovered["failed"]?.arrayValue?.isEmpty == false {
      logger.info("recovered: \(JSONWriter.string(recovered))")
    }
    hub.startWatchdog()
    do {
      try hub.startLander()
    } catch {
      MishCLI.fail(error.description)
    }
    logger.info("merge queue: target \(hub.targetDescription), \(hub.config.gates.count) gate(s) from \(hub.config.source)")
    hub.refillPool()
    do {
      let socket = try hub.listen()
      logger.info("mish connect --session ID reaches sessions through \(socket)")
    } catch {
      logger.warning("no socket for mish connect: \(error.description)")
    }
    let server = Server(
      registry: Registry(HubTools.operations(hub)),
      identity: ServerIdentity(name: "mish-hub", title: "mish hub (orchestrator)", version: MishVersion.string, instructions: instructions),
      options: ServerOptions(), logger: logger, outputFD: protocolFD)
    logger.info("hub on \(hub.repository) (state in \(hub.stateDirectory)); serving stdio")
    server.run(inputFD: 0)
    logger.info("end of input; stopping the sessions' servers (their worktrees and states stay for the next start)")
    hub.shutdown()
    exit(0)
  }

  /// Runs async work to its end from synchronous code (startup only).
  static func waitFor<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: T?
    Task {
      result = await body()
      done.signal()
    }
    done.wait()
    return result!
  }

  static func status(repo: String, json: Bool) -> Int32 {
    let rows: [JSONValue]
    let queue: [JSONValue]
    do {
      rows = try Hub.sessionRows(repository: repo)
      queue = try Hub.queueRows(repository: repo)
    } catch {
      FileHandle.standardError.write(Data("mish: \(error.description)\n".utf8))
      return 1
    }
    if json {
      print(JSONWriter.pretty(.object(["sessions": .array(rows), "queue": .array(queue)])))
      return 0
    }
    let now = Int(Date().timeIntervalSince1970 * 1000)
    printTable(["SESSION", "STATE", "BRANCH", "AGE", "TASK"], rows.map { row -> [String] in
      let age = max(0, now - (row["created_ms"]?.intValue ?? now)) / 1000
      let ageText = age < 120 ? "\(age)s" : age < 7200 ? "\(age / 60)m" : "\(age / 3600)h"
      var state = row["state"]?.stringValue ?? ""
      if let reason = row["reason"]?.stringValue, ["failed", "stuck", "killed"].contains(state) { state += " (\(reason.prefix(60)))" }
      return [row["session_id"]?.stringValue ?? "", state, row["branch"]?.stringValue ?? "", ageText, row["task"]?.stringValue ?? ""]
    })
    if rows.isEmpty { print("(no sessions)") }
    if !queue.isEmpty {
      print("")
      printTable(["QUEUE", "SESSION", "STATE", "GATES", "RESULT"], queue.map(queueRow))
    }
    return 0
  }

  /// One merge-queue item as a table row: gates with their outcomes, and the landed commit or the reason.
  static func queueRow(_ item: JSONValue) -> [String] {
    let gates = (item["gates"]?.arrayValue ?? []).map { "\($0["name"]?.stringValue ?? "?"):\($0["outcome"]?.stringValue ?? "?")" }.joined(separator: " ")
    let result = item["landed_sha"]?.stringValue.map { "landed \($0.prefix(12))" } ?? (item["reason"]?["message"]?.stringValue ?? item["note"]?.stringValue).map { clipped($0, 100) } ?? ""
    return ["#\(item["queue_id"]?.intValue ?? 0)", item["session_id"]?.stringValue ?? "", item["state"]?.stringValue ?? "", gates.isEmpty ? "-" : gates, result]
  }

  /// `text` cut at a word boundary before `limit` characters, with an ellipsis when cut.
  static func clipped(_ text: String, _ limit: Int) -> String {
    guard text.count > limit else { return text }
    let head = text.prefix(limit - 1)
    return String(head[..<(head.lastIndex(of: " ") ?? head.endIndex)]) + "…"
  }

  static func printTable(_ header: [String], _ rows: [[String]]) {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    for line in [header] + rows {
      print(line.enumerated().map { index, cell in index == line.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
  }

  /// `mish connect --session ID`: a stdio proxy into a hub session, so any MCP client can be one of its agents.
  static func connect(session: String, repo: String) -> Int32 {
    signal(SIGPIPE, SIG_IGN)
    let path = Hub.socketPath(repository: repo)
    let fd = Hub.dial(path)
    guard fd >= 0 else {
      FileHandle.standardError.write(Data("mish: no hub is listening at \(path) (\(String(cString: strerror(errno)))); start one with mish hub --repo \(repo)\n".utf8))
      return 1
    }
    let hello = JSONWriter.encode(["connect": .string(session)]) + [0x0A]
    _ = hello.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    // The answer line, byte by byte so nothing after it is consumed here.
    var answer: [UInt8] = []
    var byte: UInt8 = 0
    while read(fd, &byte, 1) == 1, byte != 0x0A { answer.append(byte) }
    let reply = try? JSONParser.parse(answer)
    guard reply?["connected"] != nil else {
      let message = reply?["error"]?["message"]?.stringValue ?? "the hub closed the connection"
      let hint = reply?["error"]?["hint"]?.stringValue.map { " (\($0))" } ?? ""
      FileHandle.standardError.write(Data("mish: cannot connect to session \(session): \(message)\(hint)\n".utf8))
      return 1
    }
    // stdin → hub in the background; hub → stdout here, until the hub closes (after answering what was asked).
    Thread.detachNewThread {
      var chunk = [UInt8](repeating: 0, count: 64 * 1024)
      while true {
        let n = read(0, &chunk, chunk.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        var offset = 0
        while offset < n {
          let sent = chunk.withUnsafeBytes { send(fd, $0.baseAddress! + offset, n - offset, Int32(MSG_NOSIGNAL)) }
          if sent <= 0 { return }
          offset += sent
        }
      }
      shutdown(fd, Int32(SHUT_WR))
    }
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let n = read(fd, &chunk, chunk.count)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      var offset = 0
      while offset < n {
        let written = chunk.withUnsafeBytes { write(1, $0.baseAddress! + offset, n - offset) }
        if written <= 0 { return 0 }
        offset += written
      }
    }
    return 0
  }
}
