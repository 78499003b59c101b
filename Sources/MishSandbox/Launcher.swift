import CSpawn
import Foundation
import Glibc
import Synchronization

/// What to run and how: the caller resolves paths and picks fds; the plan says which layers apply.
public struct LaunchRequest: Sendable {
  public var argv: [String]
  public var environment: [String: String]
  /// Absolute, inside the worktree.
  public var cwd: String
  public var worktree: String
  public var plan: SandboxPlan
  public var stdinFD: Int32
  public var stdoutFD: Int32
  public var stderrFD: Int32
  /// The launcher's init writes the command's wait status here.
  public var statusFD: Int32
  /// A name unique among this server's commands (the cgroup directory's name).
  public var name: String

  public init(
    argv: [String], environment: [String: String], cwd: String, worktree: String, plan: SandboxPlan, stdinFD: Int32,
    stdoutFD: Int32, stderrFD: Int32, statusFD: Int32, name: String
  ) {
    self.argv = argv
    self.environment = environment
    self.cwd = cwd
    self.worktree = worktree
    self.plan = plan
    self.stdinFD = stdinFD
    self.stdoutFD = stdoutFD
    self.stderrFD = stderrFD
    self.statusFD = statusFD
    self.name = name
  }
}

public struct LaunchError: Error, Sendable {
  /// `sandbox_unavailable`, `not_found`, `denied`, `spawn_failed`.
  public var code: String
  public var message: String
  public var hint: String
}

/// A started command: its init's pid (and pidfd), and its cgroups.
public struct Launched: Sendable {
  public var pid: pid_t
  public var pidfd: Int32
  public var cgroup: CommandCgroup?
}

/// Starts sandboxed commands. The seccomp filter is compiled once; every fork happens on one dedicated thread
/// that lives as long as the server, because PR_SET_PDEATHSIG fires when the forking *thread* exits.
public final class Launcher: Sendable {
  public let probe: KernelProbe
  let filter: Result<SeccompPolicy.Filter, SeccompPolicy.CompileError>
  let thread = SpawnThread()

  public init(probe: KernelProbe = .current()) {
    self.probe = probe
    filter = Result { () throws(SeccompPolicy.CompileError) in try SeccompPolicy.compile() }
    probe.cgroups.removeStale()
  }

  public var filterInstructions: Int? { try? filter.get().instructions }

  public func plan(_ profile: Profile) -> SandboxPlan {
    var seccompError: String?
    if case .failure(let error) = filter { seccompError = error.description }
    return SandboxPlan.make(profile: profile, probe: probe, seccompError: seccompError)
  }

  /// Spawns on the launcher thread and waits for exec (or the failing stage).
  public func launch(_ request: LaunchRequest) throws(LaunchError) -> Launched {
    let plan = request.plan
    if let refusal = plan.refusal {
      throw LaunchError(
        code: "sandbox_unavailable", message: refusal,
        hint: "Nothing was run. Use a host where the layer is available, or pass profile \"none\" explicitly to run unconfined.")
    }
    guard let program = request.argv.first, !program.isEmpty else {
      throw LaunchError(code: "invalid_argument", message: "The command is empty", hint: "Pass argv with the program first, or command.")
    }
    let limits = plan.profile.limits
    let cgroup: CommandCgroup? =
      plan.enforced(.cgroups) ? CommandCgroup(layout: probe.cgroups, name: request.name, limits: limits) : nil
    let outcome = thread.run { [self] in spawn(request, cgroup: cgroup) }
    switch outcome {
    case .success(let pid):
      let pidfd = mish_pidfd_open(pid)
      return Launched(pid: pid, pidfd: pidfd, cgroup: cgroup)
    case .failure(let error):
      cgroup?.remove()
      throw error
    }
  }

