import MishJSON
import MishRPC
import MishText

extension FileTools {
  static func edit(_ workspace: Workspace) -> OperationSpec {
    let editSchema = Schema.object(
      "Replace old_text with new_text.",
      [
        "old_text": .required(Schema.string("Exact text to find; it must occur once unless replace_all. Line-number prefixes copied from fs_read are tolerated.", minLength: 1)),
        "new_text": .required(Schema.string("Replacement text.")),
        "replace_all": .optional(Schema.boolean("Replace every occurrence instead of requiring exactly one.", default: false)),
      ])
    return OperationSpec(
      name: "fs/edit", title: "Edit file",
      summary: "Replace exact text in a file; each old_text must match exactly once (or use replace_all). Several edits apply all or none, keeping the file's line endings; failures show the nearest near-miss or every match.",
      params: Schema.object(
        nil,
        [
          "path": .required(pathSchema),
          "edits": .required(Schema.array("Applied in order, each to the result of the previous.", of: editSchema, minItems: 1)),
          "expected_sha256": .optional(Schema.string("Only edit if the file's current SHA-256 is this; otherwise fail with stale.")),
          "dry_run": .optional(Schema.boolean("Return the diff without writing.", default: false)),
        ]),
      result: Schema.object(
        nil,
        [
          "path": .required(Schema.string()),
          "sha256": .required(Schema.string("SHA-256 of the new content (what it would be, on a dry run).")),
          "applied": .required(Schema.integer("Replacements made, over all edits.", minimum: 0)),
          "diff": .required(Schema.string("Unified diff of the change.")),
          "dry_run": .required(Schema.boolean()),
          "notes": .required(Schema.array("Adaptations made to match, e.g. LF converted to the file's CRLF.", of: Schema.string())),
        ]),
      annotations: .additive,
      footprint: writes(workspace, "path"),
      render: { result in
        let verb = result["dry_run"]?.boolValue == true ? "would apply" : "applied"
        var text = "\(verb) \(result["applied"]?.intValue ?? 0) replacement(s) to \(result["path"]?.stringValue ?? ""); sha256 \(result["sha256"]?.stringValue ?? "")"
        for note in result["notes"]?.arrayValue ?? [] { text += "\nnote: \(note.stringValue ?? "")" }
        return text + "\n" + clip(result["diff"]?.stringValue ?? "")
      },
      handler: .blocking { args, _ throws(ToolError) in
        let path = try args.require("path")
        let dryRun = args.bool("dry_run", default: false)
        let target = try workspace.writeTarget(path, createParents: false, doing: "editing")
        guard target.existing != nil else {
          throw ToolError(
            .notFound, "\(target.resolved) does not exist", hint: "Create it with fs_write, or check the path with fs_glob.",
            details: ["path": .string(target.resolved)])
        }
        let original = try workspace.readFile(target.resolved, doing: "editing").bytes
        try Workspace.checkExpected(args.string("expected_sha256"), current: original, path: target.resolved)
        if TextFacts.isBinary(original) {
          throw ToolError(
            .isBinary, "\(target.resolved) is a binary file", hint: "Text edits only apply to text files; use fs_write to replace it whole.",
            details: ["path": .string(target.resolved)])
        }
        let edits = (args.array("edits") ?? []).map { edit in
          TextEdit(
            oldText: edit["old_text"]?.stringValue ?? "", newText: edit["new_text"]?.stringValue ?? "",
            replaceAll: edit["replace_all"]?.boolValue ?? false)
        }
        let outcome: EditOutcome
        switch applyEdits(edits, to: original) {
        case .success(let value): outcome = value
        case .failure(let failure): throw toolError(failure, path: target.resolved)
        }
        let diff = unifiedDiff(old: original, new: outcome.content, oldPath: target.resolved, newPath: target.resolved)
        if !dryRun { _ = try workspace.commitWrite(outcome.content, to: target, createOnly: false) }
        let sha = SHA256.hex(outcome.content)
        return [
          "path": .string(target.resolved), "sha256": .string(sha), "applied": .int(outcome.replacements),
          "diff": .string(diff), "dry_run": .bool(dryRun), "notes": JSONValue(outcome.notes),
        ]
      })
  }

  static func toolError(_ failure: EditFailure, path: String) -> ToolError {
    var details: JSONObject = ["path": .string(path), "edit_index": .int(failure.editIndex)]
    let code: ToolError.Code
    switch failure.kind {
    case .noMatch:
      code = .noMatch
      if let miss = failure.nearMiss {
        details["near_miss"] = [
          "line": .int(miss.line), "similarity": .double((miss.similarity * 100).rounded() / 100),
          "diff": .string(miss.diff), "text": .string(miss.actualText),
        ]
      }
    case .alreadyApplied:
      code = .noMatch
      details["already_applied"] = true
      if let line = failure.alreadyAppliedLine { details["line"] = .int(line) }
    case .ambiguousMatch:
      code = .ambiguousMatch
      details["match_lines"] = .array(failure.matchLines.map(JSONValue.int))
    default:
      code = .invalidArgument
    }
    return ToolError(code, failure.message, hint: failure.hint, details: details)
  }
}
