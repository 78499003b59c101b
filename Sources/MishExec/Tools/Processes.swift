import Foundation
import Glibc
import MishJSON
import MishRPC

extension ExecTools {
  static func processRead(_ engine: ExecEngine) -> OperationSpec {
    OperationSpec(
      name: "process/read", title: "Read a running command's output",
      summary: "New output of a command since cursor (its interleaved stdout and stderr), waiting up to wait_ms for some; also whether it still runs and how it ended.",
      params: Schema.object(
        nil,
        [
          "process_id": .required(processIDSchema),
          "cursor": .optional(Schema.integer("Byte offset into the interleaved output: 0, or the cursor of the previous read.", minimum: 0, default: 0)),
          "wait_ms": .optional(Schema.integer("Wait this long for new output or exit before answering.", minimum: 0, maximum: 60_000, default: 0)),
          "max_bytes": .optional(Schema.integer("Most output bytes to return.", minimum: 1, maximum: 1 << 20, default: 65_536)),
        ]),
      result: Schema.object(
        nil,
        [
          "output": .required(Schema.string("New output (stdout and stderr interleaved as they arrived).")),
          "cursor": .required(Schema.integer("Pass as cursor next time.", minimum: 0)),
          "more": .required(Schema.boolean("True when more output is already there beyond cursor (max_bytes stopped this read).")),
          "state": .required(Schema.object(nil, stateFields)),
        ]),
      annotations: .readOnly,
      render: { result in
        var text = result["output"]?.stringValue ?? ""
        text = text.isEmpty ? "(no new output)" : withoutFinalNewline(TerminalText.plain(text))
        let state = result["state"] ?? .null
        let id = state["process_id"]?.stringValue ?? ""
        let status: String
        if state["running"]?.boolValue == true {
          status = "[\(id) still running; next cursor \(result["cursor"]?.intValue ?? 0)]"
        } else if let code = state["exit_code"]?.intValue {
          status = "[\(id) exited \(code)]"
        } else {
          status = "[\(id) killed by \(state["signal"]?.stringValue ?? "a signal")]"
        }
        return text + "\n" + status
      },
      handler: .async { args, _ throws(ToolError) in
        let process = try engine.process(try args.require("process_id"))
        let cursor = args.int("cursor") ?? 0
        let waitMs = args.int("wait_ms") ?? 0
        let maxBytes = args.int("max_bytes") ?? 65_536
        if waitMs > 0 { await engine.wait(process, until: .now + .milliseconds(waitMs), outputBeyond: cursor) }
        let (state, available) = process.lock.withLock { (process.resultLocked(), process.spilled.combinedWritten) }
        // The log is read off the cooperative pool (up to max_bytes of file I/O).
        let (bytes, next) = await withCheckedContinuation { continuation in
          DispatchQueue.global().async {
            continuation.resume(
              returning: readSlice(path: process.logs.combined, from: min(cursor, available), upTo: available, maxBytes: maxBytes))
          }
        }
        return [
          "output": .string(String(decoding: bytes, as: UTF8.self)), "cursor": .int(next), "more": .bool(next < available),
          "state": .object(state),
        ]
      })
  }

