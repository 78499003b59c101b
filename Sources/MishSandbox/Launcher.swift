import CSpawn
import Foundation
import Glibc
import Synchronization

/// What to run and how: the caller resolves paths and picks fds; the plan says which layers apply.
public struct LaunchRequest: Sendable {
  public var argv: [String]
  public var environment: [String: String]
  /// Absolute, inside the worktree.
  public var cwd: String
  public var worktree: String
  public var plan: SandboxPlan
  public var stdinFD: Int32
  public var stdoutFD: Int32
  public var stderrFD: Int32
  /// The launcher's init writes the command's wait status here.
  public var statusFD: Int32
  /// A directory to create as `/tmp/<name>` in the command's view (its sandbox's private /tmp), for files the
  /// command writes and the caller reads back (test reports); `Launched.scratchFD` opens it from outside.
  public var scratchName: String?
  public init(
    argv: [String], environment: [String: String], cwd: String, worktree: String, plan: SandboxPlan, stdinFD: Int32,
    stdoutFD: Int32, stderrFD: Int32, statusFD: Int32, scratchName: String? = nil
  ) {
    self.argv = argv
    self.environment = environment
    self.cwd = cwd
    self.worktree = worktree
    self.plan = plan
    self.stdinFD = stdinFD
    self.stdoutFD = stdoutFD
    self.stderrFD = stderrFD
    self.statusFD = statusFD
    self.scratchName = scratchName
  }
}

public struct LaunchError: Error, Sendable {
  /// `sandbox_unavailable`, `not_found`, `denied`, `spawn_failed`.
  public var code: String
  public var message: String
  public var hint: String
}

/// A started command: its init's pid and pidfd (the init is the zygote's child, in its own PID namespace when
/// the profile has namespaces), and the profile's cgroup with its OOM-kill count at the start.
public struct Launched: Sendable {
  public var pid: pid_t
  public var pidfd: Int32
  public var cgroup: ProfileCgroup?
  public var oomKillsBefore: Int
  /// The requested scratch directory, opened from outside the sandbox (the caller closes it); -1 when none.
  public var scratchFD: Int32 = -1
}

/// Starts sandboxed commands through one `mish-sandbox` zygote per profile (see cspawn.h): the namespaces, the
/// mount view and the cgroup are set up once per profile; each command costs a fork of a tiny process. The seccomp
/// filter is compiled once. Zygotes are spawned from one long-lived thread, because PR_SET_PDEATHSIG fires when
/// the spawning *thread* exits.
public final class Launcher: @unchecked Sendable {
  public let probe: KernelProbe
  let filter: Result<SeccompPolicy.Filter, SeccompPolicy.CompileError>
  let thread = SpawnThread()
  /// The helper program, next to the mish executable (or `MISH_SANDBOX_HELPER`).
  let helperPath: String
  let lock = NSLock()
  var zygotes: [String: Zygote] = [:]
  var plans: [String: SandboxPlan] = [:]

  public init(probe: KernelProbe = .current()) {
    self.probe = probe
    filter = Result { () throws(SeccompPolicy.CompileError) in try SeccompPolicy.compile() }
    helperPath = ProcessInfo.processInfo.environment["MISH_SANDBOX_HELPER"] ?? Self.besideExecutable("mish-sandbox")
    probe.cgroups.removeStale()
  }

