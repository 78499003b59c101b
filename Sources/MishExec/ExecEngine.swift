import CSpawn
import Foundation
import Glibc
import MishFiles
import MishJSON
import MishRPC
import MishSandbox
import Synchronization

/// The session's commands: starts them through the sandbox launcher and supervises them from one epoll thread
/// (pipes, exit, timeouts, waiters), so no call ever blocks the cooperative pool or a worker on a child.
public final class ExecEngine: @unchecked Sendable {
  public let workspace: Workspace
  public let launcher: Launcher
  /// The profile exec/run uses when a call names none (`mish serve --profile`; a hub session's profile).
  public let defaultProfile: Profile
  /// Limits set over every profile's for this session (`mish serve --limits`).
  public let limitOverrides: Profile.LimitOverrides
  let requestedStateDirectory: String?
  let log: @Sendable (String) -> Void
  let epollFD: Int32
  let wakeFD: Int32
  let lock = NSLock()
  let startQueue = DispatchQueue(label: "mish.exec.start")
  /// Made on first use (a server that runs no command leaves nothing behind): logs live in `<it>/logs`.
  var madeStateDirectory: String?
  var removeStateDirectoryOnClose = false
  var processes: [String: ManagedProcess] = [:]
  var order: [String] = []
  /// The processes not yet finished: the loop's timers look only at these.
  var live: [ManagedProcess] = []
  var nextNumber = 1
  /// fd → (process, what it is).
  var registrations: [Int32: (ManagedProcess, Source)] = [:]

  enum Source { case stdout, stderr, status, pidfd }

  /// Output kept in memory per stream for the result (head + tail); the rest is in the log files.
  public static let defaultCaptureBytes = 32 * 1024
  public static let maxCaptureBytes = 1 << 20
  /// Each log file stops growing here (the result says `log_truncated`).
  public static let spillLimit = 256 << 20
  /// How long pipes may stay open after the command's init exited (a process outside the PID namespace).
  static let drainTime: Duration = .seconds(2)

  /// `stateDirectory` nil: a private directory under $TMPDIR, removed when the server closes.
  public init(
    workspace: Workspace, launcher: Launcher, stateDirectory: String?, defaultProfile: Profile = Profile.standard,
    limitOverrides: Profile.LimitOverrides = .init(), log: @escaping @Sendable (String) -> Void
  ) {
    self.workspace = workspace
    self.defaultProfile = limitOverrides.applied(to: defaultProfile)
    self.limitOverrides = limitOverrides
    self.launcher = launcher
    self.requestedStateDirectory = stateDirectory
    self.log = log
    epollFD = mish_epoll_create()
    wakeFD = mish_eventfd()
    _ = mish_epoll_add(epollFD, wakeFD)
  }

  /// The state directory, made (with the supervising thread started) on the first command.
  func stateDirectory() throws(ToolError) -> String {
    lock.lock()
    defer { lock.unlock() }
    if let madeStateDirectory { return madeStateDirectory }
    var directory: String
    if let requestedStateDirectory {
      directory = requestedStateDirectory
      if mkdir(directory, 0o700) != 0 && errno != EEXIST {
        throw ToolError(.io, "Cannot create the state directory \(directory): \(String(cString: strerror(errno)))", hint: "Pass a writable --state-dir.")
      }
    } else {
      let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
      var template = Array("\(base)/mish-session-XXXXXX".utf8CString)
      guard let made = mkdtemp(&template) else {
        throw ToolError(.io, "Cannot create a state directory in \(base): \(String(cString: strerror(errno)))", hint: "Set TMPDIR to a writable directory, or pass --state-dir.")
      }
      directory = String(cString: made)
      removeStateDirectoryOnClose = true
    }
    mkdir(directory + "/logs", 0o700)
    madeStateDirectory = directory
    let thread = Thread { [self] in loop() }
    thread.name = "mish.exec"
    thread.start()
    return directory
  }

  // MARK: - Starting

  public struct StartRequest: Sendable {
    public var argv: [String]
    public var commandText: String
    public var cwd: String
    public var environment: [String: String]
    public var stdin: String?
    public var keepStdinOpen: Bool
    public var timeoutMs: Int?
    public var profile: Profile
    public var captureBytes: Int
    /// Output lines as progress (bytes so far, lines) while the starting request waits, when it asked for progress.
    public var progress: (@Sendable (Int, String) -> Void)?
    /// A directory to make as `/tmp/<name>` in the command's view (see `LaunchRequest.scratchName`).
    public var scratchName: String? = nil
  }

