// exec_run, process_*, output_read end to end: the real binary, real sandboxed processes, the default profile.
import Foundation
import Glibc
import MishJSON
import Testing

@Suite("Commands: exec_run, processes, full logs", .serialized)
final class ExecTests {
  let root: TempDir
  let server: LiveServer

  init() throws {
    root = try TempDir("exec")
    try root.write("README.md", "exec fixture\n")
    try root.write("src/main.c", "int main(void) { return 0; }\n")
    server = try LiveServer(root: root.path)
  }

  deinit {
    server.kill()
    root.remove()
  }

  func run(_ arguments: JSONValue) throws -> JSONValue {
    let result = try server.callTool("exec_run", arguments)
    #expect(result["isError"]?.boolValue != true, "exec_run failed: \(result.compact)")
    return result["structuredContent"] ?? .null
  }

  func text(_ result: JSONValue) -> String { result["content"]?.arrayValue?.first?["text"]?.stringValue ?? "" }

  /// A linked worktree of a repository under /tmp (a hub on a repository there): the sandbox's own /tmp covers the
  /// repository's .git, which is placed back read-only, so git in a command finds it (it said "not a git
  /// repository") and, as anywhere else, cannot write it.
  @Test func gitFindsALinkedWorktreesRepositoryUnderTmp() throws {
    var template = Array("/tmp/mish-reveal-XXXXXX".utf8CString)
    let parent = try #require(mkdtemp(&template).map { String(cString: $0) })
    defer { try? FileManager.default.removeItem(atPath: parent) }
    try git(["init", "-q", "-b", "main", "repo"], in: parent)
    try "a\n".write(toFile: parent + "/repo/a.txt", atomically: true, encoding: .utf8)
    try git(["add", "-A"], in: parent + "/repo")
    try git(["-c", "user.name=a", "-c", "user.email=a@e", "commit", "-qm", "base"], in: parent + "/repo")
    try git(["worktree", "add", "-q", "-b", "s1", "../wt"], in: parent + "/repo")
    let session = try LiveServer(root: parent + "/wt")
    defer { session.kill() }
    let result = try session.callTool("exec_run", ["command": "git log --format=%s; git branch --show-current; touch ../repo/.git/x"])["structuredContent"] ?? .null
    #expect(result["stdout"]?["text"]?.stringValue == "base\ns1\n", "\(result.compact)")
    #expect(result["stderr"]?["text"]?.stringValue?.contains("Read-only file system") == true, "\(result.compact)")
    #expect(!FileManager.default.fileExists(atPath: parent + "/repo/.git/x"))
  }

  @Test func outputOfInstantCommandsIsNeverLost() throws {
    for index in 0..<40 {
      let result = try run(["argv": ["printf", "out %s\\nlast", .string(String(index))] as JSONValue])
      #expect(result["stdout"]?["text"]?.stringValue == "out \(index)\nlast")
      #expect(result["stdout"]?["lines"]?.intValue == 2)
      #expect(result["exit_code"]?.intValue == 0)
      #expect(result["running"]?.boolValue == false)
    }
    let both = try run(["command": "echo to-out; echo to-err >&2; exit 3"])
    #expect(both["stdout"]?["text"]?.stringValue == "to-out\n")
    #expect(both["stderr"]?["text"]?.stringValue == "to-err\n")
    #expect(both["exit_code"]?.intValue == 3, "a non-zero exit is a result, not an error")
  }

  @Test func compactTextSaysNoOutputAndStripsEscapes() throws {
    let quiet = try server.callTool("exec_run", ["argv": ["true"]])
    #expect(text(quiet).contains("(no output)"))
    #expect(text(quiet).contains("[exit 0"))
    let colored = try server.callTool("exec_run", ["command": "printf '\\033[31mred\\033[0m\\n'"])
    #expect(text(colored).contains("red"))
    #expect(!text(colored).contains("\u{1B}"), "escapes must be stripped from the compact text")
    #expect(colored["structuredContent"]?["stdout"]?["text"]?.stringValue == "\u{1B}[31mred\u{1B}[0m\n", "structured output is exact")
  }

  @Test func stdinAndEnvironment() throws {
    let counted = try run(["argv": ["wc", "-c"], "stdin": "abcdef"])
    #expect(counted["stdout"]?["text"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) == "6")
    let env = try run(["command": "echo \"$GREETING\" \"${PATH:+has-path}\"", "env": ["GREETING": "hi"]])
    #expect(env["stdout"]?["text"]?.stringValue == "hi has-path\n")
  }

