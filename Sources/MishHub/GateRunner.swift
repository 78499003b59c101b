import Foundation
import Glibc
import MishJSON
import MishRPC
import Synchronization

/// Runs quality gates in the sandbox: each worker is a scratch worktree under `.mish/gates/` with its own `mish serve`
/// (the gate profile), checked out detached at the commit under test. Gates are session methods (test/run, build/run,
/// exec/run, …) called on that server, so they get the same confinement, reports and diagnostics an agent gets.
/// Blocking: the lander's thread calls it; gate runs on different workers go on in parallel.
final class GateRunner: @unchecked Sendable {
  final class Worker: @unchecked Sendable {
    let path: String
    var child: ChildSession?
    init(path: String) { self.path = path }
  }

  let hub: Hub
  let profile: String
  let lock = NSLock()
  let workers: [Worker]
  var idle: [Worker]
  let available: DispatchSemaphore
  /// Set when the hub stops: no gate starts (or restarts a server) after that.
  var stopped = false

  init(hub: Hub, count: Int, profile: String) {
    self.hub = hub
    self.profile = profile
    workers = (1...max(1, count)).map { Worker(path: "\(hub.stateDirectory)/gates/g\($0)") }
    idle = workers
    available = DispatchSemaphore(value: max(1, count))
  }

  /// One gate's result, as reported in queue items: `passed`, `flaky` (failed, then passed on the same tree),
  /// `failed`, `timed_out` or `error` (the gate could not be run or judged).
  struct Result: Sendable {
    var json: JSONObject
    var outcome: String { json["outcome"]?.stringValue ?? "error" }
    var passed: Bool { outcome == "passed" || outcome == "flaky" }
  }

  /// Runs every gate on `commit` (tree `tree`), in parallel, each retried once on the same tree when it fails;
  /// results are cached by tree and gate definition.
  func run(_ gates: [HubConfig.Gate], commit: String, tree: String, label: String) -> [Result] {
    guard !gates.isEmpty else { return [] }
    let results = Mutex<[Int: Result]>([:])
    let group = DispatchGroup()
    for (index, gate) in gates.enumerated() {
      group.enter()
      Thread.detachNewThread { [self] in
        let result = runWithRetry(gate, commit: commit, tree: tree, label: label)
        results.withLock { $0[index] = result }
        group.leave()
      }
    }
    group.wait()
    return results.withLock { dictionary in gates.indices.map { dictionary[$0]! } }
  }

  func runWithRetry(_ gate: HubConfig.Gate, commit: String, tree: String, label: String) -> Result {
    if let cached = cached(gate, tree: tree) { return cached }
    hub.record("gate.started", session: nil, ["gate": .string(gate.name), "phase": .string(gate.phase.rawValue), "commit": .string(commit), "tree": .string(tree), "for": .string(label)])
    var first = runOnce(gate, commit: commit, tree: tree, attempt: 1)
    var result = first
    if !first.passed {
      // One retry on the same tree before anything is blamed: a pass now makes the gate flaky, not failed.
      let second = runOnce(gate, commit: commit, tree: tree, attempt: 2)
      if second.passed {
        result = second
        result.json["outcome"] = "flaky"
        result.json["first_attempt"] = .object(Self.pick(first.json, ["outcome", "failures", "message", "log_tail"]))
      } else {
        first.json["retry"] = .object(Self.pick(second.json, ["outcome", "message"]))
        result = first
      }
      result.json["attempts"] = 2
    }
    var event = result.json
    event["for"] = .string(label)
    hub.record("gate.finished", session: nil, event)
    if ["passed", "flaky", "failed"].contains(result.outcome) {
      _ = try? hub.journal.query(
        "INSERT OR REPLACE INTO gate_results(tree, gate_key, result, time_ms) VALUES(?, ?, ?, ?)",
        [.text(tree), .text(gate.key), .text(JSONWriter.string(.object(result.json))), .int(Hub.nowMs())])
    }
    return result
  }

  func cached(_ gate: HubConfig.Gate, tree: String) -> Result? {
    guard let row = try? hub.journal.query("SELECT result FROM gate_results WHERE tree = ? AND gate_key = ?", [.text(tree), .text(gate.key)]).rows.first,
      let text = row[0].text, var json = (try? JSONParser.parse(Array(text.utf8)))?.objectValue
    else { return nil }
    json["cached"] = true
    json["duration_ms"] = 0
    return Result(json: json)
  }