  static func besideExecutable(_ name: String) -> String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(name).path
  }

  /// The plan for a profile: fixed for the server's life (the probe and the filter are), so made once.
  public func plan(_ profile: Profile) -> SandboxPlan {
    if let cached = lock.withLock({ plans[profile.name] }), cached.profile == profile { return cached }
    var seccompError: String?
    if case .failure(let error) = filter { seccompError = error.description }
    let plan = SandboxPlan.make(profile: profile, probe: probe, seccompError: seccompError)
    lock.withLock { plans[profile.name] = plan }
    return plan
  }

  /// Starts the command through its profile's zygote (started, or restarted, as needed) and waits for its exec.
  public func launch(_ request: LaunchRequest) throws(LaunchError) -> Launched {
    let plan = request.plan
    if let refusal = plan.refusal {
      throw LaunchError(
        code: "sandbox_unavailable", message: refusal,
        hint: "Nothing was run. Use a host where the layer is available, or pass profile \"none\" explicitly to run unconfined.")
    }
    guard let program = request.argv.first, !program.isEmpty else {
      throw LaunchError(code: "invalid_argument", message: "The command is empty", hint: "Pass argv with the program first, or command.")
    }
    let protect = Self.protectedPaths(worktree: request.worktree, writable: plan.profile.worktreeWritable)
    for _ in 0..<2 {
      let zygote = try zygote(plan: plan, worktree: request.worktree, protect: protect)
      // Made in this zygote's /tmp, the one the command will see (a renewed zygote has a new one).
      let scratchFD = try request.scratchName.map { name throws(LaunchError) in try zygote.makeScratchDirectory(name) } ?? -1
      switch zygote.spawn(request) {
      case .success(var launched):
        launched.scratchFD = scratchFD
        return launched
      case .failure(let failure):
        if scratchFD >= 0 { Glibc.close(scratchFD) }
        switch failure {
        case .zygoteGone: retire(zygote)  // dead, or silent past the timeout: never reused
        case .launch(let error): throw error
        }
      }
    }
    throw LaunchError(
      code: "spawn_failed", message: "The sandbox helper for profile \(plan.profile.name) exited unexpectedly, twice",
      hint: "Nothing was run. The server's log (stderr) may say why; session_info shows each layer.")
  }

  /// `.git/config` and `.git/hooks` of a plain repository, kept read-only inside a writable worktree. A missing
  /// hooks directory is created first (as `git init` would), so a command cannot plant one.
  static func protectedPaths(worktree: String, writable: Bool) -> [String] {
    var isDirectory: ObjCBool = false
    guard writable, FileManager.default.fileExists(atPath: worktree + "/.git", isDirectory: &isDirectory), isDirectory.boolValue
    else { return [] }
    mkdir(worktree + "/.git/hooks", 0o755)
    return [worktree + "/.git/config", worktree + "/.git/hooks"]
  }

  /// A linked worktree's git directories (its own under the repository's .git/worktrees, and that .git) when they
  /// lie under /tmp or /run, which the sandbox covers with tmpfs of its own: they are placed back read-only, so git
  /// in the worktree finds its repository there as it does anywhere else (a hub on a repository in /tmp).
  static func coveredGitDirectories(worktree: String) -> [String] {
    guard let link = try? String(contentsOfFile: worktree + "/.git", encoding: .utf8), link.hasPrefix("gitdir: ") else { return [] }
    let named = link.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
    guard let gitDir = realPath(named.hasPrefix("/") ? named : worktree + "/" + named) else { return [] }
    var directories = [gitDir]
    if let common = try? String(contentsOfFile: gitDir + "/commondir", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
      let commonDir = realPath(common.hasPrefix("/") ? common : gitDir + "/" + common)
    {
      directories = gitDir.hasPrefix(commonDir + "/") ? [commonDir] : [commonDir, gitDir]
    }
    let tree = realPath(worktree) ?? worktree
    return directories.filter { path in
      (path.hasPrefix("/tmp/") || path.hasPrefix("/run/")) && path != tree && !path.hasPrefix(tree + "/")
    }
  }

  static func realPath(_ path: String) -> String? {
    guard let resolved = Glibc.realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// The running zygote for the profile, or a new one (also when the protected paths changed since it started,
  /// e.g. after `git init`: a zygote's mount view is fixed).
  func zygote(plan: SandboxPlan, worktree: String, protect: [String]) throws(LaunchError) -> Zygote {
    let name = plan.profile.name
    let current: Zygote? = lock.withLock {
      guard let existing = zygotes[name], existing.protect == protect, existing.worktree == worktree else { return nil }
      return existing
    }
    if let current { return current }
    if let stale = lock.withLock({ zygotes.removeValue(forKey: name) }) { stale.retire() }
    let started = thread.run { [self] in Zygote.start(launcher: self, plan: plan, worktree: worktree, protect: protect) }
    let zygote = try started.get()
    lock.withLock { zygotes[name] = zygote }
    return zygote
  }

  func retire(_ zygote: Zygote) {
    lock.withLock {
      if zygotes[zygote.plan.profile.name] === zygote { zygotes.removeValue(forKey: zygote.plan.profile.name) }
    }
    zygote.retire()
  }

  /// Server shutdown: every zygote (and so every command) killed, cgroups removed.
  public func close() {
    let all = lock.withLock {
      defer { zygotes = [:] }
      return Array(zygotes.values)
    }
    for zygote in all { zygote.kill() }
    probe.cgroups.removeStale(own: true)
  }

  /// The setup message for a profile's zygote.
  func setupMessage(_ plan: SandboxPlan, worktree: String, protect: [String], appliedControllers applied: [String]) -> Records {
    let profile = plan.profile
    var flags: Int32 = 0
    if plan.enforced(.namespaces) {
      flags |= Int32(MISH_SPAWN_NEWNS | MISH_SPAWN_NEWPID | MISH_SPAWN_NEWIPC | MISH_SPAWN_NEWUTS)
      if !probe.isRoot { flags |= Int32(MISH_SPAWN_NEWUSER) }
      if !profile.network { flags |= Int32(MISH_SPAWN_NEWNET) }
    }
    if profile.worktreeWritable { flags |= Int32(MISH_SPAWN_WORKTREE_WRITABLE) }
    if plan.enforced(.capabilities) { flags |= Int32(MISH_SPAWN_DROP_CAPS) }
    if plan.enforced(.noNewPrivs) || plan.enforced(.landlock) || plan.enforced(.seccomp) {
      flags |= Int32(MISH_SPAWN_NO_NEW_PRIVS)
    }
    let limits = profile.limits
    var records = Records()
    records.add(MISH_TAG_FLAGS, UInt64(flags))
    records.add(MISH_TAG_UID, UInt64(probe.uid))
    records.add(MISH_TAG_GID, UInt64(probe.gid))
    records.add(MISH_TAG_TMP_BYTES, UInt64(limits.tmpMB) << 20)
    records.add(MISH_TAG_CAP_LAST_CAP, UInt64(probe.capLastCap))
    var rlimits: [(Int32, UInt64)] = [
      (Int32(RLIMIT_CORE.rawValue), 0), (Int32(RLIMIT_NOFILE.rawValue), UInt64(limits.openFiles)),
      (Int32(RLIMIT_FSIZE.rawValue), UInt64(limits.fileSizeMB) << 20), (Int32(RLIMIT_CPU.rawValue), UInt64(limits.cpuSeconds)),
    ]
    // Without a memory cgroup, address space is the only memory bound left (it breaks some runtimes; reported);
    // without a pids cgroup, RLIMIT_NPROC (counted per uid, so only where the command's uid is not the host's root).
    for fallback in CgroupLayout.rlimitFallbacks(applied: applied, isRoot: probe.isRoot) {
      switch fallback {
      case .addressSpace: rlimits.append((Int32(RLIMIT_AS.rawValue), UInt64(limits.memoryMB) << 20))
      case .processes: rlimits.append((Int32(__RLIMIT_NPROC.rawValue), UInt64(limits.pids)))
      }
    }
    for (resource, value) in rlimits { records.addRlimit(resource, value) }
    records.add(MISH_TAG_WORKTREE, worktree)
    for path in protect { records.add(MISH_TAG_PROTECT, path) }
    for path in Self.coveredGitDirectories(worktree: worktree) { records.add(MISH_TAG_REVEAL, path) }
    if plan.enforced(.landlock) {
      let abi = probe.landlockABI ?? 0
      records.add(MISH_TAG_LANDLOCK_ABI, UInt64(abi))
      records.add(MISH_TAG_LANDLOCK_FS, Landlock.handledWrites(abi: abi))
      records.add(MISH_TAG_LANDLOCK_NET, plan.landlockDeniesTCP ? Landlock.handledNet(abi: abi) : 0)
      records.add(MISH_TAG_LANDLOCK_SCOPED, Landlock.scoped(abi: abi))
      records.add(MISH_TAG_LANDLOCK_DEV_ACCESS, Landlock.deviceAccess)
      for path in (profile.worktreeWritable ? [worktree] : []) + ["/tmp", "/dev/shm"] { records.add(MISH_TAG_LANDLOCK_FULL, path) }
      records.add(MISH_TAG_LANDLOCK_DEV, "/dev")
    }
    if plan.enforced(.seccomp), let bytes = try? filter.get().bytes { records.add(MISH_TAG_BPF, bytes) }
    return records
  }

  static func outcome(stage: Int32, error: Int32, program: String, cwd: String) -> LaunchError {
    let name = String(cString: mish_spawn_stage_name(stage))
    let reason = String(cString: strerror(error))
    switch (stage, error) {
    case (Int32(MISH_STAGE_EXEC.rawValue), ENOENT):
      return LaunchError(
        code: "not_found", message: "\(program): command not found (inside the sandbox)",
        hint: "Check the name and PATH; the sandbox sees the host's programs read-only, and the worktree at its own path.")
    case (Int32(MISH_STAGE_EXEC.rawValue), EACCES):
      return LaunchError(code: "denied", message: "\(program): permission denied (not executable?)", hint: "chmod +x it, or run it through its interpreter.")
    case (Int32(MISH_STAGE_CHDIR.rawValue), _):
      return LaunchError(code: "not_found", message: "cwd \(cwd): \(reason)", hint: "Pass a directory that exists inside the worktree.")
    case (Int32(MISH_STAGE_PROTOCOL.rawValue), E2BIG):
      return LaunchError(
        code: "too_large", message: "The command line and environment are too large to send to the sandbox (200 KB at most)",
        hint: "Write long input to a file (fs_write) and pass its path, or use stdin.")
    default:
      return LaunchError(
        code: "spawn_failed", message: "The sandbox could not be set up: \(name) failed (\(reason))",
        hint: "Nothing was run. session_info shows each layer; a profile with that layer off, or a host that allows it, is needed.")
    }
  }
}

/// Tag-length-value records, as `mish-sandbox` reads them.
struct Records {
  var bytes: [UInt8] = []

  mutating func add(_ tag: mish_tag, _ payload: some Collection<UInt8>) {
    withUnsafeBytes(of: tag.rawValue.littleEndian) { bytes.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt32(payload.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: payload)
  }

  mutating func add(_ tag: mish_tag, _ value: UInt64) {
    withUnsafeBytes(of: value.littleEndian) { add(tag, Array($0)) }
  }

  mutating func add(_ tag: mish_tag, _ string: String) { add(tag, Array(string.utf8) + [0]) }

  mutating func addRlimit(_ resource: Int32, _ value: UInt64) {
    var payload: [UInt8] = []
    withUnsafeBytes(of: resource.littleEndian) { payload.append(contentsOf: $0) }
    withUnsafeBytes(of: value.littleEndian) { payload.append(contentsOf: $0) }
    add(MISH_TAG_RLIMIT, payload)
  }
}

/// One profile's `mish-sandbox` process and the socket to it. Commands are sent one at a time.
final class Zygote: @unchecked Sendable {
  enum SpawnFailure: Error {
    case launch(LaunchError)
    /// The zygote died or stopped answering: start a new one and try again.
    case zygoteGone
  }

  let plan: SandboxPlan
  let worktree: String
  let protect: [String]
  let pid: pid_t
  let socket: Int32
  let cgroup: ProfileCgroup?
  let lock = NSLock()
  var closed = false

  init(plan: SandboxPlan, worktree: String, protect: [String], pid: pid_t, socket: Int32, cgroup: ProfileCgroup?) {
    self.plan = plan
    self.worktree = worktree
    self.protect = protect
    self.pid = pid
    self.socket = socket
    self.cgroup = cgroup
  }

  /// The largest command message (argv and environment): what one socket message carries on any host.
  static let maxMessage = 200_000

  /// Spawns the helper, sends the setup (with the cgroup fds) and waits until its namespaces and mounts are ready.
  static func start(launcher: Launcher, plan: SandboxPlan, worktree: String, protect: [String]) -> Result<Zygote, LaunchError> {
    let helper = launcher.helperPath
    guard access(helper, X_OK) == 0 else {
      return .failure(
        LaunchError(
          code: "sandbox_unavailable", message: "The sandbox helper \(helper) is missing or not executable",
          hint: "Nothing was run. Build or install mish-sandbox next to mish (swift build builds both), or set MISH_SANDBOX_HELPER."))
    }
    let cgroup = plan.enforced(.cgroups) ? ProfileCgroup(layout: launcher.probe.cgroups, name: plan.profile.name, limits: plan.profile.limits) : nil
    var pair: [Int32] = [-1, -1]
    guard mish_seqpacket_pair(&pair) == 0 else {
      return .failure(LaunchError(code: "spawn_failed", message: "socketpair: \(String(cString: strerror(errno)))", hint: "The server is out of file descriptors; end some processes."))
    }
    let pid = CStrings.with(["mish-sandbox", String(getpid())]) { argv in mish_spawn_helper(helper, argv, pair[1]) }
    let spawnError = errno
    Glibc.close(pair[1])
    guard pid > 0 else {
      Glibc.close(pair[0])
      return .failure(LaunchError(code: "spawn_failed", message: "Cannot start \(helper): \(String(cString: strerror(spawnError)))", hint: "Check that the helper is executable."))
    }
    let zygote = Zygote(plan: plan, worktree: worktree, protect: protect, pid: pid, socket: pair[0], cgroup: cgroup)
    let setup = launcher.setupMessage(plan, worktree: worktree, protect: protect, appliedControllers: cgroup?.applied ?? [])
    let fds = cgroup?.procsFDs ?? []
    var reply = mish_reply()
    var extra: Int32 = -1
    let sent = setup.bytes.withUnsafeBytes { bytes in
      fds.withUnsafeBufferPointer { mish_send_message(pair[0], bytes.baseAddress, bytes.count, $0.baseAddress, Int32(fds.count)) }
    }
    let answered = sent == 0 ? mish_receive_reply(pair[0], &reply, &extra, 10_000) : -1
    let failure = errno
    cgroup?.closeProcsFDs()
    if extra >= 0 { Glibc.close(extra) }
    guard sent == 0, answered == 0, reply.stage == Int32(MISH_STAGE_NONE.rawValue) else {
      zygote.kill()
      let stage = answered == 0 ? String(cString: mish_spawn_stage_name(reply.stage)) : "startup"
      let reason = String(cString: strerror(answered == 0 ? reply.error : failure))
      return .failure(
        LaunchError(
          code: "spawn_failed", message: "The sandbox for profile \(plan.profile.name) could not be set up: \(stage) failed (\(reason))",
          hint: "Nothing was run. session_info shows each layer; a profile with that layer off, or a host that allows it, is needed."))
    }
    return .success(zygote)
  }

  func spawn(_ request: LaunchRequest) -> Result<Launched, SpawnFailure> {
    var records = Records()
    records.add(MISH_TAG_FILE, request.argv[0])
    records.add(MISH_TAG_SEARCH_PATH, request.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
    records.add(MISH_TAG_CWD, request.cwd)
    for argument in request.argv { records.add(MISH_TAG_ARG, argument) }
    for (name, value) in request.environment.sorted(by: { $0.key < $1.key }) { records.add(MISH_TAG_ENV, "\(name)=\(value)") }
    guard records.bytes.count <= Self.maxMessage else {
      return .failure(.launch(Launcher.outcome(stage: Int32(MISH_STAGE_PROTOCOL.rawValue), error: E2BIG, program: request.argv[0], cwd: request.cwd)))
    }
    var nullFD: Int32 = -1
    if request.stdinFD < 0 { nullFD = open("/dev/null", O_RDONLY | O_CLOEXEC) }
    defer { if nullFD >= 0 { Glibc.close(nullFD) } }
    let fds = [request.stdinFD >= 0 ? request.stdinFD : nullFD, request.stdoutFD, request.stderrFD, request.statusFD]
    lock.lock()
    defer { lock.unlock() }
    guard !closed else { return .failure(.zygoteGone) }
    let oomBefore = cgroup?.oomKillCount() ?? 0
    let sent = records.bytes.withUnsafeBytes { bytes in
      fds.withUnsafeBufferPointer { mish_send_message(socket, bytes.baseAddress, bytes.count, $0.baseAddress, 4) }
    }
    var reply = mish_reply()
    var pidfd: Int32 = -1
    guard sent == 0 else { return .failure(.zygoteGone) }
    guard mish_receive_reply(socket, &reply, &pidfd, 30_000) == 0 else {
      if errno == EMFILE && reply.pid > 0 {
        // The command started but its pidfd could not be received: stop it rather than lose control of it.
        Glibc.kill(reply.pid, SIGKILL)
        return .failure(
          .launch(LaunchError(code: "io_error", message: "The server is out of file descriptors; the command was stopped", hint: "End some processes (process_kill) or close logs, then retry.")))
      }
      return .failure(.zygoteGone)
    }
    guard reply.stage == Int32(MISH_STAGE_NONE.rawValue), reply.pid > 0 else {
      if pidfd >= 0 { Glibc.close(pidfd) }
      return .failure(.launch(Launcher.outcome(stage: reply.stage, error: reply.error, program: request.argv[0], cwd: request.cwd)))
    }
    return .success(Launched(pid: reply.pid, pidfd: pidfd, cgroup: cgroup, oomKillsBefore: oomBefore))
  }

  /// Creates `/tmp/<name>` as the zygote's commands see it, reached through `/proc/<pid>/root` (the zygote's mount
  /// view), and returns it opened. The fd keeps that /tmp reachable after the zygote is gone.
  func makeScratchDirectory(_ name: String) throws(LaunchError) -> Int32 {
    let tmp = open("/proc/\(pid)/root/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard tmp >= 0 else {
      throw LaunchError(
        code: "io_error", message: "Cannot reach the sandbox's /tmp (profile \(plan.profile.name)): \(String(cString: strerror(errno)))",
        hint: "Nothing was run. The sandbox helper may have exited; retry, and check the server's log (stderr).")
    }
    defer { Glibc.close(tmp) }
    guard mkdirat(tmp, name, 0o700) == 0 else {
      throw LaunchError(
        code: "io_error", message: "Cannot create /tmp/\(name) in the sandbox: \(String(cString: strerror(errno)))",
        hint: "Nothing was run. The profile's /tmp may be full (tmp_mb limit); end commands that fill it.")
    }
    let fd = openat(tmp, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else {
      throw LaunchError(code: "io_error", message: "Cannot open /tmp/\(name) in the sandbox: \(String(cString: strerror(errno)))", hint: "Nothing was run; retry.")
    }
    return fd
  }

  /// No new commands; the zygote exits once its running commands have ended, and is reaped then.
  func retire() {
    let first = lock.withLock {
      guard !closed else { return false }
      closed = true
      Glibc.close(socket)
      return true
    }
    guard first else { return }
    let pid = self.pid
    Thread.detachNewThread {
      var status: Int32 = 0
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
  }

  /// The zygote and everything it started, now.
  func kill() {
    Glibc.kill(pid, SIGKILL)
    cgroup?.killAll()
    retire()
  }
}

/// Runs closures one at a time on one long-lived thread and hands back their results. The thread starts with the
/// first closure (an idle server has none: the hub's session template forks only while it is single-threaded).
final class SpawnThread: Sendable {
  final class Queue: @unchecked Sendable {
    let condition = NSCondition()
    var jobs: [() -> Void] = []
    var started = false
  }
  let queue = Queue()

  /// Called with `queue.condition` held.
  private func startIfNeeded() {
    guard !queue.started else { return }
    queue.started = true
    let thread = Thread { [queue] in
      while true {
        queue.condition.lock()
        while queue.jobs.isEmpty { queue.condition.wait() }
        let job = queue.jobs.removeFirst()
        queue.condition.unlock()
        job()
      }
    }
    thread.name = "mish.spawn"
    thread.start()
  }

  func run<T>(_ body: @escaping () -> T) -> T {
    let done = NSCondition()
    var result: T?
    queue.condition.lock()
    startIfNeeded()
    queue.jobs.append {
      let value = body()
      done.lock()
      result = value
      done.signal()
      done.unlock()
    }
    queue.condition.signal()
    queue.condition.unlock()
    done.lock()
    while result == nil { done.wait() }
    done.unlock()
    return result!
  }
}

/// NULL-terminated C string arrays for the duration of a closure.
enum CStrings {
  static func with<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
    for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
    pointers[strings.count] = nil
    defer {
      for index in 0..<strings.count { free(pointers[index]) }
      pointers.deallocate()
    }
    return body(pointers)
  }
}
