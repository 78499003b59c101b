import CSpawn
import Foundation
import Glibc
import MishJSON
import Synchronization

/// One `mish serve` child, spoken to over its stdio with newline-delimited JSON-RPC. Requests get fresh child-side
/// ids (so callers' ids never collide); replies and progress are matched back. One thread per child reads its
/// stdout and drains its stderr into a ring buffer (a child never blocks on a full stderr pipe); writes go through
/// a serial queue with a bound on what may wait, so a stuck child holds up only its own callers.
final class ChildSession: @unchecked Sendable {
  struct Failure: Error, Sendable {
    let code: String
    let message: String
  }

  let pid: pid_t
  let stdinFD: Int32
  let lock = NSLock()
  var nextID = 1
  var pending: [Int: @Sendable (Result<JSONValue, Failure>) -> Void] = [:]
  /// progressToken (as sent to the child) → where its notifications go.
  var progressRoutes: [String: @Sendable (JSONValue) -> Void] = [:]
  var stderrRing: [UInt8] = []
  var exited = false
  /// Frames not yet written to the child's stdin, the first `outgoingSent` bytes of them written already.
  var outgoing: [UInt8] = []
  var outgoingSent = 0
  /// Some thread is writing `outgoing` (the first caller that found it idle, or the writer queue).
  var draining = false
  var closeRequested = false
  var inputClosed = false
  /// Finishes writes the pipe had no room for.
  let writer: DispatchQueue
  /// Called once, from the reader thread, when the child's stdout closes (it exited or crashed).
  let onExit: @Sendable (ChildSession) -> Void
  /// The last time the child sent anything (a reply or a notification).
  let lastHeard = Atomic<Int64>(0)

  static let stderrKeep = 64 * 1024
  /// Bytes that may wait to be written to one child before calls to it are refused as busy.
  static let maxQueuedBytes = 8 << 20

  /// Starts `executable arguments` on three fresh pipes: forked from `forker`'s template when there is one (falling
  /// back to executing it, said once in the hub's log, when the template is unavailable), else executed.
  init(executable: String, arguments: [String], label: String, forker: SessionForker? = nil, onExit: @escaping @Sendable (ChildSession) -> Void) throws(Failure) {
    var input: [Int32] = [-1, -1]
    var output: [Int32] = [-1, -1]
    var errors: [Int32] = [-1, -1]
    guard mish_pipe(&input, 0) == 0, mish_pipe(&output, 0) == 0, mish_pipe(&errors, 0) == 0 else {
      for fd in input + output + errors where fd >= 0 { close(fd) }
      throw Failure(code: "io_error", message: "pipe: \(String(cString: strerror(errno)))")
    }
    defer {
      close(input[0])
      close(output[1])
      close(errors[1])
    }
    var childPID: pid_t = -1
    if let forker {
      childPID = (try? forker.spawn(arguments: arguments, stdin: input[0], stdout: output[1], stderr: errors[1])) ?? -1
    }
    if childPID <= 0 {
      do throws(Failure) {
        childPID = try Self.spawn(executable, arguments, stdio: (input[0], output[1], errors[1]))
      } catch {
        close(input[1])
        close(output[0])
        close(errors[0])
        throw error
      }
    }
    pid = childPID
    stdinFD = input[1]
    _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
    writer = DispatchQueue(label: "mish.hub.write.\(label)")
    self.onExit = onExit
    lastHeard.store(Self.nowMs(), ordering: .relaxed)
    let stdoutFD = output[0]
    let stderrFD = errors[0]
    let thread = Thread { [self] in readLoop(stdoutFD: stdoutFD, stderrFD: stderrFD) }
    thread.name = "mish.hub.child.\(label)"
    thread.stackSize = 256 * 1024
    thread.start()
  }

  static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

