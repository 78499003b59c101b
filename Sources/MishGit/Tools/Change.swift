import MishJSON
import MishRPC

/// The git tools that change the index, the work tree or refs: add, restore, commit, branch, checkpoint.
extension GitTools {
  /// The staged side of status after a change, for the answer.
  static func stagedEntries(_ repo: OpaquePointer, _ paths: [String]) throws(GitError) -> [JSONValue] {
    var options = StatusOptions()
    options.untracked = .no
    options.paths = paths
    return try StatusReader.entries(repo, options).filter { $0.staged != nil }.map(\.json)
  }

  static let entriesResult = Schema.object(
    nil, ["staged": .required(Schema.array("Staged entries now (as git_status shows them).", of: Schema.map(nil, values: Schema.any())))])

  static func renderStaged(_ result: JSONValue) -> String {
    let entries = result["staged"]?.arrayValue ?? []
    if entries.isEmpty { return "nothing staged" }
    return "staged:\n" + entries.map { "\($0["xy"]?.stringValue ?? "") \($0["path"]?.stringValue ?? "")" }.joined(separator: "\n")
  }

  static func add(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/add", title: "Git add",
      summary: "Stages new, modified and deleted files under the paths (git add -A PATHS); ignored files are refused when named.",
      params: Schema.object(
        nil,
        [
          "paths": .optional(pathsSchema),
          "all": .optional(Schema.boolean("Stage everything (needed when paths is empty).", default: false)),
          "force": .optional(Schema.boolean("Stage named files even when .gitignore matches them (git add -f).", default: false)),
        ]),
      result: entriesResult,
      annotations: Annotations(readOnly: false, destructive: false, idempotent: true),
      footprint: { _ in .barrier },
      render: renderStaged,
      handler: .blocking { args, _ throws(ToolError) in
        let paths = try session.checkedPaths(args.strings("paths"), doing: "stage")
        if paths.isEmpty && !args.bool("all", default: false) && (args.strings("paths") ?? []).isEmpty {
          throw ToolError(.invalidArgument, "No paths to stage", hint: "Pass paths, e.g. [\"src/app.py\"], or all: true for everything.")
        }
        return try session.run { _, repo throws(GitError) -> JSONValue in
          try ChangeWriter.add(repo, paths: paths, force: args.bool("force", default: false))
          return ["staged": .array(try stagedEntries(repo, []))]
        }
      })
  }

  static func restore(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/restore", title: "Git restore",
      summary: "Restores paths: the work tree from the index (default) or from source; with staged, the index from HEAD (or source), which unstages.",
      params: Schema.object(
        nil,
        [
          "paths": .required(Schema.array("Paths relative to the root (\".\" for everything).", of: Schema.string(), minItems: 1)),
          "staged": .optional(Schema.boolean("Restore the index (unstage).", default: false)),
          "worktree": .optional(Schema.boolean("Restore the work tree (default: true unless staged).")),
          "source": .optional(Schema.string("Revision to restore from (default: the index for the work tree, HEAD for the index).")),
        ]),
      result: entriesResult,
      annotations: .destructive,
      footprint: { _ in .barrier },
      render: renderStaged,
      handler: .blocking { args, _ throws(ToolError) in
        let paths = try session.checkedPaths(args.strings("paths"), doing: "restore")
        let staged = args.bool("staged", default: false)
        let worktree = args.bool("worktree", default: !staged)
        return try session.run { _, repo throws(GitError) -> JSONValue in
          try ChangeWriter.restore(repo, paths: paths, staged: staged, worktree: worktree, source: args.string("source"))
          return ["staged": .array(try stagedEntries(repo, []))]
        }
      })
  }

  static func commit(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/commit", title: "Git commit",
      summary: "Commits the index on HEAD (after staging paths, or every tracked change with all); no hooks run; refuses an empty commit unless allow_empty.",
      params: Schema.object(
        nil,
        [
          "message": .required(Schema.string("The commit message: a summary line, a blank line, details.", minLength: 1)),
          "paths": .optional(pathsSchema),
          "all": .optional(Schema.boolean("Stage modified and deleted tracked files first (git commit -a).", default: false)),
          "author": .optional(Schema.object("Author and committer; default: user.name and user.email of the repository's config.", ["name": .required(Schema.string(minLength: 1)), "email": .required(Schema.string(minLength: 1))])),
          "allow_empty": .optional(Schema.boolean("Allow a commit that changes nothing.", default: false)),
        ]),
      result: Schema.object(
        nil,
        [
          "sha": .required(Schema.string("The new commit.")), "branch": .required(Schema.nullable(Schema.string())),
          "files_changed": .required(Schema.integer(minimum: 0)), "summary": .required(Schema.string()),
        ]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: false),
      footprint: { _ in .barrier },
      render: { result in
        "[\(result["branch"]?.stringValue ?? "detached") \(result["sha"]?.stringValue?.prefix(12) ?? "")] \(result["summary"]?.stringValue ?? "") (\(result["files_changed"]?.intValue ?? 0) files)"
      },
      handler: .blocking { args, _ throws(ToolError) in
        let paths = try session.checkedPaths(args.strings("paths"), doing: "commit")
        let message = try args.require("message") as String
        let author = args["author"].flatMap { value -> ChangeWriter.Author? in
          guard let name = value["name"]?.stringValue, let email = value["email"]?.stringValue else { return nil }
          return ChangeWriter.Author(name: name, email: email)
        }
        return try session.run { _, repo throws(GitError) -> JSONValue in
          let made = try ChangeWriter.commit(
            repo, message: message, paths: paths, all: args.bool("all", default: false), author: author,
            allowEmpty: args.bool("allow_empty", default: false))
          let state = StatusReader.branchState(repo)
          let summary = message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
          return ["sha": .string(made.sha), "branch": JSONValue(state.branch), "files_changed": .int(made.files), "summary": .string(summary)]
        }
      })
  }

  static func merge(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/merge", title: "Git merge",
      summary: "Merges another branch or commit (after a queue rejection: the hub's target, e.g. main) into HEAD, in memory, then checks the result out; needs a clean work tree. Conflicts change nothing and come back as data (each path's kind, base/ours/theirs, the file with conflict markers): call again with resolutions {path: resolved content, or null to delete}.",
      params: Schema.object(
        nil,
        [
          "ref": .required(Schema.string("The branch, tag or commit to merge in.", minLength: 1)),
          "resolutions": .optional(Schema.map("Resolved content for each conflicting path (null deletes it).", values: Schema.nullable(Schema.string()))),
          "message": .optional(Schema.string("The merge commit's message (default: Merge REF).", minLength: 1)),
          "author": .optional(Schema.object("Author and committer; default: user.name and user.email of the repository's config.", ["name": .required(Schema.string(minLength: 1)), "email": .required(Schema.string(minLength: 1))])),
        ]),
      result: Schema.object(
        nil,
        [
          "sha": .required(Schema.string("HEAD after the merge.")), "branch": .required(Schema.nullable(Schema.string())),
          "up_to_date": .required(Schema.boolean("True when HEAD already contained ref (nothing changed).")),
          "fast_forward": .required(Schema.boolean("True when HEAD simply moved to ref (no merge commit).")),
          "resolved": .required(Schema.array("Conflicting paths settled by resolutions.", of: Schema.string())),
        ]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: false),
      footprint: { _ in .barrier },
      render: { result in
        if result["up_to_date"]?.boolValue == true { return "already up to date" }
        let how = result["fast_forward"]?.boolValue == true ? "fast-forward" : "merge commit"
        return "[\(result["branch"]?.stringValue ?? "detached") \(result["sha"]?.stringValue?.prefix(12) ?? "")] \(how)"
      },
      handler: .blocking { args, _ throws(ToolError) in
        let ref = try args.require("ref") as String
        var resolutions: [String: String?] = [:]
        for (path, value) in args["resolutions"]?.objectValue ?? [:] {
          resolutions[try session.checkedPath(path, doing: "resolve")] = value.stringValue
        }
        let author = args["author"].flatMap { value -> ChangeWriter.Author? in
          guard let name = value["name"]?.stringValue, let email = value["email"]?.stringValue else { return nil }
          return ChangeWriter.Author(name: name, email: email)
        }
        return try session.run { _, repo throws(GitError) -> JSONValue in
          let outcome = try MergeInto.merge(repo, revision: ref, resolutions: resolutions, message: args.string("message"), author: author)
          return [
            "sha": .string(outcome.sha), "branch": JSONValue(StatusReader.branchState(repo).branch), "up_to_date": .bool(outcome.upToDate),
            "fast_forward": .bool(outcome.fastForward), "resolved": .array(outcome.resolved.map(JSONValue.string)),
          ]
        }
      })
  }

  static func branch(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/branch", title: "Git branches",
      summary: "Lists, creates or deletes local branches; never deletes a checked-out branch, nor (without force) one with commits HEAD lacks.",
      params: Schema.object(
        nil,
        [
          "action": .optional(Schema.string(enum: ["list", "create", "delete"], default: "list")),
          "name": .optional(Schema.string("Branch name (create, delete).", minLength: 1)),
          "start": .optional(Schema.string("Where a new branch starts.", default: "HEAD")),
          "force": .optional(Schema.boolean("Delete even when not merged into HEAD.", default: false)),
        ]),
      result: Schema.object(
        nil,
        [
          "branches": .required(
            Schema.array(
              nil,
              of: Schema.object(nil, ["name": .required(Schema.string()), "sha": .required(Schema.nullable(Schema.string())), "head": .required(Schema.boolean()), "upstream": .required(Schema.nullable(Schema.string()))]))),
          "deleted_sha": .optional(Schema.string("The commit the deleted branch pointed at.")),
        ]),
      annotations: Annotations(readOnly: false, destructive: true, idempotent: false),
      footprint: { _ in .barrier },
      render: { result in
        var lines = (result["branches"]?.arrayValue ?? []).map {
          "\($0["head"]?.boolValue == true ? "*" : " ") \($0["name"]?.stringValue ?? "") \($0["sha"]?.stringValue?.prefix(12) ?? "")"
        }
        if let sha = result["deleted_sha"]?.stringValue { lines.insert("deleted (was \(sha.prefix(12)))", at: 0) }
        return lines.joined(separator: "\n")
      },
      handler: .blocking { args, _ throws(ToolError) in
        let action = args.string("action") ?? "list"
        let name = args.string("name")
        if action != "list" && name == nil {
          throw ToolError(.invalidArgument, "\(action) needs name", hint: "Pass name, e.g. {\"action\": \"\(action)\", \"name\": \"feature/x\"}.")
        }
        return try session.run { _, repo throws(GitError) -> JSONValue in
          var result = JSONObject()
          switch action {
          case "create": _ = try RefWriter.createBranch(repo, name: name!, start: args.string("start") ?? "HEAD")
          case "delete": result["deleted_sha"] = .string(try RefWriter.deleteBranch(repo, name: name!, force: args.bool("force", default: false)))
          default: break
          }
          result["branches"] = .array(try RefWriter.branches(repo).map(\.json))
          return .object(result)
        }
      })
  }

  static func checkpoint(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/checkpoint", title: "Git checkpoints",
      summary: "Snapshots of the whole work tree (tracked and untracked, not ignored) as commits on private refs of this work tree's own (refs/mish/checkpoints/main/NAME, or worktrees/ID/NAME in a linked worktree: sessions of one repository do not see one another's), leaving the index and HEAD alone; restore brings the work tree back exactly, says which paths it changed, and first keeps the work tree it replaces as a checkpoint of its own (backup), so nothing is lost.",
      params: Schema.object(
        nil,
        [
          "action": .optional(Schema.string(enum: ["create", "list", "restore", "delete"], default: "list")),
          "name": .optional(Schema.string("Checkpoint name (default for create: cp-N).", minLength: 1)),
          "message": .optional(Schema.string("A note kept with a new checkpoint.")),
        ]),
      result: Schema.object(
        nil,
        [
          "checkpoints": .required(
            Schema.array(
              nil,
              of: Schema.object(nil, ["name": .required(Schema.string()), "sha": .required(Schema.string()), "time": .required(Schema.string()), "message": .required(Schema.string())]))),
          "sha": .optional(Schema.string("The checkpoint created, restored or deleted.")),
          "backup": .optional(
            Schema.nullable(
              Schema.object(
                "restore: the work tree as it was just before, kept as a checkpoint of its own (restore it to undo); null when nothing differed.",
                ["name": .required(Schema.string()), "sha": .required(Schema.string())]))),
          "changes": .optional(
            Schema.array(
              "restore: each path it changed in the work tree (added: brought back, deleted: removed, not in the checkpoint).",
              of: Schema.object(nil, ["path": .required(Schema.string()), "status": .required(Schema.string(enum: ["added", "deleted", "modified", "typechange"]))]))),
        ]),
      annotations: Annotations(readOnly: false, destructive: true, idempotent: false),
      footprint: { _ in .barrier },
      render: { result in
        var lines = (result["checkpoints"]?.arrayValue ?? []).map {
          "\($0["name"]?.stringValue ?? "") \($0["sha"]?.stringValue?.prefix(12) ?? "") \($0["time"]?.stringValue ?? "") \($0["message"]?.stringValue ?? "")"
        }
        if let sha = result["sha"]?.stringValue { lines.insert("checkpoint \(sha.prefix(12))", at: 0) }
        if let changes = result["changes"]?.arrayValue {
          let backup = result["backup"]?["name"]?.stringValue
          let said = changes.isEmpty ? "restored: the work tree already matched" : "restored \(changes.count) paths; the work tree before is checkpoint \(backup ?? "")"
          lines.insert(([said] + changes.map { "  \($0["status"]?.stringValue ?? "") \($0["path"]?.stringValue ?? "")" }).joined(separator: "\n"), at: 1)
        }
        return lines.isEmpty ? "(no checkpoints)" : lines.joined(separator: "\n")
      },
      handler: .blocking { args, _ throws(ToolError) in
        let action = args.string("action") ?? "list"
        let name = args.string("name")
        if (action == "restore" || action == "delete") && name == nil {
          throw ToolError(.invalidArgument, "\(action) needs name", hint: "git_checkpoint {\"action\": \"list\"} shows the names.")
        }
        return try session.run { _, repo throws(GitError) -> JSONValue in
          var result = JSONObject()
          switch action {
          case "create": result["sha"] = .string(try RefWriter.createCheckpoint(repo, name: name, message: args.string("message")).sha)
          case "restore":
            let restored = try RefWriter.restoreCheckpoint(repo, name: name!)
            result["sha"] = .string(restored.checkpoint.sha)
            result["backup"] = restored.backup.map { ["name": .string($0.name), "sha": .string($0.sha)] } ?? .null
            result["changes"] = .array(restored.changes.map { ["path": .string($0.path), "status": .string($0.status)] })
          case "delete": result["sha"] = .string(try RefWriter.deleteCheckpoint(repo, name: name!))
          default: break
          }
          result["checkpoints"] = .array(try RefWriter.checkpoints(repo).map(\.json))
          return .object(result)
        }
      })
  }
}
