import Glibc
import MishJSON
import Testing

@testable import MishSandbox

/// A probe of a kernel that offers everything, as root, with a hybrid cgroup layout like these machines'.
func fullProbe(uid: UInt32 = 0, forcedOff: Set<Layer> = []) -> KernelProbe {
  KernelProbe(
    uid: uid, gid: uid, landlockABI: 7, seccomp: true, namespacesMissing: nil, capLastCap: 40,
    cgroups: CgroupLayout(
      unified: .init(version: 2, directory: "/sys/fs/cgroup/unified"),
      controllers: [
        "memory": .init(version: 1, directory: "/sys/fs/cgroup/memory"), "pids": .init(version: 1, directory: "/sys/fs/cgroup/pids"),
        "cpu": .init(version: 1, directory: "/sys/fs/cgroup/cpu"),
      ], problem: nil),
    forcedOff: forcedOff)
}

@Suite("Sandbox plans: which layers a profile gets on a kernel, and when it must refuse")
struct SandboxPlanTests {
  @Test(arguments: Profile.builtIn.map(\.name))
  func everyProfileRunsWhenEverythingIsThere(name: String) throws {
    let profile = try #require(Profile.named(name))
    let plan = SandboxPlan.make(profile: profile, probe: fullProbe())
    #expect(plan.refusal == nil)
    for layer in Layer.allCases {
      #expect(plan.enforced(layer) == (profile.requirement(layer) != .off), "\(name) \(layer)")
    }
  }

  /// Every required layer, forced off, makes every confining profile refuse — naming the layer — while `none`
  /// still runs and says the layer is missing.
  @Test(arguments: Layer.confining)
  func missingRequiredLayerRefuses(layer: Layer) throws {
    let probe = fullProbe(forcedOff: [layer])
    for profile in Profile.builtIn {
      let plan = SandboxPlan.make(profile: profile, probe: probe)
      let report = try #require(plan.layers.first { $0.layer == layer })
      #expect(!report.enforced)
      #expect(!report.available)
      #expect(report.reason.contains("MISH_SANDBOX_UNAVAILABLE"))
      if profile.requirement(layer) == .required {
        #expect(plan.refusal?.contains(layer.rawValue) == true, "\(profile.name) must refuse without \(layer)")
      } else {
        #expect(plan.refusal == nil)
      }
    }
  }

