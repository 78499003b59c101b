import Foundation
import Glibc

/// Where this process's cgroups are, per controller: cgroup v2 for `cgroup.kill` and `memory.events` (and for the
/// limits when its controllers can be enabled), else the v1 hierarchies that carry memory, pids and cpu (as on
/// these machines: v2 holds only hugetlb).
public struct CgroupLayout: Sendable {
  public struct Place: Sendable, Equatable {
    /// 1 or 2.
    public var version: Int
    /// This server's own directory for the controller: commands get subdirectories of `<directory>/mish-<pid>`.
    public var directory: String
  }

  /// The v2 directory (kill, events), when there is a writable one.
  public var unified: Place?
  /// memory, pids, cpu → where each can be limited.
  public var controllers: [String: Place]
  public var problem: String?

  public static let wanted = ["memory", "pids", "cpu"]

  public var summary: String {
    var parts: [String] = []
    if let unified { parts.append("v2 at \(unified.directory) (kill, events)") }
    for name in Self.wanted {
      if let place = controllers[name] { parts.append("\(name) v\(place.version)") } else { parts.append("\(name) missing") }
    }
    return parts.joined(separator: ", ")
  }

  /// The rlimits that stand in for missing controllers.
  public enum Fallback: String, Sendable {
    case addressSpace = "RLIMIT_AS for memory"
    case processes = "RLIMIT_NPROC for pids"
  }

  /// Which stand-ins a command gets when its cgroup applied only `applied` ("memory v1", "pids v2", ...). RLIMIT_NPROC
  /// counts every process of the uid, so it is no use to a server running as the host's root.
  public static func rlimitFallbacks(applied: [String], isRoot: Bool) -> [Fallback] {
    var fallbacks: [Fallback] = []
    if !applied.contains(where: { $0.hasPrefix("memory") }) { fallbacks.append(.addressSpace) }
    if !applied.contains(where: { $0.hasPrefix("pids") }) && !isRoot { fallbacks.append(.processes) }
    return fallbacks
  }

  /// Removes the cgroup directories of mish servers that died without cleaning up (SIGKILL): `mish-<pid>` whose
  /// pid is gone — and this server's own with `own` (at exit). What is still inside is killed first (v2), so an
  /// rmdir can succeed.
  public func removeStale(own: Bool = false) {
    let places = Set((Array(controllers.values) + (unified.map { [$0] } ?? [])).map(\.directory))
    for place in places {
      let entries = (try? FileManager.default.contentsOfDirectory(atPath: place)) ?? []
      for entry in entries where entry.hasPrefix("mish-") {
        guard let pid = pid_t(entry.dropFirst(5)) else { continue }
        guard pid == getpid() ? own : (kill(pid, 0) != 0 && errno == ESRCH) else { continue }
        let base = place + "/" + entry
        for child in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
          let path = base + "/" + child
          var info = stat()
          guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
          _ = ProfileCgroup.write(path + "/cgroup.kill", "1")
          rmdir(path)
        }
        rmdir(base)
      }
    }
  }

  static func detect() -> CgroupLayout {
    parse(
      mountinfo: (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "",
      membership: (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? "",
      uid: getuid(),
      isWritable: { access($0, W_OK) == 0 },
      controllersOf: { directory in
        ((try? String(contentsOfFile: directory + "/cgroup.controllers", encoding: .utf8)) ?? "")
          .split(whereSeparator: \.isWhitespace).map(String.init)
      })
  }

  /// The layout from /proc/self/mountinfo and /proc/self/cgroup; the two probes of the file system are passed in,
  /// so every layout (hybrid, pure v2, nothing delegated) is tested as a table.
  static func parse(
    mountinfo: String, membership: String, uid: uid_t, isWritable: (String) -> Bool, controllersOf: (String) -> [String]
  ) -> CgroupLayout {
    var v2Mount: String?
    var v1Mounts: [String: String] = [:]
    for line in mountinfo.split(separator: "\n") {
      let halves = line.components(separatedBy: " - ")
      guard halves.count == 2 else { continue }
      let fields = halves[0].split(separator: " ")
      let tail = halves[1].split(separator: " ")
      guard fields.count >= 5, tail.count >= 3 else { continue }
      let mountPoint = String(fields[4])
      if tail[0] == "cgroup2" { v2Mount = v2Mount ?? mountPoint }
      if tail[0] == "cgroup" {
        for option in tail[2].split(separator: ",") where wanted.contains(String(option)) { v1Mounts[String(option)] = mountPoint }
      }
    }
    var v2Path: String?
    var v1Paths: [String: String] = [:]
    for line in membership.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count == 3 else { continue }
      if parts[0] == "0" && parts[1].isEmpty { v2Path = String(parts[2]) }
      for controller in parts[1].split(separator: ",") where wanted.contains(String(controller)) {
        v1Paths[String(controller)] = String(parts[2])
      }
    }
    var layout = CgroupLayout(unified: nil, controllers: [:], problem: nil)
    if let v2Mount, let v2Path {
      let directory = v2Mount + (v2Path == "/" ? "" : v2Path)
      if isWritable(directory) {
        layout.unified = Place(version: 2, directory: directory)
        let available = controllersOf(directory)
        for name in wanted where available.contains(name) { layout.controllers[name] = Place(version: 2, directory: directory) }
      }
    }
    for name in wanted where layout.controllers[name] == nil {
      guard let mount = v1Mounts[name], let path = v1Paths[name] else { continue }
      let directory = mount + (path == "/" ? "" : path)
      if isWritable(directory) { layout.controllers[name] = Place(version: 1, directory: directory) }
    }
    let missing = wanted.filter { layout.controllers[$0] == nil }
    if !missing.isEmpty || layout.unified == nil {
      var reasons: [String] = []
      if !missing.isEmpty {
        reasons.append("no writable cgroup for \(missing.joined(separator: ", ")) (uid \(uid); neither v2 nor v1 delegates it)")
      }
      if layout.unified == nil { reasons.append("no writable cgroup v2 directory, so no cgroup.kill") }
      layout.problem = reasons.joined(separator: "; ")
    }
    return layout
  }
}

