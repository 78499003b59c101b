import CMishSys
import Glibc
import MishJSON
import MishRPC

extension FileTools {
  static func mkdir(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/mkdir", title: "Make directory",
      summary: "Create a directory; with parents (the default) missing parents are created and an existing directory is fine.",
      params: Schema.object(
        nil,
        [
          "path": .required(pathSchema),
          "parents": .optional(Schema.boolean("Create missing parents, and succeed if the directory exists (mkdir -p).", default: true)),
        ]),
      result: Schema.object(nil, ["path": .required(Schema.string()), "created": .required(Schema.boolean("False when it already existed."))]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: true),
      footprint: writes(workspace, "path"),
      render: { result in
        (result["created"]?.boolValue == true ? "created directory " : "directory already exists: ") + (result["path"]?.stringValue ?? "")
      },
      handler: .blocking { args, _ throws(ToolError) in
        let path = try args.require("path")
        let relative = try workspace.confined(path, doing: "creating")
        try workspace.refuseGitPath(relative, doing: "creating")
        let parents = args.bool("parents", default: true)
        if parents, let slash = relative.lastIndex(of: "/") {
          try workspace.makeDirectories(String(relative[..<slash]), doing: "creating")
        }
        let target = try workspace.openParent(path, doing: "creating")
        try workspace.refuseGitPath(target.resolved, doing: "creating")
        if mkdirat(target.dir.raw, target.name, 0o777) == 0 {
          return ["path": .string(target.relative), "created": true]
        }
        let code = errno
        // Something is there: a directory beneath the root counts as done; a symlink is looked up by the kernel like
        // any path (one leading outside the root is refused), and a file is an error.
        var info = Glibc.stat()
        if code == EEXIST, fstatat(target.dir.raw, target.name, &info, AT_SYMLINK_NOFOLLOW) == 0,
          [S_IFDIR, S_IFLNK].contains(info.st_mode & S_IFMT)
        {
          let (_, resolved) = try workspace.openResolved(path, flags: mish_O_PATH | O_DIRECTORY, doing: "creating")
          try workspace.refuseGitPath(resolved, doing: "creating")
          if parents { return ["path": .string(target.relative), "created": false] }
          throw ToolError(
            .exists, "Directory \(target.relative) already exists", hint: "Nothing to do; pass parents: true to treat this as success.",
            details: ["path": .string(target.relative)])
        }
        throw pathError(code, target.relative, doing: "creating")
      })
  }
}
