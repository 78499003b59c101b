import CMishSys
import Glibc
import MishJSON
import MishRPC

extension FileTools {
  static func move(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/move", title: "Move or rename",
      summary: "Move or rename a file or directory inside the root, atomically. Refuses to replace an existing destination unless overwrite is set.",
      params: Schema.object(
        nil,
        [
          "from": .required(pathSchema),
          "to": .required(pathSchema),
          "overwrite": .optional(Schema.boolean("Replace an existing destination (a file, or an empty directory).", default: false)),
        ]),
      result: Schema.object(nil, ["from": .required(Schema.string()), "to": .required(Schema.string())]),
      annotations: .destructive,
      footprint: writes(workspace, "from", "to"),
      render: { result in "moved \(result["from"]?.stringValue ?? "") -> \(result["to"]?.stringValue ?? "")" },
      handler: .blocking { args, _ throws(ToolError) in
        let source = try workspace.openParent(try args.require("from"), doing: "moving")
        try workspace.refuseGitPath(source.resolved, doing: "moving")
        var info = Glibc.stat()
        guard fstatat(source.dir.raw, source.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
          throw pathError(errno, source.relative, doing: "moving")
        }
        let toPath = try args.require("to")
        let destinationRelative = try workspace.confined(toPath, doing: "moving")
        try workspace.refuseGitPath(destinationRelative, doing: "moving")
        if let slash = destinationRelative.lastIndex(of: "/") {
          try workspace.makeDirectories(String(destinationRelative[..<slash]), doing: "moving")
        }
        let destination = try workspace.openParent(toPath, doing: "moving")
        try workspace.refuseGitPath(destination.resolved, doing: "moving")
        if info.st_mode & S_IFMT == S_IFDIR, destination.relative.hasPrefix(source.relative + "/") {
          throw ToolError(.invalidArgument, "Cannot move \(source.relative) into itself", hint: "Choose a destination outside it.")
        }
        let overwrite = args.bool("overwrite", default: false)
        let result = retrying {
          mish_renameat2(source.dir.raw, source.name, destination.dir.raw, destination.name, overwrite ? 0 : 1)
        }
        guard result == 0 else {
          let code = errno
          if code == EEXIST || code == ENOTEMPTY {
            throw ToolError(
              .exists, "\(destination.relative) already exists", hint: "Pass overwrite: true to replace it, or choose another destination.",
              details: ["path": .string(destination.relative)])
          }
          throw pathError(code, source.relative, doing: "moving")
        }
        return ["from": .string(source.relative), "to": .string(destination.relative)]
      })
  }
}
