/// Landlock access rights, and which of them each ABI knows. Landlock is used for writes only (reads cannot be
/// confined usefully on Linux): the handled set is every write-like right the kernel's ABI has, and the rules
/// grant them back beneath the worktree (when writable), the private /tmp and /dev/shm; device files get write,
/// truncate and ioctl.
public enum Landlock {
  public static let writeFile: UInt64 = 1 << 1
  public static let removeDir: UInt64 = 1 << 4
  public static let removeFile: UInt64 = 1 << 5
  public static let makeChar: UInt64 = 1 << 6
  public static let makeDir: UInt64 = 1 << 7
  public static let makeReg: UInt64 = 1 << 8
  public static let makeSock: UInt64 = 1 << 9
  public static let makeFifo: UInt64 = 1 << 10
  public static let makeBlock: UInt64 = 1 << 11
  public static let makeSym: UInt64 = 1 << 12
  public static let refer: UInt64 = 1 << 13  // ABI 2
  public static let truncate: UInt64 = 1 << 14  // ABI 3
  public static let ioctlDev: UInt64 = 1 << 15  // ABI 5

  public static let bindTCP: UInt64 = 1 << 0  // ABI 4, handled_access_net
  public static let connectTCP: UInt64 = 1 << 1

  public static let scopeAbstractUnix: UInt64 = 1 << 0  // ABI 6
  public static let scopeSignal: UInt64 = 1 << 1

  /// Every write-like file-system right the ABI knows.
  public static func handledWrites(abi: Int) -> UInt64 {
    var mask = writeFile | removeDir | removeFile | makeChar | makeDir | makeReg | makeSock | makeFifo | makeBlock | makeSym
    if abi >= 2 { mask |= refer }
    if abi >= 3 { mask |= truncate }
    if abi >= 5 { mask |= ioctlDev }
    return mask
  }

  /// What device files under /dev may do (the rest of /dev is a read-only tmpfs anyway).
  public static let deviceAccess: UInt64 = writeFile | truncate | ioctlDev

  /// TCP rights to deny; used only when the network is off and there is no network namespace to cut it.
  public static func handledNet(abi: Int) -> UInt64 { abi >= 4 ? bindTCP | connectTCP : 0 }

  /// Abstract unix sockets and signals stay inside the sandbox's own domain.
  public static func scoped(abi: Int) -> UInt64 { abi >= 6 ? scopeAbstractUnix | scopeSignal : 0 }

  /// What the ABI gives, for the report.
  public static func features(abi: Int) -> [String] {
    var features = ["fs writes"]
    if abi >= 2 { features.append("refer") }
    if abi >= 3 { features.append("truncate") }
    if abi >= 4 { features.append("tcp bind/connect") }
    if abi >= 5 { features.append("device ioctl") }
    if abi >= 6 { features.append("abstract-unix and signal scoping") }
    return features
  }
}
