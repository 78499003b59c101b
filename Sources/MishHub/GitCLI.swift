import Foundation

/// The git command line, for what libgit2 1.5 does slowly or not at all here (worktree checkout is 2× slower in
/// libgit2, and it has no worktree locking by reason). Hooks are always disabled (`core.hooksPath=/dev/null`), the
/// environment is fixed, and arguments are argv (never a shell). Blocking: callers run it off the cooperative pool.
struct GitCLI: Sendable {
  struct Failure: Error, Sendable, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stderr: String
    var description: String { "git \(arguments.joined(separator: " ")) failed (\(status)): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))" }
  }

  let repository: String

  static let executable: String = {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let candidate = "\(directory)/git"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return "/usr/bin/git"
  }()

  /// Runs `git -C directory args` and returns its stdout, trimmed of the final newline.
  @discardableResult
  func run(_ arguments: [String], in directory: String? = nil) throws(Failure) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    let full = ["-C", directory ?? repository, "-c", "core.hooksPath=/dev/null", "-c", "advice.detachedHead=false"] + arguments
    process.arguments = full
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_TERMINAL_PROMPT"] = "0"
    environment["LC_ALL"] = "C"
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw Failure(arguments: arguments, status: -1, stderr: "cannot start \(Self.executable): \(error)")
    }
    // Read both to the end before waiting, so neither pipe can fill and stall git.
    let group = DispatchGroup()
    nonisolated(unsafe) var errorData = Data()
    group.enter()
    DispatchQueue.global().async {
      errorData = errors.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw Failure(arguments: arguments, status: process.terminationStatus, stderr: String(decoding: errorData, as: UTF8.self))
    }
    var text = String(decoding: outputData, as: UTF8.self)
    if text.hasSuffix("\n") { text.removeLast() }
    return text
  }

  /// `run`, tried again a few times when git found one of its lock files taken or a worktree half-made (the hub's
  /// own worktree admin is serialized by `Hub.worktreeAdmin`, but ref updates and other gits run beside it).
  @discardableResult
  func runRetryingLocks(_ arguments: [String], in directory: String? = nil) throws(Failure) -> String {
    var attempt = 0
    while true {
      do throws(Failure) {
        return try run(arguments, in: directory)
      } catch {
        attempt += 1
        // A lock file another git holds, or a worktree another git (not this hub's) is half-way through making.
        let transient = error.stderr.contains(".lock") || (error.stderr.contains("failed to read") && error.stderr.contains("/worktrees/"))
        guard attempt < 5, transient else { throw error }
        usleep(useconds_t(20_000 * attempt))
      }
    }
  }

  /// The commit a revision names, or nil when it names none.
  func commit(_ revision: String) -> String? {
    try? run(["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"])
  }

  /// The branch HEAD points at in the main worktree (nil when detached).
  func currentBranch() -> String? {
    try? run(["symbolic-ref", "--quiet", "--short", "HEAD"])
  }

  /// The worktrees git knows, from `git worktree list --porcelain`: path → (head, branch, locked).
  func worktrees() throws(Failure) -> [String: (head: String?, branch: String?, locked: Bool)] {
    var result: [String: (head: String?, branch: String?, locked: Bool)] = [:]
    var path: String?
    var entry: (head: String?, branch: String?, locked: Bool) = (nil, nil, false)
    let lines: [Substring] = try run(["worktree", "list", "--porcelain"]).split(separator: "\n", omittingEmptySubsequences: false) + [""]
    for line in lines {
      if line.isEmpty {
        if let path { result[path] = entry }
        path = nil
        entry = (nil, nil, false)
      } else if line.hasPrefix("worktree ") {
        path = String(line.dropFirst(9))
      } else if line.hasPrefix("HEAD ") {
        entry.head = String(line.dropFirst(5))
      } else if line.hasPrefix("branch ") {
        entry.branch = String(line.dropFirst(7))
      } else if line.hasPrefix("locked") {
        entry.locked = true
      }
    }
    return result
  }
}
