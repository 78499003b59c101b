import MishJSON

/// A sandbox profile: which layers confine a command, which of them must be there, and the limits it runs under.
/// The built-in profiles are the files in sandbox/ (a test keeps them equal); a command names one in `profile`.
public struct Profile: Sendable, Equatable {
  /// How much a profile insists on one layer.
  public enum Requirement: String, Sendable, CaseIterable {
    /// Refuse to run the command when the layer cannot be applied (fail closed).
    case required
    /// Apply when the kernel offers it; say so loudly in the report when it does not.
    case bestEffort = "best_effort"
    /// Not applied, by choice of the profile.
    case off
  }

  /// Limits a session sets over every profile's (`mish serve --limits`, from the hub's `session.limits`).
  public struct LimitOverrides: Sendable, Equatable {
    public var memoryMB: Int?
    public var pids: Int?
    public var timeoutMs: Int?
    public init(memoryMB: Int? = nil, pids: Int? = nil, timeoutMs: Int? = nil) {
      self.memoryMB = memoryMB
      self.pids = pids
      self.timeoutMs = timeoutMs
    }

    /// `memory_mb=4096,pids=512,timeout_ms=600000` (any subset); nil when malformed.
    public init?(parsing text: String) {
      for pair in text.split(separator: ",") {
        let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let value = Int(parts[1]), value > 0 else { return nil }
        switch parts[0] {
        case "memory_mb": memoryMB = value
        case "pids": pids = value
        case "timeout_ms": timeoutMs = value
        default: return nil
        }
      }
    }

    /// The argument form `init(parsing:)` reads.
    public var argument: String {
      [("memory_mb", memoryMB), ("pids", pids), ("timeout_ms", timeoutMs)].compactMap { name, value in value.map { "\(name)=\($0)" } }.joined(separator: ",")
    }

    public func applied(to profile: Profile) -> Profile {
      var profile = profile
      if let memoryMB { profile.limits.memoryMB = memoryMB }
      if let pids { profile.limits.pids = pids }
      if let timeoutMs { profile.limits.timeoutMs = timeoutMs }
      return profile
    }
  }

  public struct Limits: Sendable, Equatable {
    public var timeoutMs: Int
    public var memoryMB: Int
    public var pids: Int
    /// CPU bandwidth in percent of one core (200 = two cores).
    public var cpuPercent: Int
    public var cpuSeconds: Int
    public var openFiles: Int
    public var fileSizeMB: Int
    public var tmpMB: Int
  }

  public var name: String
  public var description: String
  public var worktreeWritable: Bool
  public var network: Bool
  /// Requirement per layer name (`Layer.rawValue`).
  public var layers: [Layer: Requirement]
  public var limits: Limits

  public func requirement(_ layer: Layer) -> Requirement { layers[layer] ?? .off }

  public var isUnconfined: Bool { Layer.confining.allSatisfy { requirement($0) == .off } }
}

/// The layers a command can be confined by, in the order the launcher applies them.
public enum Layer: String, Sendable, CaseIterable, Comparable {
  case cgroups
  case namespaces
  case capabilities
  case noNewPrivs = "no_new_privs"
  case landlock
  case seccomp

  /// The layers that confine what a command can reach (cgroups only limit how much it uses).
  public static let confining: [Layer] = [.namespaces, .capabilities, .noNewPrivs, .landlock, .seccomp]

  public static func < (a: Layer, b: Layer) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }
}

extension Profile {
  public static let defaultName = "workspace-write"

  static let standardLimits = Limits(
    timeoutMs: 300_000, memoryMB: 2048, pids: 256, cpuPercent: 100, cpuSeconds: 600, openFiles: 1024,
    fileSizeMB: 1024, tmpMB: 512)

  static let confined: [Layer: Requirement] = [
    .cgroups: .bestEffort, .namespaces: .required, .capabilities: .required, .noNewPrivs: .required,
    .landlock: .required, .seccomp: .required,
  ]

  public static let builtIn: [Profile] = [
    Profile(
      name: "read-only",
      description: "The worktree is read-only, a private /tmp is writable, no network (loopback only).",
      worktreeWritable: false, network: false, layers: confined, limits: standardLimits),
    Profile(
      name: "workspace-write",
      description: "The default: the worktree is writable (except .git/config and .git/hooks), a private /tmp, no network (loopback only).",
      worktreeWritable: true, network: false, layers: confined, limits: standardLimits),
    Profile(
      name: "workspace-write-net",
      description: "As workspace-write, with the host's network.",
      worktreeWritable: true, network: true, layers: confined, limits: standardLimits),
    Profile(
      name: "test",
      description: "As workspace-write, with the larger limits test suites need.",
      worktreeWritable: true, network: false, layers: confined,
      limits: Limits(
        timeoutMs: 1_800_000, memoryMB: 8192, pids: 2048, cpuPercent: 200, cpuSeconds: 3600, openFiles: 8192,
        fileSizeMB: 4096, tmpMB: 2048)),
    Profile(
      name: "none",
      description: "No confinement (explicit, and logged on every use): the host's file system and network. Timeout, cgroup limits and rlimits still apply.",
      worktreeWritable: true, network: true,
      layers: [.cgroups: .bestEffort, .namespaces: .off, .capabilities: .off, .noNewPrivs: .off, .landlock: .off, .seccomp: .off],
      limits: standardLimits),
  ]

  public static func named(_ name: String) -> Profile? { builtIn.first { $0.name == name } }

  /// The default profile (`defaultName`).
  public static var standard: Profile { builtIn.first { $0.name == defaultName } ?? builtIn[0] }

  /// The profile as the file in sandbox/ holds it.
  public var json: JSONValue {
    var layerObject = JSONObject()
    for layer in Layer.allCases { layerObject[layer.rawValue] = .string(requirement(layer).rawValue) }
    return [
      "name": .string(name),
      "description": .string(description),
      "filesystem": ["worktree": worktreeWritable ? "read-write" : "read-only", "tmp": isUnconfined ? "host" : "private"],
      "network": .bool(network),
      "layers": .object(layerObject),
      "limits": limits.json,
    ]
  }
}

extension Profile.Limits {
  public var json: JSONValue {
    [
      "timeout_ms": .int(timeoutMs), "memory_mb": .int(memoryMB), "pids": .int(pids), "cpu_percent": .int(cpuPercent),
      "cpu_seconds": .int(cpuSeconds), "open_files": .int(openFiles), "file_size_mb": .int(fileSizeMB),
      "tmp_mb": .int(tmpMB),
    ]
  }
}
