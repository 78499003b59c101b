// The escape/abuse suite: real commands through exec_run on the real binary, under every sandboxing profile, as
// root and as an unprivileged user. Each case prints BLOCKED (with what stopped it) or ESCAPED; a few are checked
// on the structured result instead (signals, OOM, truncation, timeouts).
import Foundation
import Glibc
import MishJSON
import Testing

struct EscapeCase: Sendable, CustomStringConvertible {
  var name: String
  /// A bash script; it must print BLOCKED or ALLOWED (for things that must keep working) and never ESCAPED.
  var script: String
  /// The word the output must contain; "BLOCKED" for escapes, "ALLOWED" for what the sandbox must keep working.
  var expect: String = "BLOCKED"
  /// Only for these profiles (nil: all).
  var profiles: Set<String>? = nil
  var timeoutMs: Int? = nil
  var description: String { name }
}

/// Python one-liners for raw syscalls: prints BLOCKED when errno is one of `blocked`, else ESCAPED.
func syscallCase(_ name: String, _ call: String, blocked: [String] = ["EPERM"]) -> EscapeCase {
  let errnos = blocked.map { "errno.\($0)" }.joined(separator: ", ")
  return EscapeCase(
    name: name,
    script: """
      /usr/bin/python3 - <<'PY'
      import ctypes, errno
      libc = ctypes.CDLL(None, use_errno=True)
      libc.syscall.restype = ctypes.c_long
      r = \(call)
      e = ctypes.get_errno()
      print("BLOCKED", errno.errorcode.get(e)) if r < 0 and e in (\(errnos),) else print("ESCAPED", r, errno.errorcode.get(e))
      PY
      """)
}