/// The cgroups of one sandbox profile's zygote, and so of every command it starts: a directory per hierarchy,
/// limits written before the zygote joins (through the `cgroup.procs` fds it writes "0" into), and the OOM-kill
/// counter read around each command. The limits are shared by the profile's commands of this session.
public final class ProfileCgroup: @unchecked Sendable {
  public private(set) var directories: [(place: CgroupLayout.Place, path: String)] = []
  public private(set) var procsFDs: [Int32] = []
  /// What could not be set, for the report.
  public private(set) var problems: [String] = []
  public private(set) var applied: [String] = []
  var killPath: String?
  var memoryEvents: (path: String, version: Int)?

  public init(layout: CgroupLayout, name: String, limits: Profile.Limits) {
    var places: [String: String] = [:]  // directory → created path, so one v2 dir serves several controllers
    func directory(for place: CgroupLayout.Place) -> String? {
      if let existing = places[place.directory] { return existing }
      let base = place.directory + "/mish-\(getpid())"
      let path = base + "/" + name
      if mkdir(base, 0o755) != 0 && errno != EEXIST {
        problems.append("mkdir \(base): \(String(cString: strerror(errno)))")
        return nil
      }
      if place.version == 2 { enableControllers(base: base, parent: place.directory) }
      guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
        problems.append("mkdir \(path): \(String(cString: strerror(errno)))")
        return nil
      }
      places[place.directory] = path
      directories.append((place, path))
      let fd = open(path + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
      if fd >= 0 { procsFDs.append(fd) } else { problems.append("open \(path)/cgroup.procs: \(String(cString: strerror(errno)))") }
      return path
    }
    if let unified = layout.unified, let path = directory(for: unified) {
      killPath = path + "/cgroup.kill"
    }
    for controller in CgroupLayout.wanted {
      guard let place = layout.controllers[controller], let path = directory(for: place) else { continue }
      let settings: [(String, String)]
      switch (controller, place.version) {
      case ("memory", 1):
        settings = [("memory.limit_in_bytes", String(limits.memoryMB << 20))]
        memoryEvents = (path + "/memory.oom_control", 1)
      case ("memory", _):
        settings = [("memory.max", String(limits.memoryMB << 20)), ("memory.swap.max", "0")]
        memoryEvents = (path + "/memory.events", 2)
      case ("pids", _):
        settings = [("pids.max", String(limits.pids))]
      case ("cpu", 1):
        settings = [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", String(limits.cpuPercent * 1000))]
      default:
        settings = [("cpu.max", "\(limits.cpuPercent * 1000) 100000")]
      }
      var ok = true
      for (file, value) in settings where !Self.write(path + "/" + file, value) {
        if file == "memory.swap.max" { continue }  // no swap accounting: nothing to limit
        ok = false
        problems.append("\(controller) v\(place.version): writing \(value) to \(file) failed: \(String(cString: strerror(errno)))")
      }
      if ok { applied.append("\(controller) v\(place.version)") }
    }
  }

  func enableControllers(base: String, parent: String) {
    for controller in CgroupLayout.wanted {
      _ = Self.write(parent + "/cgroup.subtree_control", "+" + controller)
      _ = Self.write(base + "/cgroup.subtree_control", "+" + controller)
    }
  }

  /// Kills every process in the cgroups (v2 `cgroup.kill`; v1 by signalling each member).
  public func killAll() {
    if let killPath, Self.write(killPath, "1") { return }
    for (place, path) in directories where place.version == 1 {
      let text = (try? String(contentsOfFile: path + "/cgroup.procs", encoding: .utf8)) ?? ""
      for pid in text.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
    }
  }

  /// How many times the kernel's OOM killer has struck in the memory cgroup so far (compared before and after a
  /// command to tell whether it was OOM-killed).
  public func oomKillCount() -> Int {
    guard let (path, _) = memoryEvents, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ")
      if parts.count == 2, parts[0] == "oom_kill", let count = Int(parts[1]) { return count }
    }
    return 0
  }

  /// Closes the fds the zygote has used (it joined already).
  public func closeProcsFDs() {
    for fd in procsFDs { close(fd) }
    procsFDs = []
  }

  static func write(_ path: String, _ value: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return value.withCString { Glibc.write(fd, $0, strlen($0)) } == value.utf8.count
  }

  deinit {
    for fd in procsFDs { close(fd) }
  }
}
