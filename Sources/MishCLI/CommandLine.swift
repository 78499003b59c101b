import MishSandbox

/// A parsed command line. Parsing is pure, so every usage error is tested as a table.
public enum Command: Equatable, Sendable {
  case serve(root: String, logLevel: String, maxFrameBytes: Int?, stateDir: String? = nil, profile: String? = nil, limits: String? = nil)
  case call(method: String, params: String?, root: String)
  case tools(root: String)
  case schemas(directory: String, check: Bool)
  case profiles(directory: String, check: Bool)
  case demo(directory: String?)
  case hub(repo: String, pool: Int, logLevel: String, stuckAfterMs: Int)
  case hubStatus(repo: String, json: Bool)
  case connect(session: String, repo: String)
  case mergeTree(repo: String, repeat: Int, ours: String, theirs: String)
  /// The hub's template for sessions' servers (internal: spawned by `mish hub`, not in the usage text).
  case sessionZygote
  case help
  case version
}

/// A command line that cannot be run; the message says what was wrong, the usage text follows.
public struct UsageError: Error, Equatable, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
}

public enum CommandLineParser {
  public static let usage = """
    mish — machine-interface shell: structured file, command, test and git tools for coding agents, over JSON-RPC/MCP.

    Usage:
      mish serve [--root DIR] [--log-level LEVEL] [--max-frame-bytes N] [--state-dir DIR] [--profile NAME]
               [--limits memory_mb=N,pids=N,timeout_ms=N]
                                  Serve one session on stdio (MCP and native JSON-RPC), confined to DIR (default: .);
                                  command logs go to --state-dir (default: a private temp dir, removed at exit);
                                  commands run under --profile unless a call names one (default: workspace-write)
      mish call METHOD [JSON] [--root DIR]
                                  Run one method (e.g. fs/read '{"path":"README.md"}') on a fresh server; print the
                                  result as JSON; exit 1 when the operation fails
      mish tools [--root DIR]     List the tools with their parameters
      mish schemas [--check] [DIR]
                                  Write the JSON Schemas of every method to DIR (default: schemas); --check only
                                  compares and exits 1 when they are stale
      mish profiles [--check] [DIR]
                                  Write the built-in sandbox profiles to DIR (default: sandbox); --check compares
      mish demo [--dir DIR]       Six scripted agents in sandboxed hub sessions on a sample repository; the merge queue
                                  gates and lands the good changes and rejects a conflict and a broken test
      mish hub [--repo DIR] [--pool N] [--stuck-after-ms N] [--log-level LEVEL]
                                  Orchestrate sessions on the git repository DIR (default: .) over stdio (MCP and
                                  native JSON-RPC): each on its own branch and worktree, state in DIR/.mish/
      mish hub status [--repo DIR] [--json]
                                  Show the hub's sessions and merge queue as tables (or JSON), from its journal
      mish connect --session ID [--repo DIR]
                                  Be one of a running hub's sessions on stdio (for any MCP client)
      mish merge-tree [--repo DIR] [--repeat N] OURS THEIRS
                                  Merge two commits in memory as the hub's merge queue does (for development and
                                  bench/merge): print the tree or the conflicts and each of N runs' milliseconds as
                                  JSON; exit 0 clean, 1 conflicts, 2 when git fails
      mish --help | --version

    Log levels: debug, info, notice, warning, error. Exit codes: 0 ok, 1 operation failed, 64 usage error.
    """