  /// One attempt on a free worker.
  func runOnce(_ gate: HubConfig.Gate, commit: String, tree: String, attempt: Int) -> Result {
    let started = Hub.nowMs()
    var json: JSONObject = [
      "name": .string(gate.name), "phase": .string(gate.phase.rawValue), "commit": .string(commit), "tree": .string(tree),
      "cached": false, "attempts": .int(attempt),
    ]
    available.wait()
    let (worker, stopped) = lock.withLock { (idle.removeLast(), self.stopped) }
    defer {
      lock.withLock { idle.append(worker) }
      available.signal()
    }
    do throws(ToolError) {
      guard !stopped else { throw ToolError(.init(rawValue: "stopping"), "The hub is stopping", hint: "The change is queued again when the hub starts.") }
      let child = try prepare(worker, commit: commit)
      let verdict = try call(gate, on: child, attempt: attempt)
      for (key, value) in verdict { json[key] = value }
    } catch {
      json["outcome"] = "error"
      json["message"] = .string("The gate could not run: \(error.message)")
    }
    json["duration_ms"] = .int(Int(Hub.nowMs() - started))
    return Result(json: json)
  }

  /// The worker's tree at `commit` (created on first use, reset before each run) and its server.
  func prepare(_ worker: Worker, commit: String) throws(ToolError) -> ChildSession {
    do throws(GitCLI.Failure) {
      var reused = false
      if FileManager.default.fileExists(atPath: worker.path + "/.git") {
        do throws(GitCLI.Failure) {
          try hub.git.run(["checkout", "--detach", "--force", commit], in: worker.path)
          // Untracked files a previous gate made go; ignored ones (build caches) stay, so builds stay incremental.
          try hub.git.run(["clean", "-ffdq"], in: worker.path)
          reused = true
        } catch {
          // A tree left half-updated (a hub killed mid-checkout leaves index.lock behind): made anew below.
          hub.log("gate worktree \(worker.path) could not be reused (\(error)); recreating it")
        }
      }
      if !reused {
        try? FileManager.default.createDirectory(atPath: hub.stateDirectory + "/gates", withIntermediateDirectories: true)
        try hub.removeWorktree(worker.path)
        try hub.addWorktree(["--detach", worker.path, commit], at: worker.path)
        try hub.worktreeGit(["worktree", "lock", "--reason", "mish gate worker", worker.path])
      }
    } catch {
      throw ToolError(.init(rawValue: "git"), "Cannot check out \(commit) for a gate: \(error.description)", hint: "Check the repository (git worktree list) and the disk under .mish/gates.")
    }
    if let child = worker.child, !child.hasExited { return child }
    let child: ChildSession
    do throws(ChildSession.Failure) {
      child = try ChildSession(
        executable: hub.options.executable,
        arguments: ["serve", "--root", worker.path, "--state-dir", worker.path + ".state", "--profile", profile, "--log-level", "warning"],
        label: "gate:" + (worker.path as NSString).lastPathComponent, forker: hub.forker, onExit: { _ in })
    } catch {
      throw ToolError(.init(rawValue: error.code), error.message, hint: "Check that \(hub.options.executable) runs.")
    }
    worker.child = child
    return child
  }

  /// Calls the gate's method and judges its result.
  func call(_ gate: HubConfig.Gate, on child: ChildSession, attempt: Int) throws(ToolError) -> JSONObject {
    let method: String
    var params: JSONObject
    switch gate.action {
    case .tool(let name, let given):
      method = name
      params = given
      if params["timeout_ms"] == nil, ["test/run", "build/run", "exec/run"].contains(name) { params["timeout_ms"] = .int(gate.timeoutMs) }
    case .command(let command):
      method = "exec/run"
      params = [
        "command": .string(command), "timeout_ms": .int(gate.timeoutMs), "yield_ms": .int(min(gate.timeoutMs, 600_000)),
        "env": ["MISH_GATE": .string(gate.name), "MISH_GATE_PHASE": .string(gate.phase.rawValue), "MISH_GATE_ATTEMPT": .string(String(attempt))],
      ]
    }
    if method == "exec/run" && params["yield_ms"] == nil { params["yield_ms"] = .int(min(gate.timeoutMs, 600_000)) }
    var result = try request(child, method, .object(params), waitMs: gate.timeoutMs)
    // A command longer than exec/run's longest yield: follow it to its end.
    while method == "exec/run", result["running"]?.boolValue == true, let process = result["process_id"]?.stringValue {
      result = try request(child, "process/read", ["process_id": .string(process), "wait_ms": 60_000, "max_bytes": 256], waitMs: 70_000)["state"] ?? .null
    }
    return Self.judge(method: method, result)
  }