  @Test func missingCgroupsDegradeLoudlyButRun() throws {
    var probe = fullProbe(uid: 1000)
    probe.cgroups = CgroupLayout(unified: nil, controllers: [:], problem: "no writable cgroup for memory, pids, cpu")
    let plan = SandboxPlan.make(profile: try #require(Profile.named(Profile.defaultName)), probe: probe)
    #expect(plan.refusal == nil)
    let cgroups = try #require(plan.layers.first { $0.layer == .cgroups })
    #expect(!cgroups.enforced)
    #expect(cgroups.reason.contains("RLIMIT_AS") && cgroups.reason.contains("RLIMIT_NPROC"), "\(cgroups.reason)")
  }

  @Test func failedSeccompBuildRefusesTheDefault() throws {
    let plan = SandboxPlan.make(
      profile: try #require(Profile.named(Profile.defaultName)), probe: fullProbe(), seccompError: "seccomp_init failed")
    #expect(plan.refusal?.contains("seccomp") == true)
    #expect(plan.layers.first { $0.layer == .seccomp }?.reason.contains("seccomp_init failed") == true)
  }

  @Test func reportNamesVersions() {
    let plan = SandboxPlan.make(profile: Profile.named("workspace-write")!, probe: fullProbe(uid: 1000))
    let json = plan.json
    #expect(json["landlock"]?["version"]?.stringValue == "ABI 7")
    #expect(json["cgroups"]?["version"]?.stringValue == "v1+v2")
    #expect(json["namespaces"]?["version"]?.stringValue?.hasPrefix("user, ") == true, "unprivileged: a user namespace")
    #expect(json["seccomp"]?["version"]?.stringValue?.hasPrefix("libseccomp ") == true)
  }
}

@Suite("Landlock rights per ABI")
struct LandlockTests {
  @Test(arguments: [
    (1, UInt64(0x1FF2)), (2, UInt64(0x3FF2)), (3, UInt64(0x7FF2)), (4, UInt64(0x7FF2)), (5, UInt64(0xFFF2)), (7, UInt64(0xFFF2)),
  ])
  func handledWrites(abi: Int, mask: UInt64) {
    #expect(Landlock.handledWrites(abi: abi) == mask)
    // Reads (execute 1<<0, read file 1<<2, read dir 1<<3) are never handled: only writes are confined.
    #expect(Landlock.handledWrites(abi: abi) & 0b1101 == 0)
  }

  @Test func networkAndScopesFollowTheABI() {
    #expect(Landlock.handledNet(abi: 3) == 0)
    #expect(Landlock.handledNet(abi: 4) == 3)
    #expect(Landlock.scoped(abi: 5) == 0)
    #expect(Landlock.scoped(abi: 6) == 3)
  }
}

@Suite("seccomp policy")
struct SeccompPolicyTests {
  @Test func compilesWithLibseccomp() throws {
    let filter = try SeccompPolicy.compile()
    #expect(filter.instructions > 20)
    #expect(filter.bytes.count == filter.instructions * 8)
  }

  @Test func unknownSyscallIsACompileErrorNotASilentGap() {
    #expect(throws: SeccompPolicy.CompileError.self) {
      try SeccompPolicy.compile([.init(syscall: "no_such_syscall", action: .errno(EPERM), when: nil)])
    }
  }

  @Test func coversTheIssuesList() {
    let names = Set(SeccompPolicy.rules.map(\.syscall))
    for name in [
      "ptrace", "process_vm_readv", "process_vm_writev", "io_uring_setup", "userfaultfd", "bpf", "perf_event_open",
      "keyctl", "add_key", "request_key", "mount", "umount2", "pivot_root", "chroot", "setns", "unshare", "clone", "clone3",
      "kexec_load", "init_module", "reboot", "swapon", "acct", "syslog", "open_by_handle_at", "personality", "ioctl", "socket",
    ] {
      #expect(names.contains(name), "\(name) is not in the policy")
    }
    #expect(SeccompPolicy.rules.first { $0.syscall == "clone3" }?.action == .errno(ENOSYS))
    // AF_UNIX (1), socketpair, sendto and recvfrom stay allowed: no rule names them, and socket rules name only
    // AF_PACKET and AF_VSOCK.
    #expect(!names.contains("socketpair") && !names.contains("sendto") && !names.contains("recvfrom"))
    let families = SeccompPolicy.rules.filter { $0.syscall == "socket" }.compactMap { rule -> UInt64? in
      if case .maskedEqual(_, _, let value)? = rule.when { return value }
      return nil
    }
    #expect(Set(families) == [17, 40])
  }

  /// The personality rules refuse exactly what Docker's profile refuses, checked over every single bit and the
  /// values Docker allows, by evaluating the rules as the kernel would (any matching rule denies).
  @Test func personalityAllowsDockersValuesOnly() {
    let rules = SeccompPolicy.personalityRules
    func denied(_ value: UInt64) -> Bool {
      rules.contains { rule in
        switch rule.when {
        case .maskedEqual(0, let mask, let expected)?: return value & mask == expected
        case .greater(0, let limit)?: return value > limit
        default: return false
        }
      }
    }
    for allowed: UInt64 in [0, 8, 0x20000, 0x20008, 0xFFFF_FFFF] { #expect(!denied(allowed), "\(allowed) must be allowed") }
    for bit in 0..<32 where ![3, 17].contains(bit) { #expect(denied(UInt64(1) << UInt64(bit)), "bit \(bit)") }
    #expect(denied(0x0400000), "READ_IMPLIES_EXEC")
    #expect(denied(1 << 40))
  }
}

@Suite("cgroup layouts")
struct CgroupLayoutTests {
  static let hybridMounts = """
    31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
    32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
    35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
    39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
    """
  static let hybridMembership = "8:pids:/\n4:memory:/jobs/a1\n1:cpu:/\n0::/\n"

  @Test func hybridUsesV2ForKillAndV1ForLimits() {
    let layout = CgroupLayout.parse(
      mountinfo: Self.hybridMounts, membership: Self.hybridMembership, uid: 0, isWritable: { _ in true },
      controllersOf: { _ in ["hugetlb"] })
    #expect(layout.unified == .init(version: 2, directory: "/sys/fs/cgroup/unified"))
    #expect(layout.controllers["memory"] == .init(version: 1, directory: "/sys/fs/cgroup/memory/jobs/a1"))
    #expect(layout.controllers["pids"] == .init(version: 1, directory: "/sys/fs/cgroup/pids"))
    #expect(layout.controllers["cpu"]?.version == 1)
    #expect(layout.problem == nil)
  }

  @Test func pureV2WithControllers() {
    let layout = CgroupLayout.parse(
      mountinfo: "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", membership: "0::/user.slice/session-1.scope\n",
      uid: 1000, isWritable: { _ in true }, controllersOf: { _ in ["cpu", "memory", "pids", "io"] })
    let directory = "/sys/fs/cgroup/user.slice/session-1.scope"
    #expect(layout.unified?.directory == directory)
    #expect(CgroupLayout.wanted.allSatisfy { layout.controllers[$0] == .init(version: 2, directory: directory) })
    #expect(layout.problem == nil)
  }

  @Test func nothingDelegatedIsAProblemThatSaysWhy() {
    let layout = CgroupLayout.parse(
      mountinfo: Self.hybridMounts, membership: Self.hybridMembership, uid: 1000, isWritable: { _ in false },
      controllersOf: { _ in [] })
    #expect(layout.unified == nil)
    #expect(layout.controllers.isEmpty)
    #expect(layout.problem?.contains("memory, pids, cpu") == true)
    #expect(layout.problem?.contains("cgroup.kill") == true)
  }

  @Test(arguments: [
    ([String](), false, [CgroupLayout.Fallback.addressSpace, .processes]),
    ([], true, [.addressSpace]),
    (["memory v1"], false, [.processes]),
    (["memory v2", "pids v2", "cpu v2"], false, []),
  ])
  func rlimitFallbacks(applied: [String], isRoot: Bool, expected: [CgroupLayout.Fallback]) {
    #expect(CgroupLayout.rlimitFallbacks(applied: applied, isRoot: isRoot) == expected)
  }
}

@Suite("Built-in profiles")
struct ProfileTests {
  @Test func theFiveProfilesOfTheContract() {
    #expect(Profile.builtIn.map(\.name) == ["read-only", "workspace-write", "workspace-write-net", "test", "none"])
    #expect(Profile.named(Profile.defaultName) != nil)
    #expect(Profile.named("none")!.isUnconfined)
    #expect(Profile.builtIn.filter(\.isUnconfined).map(\.name) == ["none"])
    #expect(!Profile.named("read-only")!.worktreeWritable)
    #expect(Profile.named("workspace-write-net")!.network && !Profile.named("workspace-write")!.network)
    let test = Profile.named("test")!.limits
    let standard = Profile.named("workspace-write")!.limits
    #expect(test.memoryMB > standard.memoryMB && test.pids > standard.pids && test.timeoutMs > standard.timeoutMs)
  }

  @Test func jsonNamesLayersAndLimits() {
    let json = Profile.named("workspace-write")!.json
    #expect(json["layers"]?["seccomp"]?.stringValue == "required")
    #expect(json["layers"]?["cgroups"]?.stringValue == "best_effort")
    #expect(json["limits"]?["memory_mb"]?.intValue == 2048)
    #expect(json["filesystem"]?["worktree"]?.stringValue == "read-write")
  }
}