  public static func parse(_ arguments: [String]) throws(UsageError) -> Command {
    guard let verb = arguments.first else { throw UsageError("missing command") }
    var rest = Array(arguments.dropFirst())
    switch verb {
    case "--help", "-h", "help": return .help
    case "--version", "-V", "version": return .version
    case "serve":
      var options = try Options(&rest, valued: ["--root", "--log-level", "--max-frame-bytes", "--state-dir", "--profile", "--limits"], flags: [])
      try rest.expectEmpty(verb)
      var maxFrame: Int?
      if let text = options.take("--max-frame-bytes") {
        guard let value = Int(text), value >= 1024 else { throw UsageError("--max-frame-bytes needs a number of at least 1024, got \(text)") }
        maxFrame = value
      }
      let level = options.take("--log-level") ?? "info"
      guard ["debug", "info", "notice", "warning", "error"].contains(level) else {
        throw UsageError("unknown log level \(level)")
      }
      let limits = options.take("--limits")
      if let limits, Profile.LimitOverrides(parsing: limits) == nil {
        throw UsageError("--limits takes memory_mb=N,pids=N,timeout_ms=N (any of them), got \(limits)")
      }
      return .serve(
        root: options.take("--root") ?? ".", logLevel: level, maxFrameBytes: maxFrame, stateDir: options.take("--state-dir"),
        profile: options.take("--profile"), limits: limits)
    case "call":
      var options = try Options(&rest, valued: ["--root"], flags: [])
      guard let method = rest.first else { throw UsageError("call needs a METHOD, e.g. mish call fs/read '{\"path\":\"README.md\"}'") }
      let params = rest.count > 1 ? rest[1] : nil
      if rest.count > 2 { throw UsageError("call takes METHOD and at most one JSON argument; got \(rest.count - 1) arguments") }
      return .call(method: method, params: params, root: options.take("--root") ?? ".")
    case "tools":
      var options = try Options(&rest, valued: ["--root"], flags: [])
      try rest.expectEmpty(verb)
      return .tools(root: options.take("--root") ?? ".")
    case "schemas":
      let options = try Options(&rest, valued: [], flags: ["--check"])
      if rest.count > 1 { throw UsageError("schemas takes at most one directory") }
      return .schemas(directory: rest.first ?? "schemas", check: options.flags.contains("--check"))
    case "profiles":
      let options = try Options(&rest, valued: [], flags: ["--check"])
      if rest.count > 1 { throw UsageError("profiles takes at most one directory") }
      return .profiles(directory: rest.first ?? "sandbox", check: options.flags.contains("--check"))
    case "hub":
      if rest.first == "status" {
        rest.removeFirst()
        var options = try Options(&rest, valued: ["--repo"], flags: ["--json"])
        try rest.expectEmpty("hub status")
        return .hubStatus(repo: options.take("--repo") ?? ".", json: options.flags.contains("--json"))
      }
      var options = try Options(&rest, valued: ["--repo", "--pool", "--stuck-after-ms", "--log-level"], flags: [])
      try rest.expectEmpty(verb)
      let pool = options.take("--pool") ?? "2"
      guard let poolSize = Int(pool), (0...64).contains(poolSize) else { throw UsageError("--pool needs a number from 0 to 64, got \(pool)") }
      let stuck = options.take("--stuck-after-ms") ?? "120000"
      guard let stuckAfter = Int(stuck), stuckAfter >= 100 else { throw UsageError("--stuck-after-ms needs a number of at least 100, got \(stuck)") }
      let level = options.take("--log-level") ?? "info"
      guard ["debug", "info", "notice", "warning", "error"].contains(level) else { throw UsageError("unknown log level \(level)") }
      return .hub(repo: options.take("--repo") ?? ".", pool: poolSize, logLevel: level, stuckAfterMs: stuckAfter)
    case "connect":
      var options = try Options(&rest, valued: ["--session", "--repo"], flags: [])
      try rest.expectEmpty(verb)
      guard let session = options.take("--session") else { throw UsageError("connect needs --session ID (hub_sessions lists them)") }
      return .connect(session: session, repo: options.take("--repo") ?? ".")
    case "merge-tree":
      var options = try Options(&rest, valued: ["--repo", "--repeat"], flags: [])
      guard rest.count == 2 else { throw UsageError("merge-tree needs two commits, OURS and THEIRS (e.g. mish merge-tree main my-branch); got \(rest.count)") }
      let count = options.take("--repeat") ?? "1"
      guard let repeatCount = Int(count), (1...100_000).contains(repeatCount) else {
        throw UsageError("--repeat needs a number from 1 to 100000, got \(count)")
      }
      return .mergeTree(repo: options.take("--repo") ?? ".", repeat: repeatCount, ours: rest[0], theirs: rest[1])
    case "__session-zygote":
      try rest.expectEmpty(verb)
      return .sessionZygote
    case "demo":
      var options = try Options(&rest, valued: ["--dir"], flags: [])
      try rest.expectEmpty(verb)
      return .demo(directory: options.take("--dir"))
    default:
      throw UsageError("unknown command \(verb)")
    }
  }

  /// `--name value` and `--name=value` options, and boolean flags, removed from the arguments as they are read.
  struct Options {
    var values: [String: String] = [:]
    var flags: Set<String> = []

    init(_ arguments: inout [String], valued: Set<String>, flags known: Set<String>) throws(UsageError) {
      var positional: [String] = []
      var index = 0
      while index < arguments.count {
        let argument = arguments[index]
        index += 1
        guard argument.hasPrefix("--"), argument.count > 2 else {
          positional.append(argument)
          continue
        }
        // "--root=" has an empty value; split would drop it and take the next argument instead.
        let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0]
        if known.contains(name), parts.count == 1 {
          flags.insert(name)
        } else if valued.contains(name) {
          if parts.count == 2 {
            guard !parts[1].isEmpty else { throw UsageError("\(name) needs a value (got \(argument))") }
            values[name] = parts[1]
          } else {
            guard index < arguments.count else { throw UsageError("\(name) needs a value") }
            values[name] = arguments[index]
            index += 1
          }
        } else {
          throw UsageError("unknown option \(name)")
        }
      }
      arguments = positional
    }

    mutating func take(_ name: String) -> String? { values.removeValue(forKey: name) }
  }
}

extension Array where Element == String {
  fileprivate func expectEmpty(_ verb: String) throws(UsageError) {
    if let first = first { throw UsageError("\(verb) does not take the argument \(first)") }
  }
}
