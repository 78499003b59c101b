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
          "notes": .required(
            Schema.array(
              "How hunks were placed when it was not plain: matched only with a tolerance (whitespace, typographic punctuation), applied away from the header's line, or placed at the first of several matching places.",
              of: Schema.string())),
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
        let notes = (result["notes"]?.arrayValue ?? []).compactMap(\.stringValue).map { "note: " + $0 }
        return (lines + notes).joined(separator: "\n") + (dryRun ? "\n" + clip(diffs) : "")
      },
      handler: .blocking { args, _ throws(ToolError) in
        try applyPatch(workspace, text: try args.require("patch"), dryRun: args.bool("dry_run", default: false))
      })
  }

  /// One file's planned change, computed in full before anything is written.
  struct PlannedChange {
    var patch: FilePatch
    var target: PlannedTarget
    var original: [UInt8]?
    var updated: [UInt8]?
    var destination: PlannedTarget?
  }

  /// Where a planned change writes. Its directory may not exist yet (`ready` nil): missing directories are made only
  /// when the patch is written, so a dry run or a patch that fails leaves none behind.
  struct PlannedTarget {
    var path: String
    var resolved: String
    var ready: Workspace.WriteTarget?
    /// An earlier section writes this path, so what was found there while planning is out of date by then.
    var touchedEarlier = false
  }

  static func plannedTarget(_ workspace: Workspace, _ path: String, mayCreate: Bool, doing action: String) throws(ToolError) -> PlannedTarget {
    do throws(ToolError) {
      let target = try workspace.writeTarget(path, createParents: false, doing: action)
      return PlannedTarget(path: path, resolved: target.resolved, ready: target)
    } catch let error where error.code == .notFound && mayCreate {
      return PlannedTarget(path: path, resolved: try workspace.confined(path, doing: action), ready: nil)
    }
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
    // Plan everything first: any failure here leaves every file as it was. `planned` is what each path holds once
    // the sections before are applied (nil: deleted or moved away), so later sections see earlier moves.
    var plans: [PlannedChange] = []
    var planned: [String: [UInt8]?] = [:]
    var notes: [String] = []
    for patch in patches {
      var target = try plannedTarget(workspace, patch.path, mayCreate: patch.action == .add || planned[workspace.relative(patch.path)] != nil, doing: "patching")
      target.touchedEarlier = planned[target.resolved] != nil
      var original: [UInt8]?
      if let earlier = planned[target.resolved] {
        original = earlier
      } else if target.ready?.existing != nil {
        original = try workspace.readFile(target.resolved, doing: "patching").bytes
      }
      if patch.action == .add, original != nil {
        throw ToolError(
          .exists, "The patch adds \(patch.path), which already exists\(planned[target.resolved] != nil ? " (an earlier section of the patch puts it there)" : "")",
          hint: "Use an Update File section to change it.", details: ["path": .string(patch.path)])
      }
      if patch.action != .add, original == nil {
        let movedAway = planned[target.resolved] != nil
        throw ToolError(
          .notFound, "The patch changes \(patch.path), which does not exist\(movedAway ? " once the earlier sections are applied (one moves or deletes it)" : "")",
          hint: movedAway
            ? "Name the file where the earlier section leaves it."
            : patch.action == .delete ? "Check the path: there is nothing to delete there." : "Use an Add File section to create it, or check the path.",
          details: ["path": .string(patch.path)])
      }
      let updated: [UInt8]?
      do {
        updated = try apply(patch, to: original, notes: &notes)
      } catch {
        throw patchError(error)
      }
      var destination: PlannedTarget?
      if let movePath = patch.movePath {
        let moveTarget = try plannedTarget(workspace, movePath, mayCreate: true, doing: "moving")
        let occupied = planned[moveTarget.resolved].map { $0 != nil } ?? (moveTarget.ready?.existing != nil)
        if occupied {
          throw ToolError(
            .exists, "The patch moves \(patch.path) to \(movePath), which already exists", hint: "Choose a new destination.",
            details: ["path": .string(movePath)])
        }
        destination = moveTarget
      }
      if let destination {
        planned.updateValue(nil, forKey: target.resolved)
        planned.updateValue(updated, forKey: destination.resolved)
      } else {
        planned.updateValue(updated, forKey: target.resolved)
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
    return ["files": .array(files), "dry_run": .bool(dryRun), "notes": .array(notes.map(JSONValue.string))]
  }

  /// Writes every planned change in order; if one fails midway, the files already written get their old content back
  /// and the directories made for them are removed again.
  static func commit(_ plans: [PlannedChange], _ workspace: Workspace) throws(ToolError) {
    var done: [(plan: PlannedChange, source: Workspace.WriteTarget, written: Workspace.WriteTarget?)] = []
    var madeDirectories: [String] = []
    func ready(_ target: PlannedTarget) throws(ToolError) -> Workspace.WriteTarget {
      if let ready = target.ready, !target.touchedEarlier { return ready }
      if let slash = target.resolved.lastIndex(of: "/") {
        madeDirectories += try workspace.makeDirectories(String(target.resolved[..<slash]), doing: "patching")
      }
      return try workspace.writeTarget(target.path, createParents: false, doing: "patching")
    }
    do throws(ToolError) {
      for plan in plans {
        let source = try ready(plan.target)
        var written: Workspace.WriteTarget?
        if let updated = plan.updated, let destination = plan.destination {
          var target = try ready(destination)
          target.existing = source.existing  // a moved file keeps its mode and owner
          _ = try workspace.commitWrite(updated, to: target, createOnly: true)
          written = target
          unlinkat(source.dir.raw, source.name, 0)
        } else if let updated = plan.updated {
          _ = try workspace.commitWrite(updated, to: source, createOnly: plan.original == nil)
          written = source
        } else {
          guard unlinkat(source.dir.raw, source.name, 0) == 0 else {
            throw pathError(errno, plan.target.resolved, doing: "deleting")
          }
        }
        done.append((plan, source, written))
      }
    } catch {
      for (plan, source, written) in done.reversed() {
        if plan.destination != nil, let written { unlinkat(written.dir.raw, written.name, 0) }
        if let original = plan.original {
          _ = try? workspace.commitWrite(original, to: source, createOnly: false)
        } else {
          unlinkat(source.dir.raw, source.name, 0)
        }
      }
      for directory in madeDirectories.reversed() { workspace.removeEmptyDirectory(directory) }
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
