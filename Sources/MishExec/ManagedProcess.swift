import Foundation
import Glibc
import MishJSON
import MishSandbox

/// One command the session started: what it is, what it printed (bounded head + tail per stream, everything
/// spilled to its log files), and how it ended. Mutated only by the I/O loop under `lock`; read by the tools.
final class ManagedProcess: @unchecked Sendable {
  let id: String
  let argv: [String]
  let commandText: String
  let cwd: String
  let plan: SandboxPlan
  let launched: Launched
  let startedAt = ContinuousClock.now
  let startedWall = Date()
  let deadline: ContinuousClock.Instant?
  let logs: LogPaths

  let lock = NSLock()
  var stdout: StreamCapture
  var stderr: StreamCapture
  /// Bytes of the interleaved log so far: `process/read` cursors are offsets into it.
  var combinedBytes = 0
  var spilled: SpillFiles
  var stdinFD: Int32
  var waitStatus: Int32?
  var initExited = false
  var openStreams = 2
  var drainDeadline: ContinuousClock.Instant?
  var timedOut = false
  var oomKilled = false
  var killedBy: String?
  var finishedAt: ContinuousClock.Instant?
  var waiters: [Waiter] = []
  var progress: ProgressStream?

  struct Waiter {
    var deadline: ContinuousClock.Instant
    /// Resume as soon as the interleaved log is longer than this (process/read); nil: only on exit or deadline.
    var outputBeyond: Int?
    var resume: @Sendable () -> Void
  }

  /// Output lines streamed as progress notifications to the request that started the command: complete lines
  /// only, at most every 200 ms, the held ones sent when due (even if the command goes quiet) and at exit.
  struct ProgressStream {
    static let interval: Duration = .milliseconds(200)
    static let window = 8192
    /// Called with the bytes printed so far (the progress value, so it only grows) and the new lines.
    let send: @Sendable (Int, String) -> Void
    var pending: [UInt8] = []
    var last: ContinuousClock.Instant?

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
      pending.append(contentsOf: bytes.suffix(Self.window))
      if pending.count > Self.window { pending.removeFirst(pending.count - Self.window) }
    }

    /// When the held complete lines may go (nil: none held; no earlier send: at once).
    var due: ContinuousClock.Instant? {
      guard pending.contains(0x0A) else { return nil }
      return last.map { $0 + Self.interval } ?? .now
    }

    /// The complete lines held, when due (or `force`d), plain text.
    mutating func takeLines(now: ContinuousClock.Instant, force: Bool = false) -> String? {
      if !force, let last, now < last + Self.interval { return nil }
      guard let cut = pending.lastIndex(of: 0x0A) else { return nil }
      let lines = String(decoding: pending[..<cut], as: UTF8.self)
      pending.removeFirst(cut + 1)
      last = now
      return TerminalText.plain(lines)
    }
  }

  init(
    id: String, argv: [String], commandText: String, cwd: String, plan: SandboxPlan, launched: Launched,
    timeoutMs: Int, logs: LogPaths, spilled: SpillFiles, captureBytes: Int, stdinFD: Int32
  ) {
    self.id = id
    self.argv = argv
    self.commandText = commandText
    self.cwd = cwd
    self.plan = plan
    self.launched = launched
    self.deadline = timeoutMs > 0 ? ContinuousClock.now + .milliseconds(timeoutMs) : nil
    self.logs = logs
    self.spilled = spilled
    self.stdinFD = stdinFD
    let half = max(1, captureBytes / 2)
    stdout = StreamCapture(headLimit: half, tailLimit: captureBytes - half)
    stderr = StreamCapture(headLimit: half, tailLimit: captureBytes - half)
  }

  var isFinished: Bool { finishedAt != nil }

  /// The exec/run result (caller holds the lock).
  func resultLocked() -> JSONObject {
    var result: JSONObject = [
      "process_id": .string(id),
      "log_id": .string(id),
      "running": .bool(!isFinished),
      "command": .string(commandText),
      "cwd": .string(cwd),
      "profile": .string(plan.profile.name),
    ]
    let end = finishedAt ?? ContinuousClock.now
    result["duration_ms"] = .int(Int((end - startedAt) / .milliseconds(1)))
    result["cursor"] = .int(spilled.combinedWritten)
    if isFinished, let status = waitStatus {
      if status & 0x7F == 0 {
        result["exit_code"] = .int(Int((status >> 8) & 0xFF))
        result["signal"] = .null
      } else {
        result["exit_code"] = .null
        result["signal"] = .string(Signals.name(Int32(status & 0x7F)))
      }
    } else {
      result["exit_code"] = .null
      result["signal"] = killedBy.map(JSONValue.string) ?? .null
    }
    result["timed_out"] = .bool(timedOut)
    result["oom_killed"] = .bool(oomKilled)
    result["stdout"] = Self.streamJSON(stdout.rendered())
    result["stderr"] = Self.streamJSON(stderr.rendered())
    result["log_truncated"] = .bool(spilled.truncated)
    result["sandbox"] = .object(plan.json)
    if let hint = denialHintLocked() { result["denial_hint"] = .string(hint) }
    return result
  }

  static func streamJSON(_ text: CapturedText) -> JSONValue {
    [
      "text": .string(text.text), "bytes": .int(text.bytes), "lines": .int(text.lines), "truncated": .bool(text.truncated),
      "omitted_bytes": .int(text.omittedBytes),
    ]
  }

  /// What a failure may owe to the sandbox, so an agent does not debug its own code for a policy refusal.
  func denialHintLocked() -> String? {
    guard isFinished else { return nil }
    if let status = waitStatus, status & 0x7F == SIGSYS {
      return "Killed by SIGSYS: the seccomp filter stopped a system call of another architecture (i386/x32)."
    }
    if oomKilled { return "The memory cgroup's limit (\(plan.profile.limits.memoryMB) MB) was hit; use profile test for more." }
    if timedOut { return "The command ran past its timeout and its whole process tree was killed." }
    let text = stderr.rendered().text
    if text.contains("Read-only file system") || text.contains("Permission denied") || text.contains("Operation not permitted") {
      let writable = plan.profile.worktreeWritable ? "inside the worktree (not .git/config or .git/hooks), /tmp and /dev/shm" : "in /tmp and /dev/shm (the worktree is read-only in this profile)"
      return "The sandbox (profile \(plan.profile.name)) allows writes only \(writable), and refuses some system calls; an EROFS/EACCES/EPERM outside those is the sandbox."
    }
    if plan.enforced(.namespaces) && !plan.profile.network,
      text.contains("Network is unreachable") || text.contains("Temporary failure in name resolution")
        || text.contains("Could not resolve host")
    {
      return "Profile \(plan.profile.name) has no network (loopback only); use workspace-write-net when the command needs it."
    }
    return nil
  }
}

