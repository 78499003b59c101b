import Foundation
import MishFiles
import MishJSON
import MishReports
import MishRPC
import MishSandbox

extension ExecTools {
  static func buildRun(_ engine: ExecEngine) -> OperationSpec {
    return OperationSpec(
      name: "build/run", title: "Build and type-check",
      summary: "Runs the build (a command, or the one the project implies: swift build --build-tests, cargo build --all-targets, go vet, tsc --noEmit, cmake, make) in the sandbox and returns the compiler's errors and warnings as data, with paths relative to the root.",
      params: Schema.object(
        nil,
        [
          "command": .optional(Schema.string("A shell command that builds (default: detected from the project's files).", minLength: 1)),
          "timeout_ms": .optional(Schema.integer("Kill the build after this long (default: the profile's, 1800000 for test).", minimum: 1)),
          "profile": profileParameter(default: "test"),
        ]),
      result: Schema.object(
        nil,
        [
          "succeeded": .required(Schema.boolean("True when the build exited 0 (warnings allowed).")),
          "diagnostics": .required(Schema.array("Compiler messages, in the order printed (duplicates dropped).", of: diagnosticSchema)),
          "errors": .required(Schema.integer(nil, minimum: 0)),
          "warnings": .required(Schema.integer(nil, minimum: 0)),
          "command": .required(Schema.string("What ran.")),
          "exit_code": .required(Schema.nullable(Schema.integer())),
          "timed_out": .required(Schema.boolean()),
          "duration_ms": .required(Schema.integer(nil, minimum: 0)),
          "log_id": .required(Schema.string("The full log, for output_read.")),
          "notes": .required(Schema.array(of: Schema.string())),
          "log_tail": .optional(Schema.string("The last lines of output when the build failed.")),
        ]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: true, openWorld: false),
      footprint: { _ in .barrier },
      render: renderBuildRun,
      handler: .async { args, context throws(ToolError) in
        let profile = try chosenProfile(args, default: "test", engine: engine)
        let argv: [String]
        if let command = args.string("command") {
          try checkNoNUL(command, field: "command")
          argv = [shell, "-c", command]
        } else {
          argv = try impliedBuildCommand(workspace: engine.workspace)
        }
        let invocation = Runner.Invocation(argv: argv, environment: [:], report: .anything, runsEverything: true, notes: [])
        let build = try await TestAttempt.run(
          invocation, scratch: nil, runner: .command, engine: engine, profile: profile, timeoutMs: args.int("timeout_ms"),
          context: context, progress: nil)
        let output = build.output
        let diagnostics = await ExecEngine.offPool { Diagnostics.parse(output) }
        let succeeded = build.exit.code == 0 && !build.exit.timedOut
        var notes: [String] = []
        if !succeeded {
          if build.exit.timedOut { notes.append("The build hit its timeout and was killed.") }
          if build.exit.oomKilled { notes.append("The build was killed for using too much memory (the profile's memory_mb limit).") }
          if diagnostics.allSatisfy({ $0.severity != .error }) {
            notes.append("The build failed without a compiler error mish could parse (a linker or tool error?); log_tail shows the end of its output.")
          }
        }
        var result: JSONObject = [
          "succeeded": .bool(succeeded),
          "diagnostics": .array(diagnostics.prefix(500).map { diagnosticJSON($0, workspace: engine.workspace) }),
          "errors": .int(diagnostics.filter { $0.severity == .error }.count),
          "warnings": .int(diagnostics.filter { $0.severity == .warning }.count),
          "command": .string(build.commandText),
          "exit_code": build.exit.code.map(JSONValue.int) ?? .null,
          "timed_out": .bool(build.exit.timedOut),
          "duration_ms": .int(build.durationMs),
          "log_id": .string(build.process.id),
          "notes": .array(notes.map(JSONValue.string)),
        ]
        if !succeeded { result["log_tail"] = .string(logTail(output)) }
        return .object(result)
      })
  }

  /// The build the root's files imply: their test runner's (Package.swift, Cargo.toml, ...), else `make` for any
  /// Makefile (one without a test target names no test runner, but still builds).
  static func impliedBuildCommand(workspace: Workspace) throws(ToolError) -> [String] {
    if let argv = detectedRunner(workspace)?.buildCommand() { return argv }
    if makefile(workspace) != nil { return ["make"] }
    throw ToolError(
      .notFound, "No build detected at the root (no Package.swift, Cargo.toml, go.mod, package.json, CMakeLists.txt, Makefile or pytest config)",
      hint: "Pass command, the shell line that builds, e.g. \"make\" or \"gcc -Wall -c src/main.c\".")
  }

  static func renderBuildRun(_ result: JSONValue) -> String {
    let succeeded = result["succeeded"]?.boolValue == true
    var lines = [
      "\(succeeded ? "build succeeded" : "build failed"): \(result["errors"]?.intValue ?? 0) errors, \(result["warnings"]?.intValue ?? 0) warnings in \(result["duration_ms"]?.intValue ?? 0) ms ($ \(result["command"]?.stringValue ?? ""))"
    ]
    lines += renderDiagnosticsAndLog(result, maxDiagnostics: 30)
    return lines.joined(separator: "\n")
  }
}
