import MishJSON
import MishRPC

/// The read-only git tools: status, diff, log, show.
extension GitTools {
  static func status(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/status", title: "Git status",
      summary: "The work tree's state as structured entries (porcelain v2 detail: staged and unstaged kind, renames, untracked, conflicts), with branch, HEAD and upstream ahead/behind.",
      params: Schema.object(
        nil,
        [
          "paths": .optional(pathsSchema),
          "untracked": .optional(Schema.string("Untracked files: no, normal (directories collapsed, as git), all.", enum: ["no", "normal", "all"], default: "normal")),
          "ignored": .optional(Schema.boolean("Also list ignored files.", default: false)),
          "max_entries": .optional(Schema.integer("Most entries to return.", minimum: 1, maximum: 100_000, default: 2000)),
        ]),
      result: Schema.object(
        nil,
        [
          "branch": .required(Schema.nullable(Schema.string("Current branch, or null when detached."))),
          "head": .required(Schema.nullable(Schema.string("HEAD's commit, or null on an unborn branch."))),
          "detached": .required(Schema.boolean()),
          "upstream": .required(Schema.nullable(Schema.object(nil, ["name": .required(Schema.string()), "ahead": .required(Schema.nullable(Schema.integer())), "behind": .required(Schema.nullable(Schema.integer()))]))),
          "entries": .required(
            Schema.array(
              nil,
              of: Schema.object(
                nil,
                [
                  "path": .required(Schema.string()),
                  "kind": .required(Schema.string(enum: ["changed", "renamed", "conflicted", "untracked", "ignored"])),
                  "xy": .required(Schema.string("Porcelain v2 XY: index then work tree; . is unchanged.")),
                  "staged": .required(Schema.nullable(Schema.string("What the index changes against HEAD."))),
                  "unstaged": .required(Schema.nullable(Schema.string("What the work tree changes against the index (untracked, ignored too)."))),
                  "orig_path": .optional(Schema.string()), "similarity": .optional(Schema.integer()),
                  "submodule": .optional(Schema.boolean()),
                ]))),
          "clean": .required(Schema.boolean("True when nothing is staged, changed, untracked or conflicted.")),
          "truncated": .required(Schema.boolean("True when max_entries cut the list.")),
          "total_entries": .required(Schema.integer(minimum: 0)),
        ]),
      annotations: .readOnly,
      render: { result in
        var head = "on \(result["branch"]?.stringValue ?? "(detached)")"
        if let sha = result["head"]?.stringValue { head += " at \(sha.prefix(12))" }
        if let upstream = result["upstream"], !upstream.isNull {
          head += ", \(upstream["name"]?.stringValue ?? "") +\(upstream["ahead"]?.intValue ?? 0)/-\(upstream["behind"]?.intValue ?? 0)"
        }
        let entries = result["entries"]?.arrayValue ?? []
        if entries.isEmpty { return head + "\nclean" }
        let lines = entries.map { entry in
          "\(entry["xy"]?.stringValue ?? "") \(entry["orig_path"]?.stringValue.map { "\($0) → " } ?? "")\(entry["path"]?.stringValue ?? "")"
        }
        return ([head] + lines).joined(separator: "\n") + (result["truncated"]?.boolValue == true ? "\n[more: raise max_entries]" : "")
      },
      handler: .blocking { args, _ throws(ToolError) in
        var options = StatusOptions()
        options.untracked = StatusOptions.Untracked(rawValue: args.string("untracked") ?? "normal") ?? .normal
        options.ignored = args.bool("ignored", default: false)
        options.paths = try session.checkedPaths(args.strings("paths"), doing: "inspect")
        let limit = args.int("max_entries") ?? 2000
        let (state, entries) = try session.run { repository, repo throws(GitError) in
          let state = StatusReader.branchState(repo)
          guard options == StatusOptions() else { return (state, try StatusReader.entries(repo, options)) }
          return (state, try cachedStatus(repository, repo))
        }
        var result = state.json.objectValue ?? [:]
        result["entries"] = .array(entries.prefix(limit).map(\.json))
        result["clean"] = .bool(!entries.contains { $0.kind != .ignored })
        result["truncated"] = .bool(entries.count > limit)
        result["total_entries"] = .int(entries.count)
        return .object(result)
      })
  }

  /// The default status (untracked normal, no ignored, every path) through the cache of what the server already
  /// knows.
  static func cachedStatus(_ repository: GitRepository, _ repo: OpaquePointer) throws(GitError) -> [StatusEntry] {
    try repository.statusCache.status(branchRef: repository.branchRefFile) { paths throws(GitError) in
      var scoped = StatusOptions()
      scoped.paths = paths.map(StatusReader.literalPathspec)
      return try StatusReader.entries(repo, scoped)
    }
  }

  static func diff(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/diff", title: "Git diff",
      summary: "Changes as files with line counts and unified patches: work tree vs index (default), index vs HEAD (staged), a revision vs the work tree, or two revisions; paged by max_bytes.",
      params: Schema.object(
        extending: diffParams,
        [
          "base": .optional(Schema.string("Revision to compare from (commit, branch, tag); with target, a tree-to-tree diff.")),
          "target": .optional(Schema.string("Revision to compare to (needs base).")),
          "staged": .optional(Schema.boolean("Compare the index with base (default HEAD) instead of the work tree.", default: false)),
        ]),
      result: pageSchema,
      annotations: .readOnly,
      render: renderPage,
      handler: .blocking { args, _ throws(ToolError) in
        var request = try diffRequest(args)
        request.paths = try session.checkedPaths(args.strings("paths"), doing: "diff")
        let staged = args.bool("staged", default: false)
        switch (args.string("base"), args.string("target")) {
        case (nil, nil): request.sides = staged ? .treeToIndex(nil) : .indexToWorkdir
        case (let base?, nil): request.sides = staged ? .treeToIndex(base) : .treeToWorkdir(base)
        case (let base?, let target?): request.sides = .treeToTree(base, target)
        case (nil, _?):
          throw ToolError(.invalidArgument, "target needs base", hint: "Pass base too, e.g. {\"base\": \"main\", \"target\": \"HEAD\"}.")
        }
        let page = try session.run { repository, repo throws(GitError) -> DiffPage in
          guard request.sides == .indexToWorkdir, request.paths.isEmpty else { return try DiffReader.page(repo, request) }
          // Work tree against the index: only what the status cache says differs needs reading.
          let changed = try cachedStatus(repository, repo).filter { $0.kind != .untracked && $0.kind != .ignored && $0.xy.last != "." }
          if changed.isEmpty { return DiffPage(files: [], totalFiles: 0, additions: 0, deletions: 0, nextStart: nil) }
          var scoped = request
          scoped.paths = changed.map(\.path)
          scoped.exactPaths = true
          return try DiffReader.page(repo, scoped)
        }
        return .object(pageJSON(page))
      })
  }

  static func log(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/log", title: "Git log",
      summary: "Commits reachable from a revision, newest first, optionally only those changing some paths; paged.",
      params: Schema.object(
        nil,
        [
          "rev": .optional(Schema.string("Where to start.", default: "HEAD")),
          "max_count": .optional(Schema.integer("Commits per page.", minimum: 1, maximum: 1000, default: 20)),
          "paths": .optional(pathsSchema),
          "cursor": .optional(Schema.string("next_cursor of the previous page.")),
        ]),
      result: Schema.object(
        nil,
        [
          "commits": .required(Schema.array(nil, of: commitSchema)),
          "next_cursor": .required(Schema.nullable(Schema.string("Pass as cursor for older commits; null at the end."))),
        ]),
      annotations: .readOnly,
      render: { result in
        let commits = result["commits"]?.arrayValue ?? []
        if commits.isEmpty { return "(no commits)" }
        var lines = commits.map { "\($0["sha"]?.stringValue?.prefix(12) ?? "") \($0["time"]?.stringValue ?? "") \($0["author"]?["name"]?.stringValue ?? "")  \($0["summary"]?.stringValue ?? "")" }
        if let next = result["next_cursor"]?.stringValue { lines.append("[older: pass cursor \"\(next)\"]") }
        return lines.joined(separator: "\n")
      },
      handler: .blocking { args, _ throws(ToolError) in
        var request = LogRequest()
        request.rev = args.string("rev") ?? "HEAD"
        request.maxCount = args.int("max_count") ?? 20
        request.skip = try cursor(args)
        request.paths = try session.checkedPaths(args.strings("paths"), doing: "inspect")
        let (commits, more) = try session.run { _, repo throws(GitError) in try HistoryReader.log(repo, request) }
        return [
          "commits": .array(commits.map(\.json)),
          "next_cursor": more ? .string(String(request.skip + commits.count)) : .null,
        ]
      })
  }

  static func show(_ session: GitSession) -> OperationSpec {
    OperationSpec(
      name: "git/show", title: "Git show",
      summary: "One commit: its metadata and its changes against its first parent, as git/diff shows files.",
      params: Schema.object(extending: diffParams, ["rev": .optional(Schema.string("The commit.", default: "HEAD"))]),
      result: Schema.object(extending: pageSchema, ["commit": .required(commitSchema)]),
      annotations: .readOnly,
      render: { result in
        let commit = result["commit"] ?? .null
        let head = "commit \(commit["sha"]?.stringValue ?? "")\nAuthor: \(commit["author"]?["name"]?.stringValue ?? "") <\(commit["author"]?["email"]?.stringValue ?? "")>\nDate: \(commit["time"]?.stringValue ?? "")\n\n\(commit["message"]?.stringValue ?? "")"
        return head + "\n" + renderPage(result)
      },
      handler: .blocking { args, _ throws(ToolError) in
        var request = try diffRequest(args)
        request.paths = try session.checkedPaths(args.strings("paths"), doing: "inspect")
        let (commit, page) = try session.run { _, repo throws(GitError) in
          try HistoryReader.show(repo, rev: args.string("rev") ?? "HEAD", diff: request)
        }
        var result = pageJSON(page)
        result["commit"] = commit.json
        return .object(result)
      })
  }
}
