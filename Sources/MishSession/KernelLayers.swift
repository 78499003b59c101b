import CMishSys
import Glibc
import MishJSON

/// What confines this session, layer by layer, probed from the running kernel each time it is asked. The file
/// tools are confined by openat2 today; the process layers (seccomp, Landlock, namespaces, cgroups) confine the
/// children of command execution, which this build does not offer yet — so they are reported as not enforced, with
/// what the kernel would allow.
enum KernelLayers {
  static func probe() -> JSONObject {
    var layers = JSONObject()
    layers["paths"] = layer(
      enforced: true, available: true, version: "openat2",
      reason: "Every file path is resolved by the kernel beneath the root fd (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); writes refuse .git and hard-linked files.")
    let noExec = "this build runs no commands (exec/run is not offered), so there is no child process to confine"
    let landlockABI = landlockVersion()
    layers["landlock"] = layer(
      enforced: false, available: landlockABI != nil, version: landlockABI.map { "ABI \($0)" },
      reason: noExec + (landlockABI.map { "; the kernel offers Landlock ABI \($0)" } ?? "; the kernel has no Landlock"))
    let seccomp = mish_seccomp_available() == 1
    layers["seccomp"] = layer(
      enforced: false, available: seccomp, version: nil,
      reason: noExec + (seccomp ? "; the kernel offers seccomp filters" : "; the kernel has no seccomp"))
    let userNamespaces = access("/proc/self/ns/user", F_OK) == 0
    layers["namespaces"] = layer(
      enforced: false, available: userNamespaces, version: nil,
      reason: noExec + (userNamespaces ? "; the kernel offers namespaces" : "; the kernel has no user namespaces"))
    let cgroup2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
    layers["cgroups"] = layer(
      enforced: false, available: cgroup2 || access("/sys/fs/cgroup/memory", F_OK) == 0, version: cgroup2 ? "v2" : "v1",
      reason: noExec)
    return layers
  }

  static func layer(enforced: Bool, available: Bool, version: String?, reason: String) -> JSONValue {
    ["enforced": .bool(enforced), "available": .bool(available), "version": JSONValue(version), "reason": .string(reason)]
  }

  /// landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) returns the ABI version.
  static func landlockVersion() -> Int? {
    let version = mish_landlock_abi()
    return version > 0 ? Int(version) : nil
  }
}