  func spawn(_ request: LaunchRequest, cgroup: CommandCgroup?) -> Result<pid_t, LaunchError> {
    let plan = request.plan
    let profile = plan.profile
    let sandboxed = plan.enforced(.namespaces)
    var flags: Int32 = 0
    if sandboxed {
      flags |= Int32(MISH_SPAWN_NEWNS | MISH_SPAWN_NEWPID | MISH_SPAWN_NEWIPC | MISH_SPAWN_NEWUTS)
      if !probe.isRoot { flags |= Int32(MISH_SPAWN_NEWUSER) }
      if !profile.network { flags |= Int32(MISH_SPAWN_NEWNET) }
    }
    if profile.worktreeWritable { flags |= Int32(MISH_SPAWN_WORKTREE_WRITABLE) }
    if plan.enforced(.capabilities) { flags |= Int32(MISH_SPAWN_DROP_CAPS) }
    if plan.enforced(.noNewPrivs) || plan.enforced(.landlock) || plan.enforced(.seccomp) {
      flags |= Int32(MISH_SPAWN_NO_NEW_PRIVS)
    }
    let limits = profile.limits
    var rlimits: [mish_rlimit] = [
      mish_rlimit(resource: Int32(RLIMIT_CORE.rawValue), value: 0),
      mish_rlimit(resource: Int32(RLIMIT_NOFILE.rawValue), value: UInt64(limits.openFiles)),
      mish_rlimit(resource: Int32(RLIMIT_FSIZE.rawValue), value: UInt64(limits.fileSizeMB) << 20),
      mish_rlimit(resource: Int32(RLIMIT_CPU.rawValue), value: UInt64(limits.cpuSeconds)),
    ]
    // Without a memory cgroup, address space is the only memory bound left (it breaks some runtimes; reported);
    // without a pids cgroup, RLIMIT_NPROC (counted per uid, so only where the command's uid is not the host's root).
    for fallback in CgroupLayout.rlimitFallbacks(applied: cgroup?.applied ?? [], isRoot: probe.isRoot) {
      switch fallback {
      case .addressSpace:
        rlimits.append(mish_rlimit(resource: Int32(RLIMIT_AS.rawValue), value: UInt64(limits.memoryMB) << 20))
      case .processes:
        rlimits.append(mish_rlimit(resource: Int32(__RLIMIT_NPROC.rawValue), value: UInt64(limits.pids)))
      }
    }
    let worktree = request.worktree
    var protect: [String] = []
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: worktree + "/.git", isDirectory: &isDirectory), isDirectory.boolValue {
      protect = [worktree + "/.git/config", worktree + "/.git/hooks"]
    }
    let abi = plan.enforced(.landlock) ? (probe.landlockABI ?? 0) : 0
    let landlockFull = (profile.worktreeWritable ? [worktree] : []) + ["/tmp", "/dev/shm"]
    let filterBytes: [UInt8] = plan.enforced(.seccomp) ? ((try? filter.get().bytes) ?? []) : []
    let environment = request.environment.map { "\($0.key)=\($0.value)" }.sorted()

