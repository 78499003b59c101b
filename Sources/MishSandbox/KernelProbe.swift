import CSpawn
import Foundation
import Glibc

/// What this kernel and this process can do, read once per server: Landlock ABI, seccomp, namespaces (as root,
/// or through a user namespace), the cgroup layout. `MISH_SANDBOX_UNAVAILABLE=landlock,seccomp,...` makes layers
/// look absent, so the degraded paths (refusal for the default profile, the changed report) can be tested on a
/// kernel that has everything.
public struct KernelProbe: Sendable {
  public var uid: UInt32
  public var gid: UInt32
  public var landlockABI: Int?
  public var seccomp: Bool
  /// Why namespaces are unavailable, or nil when they are.
  public var namespacesMissing: String?
  public var capLastCap: Int
  public var cgroups: CgroupLayout
  /// Layers forced off by MISH_SANDBOX_UNAVAILABLE.
  public var forcedOff: Set<Layer>

  public var isRoot: Bool { uid == 0 }

  public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> KernelProbe {
    let forced = Set((environment["MISH_SANDBOX_UNAVAILABLE"] ?? "").split(separator: ",").compactMap {
      Layer(rawValue: $0.trimmingCharacters(in: .whitespaces))
    })
    let abi = Int(mish_landlock_abi_version())
    var probe = KernelProbe(
      uid: getuid(), gid: getgid(), landlockABI: abi > 0 ? abi : nil,
      seccomp: mish_seccomp_supported() == 1,
      namespacesMissing: nil, capLastCap: Int(mish_cap_last_cap()), cgroups: CgroupLayout.detect(), forcedOff: forced)
    probe.namespacesMissing = Self.namespaceProblem(isRoot: probe.isRoot)
    return probe
  }

  static func namespaceProblem(isRoot: Bool) -> String? {
    guard access("/proc/self/ns/mnt", F_OK) == 0, access("/proc/self/ns/pid", F_OK) == 0 else {
      return "the kernel has no mount or PID namespaces"
    }
    if isRoot { return nil }
    if let text = try? String(contentsOfFile: "/proc/sys/user/max_user_namespaces", encoding: .utf8),
      Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) == 0
    {
      return "user namespaces are disabled (user.max_user_namespaces = 0), and mish is not running as root"
    }
    if let text = try? String(contentsOfFile: "/proc/sys/kernel/unprivileged_userns_clone", encoding: .utf8),
      text.trimmingCharacters(in: .whitespacesAndNewlines) == "0"
    {
      return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0), and mish is not running as root"
    }
    return nil
  }

  /// nil when the layer can be applied here, else why not.
  public func missing(_ layer: Layer) -> String? {
    if forcedOff.contains(layer) { return "forced unavailable by MISH_SANDBOX_UNAVAILABLE" }
    switch layer {
    case .landlock: return landlockABI == nil ? "the kernel has no Landlock (landlock_create_ruleset failed)" : nil
    case .seccomp: return seccomp ? nil : "the kernel has no seccomp filters"
    case .namespaces: return namespacesMissing
    case .capabilities, .noNewPrivs: return nil
    case .cgroups: return cgroups.problem
    }
  }
}