let escapeCases: [EscapeCase] = [
  EscapeCase(name: "write /etc", script: "echo x > /etc/mish-escape-probe 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "write $HOME", script: "echo x > /root/mish-escape-probe 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "append to the mish binary", script: "printf '' >> \"$MISH_BINARY\" 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "write outside the worktree", script: "echo x > \"$OUTSIDE/escaped.txt\" 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "write through a symlink to outside", script: "ln -s \"$OUTSIDE\" out 2>/dev/null; echo x > out/via-link.txt 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: ".git/config", script: "echo '[core]' >> .git/config 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: ".git/hooks", script: "echo 'echo pwned' > .git/hooks/pre-commit 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "/proc/1 is the sandbox's own init", script: "n=$(ls /proc | grep -c '^[0-9]'); [ \"$n\" -lt 10 ] && ! grep -q systemd /proc/1/cmdline 2>/dev/null && echo BLOCKED pids=$n || echo ESCAPED pids=$n"),
  EscapeCase(name: "/proc/1/root writes", script: "echo x > /proc/1/root/etc/mish-escape-probe 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(
    name: "the init's fds (status pipe, anything it holds)",
    script: "for n in 0 1 2 3 4 5 6 7 8 9 10; do { : < /proc/1/fd/$n; } 2>/dev/null && echo ESCAPED read $n; { : >> /proc/1/fd/$n; } 2>/dev/null && echo ESCAPED write $n; done; echo BLOCKED"),
  EscapeCase(name: "signal the server", script: "kill -0 \"$SERVER_PID\" 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  syscallCase("ptrace", "libc.ptrace(16, 1, 0, 0)"),  // PTRACE_ATTACH to our init
  syscallCase("process_vm_readv", "libc.syscall(310, 1, 0, 0, 0, 0, 0)"),
  EscapeCase(name: "unshare -Ur", script: "unshare -Ur true 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "unshare -m", script: "unshare -m true 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  syscallCase("clone(CLONE_NEWUSER) with high bits", "libc.syscall(56, 0x10000000 | 0x11 | (1 << 40), 0, 0, 0, 0)"),
  syscallCase("clone3", "libc.syscall(435, 0, 0)", blocked: ["ENOSYS"]),
  EscapeCase(name: "remount / read-write", script: "mount -o remount,rw / 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "mount a tmpfs", script: "mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  syscallCase("chroot", "libc.chroot(b'/tmp')"),
  syscallCase("open_tree", "libc.syscall(428, -100, b'/', 1)"),
  syscallCase("io_uring_setup", "libc.syscall(425, 8, ctypes.create_string_buffer(120))"),
  syscallCase("userfaultfd", "libc.syscall(323, 0)"),
  syscallCase("bpf", "libc.syscall(321, 0, ctypes.create_string_buffer(128), 128)"),
  syscallCase("perf_event_open", "libc.syscall(298, ctypes.create_string_buffer(128), 0, -1, -1, 0)"),
  syscallCase("keyctl", "libc.syscall(250, 0, 0, 0, 0, 0)"),
  syscallCase("open_by_handle_at", "libc.syscall(304, -100, ctypes.create_string_buffer(128), 0)"),
  syscallCase("personality(READ_IMPLIES_EXEC)", "libc.personality(0x0400000)"),
  syscallCase("TIOCSTI", "libc.ioctl(1, 0x5412, ctypes.c_char_p(b'x'))"),
  syscallCase("AF_PACKET socket", "libc.socket(17, 3, 0)", blocked: ["EAFNOSUPPORT"]),
  syscallCase("AF_VSOCK socket", "libc.socket(40, 1, 0)", blocked: ["EAFNOSUPPORT"]),
  EscapeCase(
    name: "x32 syscall kills the process",
    script: "/usr/bin/python3 -c 'import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39)'; rc=$?; [ $rc -eq 159 ] && echo BLOCKED SIGSYS || echo ESCAPED rc=$rc"),
  EscapeCase(
    name: "TCP egress", script: "timeout 3 /usr/bin/python3 -c 'import socket; socket.create_connection((\"1.1.1.1\", 80), timeout=2)' 2>/dev/null && echo ESCAPED || echo BLOCKED",
    profiles: ["read-only", "workspace-write", "test"]),
  EscapeCase(
    name: "UDP egress", script: "timeout 3 /usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b\"x\", (\"8.8.8.8\", 53))' 2>/dev/null && echo ESCAPED || echo BLOCKED",
    profiles: ["read-only", "workspace-write", "test"]),
  EscapeCase(
    name: "DNS", script: "timeout 3 getent hosts example.com >/dev/null 2>&1 && echo ESCAPED || echo BLOCKED",
    profiles: ["read-only", "workspace-write", "test"]),
  EscapeCase(
    name: "localhost bind and connect keep working",
    script: "/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(); c=socket.create_connection(s.getsockname(), timeout=2); a,_=s.accept(); c.sendall(b\"ok\"); print(\"ALLOWED\" if a.recv(2)==b\"ok\" else \"BROKEN\")'",
    expect: "ALLOWED"),
  EscapeCase(
    name: "AF_UNIX socketpair keeps working",
    script: "/usr/bin/python3 -c 'import socket; a,b=socket.socketpair(); a.sendto(b\"ok\", 0) if False else a.send(b\"ok\"); print(\"ALLOWED\" if b.recv(2)==b\"ok\" else \"BROKEN\")'",
    expect: "ALLOWED"),
  EscapeCase(
    name: "status: NoNewPrivs 1, CapEff 0, Seccomp 2",
    script: "grep -q '^NoNewPrivs:\t1' /proc/self/status && grep -q '^CapEff:\t0000000000000000' /proc/self/status && grep -q '^CapBnd:\t0000000000000000' /proc/self/status && grep -q '^Seccomp:\t2' /proc/self/status && echo BLOCKED || { echo ESCAPED; cat /proc/self/status; }"),
  EscapeCase(name: "secrets in the environment", script: "env | grep -q MISH_TEST_SECRET && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "inherited fds", script: "n=$(ls /proc/self/fd | wc -l); [ \"$n\" -le 4 ] && echo BLOCKED fds=$n || { echo ESCAPED; ls -l /proc/self/fd; }"),
  EscapeCase(name: "core_pattern", script: "echo '|/tmp/x' > /proc/sys/kernel/core_pattern 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "sysrq-trigger", script: "echo h > /proc/sysrq-trigger 2>/dev/null && echo ESCAPED || echo BLOCKED"),
  EscapeCase(name: "cgroup release_agent", script: "for f in /sys/fs/cgroup/*/release_agent; do echo /tmp/x > \"$f\" 2>/dev/null && { echo ESCAPED \"$f\"; exit; }; done; echo BLOCKED"),
  EscapeCase(name: "host /run sockets hidden", script: "[ -z \"$(ls -A /run 2>/dev/null)\" ] && echo BLOCKED || { echo ESCAPED; ls -A /run; }"),
  EscapeCase(name: "private /tmp", script: "[ ! -e \"$OUTSIDE\" ] || [ -z \"$(ls -A /tmp | grep -v '^m$')\" ] && echo BLOCKED || { echo ESCAPED; ls -A /tmp; }"),
  EscapeCase(name: "/tmp and /dev/shm writable", script: "echo x > /tmp/ok && echo x > /dev/shm/ok && echo x > /dev/null && echo ALLOWED", expect: "ALLOWED"),
  EscapeCase(name: "worktree writable", script: "echo x > written.txt 2>/dev/null && echo ALLOWED || echo REFUSED", expect: "ALLOWED", profiles: ["workspace-write", "workspace-write-net", "test"]),
  EscapeCase(name: "worktree read-only", script: "echo x > written.txt 2>/dev/null && echo ESCAPED || echo BLOCKED", profiles: ["read-only"]),
  EscapeCase(
    name: "fork bomb", script: "/usr/bin/python3 -c '\nimport os, time\nn=0\ntry:\n  while n < 5000:\n    if os.fork()==0:\n      time.sleep(3); os._exit(0)\n    n+=1\nexcept OSError: pass\nprint((\"BLOCKED\" if n < 2100 else \"ESCAPED\"), n)'",
    timeoutMs: 30_000),
  EscapeCase(name: "disk fill in /tmp", script: "head -c 3000M /dev/zero > /tmp/fill 2>/dev/null; s=$(stat -c %s /tmp/fill); rm -f /tmp/fill; [ \"$s\" -lt 3000000000 ] && echo BLOCKED size=$s || echo ESCAPED size=$s"),
]

let sandboxedProfiles = ["read-only", "workspace-write", "workspace-write-net", "test"]

/// A root with a .git directory, beside an `outside` directory the commands must never change; both reachable by
/// an unprivileged uid when the suite runs as one.
struct SandboxFixture {
  let parent: TempDir
  var root: String { parent.at("root") }
  var outside: String { parent.at("outside") }

  init(owner: uid_t?) throws {
    parent = try TempDir("sandbox")
    try parent.write("root/README.md", "sandbox fixture\n")
    try parent.write("root/.git/config", "[core]\n")
    try parent.write("root/.git/HEAD", "ref: refs/heads/main\n")
    try parent.subdirectory("root/.git/hooks")
    try parent.write("outside/secret.txt", "secret\n")
    chmod(parent.path, 0o755)
    if let owner {
      for path in [parent.at("root"), parent.at("root/README.md"), parent.at("root/.git"), parent.at("root/.git/config"), parent.at("root/.git/HEAD"), parent.at("root/.git/hooks")] {
        chown(path, owner, owner)
      }
    }
  }
}

enum Users: String, CaseIterable, Sendable {
  case root
  case nobody

  var uid: uid_t? { self == .root ? nil : 65534 }
}

@Suite("Sandbox escapes: every case refused in every profile, as root and unprivileged")
struct SandboxEscapeTests {
  static let combinations: [(String, Users)] = sandboxedProfiles.flatMap { profile in Users.allCases.map { (profile, $0) } }

  @Test(arguments: combinations)
  func escapeSuite(profile: String, user: Users) throws {
    let fixture = try SandboxFixture(owner: user.uid)
    defer { fixture.parent.remove() }
    let server = try LiveServer(root: fixture.root, environment: ["MISH_TEST_SECRET": "hunter2"], user: user.uid)
    defer { server.kill() }
    let binary = try MishBinary.path()
    var failures: [String] = []
    for escape in escapeCases where escape.profiles?.contains(profile) ?? true {
      var arguments: JSONObject = [
        "command": .string(escape.script), "profile": .string(profile), "yield_ms": 60_000,
        "env": ["OUTSIDE": .string(fixture.outside), "MISH_BINARY": .string(binary), "SERVER_PID": .string(String(server.child.pid))],
      ]
      if let timeout = escape.timeoutMs { arguments["timeout_ms"] = .int(timeout) }
      let result = try server.callTool("exec_run", .object(arguments))
      let structured = result["structuredContent"] ?? .null
      let out = structured["stdout"]?["text"]?.stringValue ?? ""
      if result["isError"]?.boolValue == true || !out.contains(escape.expect) || out.contains("ESCAPED") {
        failures.append("\(escape.name): \(JSONWriter.string(structured).prefix(1500))")
      }
    }
    #expect(failures.isEmpty, "profile \(profile) as \(user): \(failures.count) cases failed:\n\(failures.joined(separator: "\n"))")
    // The outside directory is untouched, whatever happened.
    #expect(!FileManager.default.fileExists(atPath: fixture.outside + "/escaped.txt"))
    #expect(!FileManager.default.fileExists(atPath: "/etc/mish-escape-probe"))
    #expect(fixture.parent.read("root/.git/config") == "[core]\n")
    #expect(!fixture.parent.exists("root/.git/hooks/pre-commit"))
  }

  @Test(arguments: Users.allCases)
  func memoryBombIsContained(user: Users) throws {
    let fixture = try SandboxFixture(owner: user.uid)
    defer { fixture.parent.remove() }
    let server = try LiveServer(root: fixture.root, user: user.uid)
    defer { server.kill() }
    let result = try server.callTool(
      "exec_run",
      ["command": "/usr/bin/python3 -c 'b = bytearray(3 << 30); b[::4096] = b\"x\" * len(b[::4096]); print(\"ESCAPED\")'", "yield_ms": 60_000])
    let structured = result["structuredContent"] ?? .null
    #expect(structured["stdout"]?["text"]?.stringValue?.contains("ESCAPED") == false)
    let oom = structured["oom_killed"]?.boolValue == true
    let refused = structured["stderr"]?["text"]?.stringValue?.contains("MemoryError") == true
    #expect(oom || refused, "a 3 GB allocation under a 2 GB limit must be OOM-killed (cgroup) or refused (rlimit): \(JSONWriter.string(structured).prefix(2000))")
    if user == .root { #expect(oom, "as root the memory cgroup is there, so the kernel's OOM killer is what stops it") }
  }

  @Test(arguments: Users.allCases)
  func floodIsCutWithExactCountsAndMemoryStaysFlat(user: Users) throws {
    let fixture = try SandboxFixture(owner: user.uid)
    defer { fixture.parent.remove() }
    let server = try LiveServer(root: fixture.root, user: user.uid)
    defer { server.kill() }
    _ = try server.callTool("exec_run", ["argv": ["true"]])
    let before = residentKB(server.child.pid)
    let result = try server.callTool("exec_run", ["command": "yes | head -c 300000000", "yield_ms": 120_000, "timeout_ms": 120_000])
    let after = residentKB(server.child.pid)
    let stdout = result["structuredContent"]?["stdout"] ?? .null
    #expect(stdout["bytes"]?.intValue == 300_000_000)
    #expect(stdout["lines"]?.intValue == 150_000_000)
    #expect(stdout["truncated"]?.boolValue == true)
    let shown = stdout["text"]?.stringValue ?? ""
    #expect(shown.utf8.count < 40_000)
    #expect((stdout["omitted_bytes"]?.intValue ?? 0) > 299_000_000)
    #expect(after - before < 30_000, "server RSS grew from \(before) kB to \(after) kB while a command printed 300 MB")
  }

  @Test(arguments: Users.allCases)
  func timeoutKillsSetsidGrandchildren(user: Users) throws {
    let fixture = try SandboxFixture(owner: user.uid)
    defer { fixture.parent.remove() }
    let server = try LiveServer(root: fixture.root, user: user.uid)
    defer { server.kill() }
    let marker = "\(Int.random(in: 100_000...999_999)).5"
    let result = try server.callTool(
      "exec_run",
      ["command": .string("setsid sleep \(marker) & (sleep \(marker) &) ; sleep \(marker)"), "timeout_ms": 1500, "yield_ms": 30_000])
    #expect(result["structuredContent"]?["timed_out"]?.boolValue == true)
    #expect(result["structuredContent"]?["running"]?.boolValue == false)
    usleep(300_000)
    #expect(processesMatching("sleep \(marker)").isEmpty, "a sleep survived the timeout")
  }

  @Test(arguments: Users.allCases)
  func serverSIGKILLLeavesNoChildren(user: Users) throws {
    let fixture = try SandboxFixture(owner: user.uid)
    defer { fixture.parent.remove() }
    let server = try LiveServer(root: fixture.root, user: user.uid)
    let marker = "\(Int.random(in: 100_000...999_999)).25"
    let result = try server.callTool(
      "exec_run", ["command": .string("setsid sleep \(marker) & sleep \(marker)"), "yield_ms": 300])
    #expect(result["structuredContent"]?["running"]?.boolValue == true)
    #expect(!processesMatching("sleep \(marker)").isEmpty, "the command should be running before the kill")
    server.kill()
    var left: [pid_t] = []
    for _ in 0..<50 {
      left = processesMatching("sleep \(marker)")
      if left.isEmpty { break }
      usleep(100_000)
    }
    #expect(left.isEmpty, "children outlived the server: \(left)")
  }
}

@Suite("Sandbox degradation: a missing layer changes the report and the default profile refuses")
struct SandboxDegradationTests {
  @Test(arguments: ["landlock", "seccomp", "namespaces"])
  func missingRequiredLayerRefuses(layer: String) throws {
    let fixture = try SandboxFixture(owner: nil)
    defer { fixture.parent.remove() }
    let server = try LiveServer(root: fixture.root, environment: ["MISH_SANDBOX_UNAVAILABLE": layer])
    defer { server.kill() }
    let info = try server.callTool("session_info", [:])["structuredContent"] ?? .null
    #expect(info["sandbox"]?[layer]?["enforced"]?.boolValue == false)
    #expect(info["sandbox"]?[layer]?["reason"]?.stringValue?.contains("MISH_SANDBOX_UNAVAILABLE") == true)
    let refused = try server.callTool("exec_run", ["command": "echo RAN > ran.txt"])
    #expect(refused["isError"]?.boolValue == true)
    #expect(refused["structuredContent"]?["error"]?["code"]?.stringValue == "sandbox_unavailable")
    #expect(!fixture.parent.exists("root/ran.txt"), "the command ran although the default profile must refuse")
    // Asking for no sandbox explicitly still works.
    let unconfined = try server.callTool("exec_run", ["command": "echo RAN", "profile": "none"])
    #expect(unconfined["structuredContent"]?["stdout"]?["text"]?.stringValue == "RAN\n")
  }

  @Test func fullReportWhenEverythingIsThere() throws {
    let fixture = try SandboxFixture(owner: nil)
    defer { fixture.parent.remove() }
    let server = try LiveServer(root: fixture.root)
    defer { server.kill() }
    let info = try server.callTool("session_info", [:])["structuredContent"] ?? .null
    for layer in ["namespaces", "capabilities", "no_new_privs", "landlock", "seccomp"] {
      #expect(info["sandbox"]?[layer]?["enforced"]?.boolValue == true, "\(layer): \(JSONWriter.string(info["sandbox"]?[layer] ?? .null))")
    }
    let run = try server.callTool("exec_run", ["argv": ["true"]])["structuredContent"] ?? .null
    #expect(run["sandbox"]?["seccomp"]?["enforced"]?.boolValue == true)
    #expect(run["sandbox"]?["landlock"]?["version"]?.stringValue?.hasPrefix("ABI ") == true)
  }
}

func residentKB(_ pid: pid_t) -> Int {
  guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
  for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
    return Int(line.split(whereSeparator: \.isWhitespace)[1]) ?? 0
  }
  return 0
}

/// Host pids whose command line contains `needle` (read from /proc, so it sees every PID namespace's processes).
func processesMatching(_ needle: String) -> [pid_t] {
  let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
  return entries.compactMap { pid_t($0) }.filter { pid in
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
    let text = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    return text.contains(needle) && pid != getpid()
  }
}

@Suite("Sandbox zygotes: set up once per profile, renewed when the protected paths change")
struct SandboxZygoteTests {
  /// A repository created after the first command (as `git init` would) is protected from the next command on.
  @Test func gitCreatedLaterIsProtectedToo() throws {
    let root = try TempDir("zygote")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    let before = try server.callTool("exec_run", ["command": "echo ok"])
    #expect(before["structuredContent"]?["exit_code"]?.intValue == 0)
    try root.write(".git/config", "[core]\n")
    let attempt = try server.callTool(
      "exec_run", ["command": "echo '[alias]' >> .git/config 2>/dev/null && echo ESCAPED; mkdir -p .git/hooks 2>/dev/null; echo x > .git/hooks/post-checkout 2>/dev/null && echo ESCAPED; echo done"])
    #expect(attempt["structuredContent"]?["stdout"]?["text"]?.stringValue == "done\n", "\(attempt.compact)")
    #expect(root.read(".git/config") == "[core]\n")
    #expect(!root.exists(".git/hooks/post-checkout"))
  }

  /// Commands of one profile share the zygote but not their PID namespaces: each sees only its own processes.
  @Test func concurrentCommandsAreIsolatedFromEachOther() throws {
    let root = try TempDir("zygote")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    defer { server.kill() }
    let sleeper = try server.callTool("exec_run", ["argv": ["sleep", "30"], "yield_ms": 100])["structuredContent"] ?? .null
    #expect(sleeper["running"]?.boolValue == true)
    let look = try server.callTool("exec_run", ["command": "ls /proc | grep -c '^[0-9]'; pgrep -c sleep || true"])["structuredContent"] ?? .null
    let lines = look["stdout"]?["text"]?.stringValue?.split(separator: "\n") ?? []
    #expect(lines.first.flatMap { Int($0) } ?? 99 <= 4, "another command's processes are visible: \(look.compact)")
    #expect(lines.last == "0", "the other command's sleep is visible: \(look.compact)")
    _ = try server.callTool("process_kill", ["process_id": sleeper["process_id"]!])
  }
}
