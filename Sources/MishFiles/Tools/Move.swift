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
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        func refuseInsideItself(_ destination: String) throws(ToolError) {
          guard isDirectory, destination.hasPrefix(source.relative + "/") || destination.hasPrefix(source.resolved + "/") else { return }
          throw ToolError(.invalidArgument, "Cannot move \(source.relative) into itself", hint: "Choose a destination outside it.")
        }
        try refuseInsideItself(destinationRelative)
        var made: [String] = []
        if let slash = destinationRelative.lastIndex(of: "/") {
          made = try workspace.makeDirectories(String(destinationRelative[..<slash]), doing: "moving")
        }
        // A failed move leaves no directory it made behind.
        func undoDirectories() { for directory in made.reversed() { workspace.removeEmptyDirectory(directory) } }
        let destination: Workspace.Parent
        do throws(ToolError) {
          destination = try workspace.openParent(toPath, doing: "moving")
          try workspace.refuseGitPath(destination.resolved, doing: "moving")
          try refuseInsideItself(destination.resolved)
        } catch {
          undoDirectories()
          throw error
        }
        let overwrite = args.bool("overwrite", default: false)
        let result = retrying {
          mish_renameat2(source.dir.raw, source.name, destination.dir.raw, destination.name, overwrite ? 0 : 1)
        }
        guard result == 0 else {
          let code = errno
          undoDirectories()
          let to = destination.relative
          let details: JSONObject = ["path": .string(to)]
          switch code {
          case EEXIST where !overwrite:
            throw ToolError(.exists, "\(to) already exists", hint: "Pass overwrite: true to replace it, or choose another destination.", details: details)
          case EEXIST, ENOTEMPTY:
            throw ToolError(
              .exists, "\(to) is a directory that is not empty; overwrite replaces only files and empty directories",
              hint: "Empty or remove it first (fs_remove with recursive), or choose another destination.", details: details)
          case ENOTDIR:
            throw ToolError(
              .exists, "\(to) is a file; a directory cannot replace it", hint: "Remove it first, or choose another destination.", details: details)
          case EISDIR:
            throw ToolError(
              .exists, "\(to) is a directory; a file cannot replace it", hint: "Move the file into it (\(to)/\(source.name)), or choose another destination.",
              details: details)
          default:
            throw pathError(code, "\(source.relative) -> \(to)", doing: "moving")
          }
        }
        return ["from": .string(source.relative), "to": .string(destination.relative)]
      })
  }
}