  /// Bytes [from, min(upTo, from + maxBytes)) of a log file, the end pulled back to a UTF-8 character boundary.
  static func readSlice(path: String, from: Int, upTo: Int, maxBytes: Int) -> ([UInt8], Int) {
    var end = min(upTo, from + maxBytes)
    guard end > from else { return ([], from) }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return ([], from) }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: end - from)
    let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(from)) }
    bytes.removeLast(bytes.count - max(0, n))
    end = from + bytes.count
    if end < upTo {
      // More follows: end on a whole character, so the next read starts on one.
      let cut = UTF8Boundary.completePrefix(bytes)
      if cut > 0 && cut < bytes.count {
        bytes.removeLast(bytes.count - cut)
        end = from + cut
      }
    }
    return (bytes, end)
  }

  static func processWrite(_ engine: ExecEngine) -> OperationSpec {
    OperationSpec(
      name: "process/write", title: "Write to a command's stdin",
      summary: "Writes text to the stdin of a command started with keep_stdin_open, and closes it when asked.",
      params: Schema.object(
        nil,
        [
          "process_id": .required(processIDSchema),
          "data": .optional(Schema.string("Text to write (add \\n for a line).")),
          "close_stdin": .optional(Schema.boolean("Close stdin afterwards (end of input).", default: false)),
          "wait_ms": .optional(Schema.integer("How long to wait for the command to take the data when its stdin pipe is full; then a timeout error says how many bytes went in.", minimum: 0, maximum: 600_000, default: 10_000)),
        ]),
      result: Schema.object(
        nil,
        [
          "bytes": .required(Schema.integer("Bytes written.", minimum: 0)),
          "stdin_open": .required(Schema.boolean("True when stdin is still open.")),
        ]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: false, openWorld: true),
      render: { result in
        "wrote \(result["bytes"]?.intValue ?? 0) bytes" + (result["stdin_open"]?.boolValue == true ? "" : "; stdin closed")
      },
      handler: .blocking { args, _ throws(ToolError) in
        let process = try engine.process(try args.require("process_id"))
        let bytes = Array((args.string("data") ?? "").utf8)
        let written = try engine.writeStdin(
          process, bytes, close: args.bool("close_stdin", default: false), waitLimit: .milliseconds(args.int("wait_ms") ?? 10_000)
        ).get()
        return ["bytes": .int(written), "stdin_open": .bool(process.lock.withLock { process.stdinFD >= 0 })]
      })
  }

  static func processKill(_ engine: ExecEngine) -> OperationSpec {
    OperationSpec(
      name: "process/kill", title: "Stop a command",
      summary: "Stops a command: SIGKILL (the default) kills its whole process tree at once; TERM, INT, HUP, QUIT, USR1, USR2 go to the command's process group.",
      params: Schema.object(
        nil,
        [
          "process_id": .required(processIDSchema),
          "signal": .optional(Schema.string("Signal name.", enum: ["SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"], default: "SIGKILL")),
        ]),
      result: Schema.object(nil, stateFields),
      annotations: Annotations(readOnly: false, destructive: true, idempotent: true, openWorld: true),
      render: renderState,
      handler: .async { args, _ throws(ToolError) in
        let process = try engine.process(try args.require("process_id"))
        let name = args.string("signal") ?? "SIGKILL"
        guard let number = Signals.number(name) else {
          throw ToolError(.invalidArgument, "Unknown signal \(name)", hint: "Use SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 or SIGUSR2.")
        }
        engine.signal(process, number)
        // Give it a moment to go, so the answer usually shows how it ended.
        await engine.wait(process, until: .now + .milliseconds(number == SIGKILL ? 5_000 : 1_000))
        return .object(process.lock.withLock { process.resultLocked() })
      })
  }

  static func processList(_ engine: ExecEngine) -> OperationSpec {
    OperationSpec(
      name: "process/list", title: "List commands",
      summary: "Every command this session started, running or finished, with its state.",
      params: Schema.object(),
      result: Schema.object(
        nil,
        [
          "processes": .required(
            Schema.array(
              nil,
              of: Schema.object(
                nil,
                [
                  "process_id": .required(Schema.string()), "command": .required(Schema.string()),
                  "running": .required(Schema.boolean()), "exit_code": .required(Schema.nullable(Schema.integer())),
                  "signal": .required(Schema.nullable(Schema.string())), "timed_out": .required(Schema.boolean()),
                  "duration_ms": .required(Schema.integer(minimum: 0)), "profile": .required(Schema.string()),
                  "output_bytes": .required(Schema.integer("Bytes printed so far (both streams).", minimum: 0)),
                ])))
        ]),
      annotations: .readOnly,
      render: { result in
        let rows = result["processes"]?.arrayValue ?? []
        if rows.isEmpty { return "(no processes)" }
        return rows.map { row in
          let state: String
          if row["running"]?.boolValue == true {
            state = "running"
          } else if let code = row["exit_code"]?.intValue {
            state = "exit \(code)"
          } else {
            state = row["signal"]?.stringValue ?? "killed"
          }
          return "\(row["process_id"]?.stringValue ?? "")  \(state)  \(row["duration_ms"]?.intValue ?? 0) ms  \(row["command"]?.stringValue ?? "")"
        }.joined(separator: "\n")
      },
      handler: .blocking { _, _ in
        let rows: [JSONValue] = engine.allProcesses.map { process in
          process.lock.withLock {
            let state = process.resultLocked()
            return [
              "process_id": state["process_id"]!, "command": state["command"]!, "running": state["running"]!,
              "exit_code": state["exit_code"]!, "signal": state["signal"]!, "timed_out": state["timed_out"]!,
              "duration_ms": state["duration_ms"]!, "profile": state["profile"]!, "output_bytes": .int(process.combinedBytes),
            ]
          }
        }
        return ["processes": .array(rows)]
      })
  }

  static func outputRead(_ engine: ExecEngine) -> OperationSpec {
    OperationSpec(
      name: "output/read", title: "Read a command's full log",
      summary: "Lines of a command's full spilled output (stdout, stderr, or both interleaved) by line range, optionally only those matching a regex.",
      params: Schema.object(
        nil,
        [
          "log_id": .required(Schema.string("A log_id from exec_run.", minLength: 1)),
          "stream": .optional(Schema.string("Which stream.", enum: ["combined", "stdout", "stderr"], default: "combined")),
          "start_line": .optional(Schema.integer("First line (1-based).", minimum: 1, default: 1)),
          "limit_lines": .optional(Schema.integer("Most lines to return.", minimum: 1, maximum: 10_000, default: 200)),
          "grep": .optional(Schema.string("Only lines matching this regular expression (line numbers stay real).", minLength: 1)),
          "max_bytes": .optional(Schema.integer("Most bytes of text to return; a longer line is cut there, ending in …", minimum: 256, maximum: 1 << 20, default: 100_000)),
        ]),
      result: Schema.object(
        nil,
        [
          "log_id": .required(Schema.string()),
          "stream": .required(Schema.string()),
          "lines": .required(
            Schema.array(
              nil,
              of: Schema.object(nil, ["line": .required(Schema.integer(minimum: 1)), "text": .required(Schema.string())]))),
          "total_lines": .required(Schema.integer("Lines in the whole log so far.", minimum: 0)),
          "next_start_line": .required(Schema.nullable(Schema.integer("Pass as start_line for more; null at the end.", minimum: 1))),
          "truncated": .required(Schema.boolean("True when limit_lines or max_bytes stopped the read, or cut a line.")),
          "running": .required(Schema.boolean("True while the command still writes to this log.")),
        ]),
      annotations: .readOnly,
      render: { result in
        let lines = result["lines"]?.arrayValue ?? []
        var text = lines.map { "\($0["line"]?.intValue ?? 0)\t\(TerminalText.plain($0["text"]?.stringValue ?? ""))" }.joined(separator: "\n")
        if lines.isEmpty { text = "(no lines)" }
        text += "\n[\(result["total_lines"]?.intValue ?? 0) lines in all"
        if let next = result["next_start_line"]?.intValue {
          text += "; continue at start_line \(next)"
        } else if result["truncated"]?.boolValue == true {
          text += "; a line longer than max_bytes was cut: raise max_bytes (up to 1 MiB)"
        }
        return text + "]"
      },
      handler: .blocking { args, _ throws(ToolError) in
        let logID = try args.require("log_id")
        let process = try engine.process(logID)
        let stream = args.string("stream") ?? "combined"
        guard let path = process.logs.path(stream) else {
          throw ToolError(.invalidArgument, "Unknown stream \(stream)", hint: "Use combined, stdout or stderr.")
        }
        let slice: LogSlice
        do {
          slice = try LogFile.readLines(
            path: path, startLine: args.int("start_line") ?? 1, limitLines: args.int("limit_lines") ?? 200,
            grep: args.string("grep"), maxBytes: args.int("max_bytes") ?? 100_000)
        } catch let error as LogFileError {
          throw ToolError(.invalidArgument, error.message, hint: error.hint)
        } catch {
          throw ToolError(.io, "Cannot read the log \(logID): \(error)", hint: "The session's state directory may have been removed.")
        }
        return [
          "log_id": .string(logID), "stream": .string(stream),
          "lines": .array(slice.lines.map { ["line": .int($0.number), "text": .string($0.text)] }),
          "total_lines": .int(slice.totalLines), "next_start_line": JSONValue(slice.nextStartLine),
          "truncated": .bool(slice.truncated), "running": .bool(process.lock.withLock { !process.isFinished }),
        ]
      })
  }
}
