import Foundation
import MishJSON
import MishRPC
import MishSandbox

/// exec/run, process/*, output/read over one engine, in the order tools/list shows them.
public enum ExecTools {
  public static func operations(_ engine: ExecEngine) -> [OperationSpec] {
    [
      run(engine), processRead(engine), processWrite(engine), processKill(engine), processList(engine), outputRead(engine),
      testRun(engine, history: TestHistory()), buildRun(engine),
    ]
  }

  /// The `profile` parameter, defaulting to `name`.
  static func profileParameter(default name: String, _ description: String = "Sandbox profile (sandbox/*.json).") -> Schema.Field {
    .optional(Schema.string(description, enum: Profile.builtIn.map(\.name), default: name))
  }

  /// The profile a call names (or `fallback`), refused when unknown.
  /// The session's limit overrides (`mish serve --limits`) apply to whichever profile is chosen.
  static func chosenProfile(_ args: Args, default fallback: String, engine: ExecEngine) throws(ToolError) -> Profile {
    let name = args.string("profile") ?? fallback
    guard let profile = Profile.named(name) else {
      throw ToolError(.invalidArgument, "Unknown profile \(name)", hint: "Use one of \(Profile.builtIn.map(\.name).joined(separator: ", ")).")
    }
    return engine.limitOverrides.applied(to: profile)
  }

  /// The tail of a test or build result's compact text: diagnostics, notes, the last output, the log handle.
  static func renderDiagnosticsAndLog(_ result: JSONValue, maxDiagnostics: Int) -> [String] {
    var lines: [String] = []
    for diagnostic in (result["diagnostics"]?.arrayValue ?? []).prefix(maxDiagnostics) {
      let column = diagnostic["column"]?.intValue.map { ":\($0)" } ?? ""
      lines.append("\(diagnostic["file"]?.stringValue ?? ""):\(diagnostic["line"]?.intValue ?? 0)\(column): \(diagnostic["severity"]?.stringValue ?? ""): \(diagnostic["message"]?.stringValue ?? "")")
    }
    for note in result["notes"]?.arrayValue ?? [] { lines.append("note: \(note.stringValue ?? "")") }
    if let tail = result["log_tail"]?.stringValue, !tail.isEmpty { lines.append("--- last output ---\n" + tail) }
    lines.append("[full log: output_read {\"log_id\":\"\(result["log_id"]?.stringValue ?? "")\"}]")
    return lines
  }

  static let processIDSchema = Schema.string("A process_id from exec_run (or process_list).", minLength: 1)

  static let streamSchema = Schema.object(
    "What one stream printed: all of it when it fits, else head and tail with exact counts of what is left out.",
    [
      "text": .required(Schema.string("The output (head + tail when truncated); invalid UTF-8 replaced.")),
      "bytes": .required(Schema.integer("Bytes the stream printed in all.", minimum: 0)),
      "lines": .required(Schema.integer("Lines the stream printed in all.", minimum: 0)),
      "truncated": .required(Schema.boolean("True when text leaves part out; output_read has it all.")),
      "omitted_bytes": .required(Schema.integer("Bytes left out of text.", minimum: 0)),
    ])

  static let sandboxSchema = Schema.map(
    "The layers confining the command: enforced or not, version, why.",
    values: Schema.object(
      nil,
      [
        "enforced": .required(Schema.boolean()), "available": .required(Schema.boolean()),
        "version": .required(Schema.nullable(Schema.string())), "requirement": .required(Schema.string(enum: ["required", "best_effort", "off"])),
        "reason": .required(Schema.string()),
      ]))

  /// The fields a command's state is reported with, by exec/run and process/read alike.
  static let stateFields: KeyValuePairs<String, Schema.Field> = [
    "process_id": .required(Schema.string("Handle for process_read / process_write / process_kill.")),
    "log_id": .required(Schema.string("Handle of the full log for output_read.")),
    "running": .required(Schema.boolean("True when the command is still running (poll with process_read).")),
    "command": .required(Schema.string("What was run.")),
    "cwd": .required(Schema.string("Absolute working directory.")),
    "profile": .required(Schema.string("Sandbox profile.")),
    "duration_ms": .required(Schema.integer("Wall time so far, or until exit.", minimum: 0)),
    "cursor": .required(Schema.integer("Bytes of interleaved output so far: pass it as process_read's cursor to get only what comes next.", minimum: 0)),
    "exit_code": .required(Schema.nullable(Schema.integer("Exit status; null while running or when a signal ended it."))),
    "signal": .required(Schema.nullable(Schema.string("Signal that ended it (SIGKILL, SIGSYS, ...), or null."))),
    "timed_out": .required(Schema.boolean("True when the timeout killed its whole process tree.")),
    "oom_killed": .required(Schema.boolean("True when the memory limit's OOM killer struck.")),
    "stdout": .required(streamSchema),
    "stderr": .required(streamSchema),
    "log_truncated": .required(Schema.boolean("True when the log files hit their cap (256 MiB) and stopped growing.")),
    "sandbox": .required(sandboxSchema),
    "denial_hint": .optional(Schema.string("When the failure looks like the sandbox's doing: which layer, and what to do.")),
  ]

  /// The compact text of a command's state: its outcome, then stdout, then stderr, with escapes removed.
  static func renderState(_ result: JSONValue) -> String {
    var header = "$ \(result["command"]?.stringValue ?? "")\n"
    let id = result["process_id"]?.stringValue ?? ""
    let duration = result["duration_ms"]?.intValue ?? 0
    if result["running"]?.boolValue == true {
      let cursor = result["cursor"]?.intValue ?? 0
      header += "[still running as \(id) after \(duration) ms — poll with process_read {\"process_id\":\"\(id)\",\"cursor\":\(cursor)}, stop with process_kill]"
    } else if let code = result["exit_code"]?.intValue {
      header += "[exit \(code) in \(duration) ms]"
    } else {
      header += "[killed by \(result["signal"]?.stringValue ?? "a signal") after \(duration) ms]"
    }
    if result["timed_out"]?.boolValue == true { header += " [timed out]" }
    if result["oom_killed"]?.boolValue == true { header += " [out of memory]" }
    var parts = [header]
    let out = result["stdout"]?["text"]?.stringValue ?? ""
    let err = result["stderr"]?["text"]?.stringValue ?? ""
    if out.isEmpty && err.isEmpty {
      parts.append("(no output)")
    } else {
      if !out.isEmpty { parts.append(withoutFinalNewline(TerminalText.plain(out))) }
      if !err.isEmpty { parts.append("--- stderr ---\n" + withoutFinalNewline(TerminalText.plain(err))) }
    }
    if result["stdout"]?["truncated"]?.boolValue == true || result["stderr"]?["truncated"]?.boolValue == true {
      parts.append("[full output: output_read {\"log_id\":\"\(result["log_id"]?.stringValue ?? "")\"}]")
    }
    if let hint = result["denial_hint"]?.stringValue { parts.append("note: " + hint) }
    return parts.joined(separator: "\n")
  }

  static func withoutFinalNewline(_ text: String) -> String { text.hasSuffix("\n") ? String(text.dropLast()) : text }
}