  /// Large command lines and environments start (up to the documented 200 KB), larger ones are a clear error, and
  /// the sandbox keeps working after one.
  @Test func largeCommandsAndTheirLimit() throws {
    let value = String(repeating: "v", count: 40_000)
    let script = "echo ${#BIG}; echo " + String(repeating: "a", count: 100_000) + " | wc -c"
    let big = try run(["command": .string(script), "env": ["BIG": .string(value)]])
    #expect(big["stdout"]?["text"]?.stringValue == "40000\n100001\n", "\(big.compact)")
    let many = try run(["argv": .array([.string("true")] + (0..<5000).map { JSONValue.string("arg\($0)") })])
    #expect(many["exit_code"]?.intValue == 0)
    let huge = try server.callTool("exec_run", ["command": .string("echo " + String(repeating: "b", count: 300_000))])
    #expect(huge["structuredContent"]?["error"]?["code"]?.stringValue == "too_large", "\(huge.compact)")
    let after = try run(["argv": ["echo", "still fine"]])
    #expect(after["stdout"]?["text"]?.stringValue == "still fine\n")
  }

  @Test func workingDirectoryIsConfinedLikePaths() throws {
    let inside = try run(["argv": ["pwd"], "cwd": "src"])
    #expect(inside["stdout"]?["text"]?.stringValue == root.at("src") + "\n")
    for (cwd, code) in [("..", "outside_root"), ("/etc", "outside_root"), ("missing", "not_found")] {
      let refused = try server.callTool("exec_run", ["argv": ["pwd"], "cwd": .string(cwd)])
      #expect(refused["isError"]?.boolValue == true)
      #expect(refused["structuredContent"]?["error"]?["code"]?.stringValue == code, "cwd \(cwd): \(refused.compact)")
    }
  }

  @Test func clearErrorsForBadCommands() throws {
    let missing = try server.callTool("exec_run", ["argv": ["no-such-program-mish"]])
    #expect(missing["isError"]?.boolValue == true)
    #expect(missing["structuredContent"]?["error"]?["code"]?.stringValue == "not_found")
    #expect(missing["structuredContent"]?["error"]?["hint"]?.stringValue?.isEmpty == false)
    let both = try server.callTool("exec_run", ["argv": ["true"], "command": "true"])
    #expect(both["structuredContent"]?["error"]?["code"]?.stringValue == "invalid_argument")
    let neither = try server.callTool("exec_run", [:])
    #expect(neither["structuredContent"]?["error"]?["code"]?.stringValue == "invalid_argument")
    let unknown = try server.callTool("process_read", ["process_id": "p999"])
    #expect(unknown["structuredContent"]?["error"]?["code"]?.stringValue == "not_found")
  }

  @Test func longCommandYieldsAndIsPolled() throws {
    let started = try run(["command": "echo first; sleep 1; echo second", "yield_ms": 200])
    #expect(started["running"]?.boolValue == true)
    #expect(started["exit_code"] == .null)
    let id = try #require(started["process_id"]?.stringValue)
    var cursor = 0
    var output = ""
    var state: JSONValue = .null
    for _ in 0..<50 {
      let read = try server.callTool("process_read", ["process_id": .string(id), "cursor": .int(cursor), "wait_ms": 2000])
      let structured = read["structuredContent"] ?? .null
      output += structured["output"]?.stringValue ?? ""
      cursor = structured["cursor"]?.intValue ?? cursor
      state = structured["state"] ?? .null
      if state["running"]?.boolValue == false { break }
    }
    #expect(output == "first\nsecond\n")
    #expect(cursor == 13)
    #expect(state["exit_code"]?.intValue == 0)
    _ = try run(["argv": ["true"]])  // another process, so the list has two
    let processes = try server.callTool("process_list", [:])["structuredContent"]?["processes"]?.arrayValue ?? []
    #expect(processes.contains { $0["process_id"]?.stringValue == id && $0["running"]?.boolValue == false })
  }

  @Test func interactiveStdin() throws {
    let started = try run(["argv": ["cat"], "keep_stdin_open": true, "yield_ms": 100])
    let id = try #require(started["process_id"]?.stringValue)
    #expect(started["running"]?.boolValue == true)
    let wrote = try server.callTool("process_write", ["process_id": .string(id), "data": "hello\n"])
    #expect(wrote["structuredContent"]?["bytes"]?.intValue == 6)
    let echoed = try server.callTool("process_read", ["process_id": .string(id), "wait_ms": 5000])
    #expect(echoed["structuredContent"]?["output"]?.stringValue == "hello\n")
    _ = try server.callTool("process_write", ["process_id": .string(id), "close_stdin": true])
    let ended = try server.callTool("process_read", ["process_id": .string(id), "cursor": 6, "wait_ms": 5000])
    #expect(ended["structuredContent"]?["state"]?["running"]?.boolValue == false)
    #expect(ended["structuredContent"]?["state"]?["exit_code"]?.intValue == 0)
    let closed = try server.callTool("process_write", ["process_id": .string(id), "data": "late"])
    #expect(closed["structuredContent"]?["error"]?["code"]?.stringValue == "invalid_argument")
  }