  /// posix_spawn of `executable arguments` with these fds as its stdin, stdout and stderr, `extra` (when given) as
  /// its fd 3, and the hub's environment. Nothing else is inherited: a pipe another thread has open at this moment
  /// (git run through Foundation's Process, whose pipes are not close-on-exec) would otherwise stay open in this
  /// long-lived child, and that git's reader would never see the end of its output.
  static func spawn(_ executable: String, _ arguments: [String], stdio: (Int32, Int32, Int32), extra: Int32? = nil) throws(Failure) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdio.0, 0)
    posix_spawn_file_actions_adddup2(&actions, stdio.1, 1)
    posix_spawn_file_actions_adddup2(&actions, stdio.2, 2)
    if let extra { posix_spawn_file_actions_adddup2(&actions, extra, 3) }
    _ = mish_spawn_closefrom(&actions, extra == nil ? 3 : 4)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var childPID: pid_t = 0
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let status = posix_spawn(&childPID, executable, &actions, &attributes, argv, environ)
    guard status == 0 else {
      throw Failure(code: "spawn_failed", message: "Cannot start \(executable): \(String(cString: strerror(status)))")
    }
    return childPID
  }

  // MARK: - Sending

  /// Sends a request (its `id` replaced by a fresh child id) and calls `reply` with the child's reply message
  /// (or a failure when the child ends first or is too far behind). `progress`, when given, receives the
  /// child's progress notifications for this request (a progress token is added to its `_meta`).
  func request(_ message: JSONObject, progress: (@Sendable (JSONValue) -> Void)? = nil, reply: @escaping @Sendable (Result<JSONValue, Failure>) -> Void) -> Int? {
    var message = message
    let (id, token): (Int, String?) = lock.withLock {
      defer { nextID += 1 }
      return (nextID, progress == nil ? nil : "hub-\(nextID)")
    }
    message["id"] = .int(id)
    if let token, let progress {
      var params = message["params"]?.objectValue ?? [:]
      var meta = params["_meta"]?.objectValue ?? [:]
      meta["progressToken"] = .string(token)
      params["_meta"] = .object(meta)
      message["params"] = .object(params)
      lock.withLock { progressRoutes[token] = progress }
    }
    let accepted: Bool = lock.withLock {
      guard !exited else { return false }
      pending[id] = reply
      return true
    }
    guard accepted else {
      reply(.failure(Failure(code: "session_ended", message: "The session's server has exited")))
      return nil
    }
    if let failure = write(.object(message)) {
      let waiting = lock.withLock { pending.removeValue(forKey: id) }
      waiting?(.failure(failure))
      return nil
    }
    return id
  }

  /// A notification (or anything that expects no reply), as is.
  func notify(_ message: JSONValue) { _ = write(message) }

  /// Sends one frame; refuses when too much already waits for this child. The first writer to find nothing being
  /// written writes on its own thread (no hand-off: the routing's common case), with the pipe non-blocking; frames
  /// that arrive meanwhile are appended and written by it. When the pipe is full (a child not reading), the rest
  /// is left to the writer queue, which waits for room, so no caller ever blocks on a child.
  func write(_ message: JSONValue) -> Failure? {
    let bytes = JSONWriter.encode(message) + [0x0A]
    let (refusal, drainHere): (Failure?, Bool) = lock.withLock {
      if exited || closeRequested { return (Failure(code: "session_ended", message: "The session's server has exited"), false) }
      if outgoing.count - outgoingSent + bytes.count > Self.maxQueuedBytes {
        return (Failure(code: "busy", message: "The session is not reading its input (over \(Self.maxQueuedBytes >> 20) MB waiting)"), false)
      }
      outgoing += bytes
      if draining { return (nil, false) }
      draining = true
      return (nil, true)
    }
    if drainHere { drain(waiting: false) }
    return refusal
  }

  /// Writes `outgoing` until it is empty; with `waiting` false, hands over to the writer queue when the pipe is full.
  private func drain(waiting: Bool) {
    while true {
      let chunk: ArraySlice<UInt8>? = lock.withLock {
        if outgoingSent == outgoing.count {
          outgoing.removeAll(keepingCapacity: outgoing.count <= 1 << 16)
          outgoingSent = 0
          draining = false
          if closeRequested && !inputClosed {
            inputClosed = true
            close(stdinFD)
          }
          return nil
        }
        return outgoing[outgoingSent..<min(outgoing.count, outgoingSent + (1 << 16))]
      }
      guard let chunk else { return }
      let n = chunk.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress!, $0.count) }
      if n > 0 {
        lock.withLock { outgoingSent += n }
      } else if n < 0 && errno == EINTR {
        continue
      } else if n < 0 && errno == EAGAIN {
        guard waiting else {
          writer.async { [self] in drain(waiting: true) }
          return
        }
        var pfd = pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)
        _ = poll(&pfd, 1, 1000)
      } else {
        // The child is gone (EPIPE): nothing more can reach it; its reader sees the end.
        lock.withLock {
          outgoing.removeAll()
          outgoingSent = 0
          draining = false
          if !inputClosed {
            inputClosed = true
            close(stdinFD)
          }
        }
        return
      }
    }
  }

  /// Closes the child's stdin once, after what is waiting for it has been written.
  func closeInput() {
    let closeNow: Bool = lock.withLock {
      guard !closeRequested else { return false }
      closeRequested = true
      if draining { return false }  // the writer closes it when it is done
      inputClosed = true
      return true
    }
    if closeNow { close(stdinFD) }
  }

  /// Asks the child to cancel a request it is running.
  func cancel(childID: Int) {
    notify(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": .int(childID), "reason": "cancelled by the hub's caller"]])
  }

  // MARK: - Reading

  func readLoop(stdoutFD: Int32, stderrFD: Int32) {
    var buffer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0), pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)]
    var stdoutOpen = true
    var stderrOpen = true
    while stdoutOpen {
      fds[1].fd = stderrOpen ? stderrFD : -1
      if poll(&fds, 2, -1) < 0 {
        if errno == EINTR { continue }
        break
      }
      if stderrOpen, fds[1].revents != 0 {
        let n = read(stderrFD, &chunk, chunk.count)
        if n <= 0 {
          stderrOpen = false
        } else {
          lock.withLock {
            stderrRing.append(contentsOf: chunk[0..<n])
            if stderrRing.count > Self.stderrKeep { stderrRing.removeFirst(stderrRing.count - Self.stderrKeep) }
          }
        }
      }
      if fds[0].revents != 0 {
        let n = read(stdoutFD, &chunk, chunk.count)
        if n <= 0 {
          stdoutOpen = false
          break
        }
        buffer.append(contentsOf: chunk[0..<n])
        var start = 0
        while let newline = buffer[start...].firstIndex(of: 0x0A) {
          let line = buffer[start..<newline]
          start = newline + 1
          if !line.isEmpty { handle(Array(line)) }
        }
        buffer.removeFirst(start)
      }
    }
    close(stdoutFD)
    if stderrOpen { close(stderrFD) }
    let waiting: [@Sendable (Result<JSONValue, Failure>) -> Void] = lock.withLock {
      exited = true
      defer {
        pending = [:]
        progressRoutes = [:]
      }
      return Array(pending.values)
    }
    let failure = Failure(code: "session_ended", message: "The session's server exited before replying\(stderrTail.isEmpty ? "" : "; its last words: \(stderrTail.suffix(300))")")
    for reply in waiting { reply(.failure(failure)) }
    closeInput()
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    onExit(self)
  }

  func handle(_ line: [UInt8]) {
    lastHeard.store(Self.nowMs(), ordering: .relaxed)
    guard let message = try? JSONParser.parse(line) else { return }
    if let id = message["id"]?.intValue, message["method"] == nil {
      let reply = lock.withLock { () -> (@Sendable (Result<JSONValue, Failure>) -> Void)? in
        guard let reply = pending.removeValue(forKey: id) else { return nil }
        progressRoutes.removeValue(forKey: "hub-\(id)")
        return reply
      }
      reply?(.success(message))
    } else if message["method"]?.stringValue == "notifications/progress", let token = message["params"]?["progressToken"]?.stringValue {
      let route = lock.withLock { progressRoutes[token] }
      route?(message["params"] ?? .null)
    }
  }

  var stderrTail: String { lock.withLock { String(decoding: stderrRing.suffix(4096), as: UTF8.self) } }
  var inFlight: Int { lock.withLock { pending.count } }
  var hasExited: Bool { lock.withLock { exited } }

  /// Closes its input (a server exits at end of input), and kills it if it is still there after `grace`.
  func stop(grace: TimeInterval = 2) {
    closeInput()
    let pid = self.pid
    DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [weak self] in
      if self?.hasExited == false { kill(pid, SIGKILL) }
    }
  }
}
