import Foundation
import MishJSON
import MishRPC
import Testing

@Suite("The mish command line")
struct CLITests {
  @Test("mish call prints the result JSON and exits 0", .timeLimit(.minutes(1)))
  func callSucceeds() throws {
    let root = try TempDir("cli")
    defer { root.remove() }
    try root.write("x", "hello\n")
    let run = try runMish(["call", "fs/read", #"{"path":"x"}"#, "--root", root.path])
    #expect(run.status == .exited(0), "stderr: \(run.stderr)")
    let result = try JSONParser.parse(run.stdout)
    #expect(result["content"] == "hello\n" && result["path"] == "x", "\(run.stdout)")
  }

  @Test("mish call on a missing file exits 1 with the error as JSON", .timeLimit(.minutes(1)))
  func callFails() throws {
    let root = try TempDir("cli")
    defer { root.remove() }
    let run = try runMish(["call", "fs/read", #"{"path":"missing.txt"}"#, "--root", root.path])
    #expect(run.status == .exited(1), "stdout: \(run.stdout) stderr: \(run.stderr)")
    let printed = try JSONParser.parse(run.stdout)
    #expect(printed.mishErrorCode == "not_found", "\(run.stdout)")
  }

  @Test("mish call with params that are not JSON exits 64", .timeLimit(.minutes(1)))
  func callBadJSON() throws {
    let root = try TempDir("cli")
    defer { root.remove() }
    let run = try runMish(["call", "fs/read", "{path: x}", "--root", root.path])
    #expect(run.status == .exited(64), "stdout: \(run.stdout) stderr: \(run.stderr)")
    #expect(run.stdout.isEmpty, "\(run.stdout)")
    #expect(run.stderr.contains("JSON"), "\(run.stderr)")
  }

  @Test("a bad option exits 64 with the usage on stderr", .timeLimit(.minutes(1)), arguments: [["--bogus"], ["serve", "--bogus"], [], ["serve", "--root=", "--log-level", "debug"]])
  func badOption(_ arguments: [String]) throws {
    let run = try runMish(arguments)
    #expect(run.status == .exited(64), "\(arguments): \(run.status)")
    #expect(run.stderr.contains("Usage:") && run.stderr.contains("mish serve"), "\(run.stderr)")
    #expect(run.stdout.isEmpty, "\(run.stdout)")
  }

  @Test("mish --version prints the version", .timeLimit(.minutes(1)))
  func version() throws {
    let run = try runMish(["--version"])
    #expect(run.status == .exited(0))
    #expect(run.stdout == "mish \(MishVersion.string)\n", "\(run.stdout.debugDescription)")
  }
}

@Suite("Stdout carries only protocol frames")
struct StdoutHygieneTests {
  /// Debug logging, every kind of failure, both framings: stdout must still hold nothing but JSON frames (the
  /// harness audits stdout of every server in this target; this test makes the server as chatty as it gets).
  @Test("nothing but JSON frames on stdout, even with debug logging", .timeLimit(.minutes(1)))
  func chattyServer() throws {
    let root = try TempDir("hygiene")
    defer { root.remove() }
    try root.write("a.txt", "a\n")
    let server = try LiveServer(root: root.path, ["--log-level", "debug"])
    #expect(try server.request("logging/setLevel", ["level": "debug"])["result"] != nil)
    server.send(raw: "garbage\n[]\n[1,2]\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}\n")
    server.send(raw: "Content-Length: x\r\n\r\n")
    _ = try server.request("fs/read", ["path": "missing"])
    _ = try server.request("fs/write", ["path": "b.txt", "content": "b\n"], .contentLength)
    _ = try server.callTool("fs_read", ["path": "../escape"])
    _ = try server.request("tools/list")
    server.send(rpc(nil, "notifications/cancelled", ["requestId": 77]))
    let (status, _) = try server.finish()
    #expect(status == .exited(0))
    #expect(server.child.stderrText.contains("debug"), "debug logs should go to stderr")
    let problems = auditStdout(server.child.stdout.snapshot, allowTruncatedTail: false)
    #expect(problems.isEmpty, "\(problems)")
  }
}
