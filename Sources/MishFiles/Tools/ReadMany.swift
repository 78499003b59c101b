import MishJSON
import MishRPC

extension FileTools {
  static func readMany(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/read_many", title: "Read several files",
      summary: "Read up to 50 files in one call; each entry is an fs_read result or that file's own error, so one bad path does not fail the rest.",
      params: Schema.object(
        nil,
        [
          "paths": .required(Schema.array("Paths relative to the root.", of: pathSchema, minItems: 1, maxItems: 50)),
          "max_bytes": .optional(Schema.integer("Most bytes of content per file.", minimum: 1, default: 20_000)),
        ]),
      result: Schema.object(
        nil,
        [
          "files": .required(
            Schema.array(
              "One entry per requested path, in order.",
              of: Schema.anyOf([readResultSchema, Schema.object("This file failed.", ["path": .required(Schema.string("The path as requested.")), "error": .required(ToolError.schema)])])))
        ]),
      annotations: .readOnly,
      footprint: { args in Footprint(reads: (args.strings("paths") ?? []).map { footprintKey($0, in: workspace) }) },
      render: { result in
        (result["files"]?.arrayValue ?? []).map { file in
          if let error = file["error"] {
            var text = "\(file["path"]?.stringValue ?? ""): error \(error["code"]?.stringValue ?? ""): \(error["message"]?.stringValue ?? "")"
            if let hint = error["hint"]?.stringValue, !hint.isEmpty { text += "\nhint: \(hint)" }
            return text
          }
          return renderRead(file)
        }.joined(separator: "\n\n")
      },
      handler: .blocking { args, context throws(ToolError) in
        let maxBytes = args.int("max_bytes") ?? 20_000
        var files: [JSONValue] = []
        let paths = args.strings("paths") ?? []
        for (index, path) in paths.enumerated() {
          try context.checkCancelled()
          context.progress(Double(index + 1), total: Double(paths.count), message: path)
          do throws(ToolError) {
            files.append(try readResult(workspace, path: path, startLine: 1, limitLines: Int.max, maxBytes: maxBytes))
          } catch {
            files.append(["path": .string(path), "error": error.json])
          }
        }
        return ["files": .array(files)]
      })
  }
}