  func request(_ child: ChildSession, _ method: String, _ params: JSONValue, waitMs: Int) throws(ToolError) -> JSONValue {
    let done = DispatchSemaphore(value: 0)
    let answer = Mutex<Swift.Result<JSONValue, ChildSession.Failure>?>(nil)
    _ = child.request(["jsonrpc": "2.0", "method": .string(method), "params": params]) { reply in
      answer.withLock { $0 = reply }
      done.signal()
    }
    // The method enforces the gate's own timeout; this only guards against a server that never answers.
    if done.wait(timeout: .now() + .milliseconds(waitMs + 120_000)) == .timedOut {
      child.stop()
      throw ToolError(.init(rawValue: "timed_out"), "The gate's server did not answer \(method) in time", hint: "It was stopped; the next gate run starts a new one.")
    }
    switch answer.withLock({ $0 })! {
    case .failure(let failure): throw ToolError(.init(rawValue: failure.code), failure.message, hint: "The gate's server is restarted for the next run.")
    case .success(let message):
      if let result = message["result"] { return result }
      let error = message["error"] ?? .null
      throw ToolError(
        .init(rawValue: error["data"]?["code"]?.stringValue ?? "error"),
        error["data"]?["message"]?.stringValue ?? error["message"]?.stringValue ?? "the gate's method failed",
        hint: error["data"]?["hint"]?.stringValue ?? "Check the gate's tool and params in .mish/config.json.")
    }
  }

  /// A method's result → the gate's outcome and the facts a rejected session needs (failures, diagnostics, log).
  static func judge(method: String, _ result: JSONValue) -> JSONObject {
    var verdict: JSONObject = [:]
    func tail(_ text: String?) -> JSONValue? {
      guard let text, !text.isEmpty else { return nil }
      return .string(String(text.suffix(2000)))
    }
    switch method {
    case "exec/run":
      let exit = result["exit_code"]?.intValue
      verdict["outcome"] = .string(result["timed_out"]?.boolValue == true ? "timed_out" : exit == 0 ? "passed" : "failed")
      verdict["exit_code"] = exit.map(JSONValue.int) ?? .null
      if exit != 0 {
        let output = [result["stdout"]?["text"]?.stringValue, result["stderr"]?["text"]?.stringValue].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n")
        verdict["log_tail"] = tail(output)
        if let signal = result["signal"]?.stringValue { verdict["message"] = .string("killed by \(signal)") }
      }
    case "test/run":
      let outcome = result["outcome"]?.stringValue ?? "error"
      verdict["outcome"] = .string(outcome == "passed" ? "passed" : outcome == "timed_out" ? "timed_out" : outcome == "error" ? "error" : "failed")
      verdict["test_outcome"] = .string(outcome)
      verdict["summary"] = result["summary"]
      if let flaky = result["flaky"]?.arrayValue, !flaky.isEmpty { verdict["flaky_tests"] = .array(flaky) }
      if let failures = result["failures"]?.arrayValue, !failures.isEmpty {
        verdict["failures"] = .array(failures.prefix(20).map { failure in
          .object(pick(failure.objectValue ?? [:], ["id", "suite", "name", "file", "line", "message"]))
        })
      }
      if let diagnostics = result["diagnostics"]?.arrayValue, !diagnostics.isEmpty { verdict["diagnostics"] = .array(Array(diagnostics.prefix(20))) }
      if let notes = result["notes"], outcome != "passed" { verdict["notes"] = notes }
      verdict["log_tail"] = tail(result["log_tail"]?.stringValue)
      verdict["log_id"] = result["log_id"]
    case "build/run":
      let succeeded = result["succeeded"]?.boolValue == true
      verdict["outcome"] = .string(result["timed_out"]?.boolValue == true ? "timed_out" : succeeded ? "passed" : "failed")
      let errors = (result["diagnostics"]?.arrayValue ?? []).filter { $0["severity"]?.stringValue == "error" }
      if !errors.isEmpty { verdict["diagnostics"] = .array(Array(errors.prefix(20))) }
      verdict["log_tail"] = tail(result["log_tail"]?.stringValue)
      verdict["log_id"] = result["log_id"]
    default:
      verdict["outcome"] = "passed"
    }
    return JSONObject(verdict.filter { $0.value != .null }.map { ($0.key, $0.value) })
  }

  /// The fields of `object` named in `keys`, in its order.
  static func pick(_ object: JSONObject, _ keys: [String]) -> JSONObject {
    JSONObject(object.filter { keys.contains($0.key) }.map { ($0.key, $0.value) })
  }

  /// Stops the workers' servers (the hub is stopping); their trees stay for the next hub.
  func stop() {
    let children: [ChildSession] = lock.withLock {
      stopped = true
      return workers.compactMap(\.child)
    }
    for child in children { child.stop(grace: 1) }
  }
}
