import Foundation
import MishJSON

/// `mish demo`: a scripted agent drives a real `mish serve` over MCP on a generated sample repository, and every
/// call is shown with the compact text the agent would read. (The multi-session hub demo replaces this once the hub
/// exists.)
enum Demo {
  static func run(directory: String?) -> Int32 {
    let root = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("mish-demo-\(getpid())").path
    do {
      try makeSampleRepository(at: root)
      let client = try StdioClient(executable: StdioClient.currentExecutable, root: root)
      var session = Session(client: client)
      print("mish demo: a scripted agent works on a sample repository at \(root)\n")
      try session.script(root: root)
      let status = client.close()
      print("\nThe server exited with status \(status) when the agent closed its stdin.")
      print("Summary: \(session.calls) calls, \(session.failures) failed as intended, \(session.unexpected) unexpected.")
      if directory == nil { try? FileManager.default.removeItem(atPath: root) }
      return session.unexpected == 0 ? 0 : 1
    } catch {
      FileHandle.standardError.write(Data("mish demo: \(error)\n".utf8))
      return 1
    }
  }

  struct Session {
    let client: StdioClient
    var calls = 0
    var failures = 0
    var unexpected = 0

    init(client: StdioClient) { self.client = client }

    mutating func script(root: String) throws {
      let hello = try client.request(
        "initialize",
        ["protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "mish-demo", "version": "1"]])
      print("initialize → protocol \(hello["result"]?["protocolVersion"]?.stringValue ?? "?")")
      client.send(raw: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
      let tools = try client.request("tools/list")
      let names = tools["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
      print("tools/list → \(names.count) tools: \(names.joined(separator: ", "))\n")

      try call("session_info", [:], "Where am I, and what confines me?")
      try call("fs_list", ["path": "", "depth": 2], "Look around.")
      try call("fs_grep", ["pattern": "def \\w+", "glob": "*.py"], "Find the functions.")
      let read = try call("fs_read", ["path": "src/calc.py"], "Read the module before editing it.")
      let sha = read?["sha256"]?.stringValue ?? ""
      try call(
        "fs_edit",
        [
          "path": "src/calc.py", "dry_run": true,
          "edits": [["old_text": "def sub(a, b):\n    return a - b", "new_text": "def sub(a, b):\n    \"\"\"a minus b\"\"\"\n    return a - b"]],
        ],
        "Preview an edit as a diff (dry run).")
      try call(
        "fs_edit",
        [
          "path": "src/calc.py", "expected_sha256": .string(sha),
          "edits": [["old_text": "def add(a, b):\n    return a - b", "new_text": "def add(a, b):\n    return a + b"]],
        ],
        "Fix the bug, guarded by the hash from the read.")
      try call(
        "fs_edit", ["path": "src/calc.py", "edits": [["old_text": "def add(a,b):\n    return a + c", "new_text": "x"]]],
        "An edit whose old_text is slightly wrong: the error shows the near-miss.", expectFailure: true)
      try call(
        "fs_edit", ["path": "src/calc.py", "edits": [["old_text": "return", "new_text": "yield"]]],
        "An ambiguous edit: every match is listed.", expectFailure: true)
      try call(
        "fs_write", ["path": "src/calc.py", "content": "oops\n", "expected_sha256": .string(sha)],
        "A write based on a stale read is refused.", expectFailure: true)
      try call(
        "fs_patch",
        [
          "patch": """
          *** Begin Patch
          *** Add File: tests/test_calc.py
          +import unittest
          +
          +from src.calc import add, sub
          +
          +
          +class CalcTest(unittest.TestCase):
          +    def test_add(self):
          +        self.assertEqual(add(2, 3), 5)
          +
          +    def test_sub(self):
          +        self.assertEqual(sub(5, 3), 2)
          *** Update File: README.md
          @@
           # calc
          -A tiny calculator.
          +A tiny calculator, now with tests.
          *** End Patch
          """
        ],
        "Add a test file and update the docs in one all-or-nothing patch.")
      try call(
        "exec_run", ["argv": ["python3", "-m", "unittest", "-v", "tests.test_calc"]],
        "Run the new test in the sandbox (exit code and output come back structured).")
      try call(
        "exec_run", ["command": "echo pwned > /etc/mish-demo; echo hook > .git/hooks/pre-commit; curl -sS --max-time 2 http://example.com || echo no network"],
        "A command that tries to leave the worktree and reach the network: the sandbox stops each (exit code is data, not an error).")
      let slow = try call(
        "exec_run", ["command": "for i in 1 2 3; do echo tick $i; sleep 0.4; done", "yield_ms": 300],
        "A slow command returns before it ends, with a process_id to poll.")
      if let id = slow?["process_id"], let cursor = slow?["cursor"] {
        try call(
          "process_read", ["process_id": id, "cursor": cursor, "wait_ms": 3000],
          "Poll it: output after the cursor (waiting up to wait_ms for some), and whether it still runs.")
        try call("process_kill", ["process_id": id], "Stop it: SIGKILL takes its whole process tree.")
      }
      let flood = try call(
        "exec_run", ["command": "seq 1 100000 | sed 's/$/ lorem ipsum dolor sit amet/'", "max_output_bytes": 256],
        "A flood of output is cut head + tail with exact counts.")
      if let log = flood?["log_id"] {
        try call("output_read", ["log_id": log, "start_line": 50000, "limit_lines": 3], "The full log is still there to page through.")
      }
      try call("fs_read", ["path": "../../etc/passwd"], "An escape attempt is refused: every path stays beneath the root.", expectFailure: true)
      try call("fs_glob", ["pattern": "**/*.py"], "Everything Python, gitignore respected.")
      try call("fs_move", ["from": "notes.txt", "to": "docs/notes.txt"], "Tidy up.")
      try call("fs_stat", ["path": "docs/notes.txt"], "Check the result.")
    }

    @discardableResult
    mutating func call(_ tool: String, _ arguments: JSONValue, _ why: String, expectFailure: Bool = false) throws -> JSONValue? {
      calls += 1
      print("── \(why)")
      print("→ \(tool) \(JSONWriter.string(arguments))")
      let reply = try client.request("tools/call", ["name": .string(tool), "arguments": arguments])
      guard let result = reply["result"] else {
        print("← JSON-RPC error: \(reply["error"].map(JSONWriter.string) ?? "none")\n")
        unexpected += 1
        return nil
      }
      let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
      let isError = result["isError"]?.boolValue == true
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      let shown = lines.prefix(14).map { "  " + $0 }.joined(separator: "\n")
      print("← \(isError ? "isError" : "ok")\n\(shown)\(lines.count > 14 ? "\n  … (\(lines.count - 14) more lines)" : "")\n")
      if isError {
        if expectFailure { failures += 1 } else { unexpected += 1 }
      } else if expectFailure {
        unexpected += 1
      }
      return result["structuredContent"]
    }
  }

  static func makeSampleRepository(at root: String) throws {
    let files: [(String, String)] = [
      ("README.md", "# calc\nA tiny calculator.\n"),
      ("src/__init__.py", ""),
      ("src/calc.py", "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"),
      ("notes.txt", "remember to add tests\n"),
      (".gitignore", "build/\n*.pyc\n"),
      ("build/output.txt", "generated, ignored\n"),
    ]
    let manager = FileManager.default
    try? manager.removeItem(atPath: root)
    for (path, content) in files {
      let url = URL(fileURLWithPath: root).appendingPathComponent(path)
      try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try content.write(to: url, atomically: true, encoding: .utf8)
    }
    // A real repository when git is installed, so session_info shows a branch and HEAD.
    let git = Process()
    git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    git.arguments = [
      "sh", "-c",
      "git init -q -b main && git add -A && git -c user.name=demo -c user.email=demo@example.com commit -qm 'sample' ",
    ]
    git.currentDirectoryURL = URL(fileURLWithPath: root)
    git.standardOutput = FileHandle.nullDevice
    git.standardError = FileHandle.nullDevice
    try? git.run()
    git.waitUntilExit()
  }
}