    return CStrings.with(request.argv) { argv in
      CStrings.with(environment) { envp in
        CStrings.with(protect) { protectList in
          CStrings.with(landlockFull) { fullList in
            CStrings.with(["/dev"]) { devList in
              filterBytes.withUnsafeBytes { bpf in
                rlimits.withUnsafeBufferPointer { rlimitBuffer in
                  (cgroup?.procsFDs ?? []).withUnsafeBufferPointer { cgroupFDs in
                    request.argv[0].withCString { file in
                      (request.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").withCString { searchPath in
                        request.cwd.withCString { cwd in
                          worktree.withCString { worktreePath in
                            var spec = mish_spawn_spec()
                            spec.file = file
                            spec.search_path = searchPath
                            spec.argv = UnsafePointer(argv)
                            spec.envp = UnsafePointer(envp)
                            spec.cwd = cwd
                            spec.stdin_fd = request.stdinFD
                            spec.stdout_fd = request.stdoutFD
                            spec.stderr_fd = request.stderrFD
                            spec.status_fd = request.statusFD
                            spec.flags = flags
                            spec.outer_uid = probe.uid
                            spec.outer_gid = probe.gid
                            spec.worktree = worktreePath
                            spec.protect = UnsafePointer(OpaquePointer(protectList))
                            spec.tmp_bytes = UInt64(limits.tmpMB) << 20
                            spec.rlimits = rlimitBuffer.baseAddress
                            spec.rlimit_count = Int32(rlimitBuffer.count)
                            spec.cgroup_procs_fds = cgroupFDs.baseAddress
                            spec.cgroup_count = Int32(cgroupFDs.count)
                            spec.cap_last_cap = Int32(probe.capLastCap)
                            spec.landlock_abi = Int32(abi)
                            spec.landlock_fs_handled = Landlock.handledWrites(abi: abi)
                            spec.landlock_net_handled = plan.landlockDeniesTCP ? Landlock.handledNet(abi: abi) : 0
                            spec.landlock_scoped = Landlock.scoped(abi: abi)
                            spec.landlock_full = UnsafePointer(OpaquePointer(fullList))
                            spec.landlock_dev = UnsafePointer(OpaquePointer(devList))
                            spec.landlock_dev_access = Landlock.deviceAccess
                            spec.bpf = bpf.baseAddress
                            spec.bpf_instructions = UInt32(bpf.count / 8)
                            var result = mish_spawn_result()
                            mish_spawn(&spec, &result)
                            return Self.outcome(result, program: request.argv[0], cwd: request.cwd)
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  static func outcome(_ result: mish_spawn_result, program: String, cwd: String) -> Result<pid_t, LaunchError> {
    if result.stage == Int32(MISH_STAGE_NONE.rawValue) { return .success(result.pid) }
    if result.pid > 0 {
      var status: Int32 = 0
      while waitpid(result.pid, &status, 0) < 0 && errno == EINTR {}
    }
    let stage = String(cString: mish_spawn_stage_name(result.stage))
    let reason = String(cString: strerror(result.error))
    switch (result.stage, result.error) {
    case (Int32(MISH_STAGE_EXEC.rawValue), ENOENT):
      return .failure(
        LaunchError(
          code: "not_found", message: "\(program): command not found (inside the sandbox)",
          hint: "Check the name and PATH; the sandbox sees the host's programs read-only, and the worktree at its own path."))
    case (Int32(MISH_STAGE_EXEC.rawValue), EACCES):
      return .failure(
        LaunchError(code: "denied", message: "\(program): permission denied (not executable?)", hint: "chmod +x it, or run it through its interpreter."))
    case (Int32(MISH_STAGE_CHDIR.rawValue), _):
      return .failure(
        LaunchError(code: "not_found", message: "cwd \(cwd): \(reason)", hint: "Pass a directory that exists inside the worktree."))
    default:
      return .failure(
        LaunchError(
          code: "spawn_failed", message: "The sandbox could not be set up: \(stage) failed (\(reason))",
          hint: "Nothing was run. session_info shows each layer; a profile with that layer off, or a host that allows it, is needed."))
    }
  }
}

/// Runs closures one at a time on one long-lived thread and hands back their results.
final class SpawnThread: Sendable {
  final class Queue: @unchecked Sendable {
    let condition = NSCondition()
    var jobs: [() -> Void] = []
  }
  let queue = Queue()

  init() {
    let thread = Thread { [queue] in
      while true {
        queue.condition.lock()
        while queue.jobs.isEmpty { queue.condition.wait() }
        let job = queue.jobs.removeFirst()
        queue.condition.unlock()
        job()
      }
    }
    thread.name = "mish.spawn"
    thread.start()
  }

  func run<T>(_ body: @escaping () -> T) -> T {
    let done = NSCondition()
    var result: T?
    queue.condition.lock()
    queue.jobs.append {
      let value = body()
      done.lock()
      result = value
      done.signal()
      done.unlock()
    }
    queue.condition.signal()
    queue.condition.unlock()
    done.lock()
    while result == nil { done.wait() }
    done.unlock()
    return result!
  }
}

/// NULL-terminated C string arrays for the duration of a closure.
enum CStrings {
  static func with<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
    for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
    pointers[strings.count] = nil
    defer {
      for index in 0..<strings.count { free(pointers[index]) }
      pointers.deallocate()
    }
    return body(pointers)
  }
}
