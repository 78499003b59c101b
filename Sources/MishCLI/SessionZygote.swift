import CSpawn
import Foundation
import Glibc
import MishExec
import MishFiles
import MishJSON
import MishSession

/// `mish __session-zygote`: the hub's template for sessions' servers (MishHub's `SessionForker` is the other end).
/// It warms up once (the Swift runtime, Foundation, the session registry's types and schemas) while it has a single
/// thread, then forks a `mish serve` for each request on its fd 3 (a SOCK_SEQPACKET socket): the message is the
/// server's arguments as a JSON array, with its stdin, stdout and stderr as SCM_RIGHTS; the answer a `mish_reply`
/// with the child's pid. The first answer (pid 0) says it is ready. It reaps its children (SIGCHLD ignored) and
/// exits at the end of its input; the servers it forked go on until their own input ends.
enum SessionZygote {
  static let socket: Int32 = 3

  static func run() -> Never {
    signal(SIGPIPE, SIG_IGN)
    warmUp()
    // fork() copies only the calling thread: with another thread alive, a lock it held would stay held forever in
    // every child. Refuse (the hub then executes each server instead, and says so).
    let threads = threadCount()
    guard threads == 1 else {
      FileHandle.standardError.write(Data("mish: the session template has \(threads) threads after warming up; it cannot fork safely\n".utf8))
      reply(pid: 0, error: EDEADLK)
      exit(1)
    }
    signal(SIGCHLD, SIG_IGN)
    reply(pid: 0, error: 0)
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var fds: [Int32] = [-1, -1, -1]
    while true {
      var count: Int32 = 0
      var truncated: Int32 = 0
      let n = mish_receive_message(socket, &buffer, buffer.count, &fds, 3, &count, &truncated)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { exit(n == 0 ? 0 : 1) }
      let received = Array(fds[0..<Int(count)])
      defer { for fd in received { close(fd) } }
      guard count == 3, truncated == 0,
        let arguments = (try? JSONParser.parse(Array(buffer[0..<n])))?.arrayValue?.compactMap(\.stringValue)
      else {
        reply(pid: 0, error: EPROTO)
        continue
      }
      let pid = fork()
      if pid == 0 { becomeServer(arguments: arguments, stdio: received) }
      reply(pid: max(pid, 0), error: pid < 0 ? errno : 0)
    }
  }

  /// In the child: the given stdio, nothing else open, SIGCHLD back to its default, then `mish ARGUMENTS`.
  static func becomeServer(arguments: [String], stdio: [Int32]) -> Never {
    signal(SIGCHLD, SIG_DFL)
    for (target, fd) in stdio.enumerated() { dup2(fd, Int32(target)) }
    mish_close_from(3)
    MishCLI.run(arguments)
  }

  /// What every session server does at its start, done once here so its results (type metadata, protocol
  /// conformance caches, the kernel probe) are inherited instead of recomputed.
  static func warmUp() {
    var template = Array("/tmp/mish-zygote-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { return }
    let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer { rmdir(directory) }
    guard let workspace = try? Workspace(root: directory) else { return }
    let exec = SessionServer.idleExec(workspace)
    defer { exec.close() }
    for operation in SessionServer.registry(workspace: workspace, exec: exec).operations {
      _ = JSONWriter.encode(operation.params)
      _ = JSONWriter.encode(operation.result)
    }
    _ = try? JSONParser.parse(Array(#"{"jsonrpc":"2.0","id":1,"method":"fs/read","params":{"path":"a"}}"#.utf8))
  }

  static func threadCount() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
    return line.flatMap { Int($0.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
  }

  static func reply(pid: pid_t, error: Int32) {
    var answer = mish_reply(pid: pid, stage: 0, error: error)
    _ = withUnsafeBytes(of: &answer) { mish_send_message(socket, $0.baseAddress, $0.count, nil, 0) }
  }
}
