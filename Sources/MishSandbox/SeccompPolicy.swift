import CSeccomp
import CSpawn
import Glibc

/// The seccomp policy as data: a deny-list on top of "allow", so ordinary programs (compilers, test runners,
/// interpreters) keep working and the calls that open escape routes are refused. Paths are not its business
/// (seccomp cannot see them): mounts and Landlock confine the file system, the net namespace the network.
public enum SeccompPolicy {
  public enum Action: Sendable, Equatable {
    case errno(Int32)
    case killProcess

    var libseccomp: UInt32 {
      switch self {
      case .errno(let code): return 0x0005_0000 | (UInt32(code) & 0xFFFF)
      case .killProcess: return 0x8000_0000
      }
    }
  }

  /// One comparison of one argument; `maskedEqual(mask, value)` is `(arg & mask) == value`.
  public enum Comparison: Sendable, Equatable {
    case maskedEqual(arg: UInt32, mask: UInt64, value: UInt64)
    case greater(arg: UInt32, value: UInt64)
  }

  public struct Rule: Sendable, Equatable {
    /// A name libseccomp 2.5.4 knows, or `#N` for a native syscall number newer than its table.
    public var syscall: String
    public var action: Action
    public var when: Comparison?
  }

  static let namespaceFlags: [UInt64] = [
    0x0002_0000,  // CLONE_NEWNS
    0x0200_0000,  // CLONE_NEWCGROUP
    0x0400_0000,  // CLONE_NEWUTS
    0x0800_0000,  // CLONE_NEWIPC
    0x1000_0000,  // CLONE_NEWUSER
    0x2000_0000,  // CLONE_NEWPID
    0x4000_0000,  // CLONE_NEWNET
  ]
  static let cloneNewTime: UInt64 = 0x80  // unshare only; in clone's flags these bits are the exit signal

  /// The rules, in the order they are added.
  public static let rules: [Rule] = {
    var rules: [Rule] = []
    func deny(_ names: [String], _ code: Int32 = EPERM) {
      for name in names { rules.append(Rule(syscall: name, action: .errno(code), when: nil)) }
    }
    // Reaching into other processes.
    deny(["ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd"])
    // Kernel attack surface an agent's command has no use for.
    deny([
      "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd", "bpf", "perf_event_open", "keyctl",
      "add_key", "request_key", "fanotify_init", "lookup_dcookie",
    ])
    // Mounts and namespaces: a new mount or user namespace could undo the read-only view.
    deny([
      "mount", "umount2", "pivot_root", "chroot", "setns", "open_tree", "move_mount", "fsopen",
      "fsconfig", "fsmount", "fspick", "mount_setattr", "#467",  // open_tree_attr (6.15), newer than libseccomp's table
    ])
    for flag in namespaceFlags + [cloneNewTime] {
      rules.append(Rule(syscall: "unshare", action: .errno(EPERM), when: .maskedEqual(arg: 0, mask: flag, value: flag)))
    }
    for flag in namespaceFlags {
      rules.append(Rule(syscall: "clone", action: .errno(EPERM), when: .maskedEqual(arg: 0, mask: flag, value: flag)))
    }
    // clone3 passes its flags in memory, out of a filter's sight: ENOSYS makes libc fall back to clone.
    deny(["clone3"], ENOSYS)
    // The machine itself.
    deny([
      "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
      "swapoff", "acct", "syslog", "open_by_handle_at", "name_to_handle_at", "iopl", "ioperm", "settimeofday",
      "clock_settime", "clock_adjtime", "adjtimex", "quotactl", "nfsservctl", "vhangup",
    ])
    // Typing into a terminal that is not ours.
    for request: UInt64 in [0x5412 /* TIOCSTI */, 0x541C /* TIOCLINUX */] {
      rules.append(Rule(syscall: "ioctl", action: .errno(EPERM), when: .maskedEqual(arg: 1, mask: 0xFFFF_FFFF, value: request)))
    }
    // Raw packets and VM sockets (AF_PACKET 17, AF_VSOCK 40); AF_UNIX, socketpair, sendto/recvfrom stay.
    for family: UInt64 in [17, 40] {
      rules.append(Rule(syscall: "socket", action: .errno(EAFNOSUPPORT), when: .maskedEqual(arg: 0, mask: 0xFFFF_FFFF, value: family)))
    }
    rules += personalityRules
    return rules
  }()