  /// A write to a command that does not read its stdin used to block the call until the command ended (minutes,
  /// with the default timeout); now it waits wait_ms, then says how many bytes went in, and stdin stays usable.
  @Test func writeToACommandThatDoesNotReadTimesOut() throws {
    let started = try run(["command": "sleep 20; cat", "keep_stdin_open": true, "yield_ms": 50])
    let id = try #require(started["process_id"]?.stringValue)
    let began = ContinuousClock.now
    let stuck = try server.callTool("process_write", ["process_id": .string(id), "data": .string(String(repeating: "x", count: 1 << 20)), "wait_ms": 300])
    #expect(ContinuousClock.now - began < .seconds(5), "process_write must not wait for the command to end")
    let error = stuck["structuredContent"]?["error"] ?? .null
    #expect(error["code"]?.stringValue == "timeout", "\(stuck.compact)")
    let taken = error["bytes"]?.intValue ?? -1
    #expect(taken > 0 && taken < 1 << 20, "the pipe takes some, not all: \(taken)")
    #expect(error["stdin_open"]?.boolValue == true)
    let small = try server.callTool("process_write", ["process_id": .string(id), "data": "", "close_stdin": true])
    #expect(small["structuredContent"]?["stdin_open"]?.boolValue == false, "\(small.compact)")
    _ = try server.callTool("process_kill", ["process_id": .string(id)])
  }

  @Test func killBySignalName() throws {
    let started = try run(["command": "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done", "yield_ms": 300])
    let id = try #require(started["process_id"]?.stringValue)
    let termed = try server.callTool("process_kill", ["process_id": .string(id), "signal": "SIGTERM"])["structuredContent"] ?? .null
    #expect(termed["running"]?.boolValue == false, "\(termed.compact) \(server.stderrTail)")
    #expect(termed["exit_code"]?.intValue == 7)
    #expect(termed["stdout"]?["text"]?.stringValue == "ready\ngot-term\n")
    let sleeper = try run(["argv": ["sleep", "100"], "yield_ms": 50])
    let killed = try server.callTool("process_kill", ["process_id": sleeper["process_id"]!])["structuredContent"] ?? .null
    #expect(killed["running"]?.boolValue == false)
    #expect(killed["signal"]?.stringValue == "SIGKILL")
  }

  @Test func timeoutKillsAndSaysSo() throws {
    let result = try run(["argv": ["sleep", "30"], "timeout_ms": 300])
    #expect(result["timed_out"]?.boolValue == true)
    #expect(result["signal"]?.stringValue == "SIGKILL")
    #expect((result["duration_ms"]?.intValue ?? 0) < 10_000)
  }

  /// Without a PID namespace (profile none) the timeout killed only the command's init: a background job and a
  /// subshell of the command kept running (and kept the pipes open, delaying the answer by the drain time).
  @Test func timeoutKillsTheProcessGroupWithoutNamespaces() throws {
    let marker = "\(Int.random(in: 100_000...999_999)).25"
    let started = ContinuousClock.now
    let result = try run(
      ["command": .string("sleep \(marker) & (trap '' TERM; sleep \(marker)); wait"), "timeout_ms": 300, "profile": "none"])
    #expect(result["timed_out"]?.boolValue == true)
    #expect(ContinuousClock.now - started < .milliseconds(1500), "the pipes close with the group, no drain wait")
    var left: [pid_t] = []
    for _ in 0..<40 {
      left = processesMatching("sleep \(marker)")
      if left.isEmpty { break }
      usleep(50_000)
    }
    left.forEach { _ = Glibc.kill($0, SIGKILL) }
    #expect(left.isEmpty, "the timeout must kill the command's process group: \(left)")
  }