/// Where a command's full output goes: one file per stream and one interleaved.
struct LogPaths: Sendable {
  var stdout: String
  var stderr: String
  var combined: String

  func path(_ stream: String) -> String? {
    switch stream {
    case "stdout": return stdout
    case "stderr": return stderr
    case "combined": return combined
    default: return nil
    }
  }
}

/// A command's log files, each capped so a flood cannot fill the disk. A file is created when its first byte
/// arrives (on ext4 a create costs more than a short command's whole run), so a silent command leaves none.
struct SpillFiles {
  let paths: LogPaths
  var limit: Int
  /// stdout, stderr, combined; -1 until created (or after close).
  var fds: [Int32] = [-1, -1, -1]
  var written = [0, 0, 0]
  var truncated = false
  var failure: String?

  var combinedWritten: Int { written[2] }

  mutating func append(_ bytes: UnsafeRawBufferPointer, stream: Int) {
    for index in [stream, 2] {
      let room = max(0, limit - written[index])
      if room < bytes.count { truncated = true }
      guard room > 0, let fd = open(index) else { continue }
      written[index] += Self.writeAll(fd, UnsafeRawBufferPointer(rebasing: bytes.prefix(room)))
    }
  }

  mutating func open(_ index: Int) -> Int32? {
    if fds[index] >= 0 { return fds[index] }
    guard failure == nil else { return nil }
    let path = [paths.stdout, paths.stderr, paths.combined][index]
    let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      failure = "cannot create \(path): \(String(cString: strerror(errno)))"
      truncated = true
      return nil
    }
    fds[index] = fd
    return fd
  }

  static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    var done = 0
    while done < bytes.count {
      let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        break
      }
      done += n
    }
    return done
  }

  mutating func close() {
    for fd in fds where fd >= 0 { Glibc.close(fd) }
    fds = [-1, -1, -1]
  }
}

enum Signals {
  static let table: [(String, Int32)] = [
    ("SIGHUP", SIGHUP), ("SIGINT", SIGINT), ("SIGQUIT", SIGQUIT), ("SIGILL", SIGILL), ("SIGTRAP", SIGTRAP),
    ("SIGABRT", SIGABRT), ("SIGBUS", SIGBUS), ("SIGFPE", SIGFPE), ("SIGKILL", SIGKILL), ("SIGUSR1", SIGUSR1),
    ("SIGSEGV", SIGSEGV), ("SIGUSR2", SIGUSR2), ("SIGPIPE", SIGPIPE), ("SIGALRM", SIGALRM), ("SIGTERM", SIGTERM),
    ("SIGXCPU", SIGXCPU), ("SIGXFSZ", SIGXFSZ), ("SIGSYS", SIGSYS),
  ]

  static func name(_ number: Int32) -> String { table.first { $0.1 == number }?.0 ?? "SIG\(number)" }

  static func number(_ name: String) -> Int32? {
    let upper = name.uppercased()
    let full = upper.hasPrefix("SIG") ? upper : "SIG" + upper
    return table.first { $0.0 == full }?.1 ?? Int32(name)
  }
}
