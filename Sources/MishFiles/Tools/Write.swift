import MishJSON
import MishRPC

extension FileTools {
  static func write(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/write", title: "Write file",
      summary: "Create or replace a whole file atomically (temp file, fsync, rename; mode kept). Pass expected_sha256 to refuse overwriting a file that changed since you read it.",
      params: Schema.object(
        nil,
        [
          "path": .required(pathSchema),
          "content": .required(Schema.string("The complete new content.")),
          "expected_sha256": .optional(Schema.string("Only write if the file's current SHA-256 is this (from fs_read); otherwise fail with stale.")),
          "create_only": .optional(Schema.boolean("Fail with exists instead of replacing an existing file.", default: false)),
          "create_parents": .optional(Schema.boolean("Create missing parent directories.", default: true)),
        ]),
      result: Schema.object(
        nil,
        [
          "path": .required(Schema.string("The path written, resolved inside the root.")),
          "sha256": .required(sha256Schema),
          "bytes": .required(Schema.integer("Bytes written.", minimum: 0)),
          "created": .required(Schema.boolean("True when the file did not exist before.")),
        ]),
      annotations: .destructive,
      footprint: writes(workspace, "path"),
      render: { result in
        let verb = result["created"]?.boolValue == true ? "created" : "wrote"
        return "\(verb) \(result["path"]?.stringValue ?? "") (\(result["bytes"]?.intValue ?? 0) bytes, sha256 \(result["sha256"]?.stringValue ?? ""))"
      },
      handler: .blocking { args, _ throws(ToolError) in
        let path = try args.require("path")
        let content = Array(try args.require("content").utf8)
        let createOnly = args.bool("create_only", default: false)
        let target = try workspace.writeTarget(path, createParents: args.bool("create_parents", default: true), doing: "writing")
        if target.existing != nil {
          if createOnly {
            throw ToolError(
              .exists, "\(target.resolved) already exists", hint: "Drop create_only to replace it, or choose another path.",
              details: ["path": .string(target.resolved)])
          }
          if let expected = args.string("expected_sha256") {
            try Workspace.checkExpected(expected, current: try workspace.readFile(target.resolved).bytes, path: target.resolved)
          }
        } else if args.string("expected_sha256") != nil {
          try Workspace.checkExpected(args.string("expected_sha256"), current: nil, path: target.resolved)
        }
        let outcome = try workspace.commitWrite(content, to: target, createOnly: createOnly || target.existing == nil)
        return [
          "path": .string(outcome.resolved), "sha256": .string(SHA256.hex(content)), "bytes": .int(content.count),
          "created": .bool(outcome.created),
        ]
      })
  }
}