  /// personality(2) only with Docker's usual values: 0 (PER_LINUX), 8 (PER_LINUX32), 0x20000 (UNAME26),
  /// 0x20008, and 0xffffffff (a query). One comparison per rule is all libseccomp allows, so the complement is
  /// spelt out bit by bit: with bit 0 clear, any bit but 3 and 17 set is refused; with bit 0 set, any other bit
  /// clear is refused (only the query sets them all); and anything above 32 bits.
  static let personalityRules: [Rule] = {
    var rules: [Rule] = [Rule(syscall: "personality", action: .errno(EPERM), when: .greater(arg: 0, value: 0xFFFF_FFFF))]
    for bit in 1..<32 {
      let value = UInt64(1) << UInt64(bit)
      if bit != 3 && bit != 17 {
        rules.append(Rule(syscall: "personality", action: .errno(EPERM), when: .maskedEqual(arg: 0, mask: value | 1, value: value)))
      }
      rules.append(Rule(syscall: "personality", action: .errno(EPERM), when: .maskedEqual(arg: 0, mask: value | 1, value: 1)))
    }
    return rules
  }()

  /// The filter as BPF for the launcher: libseccomp builds it for x86_64 (other architectures — i386 through
  /// int 0x80, x32 — kill the process) and exports the instructions.
  public struct Filter: Sendable {
    public let bytes: [UInt8]
    public var instructions: Int { bytes.count / 8 }
  }

  /// The libseccomp version that builds the filter, e.g. "2.5.4".
  public static let libraryVersion: String = {
    guard let version = seccomp_version() else { return "unknown" }
    return "\(version.pointee.major).\(version.pointee.minor).\(version.pointee.micro)"
  }()

  public struct CompileError: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  public static func compile(_ rules: [Rule] = rules) throws(CompileError) -> Filter {
    guard let context = seccomp_init(0x7FFF_0000 /* SCMP_ACT_ALLOW */) else {
      throw CompileError(description: "seccomp_init failed")
    }
    defer { seccomp_release(context) }
    var rc = seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, Action.killProcess.libseccomp)
    guard rc == 0 else { throw CompileError(description: "seccomp_attr_set(ACT_BADARCH): \(String(cString: strerror(-rc)))") }
    rc = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2)
    // No-new-privs is set by the launcher itself, before Landlock.
    _ = seccomp_attr_set(context, SCMP_FLTATR_CTL_NNP, 0)
    for rule in rules {
      let number: Int32
      if rule.syscall.hasPrefix("#") {
        number = Int32(rule.syscall.dropFirst()) ?? -1
      } else {
        number = seccomp_syscall_resolve_name(rule.syscall)
      }
      guard number >= 0 else { throw CompileError(description: "libseccomp does not know the syscall \(rule.syscall)") }
      var comparisons: [scmp_arg_cmp] = []
      switch rule.when {
      case .maskedEqual(let arg, let mask, let value)?:
        comparisons.append(scmp_arg_cmp(arg: arg, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: value))
      case .greater(let arg, let value)?:
        comparisons.append(scmp_arg_cmp(arg: arg, op: SCMP_CMP_GT, datum_a: value, datum_b: 0))
      case nil:
        break
      }
      rc = seccomp_rule_add_exact_array(context, rule.action.libseccomp, number, UInt32(comparisons.count), comparisons)
      guard rc == 0 else {
        throw CompileError(description: "seccomp rule for \(rule.syscall) refused: \(String(cString: strerror(-rc)))")
      }
    }
    let fd = mish_memfd("mish-seccomp")
    guard fd >= 0 else { throw CompileError(description: "memfd_create: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    rc = seccomp_export_bpf(context, fd)
    guard rc == 0 else { throw CompileError(description: "seccomp_export_bpf: \(String(cString: strerror(-rc)))") }
    let size = Int(lseek(fd, 0, SEEK_END))
    var bytes = [UInt8](repeating: 0, count: max(0, size))
    let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, 0) }
    guard read == size, size % 8 == 0, size > 0 else { throw CompileError(description: "seccomp_export_bpf wrote \(size) bytes") }
    return Filter(bytes: bytes)
  }
}
