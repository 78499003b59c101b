import Glibc
import MishJSON
import MishRPC
import MishText

extension FileTools {
  static func patch(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/patch", title: "Apply patch",
      summary: "Apply a patch to one or more files, all or none: a Codex `*** Begin Patch` envelope (Add/Update/Delete/Move File) or a unified diff.",
      params: Schema.object(
        nil,
        [
          "patch": .required(Schema.string("The patch text: `*** Begin Patch` ... `*** End Patch`, or a unified diff (`--- a/x` / `+++ b/x` / `@@` hunks).", minLength: 1)),
          "dry_run": .optional(Schema.boolean("Check the patch and return the diffs without writing.", default: false)),
        ]),
      result: Schema.object(
        nil,
        [
          "files": .required(
            Schema.array(
              "Every file the patch touches, in patch order.",
              of: Schema.object(
                nil,
                [
                  "path": .required(Schema.string()),
                  "action": .required(Schema.string("What happened to it.", enum: ["add", "update", "delete", "move"])),
                  "move_path": .optional(Schema.nullable(Schema.string("Destination of a move."))),
                  "sha256": .optional(Schema.nullable(Schema.string("SHA-256 of the new content (null after delete)."))),
                  "diff": .required(Schema.string("Unified diff of this file's change.")),
                ]))),
          "dry_run": .required(Schema.boolean()),
        ]),
      annotations: .destructive,
      footprint: { args in
        guard let text = args.string("patch"), let patches = try? parsePatch(text) else { return .barrier }
        return Footprint(writes: patches.flatMap { [$0.path] + ($0.movePath.map { [$0] } ?? []) }.map { footprintKey($0, in: workspace) })
      },
      render: { result in
        let dryRun = result["dry_run"]?.boolValue == true
        let letters = ["add": "A", "update": "M", "delete": "D", "move": "R"]
        var lines = [dryRun ? "Patch checks out (dry run, nothing written):" : "Patch applied:"]
        var diffs = ""
        for file in result["files"]?.arrayValue ?? [] {
          let action = file["action"]?.stringValue ?? ""
          var line = "\(letters[action] ?? "?") \(file["path"]?.stringValue ?? "")"
          if let to = file["move_path"]?.stringValue { line += " -> \(to)" }
          lines.append(line)
          diffs += file["diff"]?.stringValue ?? ""
        }
        return lines.joined(separator: "\n") + (dryRun ? "\n" + clip(diffs) : "")
      },
      handler: .blocking { args, _ throws(ToolError) in
        try applyPatch(workspace, text: try args.require("patch"), dryRun: args.bool("dry_run", default: false))
      })
  }

  /// One file's planned change, computed in full before anything is written.
  struct PlannedChange {
    var patch: FilePatch
    var target: Workspace.WriteTarget
    var original: [UInt8]?
    var updated: [UInt8]?
    var destination: Workspace.WriteTarget?
  }

  static func applyPatch(_ workspace: Workspace, text: String, dryRun: Bool) throws(ToolError) -> JSONValue {
    let patches: [FilePatch]
    do {
      patches = try parsePatch(text)
    } catch {
      throw patchError(error)
    }
    guard !patches.isEmpty else {
      throw ToolError(.invalidPatch, "The patch changes no file", hint: "Include at least one Add, Update, Delete or Move section (or a ---/+++ diff).")
    }
    // Plan everything first: any failure here leaves every file as it was.
    var plans: [PlannedChange] = []
    for patch in patches {
      let target = try workspace.writeTarget(patch.path, createParents: patch.action == .add, doing: "patching")
      var original: [UInt8]?
      if target.existing != nil {
        original = try workspace.readFile(target.resolved, doing: "patching").bytes
      }
      if let earlier = plans.last(where: { $0.target.resolved == target.resolved }) { original = earlier.updated }
      if patch.action == .add, original != nil {
        throw ToolError(
          .exists, "The patch adds \(patch.path), which already exists", hint: "Use an Update File section to change it.",
          details: ["path": .string(patch.path)])
      }
      if patch.action != .add, original == nil {
        throw ToolError(
          .notFound, "The patch changes \(patch.path), which does not exist", hint: "Use an Add File section to create it.",
          details: ["path": .string(patch.path)])
      }
      let updated: [UInt8]?
      do {
        updated = try apply(patch, to: original)
      } catch {
        throw patchError(error)
      }
      var destination: Workspace.WriteTarget?
      if let movePath = patch.movePath {
        destination = try workspace.writeTarget(movePath, createParents: true, doing: "moving")
        if destination?.existing != nil {
          throw ToolError(
            .exists, "The patch moves \(patch.path) to \(movePath), which already exists", hint: "Choose a new destination.",
            details: ["path": .string(movePath)])
        }
      }
      plans.append(PlannedChange(patch: patch, target: target, original: original, updated: updated, destination: destination))
    }

    var files: [JSONValue] = []
    for plan in plans {
      let newPath = plan.destination?.resolved ?? plan.target.resolved
      var entry: JSONObject = [
        "path": .string(plan.target.resolved), "action": .string(plan.patch.action.rawValue),
        "diff": .string(unifiedDiff(old: plan.original, new: plan.updated, oldPath: plan.target.resolved, newPath: newPath)),
      ]
      if plan.destination != nil { entry["move_path"] = .string(newPath) }
      entry["sha256"] = plan.updated.map { .string(SHA256.hex($0)) } ?? .null
      files.append(.object(entry))
    }
    if !dryRun { try commit(plans, workspace) }
    return ["files": .array(files), "dry_run": .bool(dryRun)]
  }

  /// Writes every planned change; if one fails midway, the files already written get their old content back.
  static func commit(_ plans: [PlannedChange], _ workspace: Workspace) throws(ToolError) {
    var done: [PlannedChange] = []
    do throws(ToolError) {
      for plan in plans {
        if let updated = plan.updated {
          let target = plan.destination ?? plan.target
          _ = try workspace.commitWrite(updated, to: target, createOnly: target.existing == nil)
          if plan.destination != nil { unlinkat(plan.target.dir.raw, plan.target.name, 0) }
        } else {
          guard unlinkat(plan.target.dir.raw, plan.target.name, 0) == 0 else {
            throw pathError(errno, plan.target.resolved, doing: "deleting")
          }
        }
        done.append(plan)
      }
    } catch {
      for plan in done.reversed() {
        if let destination = plan.destination { unlinkat(destination.dir.raw, destination.name, 0) }
        if let original = plan.original {
          _ = try? workspace.commitWrite(original, to: plan.target, createOnly: false)
        } else {
          unlinkat(plan.target.dir.raw, plan.target.name, 0)
        }
      }
      throw error
    }
  }

  static func patchError(_ error: PatchError) -> ToolError {
    var details = JSONObject()
    if let path = error.path { details["path"] = .string(path) }
    if let line = error.patchLine { details["patch_line"] = .int(line) }
    if let miss = error.nearMiss {
      details["near_miss"] = [
        "line": .int(miss.line), "similarity": .double((miss.similarity * 100).rounded() / 100),
        "diff": .string(miss.diff), "text": .string(miss.actualText),
      ]
    }
    let code: ToolError.Code
    switch error.code {
    case PatchError.noMatch: code = .noMatch
    case PatchError.fileExists: code = .exists
    case PatchError.fileMissing: code = .notFound
    default: code = .invalidPatch
    }
    return ToolError(code, error.message + " (no file was changed)", hint: error.hint, details: details)
  }
}
