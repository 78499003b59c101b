import Foundation
import MishJSON
import MishRPC

/// `.mish/config.json`: the target branch, what sessions run under, the quality gates and the queue's knobs. A
/// repository without one gets the defaults: its current branch, `workspace-write`, one `test/run` gate after the
/// merge. The file is checked against `schema` (published as schemas/hub/config.schema.json) so a typo is an error
/// that names the field, never a silently ignored setting.
public struct HubConfig: Sendable {
  public enum Phase: String, Sendable, CaseIterable {
    /// On the session's branch, before it is merged.
    case preMerge = "pre-merge"
    /// On the merged tree (the batch's merge commit).
    case postMerge = "post-merge"
    /// On the commit about to land, after every post-merge gate passed.
    case release
  }

  public struct Gate: Sendable {
    public enum Action: Sendable {
      /// A session method (`test/run`, `build/run`, `exec/run`, …) with its params.
      case tool(method: String, params: JSONObject)
      /// A shell command; exit 0 passes.
      case command(String)
    }

    public var name: String
    public var action: Action
    public var phase: Phase
    public var timeoutMs: Int
    /// What the gate is, as a digest: a cached result is reused only for the same tree and the same definition.
    public var key: String
  }

  /// The branch work lands on; nil: the main worktree's current branch.
  public var target: String?
  /// The sandbox profile sessions get unless hub_spawn names one.
  public var sessionProfile = "workspace-write"
  /// Limits for sessions' commands (memory_mb, pids, timeout_ms), passed to their servers.
  public var sessionLimits: JSONObject = [:]
  /// The profile gates run under.
  public var gateProfile = "test"
  public var gates: [Gate]
  public var batchSize = 4
  public var batchWaitMs = 2000
  /// Gate runs at once (each in its own scratch worktree and sandboxed server).
  public var parallelGates = 2
  /// The most recent events the journal keeps (0: all). A busy hub records thousands of calls a second.
  public var eventsKeep = 1_000_000
  /// Where the configuration came from (a path, or "defaults").
  public var source = "defaults"

  public static let defaultGates: [Gate] = [
    Gate(name: "tests", action: .tool(method: "test/run", params: ["runner": "auto", "retries": 1]), phase: .postMerge, timeoutMs: 1_800_000, key: "default-tests")
  ]

  public init(gates: [Gate] = HubConfig.defaultGates) { self.gates = gates }

  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  static let limitsSchema = Schema.object(
    "Limits of the session's commands (override the profile's).",
    [
      "memory_mb": .optional(Schema.integer(nil, minimum: 16)),
      "pids": .optional(Schema.integer(nil, minimum: 8)),
      "timeout_ms": .optional(Schema.integer(nil, minimum: 100)),
    ])

  static let gateSchema = Schema.object(
    "A quality gate: a session method (tool, with params) or a shell command (exit 0 passes), run sandboxed on a scratch worktree.",
    [
      "name": .required(Schema.string("Unique name, shown in results and rejections.", minLength: 1)),
      "tool": .optional(Schema.string("A session method: test/run, build/run, exec/run, …", minLength: 1)),
      "params": .optional(Schema.map("The method's params.", values: Schema.any())),
      "command": .optional(Schema.string("A shell command run at the worktree's root; exit 0 passes.", minLength: 1)),
      "phase": .optional(Schema.string("When it runs.", enum: Phase.allCases.map(\.rawValue), default: "post-merge")),
      "timeout_ms": .optional(Schema.integer(nil, minimum: 100, default: 600_000)),
    ])

