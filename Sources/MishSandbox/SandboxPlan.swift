import MishJSON

/// One layer as a command (or session/info) sees it: asked for how strongly, applied or not, and why.
public struct LayerReport: Sendable, Equatable {
  public var layer: Layer
  public var requirement: Profile.Requirement
  public var available: Bool
  public var enforced: Bool
  public var version: String?
  public var reason: String

  public var json: JSONValue {
    [
      "enforced": .bool(enforced), "available": .bool(available), "version": JSONValue(version),
      "requirement": .string(requirement.rawValue), "reason": .string(reason),
    ]
  }
}

/// Which layers a profile gets on this kernel, decided without side effects; the launcher follows it exactly.
public struct SandboxPlan: Sendable {
  public var profile: Profile
  public var layers: [LayerReport]
  /// Set when a required layer is missing: the command must not run.
  public var refusal: String?
  /// Landlock's network rules stand in for a missing net namespace; with one, loopback must keep working.
  public var landlockDeniesTCP: Bool

  public func enforced(_ layer: Layer) -> Bool { layers.first { $0.layer == layer }?.enforced ?? false }

  public static func make(profile: Profile, probe: KernelProbe, seccompError: String? = nil) -> SandboxPlan {
    var reports: [LayerReport] = []
    var missingRequired: [String] = []
    for layer in Layer.allCases {
      let requirement = profile.requirement(layer)
      var problem = probe.missing(layer)
      if layer == .seccomp, problem == nil, let seccompError { problem = "the filter could not be built: \(seccompError)" }
      let available = problem == nil
      let enforced = available && requirement != .off
      var reason: String
      if requirement == .off {
        reason = "off in profile \(profile.name)" + (available ? "" : "; also unavailable: \(problem!)")
      } else if let problem {
        reason = problem + (requirement == .required ? " — required by profile \(profile.name), so commands are refused" : " — not applied (best effort)")
        if layer == .cgroups {
          let fallbacks = CgroupLayout.rlimitFallbacks(applied: [], isRoot: probe.isRoot).map(\.rawValue)
          reason += "; instead: " + (fallbacks + ["the PID namespace and the process group for killing the tree"]).joined(separator: ", ")
        }
        if requirement == .required { missingRequired.append("\(layer.rawValue) (\(problem))") }
      } else {
        reason = describe(layer, profile: profile, probe: probe)
      }
      reports.append(
        LayerReport(
          layer: layer, requirement: requirement, available: available, enforced: enforced,
          version: version(layer, probe: probe), reason: reason))
    }
    let refusal =
      missingRequired.isEmpty
      ? nil
      : "Profile \(profile.name) requires layers this host cannot apply: \(missingRequired.joined(separator: "; "))."
    let namespaces = reports.first { $0.layer == .namespaces }!.enforced
    let landlock = reports.first { $0.layer == .landlock }!.enforced
    return SandboxPlan(
      profile: profile, layers: reports, refusal: refusal,
      landlockDeniesTCP: !profile.network && !namespaces && landlock && (probe.landlockABI ?? 0) >= 4)
  }

  static func version(_ layer: Layer, probe: KernelProbe) -> String? {
    switch layer {
    case .landlock: return probe.landlockABI.map { "ABI \($0)" }
    case .seccomp: return "libseccomp \(SeccompPolicy.libraryVersion)"
    case .cgroups:
      let places = Array(probe.cgroups.controllers.values) + (probe.cgroups.unified.map { [$0] } ?? [])
      let versions = Set(places.map(\.version)).sorted().map { "v\($0)" }
      return versions.isEmpty ? nil : versions.joined(separator: "+")
    case .namespaces: return probe.isRoot ? "mount, pid, net, ipc, uts" : "user, mount, pid, net, ipc, uts"
    case .capabilities, .noNewPrivs: return nil
    }
  }

  static func describe(_ layer: Layer, profile: Profile, probe: KernelProbe) -> String {
    switch layer {
    case .namespaces:
      return (probe.isRoot ? "" : "a user namespace mapping uid \(probe.uid); ")
        + "mount namespace: everything read-only, the worktree \(profile.worktreeWritable ? "writable except .git/config and .git/hooks" : "read-only"), private /tmp, /run and /dev; PID namespace with a fresh /proc; "
        + (profile.network ? "the host's network" : "a net namespace with loopback only") + "; ipc and uts namespaces"
    case .capabilities: return "every capability dropped (bounding, ambient, effective, permitted, inheritable sets), also for root"
    case .noNewPrivs: return "PR_SET_NO_NEW_PRIVS: setuid binaries and file capabilities give nothing"
    case .landlock:
      let abi = probe.landlockABI ?? 0
      var text = "writes only beneath " + (profile.worktreeWritable ? "the worktree, " : "") + "/tmp and /dev/shm; "
      text += Landlock.features(abi: abi).joined(separator: ", ")
      if abi >= 4 {
        text += profile.network || probe.namespacesMissing == nil
          ? "; TCP left to the net namespace (loopback keeps working)" : "; TCP bind and connect denied"
      }
      return text
    case .seccomp:
      return "deny-list of \(SeccompPolicy.rules.count) rules (ptrace, io_uring, bpf, userfaultfd, keyctl, mounts, namespaces, TIOCSTI, AF_PACKET/AF_VSOCK, personality, ...); clone3 → ENOSYS; other architectures (i386, x32) kill the process"
    case .cgroups:
      return "limits: memory \(profile.limits.memoryMB) MB, \(profile.limits.pids) pids, cpu \(profile.limits.cpuPercent)%; " + probe.cgroups.summary
    }
  }

  public var json: JSONObject {
    var object = JSONObject()
    for report in layers { object[report.layer.rawValue] = report.json }
    return object
  }

  /// The layers applied, for an exec result's compact text.
  public var appliedSummary: String {
    let applied = layers.filter(\.enforced).map(\.layer.rawValue)
    return applied.isEmpty ? "none" : applied.joined(separator: ", ")
  }
}
