// Sessions' servers forked from the hub's warm template (`mish __session-zygote`), with the real binary; and the
// loud fallback to executing them when the template cannot start.
import Foundation
import Glibc
import MishJSON
import Synchronization
import Testing

@testable import MishHub

@Suite("Session template")
struct SessionForkerTests {
  /// `mish` beside this test bundle (a Linux test bundle is a file in the build products directory), or MISH_BIN.
  static var mish: String {
    if let path = ProcessInfo.processInfo.environment["MISH_BIN"] { return path }
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("mish").path
  }

  final class Lines: Sendable {
    let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
  }

  static func parent(of pid: pid_t) -> pid_t? {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("PPid:") }
    return line.flatMap { pid_t($0.dropFirst(5).trimmingCharacters(in: .whitespaces)) }
  }

  static func commandLine(of pid: pid_t) -> String {
    let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
    return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
  }

  /// A ping through the child, waiting for its reply.
  static func ping(_ child: ChildSession) -> Result<JSONValue, ChildSession.Failure> {
    let reply = Mutex<Result<JSONValue, ChildSession.Failure>?>(nil)
    _ = child.request(["jsonrpc": "2.0", "method": "ping"]) { result in reply.withLock { $0 = result } }
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
      if let result = reply.withLock({ $0 }) { return result }
      usleep(5_000)
    }
    return .failure(ChildSession.Failure(code: "timeout", message: "no reply to ping in 20 s"))
  }

  static func waitForExit(_ child: ChildSession) -> Bool {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
      if child.hasExited { return true }
      usleep(5_000)
    }
    return false
  }

  @Test func serversAreForkedFromOneTemplateAndAnswer() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("mish-forker-\(getpid())").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    let log = Lines()
    let forker = SessionForker(executable: Self.mish, log: log.append)
    defer { forker.shutDown() }
    // Started ahead of the first spawn (the hub does this at its start), and then reused.
    forker.prepare()
    let prepared = forker.lock.withLock { forker.pid }
    #expect(prepared > 0)
    var children: [ChildSession] = []
    for index in 0..<3 {
      let child = try ChildSession(executable: Self.mish, arguments: ["serve", "--root", root, "--log-level", "warning"], label: "t\(index)", forker: forker, onExit: { _ in })
      children.append(child)
      guard case .success(let reply) = Self.ping(child) else { Issue.record("no answer from server \(index)"); return }
      #expect(reply["result"] != nil)
    }
    let template = forker.lock.withLock { forker.pid }
    #expect(template == prepared)
    for child in children {
      // Each server is the template's child, not the hub's: it was forked, not executed.
      #expect(Self.parent(of: child.pid) == template)
      #expect(child.pid != template)
    }
    #expect(Self.commandLine(of: template).contains("__session-zygote"))
    #expect(log.all.isEmpty)
    // A server ends at the end of its input, as an executed one does.
    for child in children { child.closeInput() }
    for child in children { #expect(Self.waitForExit(child)) }
  }

  @Test func aTemplateThatCannotStartIsSaidOnceAndServersAreExecuted() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("mish-forker-fallback-\(getpid())").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    let log = Lines()
    // /bin/false exits at once: the template never says it is ready.
    let forker = SessionForker(executable: "/bin/false", log: log.append)
    forker.prepare()  // fails quietly: the first spawn tries again and says it
    #expect(log.all.isEmpty)
    for index in 0..<2 {
      let child = try ChildSession(executable: Self.mish, arguments: ["serve", "--root", root, "--log-level", "warning"], label: "f\(index)", forker: forker, onExit: { _ in })
      guard case .success = Self.ping(child) else { Issue.record("the executed server did not answer"); return }
      #expect(Self.parent(of: child.pid) == getpid())
      child.closeInput()
      #expect(Self.waitForExit(child))
    }
    #expect(log.all.count == 1)
    #expect(log.all.first?.contains("sessions are started by executing /bin/false serve from now on") == true)
  }
}
