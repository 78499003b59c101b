import Foundation
import MishJSON
import MishRPC
import MishSandbox

extension ExecTools {
  /// Variables passed through from the server's environment; everything else is dropped (no secrets leak in).
  static let passedEnvironment = ["PATH", "LANG", "LANGUAGE", "TZ", "HOME", "USER", "LOGNAME", "TERM"]

  static func environment(extra: [String: JSONValue]?, profile: Profile) -> [String: String] {
    let host = ProcessInfo.processInfo.environment
    var environment: [String: String] = [:]
    for name in passedEnvironment { if let value = host[name] { environment[name] = value } }
    for (name, value) in host where name.hasPrefix("LC_") { environment[name] = value }
    environment["PATH"] = environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    environment["TERM"] = environment["TERM"] ?? "dumb"
    if !profile.isUnconfined {
      environment["TMPDIR"] = "/tmp"
      environment["XDG_CACHE_HOME"] = "/tmp/.cache"
    }
    environment["MISH_PROFILE"] = profile.name
    for (name, value) in extra ?? [:] {
      if let text = value.stringValue { environment[name] = text } else { environment.removeValue(forKey: name) }
    }
    return environment
  }

  static let shell: String = FileManager.default.isExecutableFile(atPath: "/bin/bash") ? "/bin/bash" : "/bin/sh"

  static func run(_ engine: ExecEngine) -> OperationSpec {
    return OperationSpec(
      name: "exec/run", title: "Run a command",
      summary: "Runs a command (argv, or a shell string) in the sandbox with its output captured; returns within yield_ms with the result, or with running: true and a process_id to poll. Background jobs (cmd &) end when the command does: run a server in the foreground and let yield_ms hand it back.",
      params: Schema.object(
        nil,
        [
          "argv": .optional(Schema.array("Program and arguments, run without a shell.", of: Schema.string(), minItems: 1)),
          "command": .optional(Schema.string("A shell command line (run with \(shell) -c); use argv or command.", minLength: 1)),
          "cwd": .optional(Schema.string("Working directory relative to the root (default: the root).")),
          "env": .optional(Schema.map("Extra environment variables; null removes one. Only PATH, LANG, LC_*, TZ, HOME, USER, LOGNAME, TERM pass from the server.", values: Schema.nullable(Schema.string()))),
          "stdin": .optional(Schema.string("Text written to the command's stdin (then closed unless keep_stdin_open). Without it, stdin is /dev/null.")),
          "keep_stdin_open": .optional(Schema.boolean("Keep stdin open as a pipe for process_write.", default: false)),
          "timeout_ms": .optional(Schema.integer("Kill the whole process tree after this long (default: the profile's, 300000 for workspace-write).", minimum: 1)),
          "yield_ms": .optional(Schema.integer("Return after this long even if the command still runs (it keeps running; poll with process_read).", minimum: 0, maximum: 600_000, default: 10_000)),
          "max_output_bytes": .optional(Schema.integer("Bytes of each stream kept in the result (head + tail); the full log is always kept.", minimum: 256, maximum: ExecEngine.maxCaptureBytes, default: ExecEngine.defaultCaptureBytes)),
          "profile": profileParameter(default: Profile.defaultName, "Sandbox profile (sandbox/*.json); default: the session's (mish serve --profile), else workspace-write."),
        ]),
      result: Schema.object(nil, stateFields),
      annotations: Annotations(readOnly: false, destructive: true, idempotent: false, openWorld: true),
      footprint: { _ in .barrier },
      render: renderState,
      handler: .async { args, context throws(ToolError) in
        let argv: [String]
        let text: String
        if let command = args.string("command") {
          guard args["argv"] == nil else {
            throw ToolError(.invalidArgument, "Both argv and command were given", hint: "Pass argv (no shell) or command (a shell string), not both.")
          }
          argv = [shell, "-c", command]
          text = command
        } else if let list = args.strings("argv"), !list.isEmpty {
          argv = list
          text = list.map(shellQuoted).joined(separator: " ")
        } else {
          throw ToolError(.invalidArgument, "No command given", hint: "Pass argv, e.g. [\"ls\", \"-la\"], or command, e.g. \"make test 2>&1 | tail\".")
        }
        var extra: [String: JSONValue] = [:]
        for (name, value) in args["env"]?.objectValue ?? [:] { extra[name] = value }
        try checkExecutable(argv: argv, command: args.string("command") != nil, env: extra)
        let profile = try chosenProfile(args, default: engine.defaultProfile.name, engine: engine)
        let cwd = try engine.workspace.directoryPath(args.string("cwd") ?? "", doing: "run a command in")
        var progress: (@Sendable (Int, String) -> Void)?
        if context.wantsProgress {
          progress = { bytes, lines in context.progress(Double(bytes), message: lines) }
        }
        let process = try await engine.startOffPool(
          .init(
            argv: argv, commandText: text, cwd: cwd, environment: environment(extra: extra, profile: profile),
            stdin: args.string("stdin"), keepStdinOpen: args.bool("keep_stdin_open", default: false),
            timeoutMs: args.int("timeout_ms"), profile: profile,
            captureBytes: args.int("max_output_bytes") ?? ExecEngine.defaultCaptureBytes, progress: progress))
        let yieldMs = args.int("yield_ms") ?? 10_000
        await withTaskCancellationHandler {
          await engine.wait(process, until: .now + .milliseconds(yieldMs))
        } onCancel: {
          engine.killTree(process, reason: "cancelled")
        }
        return process.lock.withLock {
          process.progress = nil
          return .object(process.resultLocked())
        }
      })
  }

  /// Refuses what execve cannot carry, instead of running something else: a NUL byte ends a C string, so the
  /// command would get a shortened argument or variable; an environment name with `=` (or none) would set another
  /// variable than the one named.
  static func checkExecutable(argv: [String], command: Bool, env: [String: JSONValue]) throws(ToolError) {
    for (index, argument) in argv.enumerated() { try checkNoNUL(argument, field: command ? "command" : "argv[\(index)]") }
    for (name, value) in env.sorted(by: { $0.key < $1.key }) {
      if name.isEmpty || name.utf8.contains(UInt8(ascii: "=")) || name.utf8.contains(0) {
        throw ToolError(
          .invalidArgument, "env has an invalid variable name \"\(name)\"",
          hint: "A variable name is not empty and has no '=' or NUL byte; put '=' in the value instead.")
      }
      if value.stringValue?.utf8.contains(0) == true {
        throw ToolError(
          .invalidArgument, "env \(name) contains a NUL byte",
          hint: "Environment values cannot hold NUL bytes (they are C strings); pass binary data through stdin or a file.")
      }
    }
  }

  /// Refuses a string that becomes part of a command line (an argument, test_run's command and filter, build_run's
  /// command) when it holds a NUL byte, which would end it early.
  static func checkNoNUL(_ value: String?, field: String) throws(ToolError) {
    guard let value, value.utf8.contains(0) else { return }
    throw ToolError(
      .invalidArgument, "\(field) contains a NUL byte",
      hint: "Arguments cannot hold NUL bytes (they are C strings); pass binary data through stdin or a file.")
  }

  static func shellQuoted(_ word: String) -> String {
    let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
    return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