  /// The JSON Schema of `.mish/config.json`.
  public static let schema = Schema.object(
    "mish hub configuration (.mish/config.json).",
    [
      "$schema": .optional(Schema.string()),
      "target": .optional(Schema.string("The branch work lands on (default: the repository's current branch).", minLength: 1)),
      "session": .optional(Schema.object(nil, [
        "profile": .optional(Schema.string("Sandbox profile of sessions' commands.", default: "workspace-write")),
        "limits": .optional(limitsSchema),
      ])),
      "gates": .optional(Schema.array("Quality gates (default: one post-merge test/run, runner auto).", of: gateSchema)),
      "gate_profile": .optional(Schema.string("Sandbox profile gates run under.", default: "test")),
      "queue": .optional(Schema.object(nil, [
        "batch_size": .optional(Schema.integer("Most changes gated and landed together.", minimum: 1, maximum: 64, default: 4)),
        "batch_wait_ms": .optional(Schema.integer("How long a batch waits to fill once one change is queued.", minimum: 0, maximum: 600_000, default: 2000)),
        "parallel_gates": .optional(Schema.integer("Gate runs at once.", minimum: 1, maximum: 16, default: 2)),
      ])),
      "events": .optional(Schema.object(nil, [
        "keep": .optional(Schema.integer("The most recent events the journal keeps; older ones are deleted as new ones arrive (hub_events reports the oldest kept). 0 keeps all.", minimum: 0, default: 1_000_000)),
      ])),
    ])

  /// The configuration of a repository: `<repository>/.mish/config.json`, or the defaults when there is none.
  public static func load(repository: String) throws(Failure) -> HubConfig {
    let path = repository + "/.mish/config.json"
    guard let data = FileManager.default.contents(atPath: path) else { return HubConfig() }
    let value: JSONValue
    do {
      value = try JSONParser.parse(Array(data))
    } catch {
      throw Failure(description: "\(path) is not valid JSON: \(error); fix it (schemas/hub/config.schema.json describes it) or remove it for the defaults")
    }
    var config = try parse(value, source: path)
    config.source = path
    return config
  }

  public static func parse(_ value: JSONValue, source: String = "config") throws(Failure) -> HubConfig {
    if let violation = SchemaValidator.firstViolation(of: value, against: schema) {
      throw Failure(description: "\(source): \(violation.path): \(violation.message); schemas/hub/config.schema.json lists every setting")
    }
    var config = HubConfig()
    config.target = value["target"]?.stringValue
    config.sessionProfile = value["session"]?["profile"]?.stringValue ?? config.sessionProfile
    config.sessionLimits = value["session"]?["limits"]?.objectValue ?? [:]
    config.gateProfile = value["gate_profile"]?.stringValue ?? config.gateProfile
    config.batchSize = value["queue"]?["batch_size"]?.intValue ?? config.batchSize
    config.batchWaitMs = value["queue"]?["batch_wait_ms"]?.intValue ?? config.batchWaitMs
    config.parallelGates = value["queue"]?["parallel_gates"]?.intValue ?? config.parallelGates
    config.eventsKeep = value["events"]?["keep"]?.intValue ?? config.eventsKeep
    if let gates = value["gates"]?.arrayValue {
      config.gates = []
      for (index, gate) in gates.enumerated() {
        let name = gate["name"]?.stringValue ?? ""
        guard !config.gates.contains(where: { $0.name == name }) else {
          throw Failure(description: "\(source): gates[\(index)]: a second gate named \(name); gate names must be unique")
        }
        let action: Gate.Action
        switch (gate["tool"]?.stringValue, gate["command"]?.stringValue) {
        case (let method?, nil): action = .tool(method: method, params: gate["params"]?.objectValue ?? [:])
        case (nil, let command?):
          guard gate["params"] == nil else { throw Failure(description: "\(source): gates[\(index)] (\(name)): params belong to a tool gate; a command gate has only its command") }
          action = .command(command)
        default:
          throw Failure(description: "\(source): gates[\(index)] (\(name)): give exactly one of tool (a session method such as test/run) or command (a shell command)")
        }
        let phase = Phase(rawValue: gate["phase"]?.stringValue ?? "post-merge") ?? .postMerge
        config.gates.append(Gate(name: name, action: action, phase: phase, timeoutMs: gate["timeout_ms"]?.intValue ?? 600_000, key: Hub.digest(gate)))
      }
    }
    return config
  }

  public func gates(_ phase: Phase) -> [Gate] { gates.filter { $0.phase == phase } }
}