  /// What execve cannot carry is refused, not silently shortened (a NUL ended the argument; `A=B` set A).
  @Test func argumentsExecCannotCarryAreRefused() throws {
    for arguments: JSONValue in [
      ["argv": ["printf", "%s|", "a\u{0}b"]], ["command": "echo a\u{0}b"], ["argv": ["true"], "env": ["A=B": "c"]],
      ["argv": ["true"], "env": ["": "c"]], ["argv": ["true"], "env": ["X": "a\u{0}b"]],
    ] {
      let refused = try server.callTool("exec_run", arguments)
      #expect(refused["structuredContent"]?["error"]?["code"]?.stringValue == "invalid_argument", "\(arguments.compact): \(refused.compact)")
      #expect(refused["structuredContent"]?["error"]?["hint"]?.stringValue?.isEmpty == false)
    }
    for (tool, arguments): (String, JSONValue) in [
      ("test_run", ["runner": "command", "command": "true\u{0}; false"]), ("test_run", ["runner": "pytest", "filter": "a\u{0}b"]),
      ("build_run", ["command": "make\u{0} all"]),
    ] {
      let refused = try server.callTool(tool, arguments)
      #expect(refused["structuredContent"]?["error"]?["code"]?.stringValue == "invalid_argument", "\(tool) \(arguments.compact): \(refused.compact)")
    }
    let fine = try run(["argv": ["sh", "-c", "echo \"$X\""], "env": ["X": "a=b"]])
    #expect(fine["stdout"]?["text"]?.stringValue == "a=b\n")
  }

  @Test func bigOutputIsCutAndTheFullLogIsReadable() throws {
    let result = try run(["command": "seq 1 100000; echo problem at the end >&2", "max_output_bytes": 1000])
    let stdout = result["stdout"] ?? .null
    #expect(stdout["bytes"]?.intValue == 588_895)
    #expect(stdout["lines"]?.intValue == 100_000)
    #expect(stdout["truncated"]?.boolValue == true)
    #expect(stdout["text"]?.stringValue?.hasPrefix("1\n2\n3\n") == true)
    #expect(stdout["text"]?.stringValue?.hasSuffix("99999\n100000\n") == true)
    #expect((stdout["text"]?.stringValue?.utf8.count ?? 0) < 1200)
    let logID = try #require(result["log_id"]?.stringValue)
    let page = try server.callTool("output_read", ["log_id": .string(logID), "stream": "stdout", "start_line": 50_000, "limit_lines": 2])["structuredContent"] ?? .null
    #expect(page["lines"]?.arrayValue?.map { $0["text"]?.stringValue ?? "" } == ["50000", "50001"])
    #expect(page["total_lines"]?.intValue == 100_000)
    #expect(page["next_start_line"]?.intValue == 50_002)
    let grep = try server.callTool("output_read", ["log_id": .string(logID), "grep": "^7777$|problem"])["structuredContent"] ?? .null
    #expect(grep["lines"]?.arrayValue?.map { $0["line"]?.intValue ?? 0 } == [7777, 100_001])
    let bad = try server.callTool("output_read", ["log_id": .string(logID), "grep": "("])
    #expect(bad["structuredContent"]?["error"]?["code"]?.stringValue == "invalid_argument")
  }

  @Test func progressStreamsOutputLines() throws {
    let result = try server.callTool(
      "exec_run", ["command": "for i in 1 2 3 4 5; do echo step $i; sleep 0.3; done"], meta: ["progressToken": "exec-1"])
    #expect(result["structuredContent"]?["exit_code"]?.intValue == 0)
    // Notifications came before the reply, so they sit in the stash of frames the reply skipped over.
    let notes = server.takeStashed().filter { $0.json["method"]?.stringValue == "notifications/progress" }.map(\.json)
    #expect(notes.count >= 2, "expected progress with output lines: \(notes.map(\.compact))")
    let values = notes.compactMap { $0["params"]?["progress"]?.doubleValue }
    #expect(values == values.sorted() && Set(values).count == values.count, "progress must increase: \(values)")
    let messages = notes.compactMap { $0["params"]?["message"]?.stringValue }.joined(separator: "\n")
    #expect(messages.contains("step 1") && messages.contains("step 4"), "\(messages)")
  }

  @Test func cancellationKillsTheTree() throws {
    let marker = "\(Int.random(in: 100_000...999_999)).75"
    server.send(rpc(.int(4242), "tools/call", ["name": "exec_run", "arguments": ["command": .string("sleep \(marker) & sleep \(marker)"), "yield_ms": 60_000]]))
    var seen = false
    for _ in 0..<100 where !seen {
      seen = !processesMatching("sleep \(marker)").isEmpty
      usleep(20_000)
    }
    #expect(seen, "the command should be running before the cancellation")
    server.send(rpc(nil, "notifications/cancelled", ["requestId": 4242, "reason": "test"]))
    var left: [pid_t] = []
    for _ in 0..<100 {
      left = processesMatching("sleep \(marker)")
      if left.isEmpty { break }
      usleep(50_000)
    }
    #expect(left.isEmpty, "cancelling exec_run must kill the command's tree: \(left)")
    let processes = try server.callTool("process_list", [:])["structuredContent"]?["processes"]?.arrayValue ?? []
    #expect(processes.last?["running"]?.boolValue == false)
  }
}
