import MishJSON
import MishRPC

/// The git/* operations over one session's repository, in the order tools/list shows them. libgit2 runs no hooks.
public enum GitTools {
  public static func operations(_ session: GitSession) -> [OperationSpec] {
    [
      status(session), diff(session), log(session), show(session), add(session), restore(session), commit(session), merge(session),
      branch(session), checkpoint(session),
    ]
  }

  static let pathsSchema = Schema.array("Paths (or directories) relative to the root; none means everything.", of: Schema.string())

  static let fileSchema = Schema.object(
    nil,
    [
      "path": .required(Schema.string()), "old_path": .optional(Schema.string("Where a renamed file came from.")),
      "status": .required(Schema.string(enum: ["added", "deleted", "modified", "renamed", "copied", "typechange", "conflicted"])),
      "additions": .required(Schema.integer(minimum: 0)), "deletions": .required(Schema.integer(minimum: 0)),
      "binary": .required(Schema.boolean()), "similarity": .optional(Schema.integer(minimum: 0, maximum: 100)),
      "old_mode": .optional(Schema.string()), "new_mode": .optional(Schema.string()),
      "patch": .optional(Schema.string("Unified diff of the file (absent with stat_only).")),
      "patch_truncated": .optional(Schema.boolean("True when the patch was cut at max_bytes.")),
    ])

  static let commitSchema = Schema.object(
    nil,
    [
      "sha": .required(Schema.string()), "parents": .required(Schema.array(nil, of: Schema.string())),
      "author": .required(Schema.map(nil, values: Schema.string())), "committer": .required(Schema.map(nil, values: Schema.string())),
      "time": .required(Schema.string("Commit time, RFC 3339.")), "summary": .required(Schema.string()),
      "message": .required(Schema.string()),
    ])

  /// A page cursor: the next_cursor of an earlier answer (a position), or 0 when absent. Anything else is refused
  /// rather than read as the first page again.
  static func cursor(_ args: Args) throws(ToolError) -> Int {
    guard let text = args.string("cursor") else { return 0 }
    guard let position = Int(text), position >= 0 else {
      throw ToolError(.invalidArgument, "cursor \"\(text)\" is not a cursor of this tool", hint: "Pass next_cursor from the previous answer unchanged, or leave cursor out for the first page.")
    }
    return position
  }

  static func diffRequest(_ args: Args) throws(ToolError) -> DiffRequest {
    var request = DiffRequest()
    request.contextLines = args.int("context_lines") ?? 3
    request.statOnly = args.bool("stat_only", default: false)
    request.findRenames = args.bool("find_renames", default: true)
    request.maxBytes = args.int("max_bytes") ?? 100_000
    request.start = try cursor(args)
    return request
  }

  static func pageJSON(_ page: DiffPage) -> JSONObject {
    [
      "files": .array(page.files.map(\.json)), "total_files": .int(page.totalFiles), "additions": .int(page.additions),
      "deletions": .int(page.deletions), "truncated": .bool(page.nextStart != nil),
      "next_cursor": page.nextStart.map { .string(String($0)) } ?? .null,
    ]
  }

  /// The parameters git/diff and git/show share.
  static let diffParams = Schema.object(
    nil,
    [
      "paths": .optional(pathsSchema),
      "stat_only": .optional(Schema.boolean("Counts only, no patch text.", default: false)),
      "context_lines": .optional(Schema.integer("Lines of context around changes.", minimum: 0, maximum: 1000, default: 3)),
      "find_renames": .optional(Schema.boolean("Detect renames.", default: true)),
      "max_bytes": .optional(Schema.integer("Patch bytes per page.", minimum: 1024, maximum: 10 << 20, default: 100_000)),
      "cursor": .optional(Schema.string("next_cursor of the previous page.")),
    ])

  /// One page of changed files, as git/diff and git/show answer.
  static let pageSchema = Schema.object(
    nil,
    [
      "files": .required(Schema.array("Changed files of this page.", of: fileSchema)),
      "total_files": .required(Schema.integer("Files changed in all.", minimum: 0)),
      "additions": .required(Schema.integer("Lines added in all files.", minimum: 0)),
      "deletions": .required(Schema.integer("Lines deleted in all files.", minimum: 0)),
      "truncated": .required(Schema.boolean("True when max_bytes stopped the page; pass next_cursor for more.")),
      "next_cursor": .required(Schema.nullable(Schema.string("Cursor of the next page."))),
    ])

  static func renderPage(_ result: JSONValue) -> String {
    let files = result["files"]?.arrayValue ?? []
    if files.isEmpty { return "(no changes)" }
    var lines = files.map { file in
      let path = file["old_path"]?.stringValue.map { "\($0) → " } ?? ""
      let counts = file["binary"]?.boolValue == true ? "binary" : "+\(file["additions"]?.intValue ?? 0) -\(file["deletions"]?.intValue ?? 0)"
      return "\(file["status"]?.stringValue ?? "") \(path)\(file["path"]?.stringValue ?? "") (\(counts))"
    }
    lines.append("\(result["total_files"]?.intValue ?? 0) files, +\(result["additions"]?.intValue ?? 0) -\(result["deletions"]?.intValue ?? 0)")
    let patches = files.compactMap { $0["patch"]?.stringValue }.joined()
    if !patches.isEmpty { lines.append(patches) }
    for file in files where file["patch_truncated"]?.boolValue == true {
      lines.append("[patch of \(file["path"]?.stringValue ?? "") cut at max_bytes: raise max_bytes, or narrow with paths / context_lines]")
    }
    if let next = result["next_cursor"]?.stringValue { lines.append("[more files: pass cursor \"\(next)\"]") }
    return lines.joined(separator: "\n")
  }
}
