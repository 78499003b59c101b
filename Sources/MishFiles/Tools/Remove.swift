import Glibc
import MishJSON
import MishRPC

extension FileTools {
  static func remove(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/remove", title: "Remove",
      summary: "Delete a file, a symlink (not its target), or a directory (recursive: true for a non-empty one).",
      params: Schema.object(
        nil,
        [
          "path": .required(pathSchema),
          "recursive": .optional(Schema.boolean("Remove a directory and everything in it.", default: false)),
        ]),
      result: Schema.object(
        nil,
        ["path": .required(Schema.string()), "removed": .required(Schema.integer("Entries removed.", minimum: 0))]),
      annotations: Annotations(readOnly: false, destructive: true, idempotent: true),
      footprint: writes(workspace, "path"),
      render: { result in "removed \(result["path"]?.stringValue ?? "") (\(result["removed"]?.intValue ?? 0) entries)" },
      handler: .blocking { args, context throws(ToolError) in
        let target = try workspace.openParent(try args.require("path"), doing: "removing")
        try workspace.refuseGitPath(target.resolved, doing: "removing")
        var info = Glibc.stat()
        guard fstatat(target.dir.raw, target.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
          throw pathError(errno, target.relative, doing: "removing")
        }
        var removed = 0
        if info.st_mode & S_IFMT == S_IFDIR {
          if args.bool("recursive", default: false) {
            removed += try removeContents(of: target.dir.raw, name: target.name, path: target.relative, context: context)
          }
          guard unlinkat(target.dir.raw, target.name, AT_REMOVEDIR) == 0 else {
            if errno == ENOTEMPTY || errno == EEXIST {
              throw ToolError(
                .invalidArgument, "\(target.relative) is a directory that is not empty",
                hint: "Pass recursive: true to remove it with everything inside.", details: ["path": .string(target.relative)])
            }
            throw pathError(errno, target.relative, doing: "removing")
          }
        } else {
          guard unlinkat(target.dir.raw, target.name, 0) == 0 else { throw pathError(errno, target.relative, doing: "removing") }
        }
        return ["path": .string(target.relative), "removed": .int(removed + 1)]
      })
  }

  /// Empties a directory without following symlinks: each level is opened O_NOFOLLOW beneath the last.
  static func removeContents(of parent: Int32, name: String, path: String, context: RequestContext) throws(ToolError) -> Int {
    let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else { throw pathError(errno, path, doing: "removing") }
    guard let dir = fdopendir(fd) else {
      close(fd)
      throw pathError(errno, path, doing: "removing")
    }
    defer { closedir(dir) }
    var names: [(String, Bool)] = []
    while let entry = readdir(dir) {
      let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if entryName == "." || entryName == ".." { continue }
      names.append((entryName, entry.pointee.d_type == UInt8(DT_DIR)))
    }
    var removed = 0
    let dirFD = dirfd(dir)
    for (entryName, isDirectory) in names {
      try context.checkCancelled()
      if isDirectory {
        removed += try removeContents(of: dirFD, name: entryName, path: path + "/" + entryName, context: context)
        guard unlinkat(dirFD, entryName, AT_REMOVEDIR) == 0 else { throw pathError(errno, path + "/" + entryName, doing: "removing") }
      } else {
        guard unlinkat(dirFD, entryName, 0) == 0 else { throw pathError(errno, path + "/" + entryName, doing: "removing") }
      }
      removed += 1
    }
    return removed
  }
}