  func start(_ request: StartRequest) throws(ToolError) -> ManagedProcess {
    let plan = launcher.plan(request.profile)
    if request.profile.isUnconfined {
      log("running \(request.commandText) with profile none: no sandbox (host file system and network)")
    }
    let number: Int = lock.withLock {
      defer { nextNumber += 1 }
      return nextNumber
    }
    let id = "p\(number)"
    let base = try stateDirectory() + "/logs/" + id
    let logs = LogPaths(stdout: base + ".stdout", stderr: base + ".stderr", combined: base + ".log")
    var pipes: [[Int32]] = []
    for nonblockingReadEnd in [false, true, true, true] {  // stdin, stdout, stderr, status
      var fds: [Int32] = [-1, -1]
      guard mish_pipe(&fds, 0) == 0 else {
        pipes.flatMap { $0 }.forEach { Glibc.close($0) }
        throw ToolError(.io, "pipe: \(String(cString: strerror(errno)))", hint: "The server is out of file descriptors; end some processes.")
      }
      // Our end is nonblocking: the loop's read ends, and stdin's write end, which writeStdin waits on with poll.
      let ours = nonblockingReadEnd ? fds[0] : fds[1]
      _ = fcntl(ours, F_SETFL, fcntl(ours, F_GETFL) | O_NONBLOCK)
      pipes.append(fds)
    }
    let wantsStdin = request.stdin != nil || request.keepStdinOpen
    let launched: Launched
    do {
      launched = try launcher.launch(
        LaunchRequest(
          argv: request.argv, environment: request.environment, cwd: request.cwd, worktree: workspace.rootPath,
          plan: plan, stdinFD: wantsStdin ? pipes[0][0] : -1, stdoutFD: pipes[1][1], stderrFD: pipes[2][1],
          statusFD: pipes[3][1], scratchName: request.scratchName))
    } catch {
      pipes.flatMap { $0 }.forEach { Glibc.close($0) }
      throw ToolError(ToolError.Code(rawValue: error.code), error.message, hint: error.hint, details: ["sandbox": .object(plan.json)])
    }
    // The child has its copies; keep only our ends.
    for fd in [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]] { Glibc.close(fd) }
    var stdinFD: Int32 = pipes[0][1]
    if !wantsStdin {
      Glibc.close(stdinFD)
      stdinFD = -1
    }
    let process = ManagedProcess(
      id: id, argv: request.argv, commandText: request.commandText, cwd: request.cwd, plan: plan, launched: launched,
      timeoutMs: request.timeoutMs ?? request.profile.limits.timeoutMs, logs: logs,
      spilled: SpillFiles(paths: logs, limit: Self.spillLimit),
      captureBytes: request.captureBytes, stdinFD: stdinFD)
    if let send = request.progress { process.progress = .init(send: send) }
    if let stdin = request.stdin, stdinFD >= 0 {
      // Small inputs go at once; a large one is written by a worker so the pipe's back-pressure blocks nobody.
      let bytes = Array(stdin.utf8)
      let keepOpen = request.keepStdinOpen
      DispatchQueue.global().async { [self] in
        _ = writeStdin(process, bytes, close: !keepOpen)
      }
    }
    lock.withLock {
      processes[id] = process
      order.append(id)
      live.append(process)
      register(pipes[1][0], process, .stdout)
      register(pipes[2][0], process, .stderr)
      register(pipes[3][0], process, .status)
      if launched.pidfd >= 0 { register(launched.pidfd, process, .pidfd) }
    }
    wake()
    return process
  }

  /// `start` on the engine's own queue: launching waits for the sandbox helper (about a millisecond, longer for a
  /// profile's first command), which must not hold one of the cooperative pool's threads.
  func startOffPool(_ request: StartRequest) async throws(ToolError) -> ManagedProcess {
    let outcome: Result<ManagedProcess, ToolError> = await withCheckedContinuation { continuation in
      startQueue.async { [self] in
        continuation.resume(returning: Result { () throws(ToolError) in try start(request) })
      }
    }
    return try outcome.get()
  }

  /// Runs heavy work (reading and parsing reports and logs) on a global queue, off the cooperative pool.
  static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in DispatchQueue.global().async { continuation.resume(returning: body()) } }
  }

  func register(_ fd: Int32, _ process: ManagedProcess, _ source: Source) {
    registrations[fd] = (process, source)
    _ = mish_epoll_add(epollFD, fd)
  }

  func wake() {
    var one: UInt64 = 1
    _ = write(wakeFD, &one, 8)
  }

  // MARK: - Looking up, waiting, killing

  func process(_ id: String) throws(ToolError) -> ManagedProcess {
    guard let process = lock.withLock({ processes[id] }) else {
      throw ToolError(
        .notFound, "No process or log \(id) in this session",
        hint: "Use a process_id/log_id from exec_run; process_list shows them all.")
    }
    return process
  }

  var allProcesses: [ManagedProcess] { lock.withLock { order.compactMap { processes[$0] } } }

  /// The unfinished processes, dropping the finished ones from the list.
  func liveProcesses() -> [ManagedProcess] {
    lock.withLock {
      live.removeAll { process in process.lock.withLock { process.isFinished } }
      return live
    }
  }

  /// Waits until the process ends, its log grows beyond `outputBeyond`, or `deadline`, whichever is first.
  func wait(_ process: ManagedProcess, until deadline: ContinuousClock.Instant, outputBeyond: Int? = nil) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let once = Atomic(false)
      let resume: @Sendable () -> Void = {
        if !once.exchange(true, ordering: .acquiringAndReleasing) { continuation.resume() }
      }
      process.lock.lock()
      let ready = process.isFinished || outputBeyond.map { process.combinedBytes > $0 } == true
      if !ready { process.waiters.append(.init(deadline: deadline, outputBeyond: outputBeyond, resume: resume)) }
      process.lock.unlock()
      if ready { resume() } else { wake() }
    }
  }

  /// Kills the command's whole tree: its init is PID 1 of the command's namespace, and when it dies the kernel
  /// kills everything in it. Without a PID namespace (profile none) the init's death takes only the command with
  /// it, so the command's process group (background jobs, pipelines) is killed first; what left the group
  /// (setsid, daemons) is beyond reach.
  func killTree(_ process: ManagedProcess, reason: String) {
    process.lock.withLock {
      guard !process.isFinished else { return }
      if process.killedBy == nil { process.killedBy = reason }
      if !process.plan.enforced(.namespaces) { killCommandGroupLocked(process) }
      signalLocked(process, SIGKILL)
    }
  }

  /// SIGKILL to the process group of each child of the init (the command leads its own group). The children are
  /// read while the init's pidfd says it is still alive, so its pid (and its children's) cannot have been reused.
  func killCommandGroupLocked(_ process: ManagedProcess) {
    let initPID = process.launched.pid
    guard !process.initExited, process.launched.pidfd >= 0, initPID > 0 else { return }
    guard let text = try? String(contentsOfFile: "/proc/\(initPID)/task/\(initPID)/children", encoding: .utf8) else { return }
    let children = Self.pids(text)
    guard !children.isEmpty, mish_pidfd_signal(process.launched.pidfd, 0) == 0 else { return }
    for child in children { _ = Glibc.kill(-child, SIGKILL) }
  }

  /// The pids in a /proc `children` list ("12 34 ").
  static func pids(_ list: String) -> [pid_t] {
    list.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t($0) }.filter { $0 > 1 }
  }

  /// Sends a signal to the command (the init forwards it to the command's process group).
  func signal(_ process: ManagedProcess, _ number: Int32) {
    if number == SIGKILL { return killTree(process, reason: "SIGKILL") }
    process.lock.withLock { signalLocked(process, number) }
  }

  /// Signals the init through its pidfd, which stays open until `initExited` is set (under the same lock).
  func signalLocked(_ process: ManagedProcess, _ number: Int32) {
    guard !process.initExited, process.launched.pidfd >= 0 else { return }
    _ = mish_pidfd_signal(process.launched.pidfd, number)
  }

  /// Writes `bytes` to the command's stdin, waiting for it to read them for at most `waitLimit` (nil: as long as it
  /// takes); when that is over, the bytes not yet taken are not written, stdin stays open, and the error says how
  /// many were.
  func writeStdin(_ process: ManagedProcess, _ bytes: [UInt8], close closeAfter: Bool, waitLimit: Duration? = nil) -> Result<Int, ToolError> {
    // A private copy, so a settle closing stdin meanwhile cannot make these bytes go to a reused fd number.
    let fd = process.lock.withLock { process.stdinFD >= 0 ? fcntl(process.stdinFD, F_DUPFD_CLOEXEC, 3) : -1 }
    defer { if fd >= 0 { Glibc.close(fd) } }
    guard fd >= 0 else {
      return .failure(
        ToolError(
          .invalidArgument, "Process \(process.id) has no open stdin",
          hint: "Start it with keep_stdin_open: true (or stdin) to write to it later; it may also have been closed already."))
    }
    let deadline = waitLimit.map { ContinuousClock.now + $0 }
    var written = 0
    var failure: Int32 = 0
    var outOfTime = false
    bytes.withUnsafeBytes { buffer in
      while written < buffer.count {
        let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
        if n >= 0 {
          written += n
          continue
        }
        if errno == EINTR { continue }
        guard errno == EAGAIN else {
          failure = errno
          break
        }
        // The pipe is full: wait until the command reads some, or the time is over.
        var waitMs: Int32 = -1
        if let deadline {
          let left = deadline - ContinuousClock.now
          guard left > .zero else {
            outOfTime = true
            break
          }
          waitMs = Int32(min(60_000, left / .milliseconds(1) + 1))
        }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&pfd, 1, waitMs)
      }
    }
    if outOfTime {
      let waited = waitLimit.map { $0 / .milliseconds(1) } ?? 0
      return .failure(
        ToolError(
          .timeout, "Process \(process.id) took \(written) of \(bytes.count) bytes of input in \(Int(waited)) ms: it is not reading its stdin",
          hint: "The other \(bytes.count - written) bytes were not written and stdin stays open: process_read shows what it is doing; write the rest later (from byte \(written)), with a longer wait_ms, or process_kill it.",
          details: ["bytes": .int(written), "stdin_open": .bool(true)]))
    }
    if closeAfter || failure != 0 {
      process.lock.withLock {
        if process.stdinFD >= 0 {
          Glibc.close(process.stdinFD)
          process.stdinFD = -1
        }
      }
    }
    if failure == EPIPE {
      return .failure(ToolError(.invalidArgument, "Process \(process.id) closed its stdin (EPIPE after \(written) bytes)", hint: "It no longer reads input; process_read shows whether it is still running."))
    }
    return .success(written)
  }

  /// Ends every command and removes the private state directory (server shutdown).
  public func close() {
    let running = allProcesses.filter { process in process.lock.withLock { !process.isFinished } }
    for process in running { killTree(process, reason: "server shutdown") }
    for process in running {
      for _ in 0..<200 where process.lock.withLock({ !process.isFinished }) { usleep(5000) }
    }
    launcher.close()
    let directory = lock.withLock { removeStateDirectoryOnClose ? madeStateDirectory : nil }
    if let directory { try? FileManager.default.removeItem(atPath: directory) }
  }

  // MARK: - The loop

  func loop() {
    var ready = [Int32](repeating: -1, count: 64)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    while true {
      let timeout = nextTimeoutMs()
      let count = mish_epoll_wait(epollFD, &ready, Int32(ready.count), timeout)
      if count < 0 && errno != EINTR { log("epoll_wait: \(String(cString: strerror(errno)))") }
      for index in 0..<max(0, Int(count)) {
        let fd = ready[index]
        if fd == wakeFD {
          var value: UInt64 = 0
          _ = read(wakeFD, &value, 8)
          continue
        }
        guard let (process, source) = lock.withLock({ registrations[fd] }) else { continue }
        handle(fd, process, source, buffer)
      }
      checkTimers()
    }
  }

  func handle(_ fd: Int32, _ process: ManagedProcess, _ source: Source, _ buffer: UnsafeMutableRawBufferPointer) {
    switch source {
    case .stdout, .stderr:
      // Up to 1 MiB per wake-up and stream, so one flood cannot starve the others.
      var budget = 16
      while budget > 0 {
        budget -= 1
        let n = read(fd, buffer.baseAddress, buffer.count)
        if n > 0 {
          append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), process, stream: source == .stdout ? 0 : 1)
          continue
        }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        unregister(fd)
        process.lock.lock()
        process.openStreams -= 1
        process.lock.unlock()
        settle(process)
        return
      }
    case .status:
      collectStatus(fd, process)
    case .pidfd:
      // The init is the zygote's child, reaped there: a readable pidfd is the news that it ended. It wrote the
      // command's status before exiting, so that is in the pipe now, even if epoll has not said so yet.
      if let statusFD = lock.withLock({ registrations.first { $0.value.0 === process && $0.value.1 == .status }?.key }) {
        collectStatus(statusFD, process)
      }
      process.lock.lock()
      process.initExited = true
      if process.waitStatus == nil {
        // The init never reported: it was killed itself (timeout, kill, OOM), and the command with it.
        process.waitStatus = SIGKILL
      }
      process.drainDeadline = ContinuousClock.now + Self.drainTime
      process.lock.unlock()
      unregister(fd)
      settle(process)
    }
  }

  /// Reads the command's wait status from the init's status pipe, once it is there.
  func collectStatus(_ fd: Int32, _ process: ManagedProcess) {
    var word: Int32 = 0
    let n = read(fd, &word, 4)
    if n == 4 { process.lock.withLock { process.waitStatus = word } }
    if n == 4 || n == 0 || (n < 0 && errno != EAGAIN) { unregister(fd) }
  }

  func append(_ bytes: UnsafeRawBufferPointer, _ process: ManagedProcess, stream: Int) {
    process.lock.lock()
    if stream == 0 { process.stdout.append(bytes) } else { process.stderr.append(bytes) }
    process.combinedBytes += bytes.count
    process.spilled.append(bytes, stream: stream)
    var ready: [@Sendable () -> Void] = []
    process.waiters.removeAll { waiter in
      guard let beyond = waiter.outputBeyond, process.combinedBytes > beyond else { return false }
      ready.append(waiter.resume)
      return true
    }
    process.progress?.add(bytes)
    let progress = takeProgressLocked(process, now: .now)
    process.lock.unlock()
    ready.forEach { $0() }
    progress?()
  }

  /// The progress notification now due for `process`, as a closure to call once its lock is released.
  func takeProgressLocked(_ process: ManagedProcess, now: ContinuousClock.Instant, force: Bool = false) -> (() -> Void)? {
    guard let send = process.progress?.send, let lines = process.progress?.takeLines(now: now, force: force) else { return nil }
    let total = process.combinedBytes
    return { send(total, lines) }
  }

  func unregister(_ fd: Int32) {
    lock.withLock { _ = registrations.removeValue(forKey: fd) }
    _ = mish_epoll_del(epollFD, fd)
    Glibc.close(fd)
  }

  /// Marks the process finished once its init is reaped and its pipes are closed (or the drain time is over).
  func settle(_ process: ManagedProcess, force: Bool = false) {
    process.lock.lock()
    guard !process.isFinished, process.initExited, process.openStreams == 0 || force else {
      process.lock.unlock()
      return
    }
    process.finishedAt = ContinuousClock.now
    process.oomKilled = (process.launched.cgroup?.oomKillCount() ?? 0) > process.launched.oomKillsBefore
    process.spilled.close()
    if process.stdinFD >= 0 {
      Glibc.close(process.stdinFD)
      process.stdinFD = -1
    }
    let waiters = process.waiters
    process.waiters = []
    let progress = takeProgressLocked(process, now: .now, force: true)
    process.progress = nil
    process.lock.unlock()
    progress?()
    if force {
      // Pipes still open after the drain time: their holders are gone from our reach; stop reading them.
      let leftovers = lock.withLock { registrations.filter { $0.value.0 === process }.map(\.key) }
      leftovers.forEach(unregister)
    }
    waiters.forEach { $0.resume() }
  }

  func checkTimers() {
    let now = ContinuousClock.now
    for process in liveProcesses() {
      process.lock.lock()
      if process.isFinished {
        process.lock.unlock()
        continue
      }
      let timedOut = !process.timedOut && !process.initExited && process.deadline.map { now >= $0 } == true
      if timedOut { process.timedOut = true }
      let drained = process.drainDeadline.map { now >= $0 } == true
      var expired: [@Sendable () -> Void] = []
      process.waiters.removeAll { waiter in
        guard now >= waiter.deadline else { return false }
        expired.append(waiter.resume)
        return true
      }
      let progress = takeProgressLocked(process, now: now)
      process.lock.unlock()
      progress?()
      if timedOut { killTree(process, reason: "timeout") }
      if drained { settle(process, force: true) }
      expired.forEach { $0() }
    }
  }

  func nextTimeoutMs() -> Int32 {
    var next: ContinuousClock.Instant?
    for process in liveProcesses() {
      process.lock.lock()
      if !process.isFinished {
        var candidates = process.waiters.map(\.deadline)
        if !process.timedOut, !process.initExited, let deadline = process.deadline { candidates.append(deadline) }
        if let drain = process.drainDeadline { candidates.append(drain) }
        if let due = process.progress?.due { candidates.append(due) }
        for candidate in candidates where next == nil || candidate < next! { next = candidate }
      }
      process.lock.unlock()
    }
    guard let next else { return -1 }
    let remaining = next - ContinuousClock.now
    if remaining <= .zero { return 0 }
    return Int32(min(60_000, remaining / .milliseconds(1) + 1))
  }
}
