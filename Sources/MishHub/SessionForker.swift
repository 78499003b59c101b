import CSpawn
import Foundation
import Glibc
import MishJSON

/// Starts sessions' `mish serve` processes by forking them from one warm template process (`mish __session-zygote`)
/// instead of executing the binary each time: a forked server skips the dynamic loader and the Swift runtime's
/// start, and maps only the pages it touches after the fork (an idle one: about 11 MB resident, under 1 MB of it
/// its own, against about 25 MB for an executed one).
///
/// The template is spawned once per hub with a SOCK_SEQPACKET socket as its fd 3, /dev/null as its stdin and
/// stdout, and the hub's stderr. Each spawn sends it the server's arguments (a JSON array) with the child's stdin,
/// stdout and stderr as SCM_RIGHTS; it forks, and answers with the pid (`mish_reply`). The servers are the
/// template's children (it reaps them); the hub holds the other ends of their pipes, as before. When the template
/// cannot start or dies, `spawn` throws and the caller executes `mish serve` instead (said once in the log).
final class SessionForker: @unchecked Sendable {
  let executable: String
  let log: @Sendable (String) -> Void
  let lock = NSLock()
  var socket: Int32 = -1
  var pid: pid_t = 0
  /// Set once the template failed twice: no more attempts.
  var disabled: String?

  init(executable: String, log: @escaping @Sendable (String) -> Void) {
    self.executable = executable
    self.log = log
  }

  deinit { shutDown() }

  /// Starts the template now (in the background at the hub's start), so the first spawn does not wait for it.
  func prepare() {
    lock.lock()
    defer { lock.unlock() }
    guard socket < 0, disabled == nil else { return }
    do throws(ChildSession.Failure) {
      try start()
    } catch {
      // The first spawn tries again, and reports it if that fails too.
    }
  }

  /// Forks a server with these arguments and stdio; returns its pid.
  func spawn(arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32) throws(ChildSession.Failure) -> pid_t {
    lock.lock()
    defer { lock.unlock() }
    if let disabled { throw ChildSession.Failure(code: "zygote_unavailable", message: disabled) }
    var lastError = ""
    for _ in 0..<2 {
      if socket < 0 {
        do throws(ChildSession.Failure) {
          try start()
        } catch {
          lastError = error.message
          continue
        }
      }
      let bytes = JSONWriter.encode(.array(arguments.map(JSONValue.string)))
      let fds = [stdin, stdout, stderr]
      if mish_send_message(socket, bytes, bytes.count, fds, 3) != 0 {
        lastError = "the session template is gone (\(String(cString: strerror(errno))))"
        stop()
        continue
      }
      var reply = mish_reply()
      var fd: Int32 = -1
      if mish_receive_reply(socket, &reply, &fd, 10_000) != 0 {
        lastError = "the session template did not answer (\(String(cString: strerror(errno))))"
        stop()
        continue
      }
      if fd >= 0 { close(fd) }
      guard reply.pid > 0 else {
        throw ChildSession.Failure(code: "spawn_failed", message: "The session template could not fork: \(String(cString: strerror(reply.error)))")
      }
      return reply.pid
    }
    let reason = "sessions are started by executing \(executable) serve from now on: \(lastError)"
    disabled = reason
    log(reason)
    throw ChildSession.Failure(code: "zygote_unavailable", message: lastError)
  }

  /// Spawns the template and waits for its first reply (pid 0: warmed up, single-threaded, ready to fork).
  private func start() throws(ChildSession.Failure) {
    var pair: [Int32] = [-1, -1]
    guard mish_seqpacket_pair(&pair) == 0 else {
      throw ChildSession.Failure(code: "spawn_failed", message: "socketpair: \(String(cString: strerror(errno)))")
    }
    let null = open("/dev/null", O_RDWR | O_CLOEXEC)
    let spawned: Result<pid_t, ChildSession.Failure> = Result { () throws(ChildSession.Failure) in
      // Its stderr is the hub's: a template that cannot fork safely says why there.
      try ChildSession.spawn(executable, ["__session-zygote"], stdio: (null, null, 2), extra: pair[1])
    }
    // Only the template holds its end now, so its exit is seen at once.
    close(pair[1])
    if null >= 0 { close(null) }
    let child: pid_t
    switch spawned {
    case .success(let pid): child = pid
    case .failure(let error):
      close(pair[0])
      throw error
    }
    var reply = mish_reply()
    var fd: Int32 = -1
    if mish_receive_reply(pair[0], &reply, &fd, 10_000) != 0 || reply.error != 0 {
      let reason = reply.error != 0 ? String(cString: strerror(reply.error)) : String(cString: strerror(errno))
      close(pair[0])
      kill(child, SIGKILL)
      var status: Int32 = 0
      while waitpid(child, &status, 0) < 0 && errno == EINTR {}
      throw ChildSession.Failure(code: "spawn_failed", message: "the session template did not start (\(reason)); run \(executable) __session-zygote 3<>/dev/null to see why")
    }
    if fd >= 0 { close(fd) }
    socket = pair[0]
    pid = child
  }

  /// Closes the socket (the template exits at end of input; its servers go on) and reaps the template.
  private func stop() {
    guard socket >= 0 else { return }
    close(socket)
    socket = -1
    let child = pid
    pid = 0
    DispatchQueue.global().async {
      var status: Int32 = 0
      while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    }
  }

  func shutDown() { lock.withLock { stop() } }
}
