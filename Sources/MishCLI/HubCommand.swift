import Foundation
import MishHub
import MishJSON
import MishRPC
import MishServer

/// `mish hub` (the orchestrator on stdio) and `mish hub status` (its sessions, read from the journal).
enum HubCommand {
  static let instructions = """
    mish hub runs agent sessions on one git repository, each on its own branch (mish/<id>) and worktree, served by \
    its own sandboxed mish server. hub_spawn starts one; hub_call sends it any session method (fs/read, fs/edit, \
    exec/run, test/run, git/commit, ...). hub_claim leases paths so other sessions cannot write them; \
    hub_overlaps shows files changed by more than one session before anyone submits; hub_decisions is the shared \
    log every session sees in session/info; hub_events streams what happened, from any seq.
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
    hub.refillPool()
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
    do {
      rows = try Hub.sessionRows(repository: repo)
    } catch {
      FileHandle.standardError.write(Data("mish: \(error.description)\n".utf8))
      return 1
    }
    if json {
      print(JSONWriter.pretty(.object(["sessions": .array(rows)])))
      return 0
    }
    let header = ["SESSION", "STATE", "BRANCH", "AGE", "TASK"]
    let now = Int(Date().timeIntervalSince1970 * 1000)
    let table = rows.map { row -> [String] in
      let age = max(0, now - (row["created_ms"]?.intValue ?? now)) / 1000
      let ageText = age < 120 ? "\(age)s" : age < 7200 ? "\(age / 60)m" : "\(age / 3600)h"
      var state = row["state"]?.stringValue ?? ""
      if let reason = row["reason"]?.stringValue, ["failed", "stuck", "killed"].contains(state) { state += " (\(reason.prefix(60)))" }
      return [row["session_id"]?.stringValue ?? "", state, row["branch"]?.stringValue ?? "", ageText, row["task"]?.stringValue ?? ""]
    }
    let widths = header.indices.map { column in ([header] + table).map { $0[column].count }.max() ?? 0 }
    for line in [header] + table {
      print(line.enumerated().map { index, cell in index == line.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
    if rows.isEmpty { print("(no sessions)") }
    return 0
  }
}
