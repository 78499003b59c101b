import CMishSys
import Foundation
import Glibc
import MishJSON
import MishRPC

extension FileTools {
  static func typeName(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: return "file"
    case S_IFDIR: return "dir"
    case S_IFLNK: return "symlink"
    default: return "other"
    }
  }

  static func stat(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/stat", title: "File status",
      summary: "Type, size, mode, modification time and (for files) SHA-256 of a path; a symlink is described itself, with its target.",
      params: Schema.object(nil, ["path": .required(Schema.string("Path relative to the root; \"\" or \".\" is the root."))]),
      result: Schema.object(
        nil,
        [
          "path": .required(Schema.string()),
          "type": .required(Schema.string("What the path is.", enum: ["file", "dir", "symlink", "other"])),
          "size": .required(Schema.integer("Size in bytes.", minimum: 0)),
          "mode": .required(Schema.string("Permission bits in octal, e.g. \"0644\".")),
          "mtime": .required(Schema.string("Last modification, RFC 3339 UTC.")),
          "nlink": .required(Schema.integer("Hard links.", minimum: 0)),
          "sha256": .optional(Schema.nullable(Schema.string("SHA-256 of a file's content (files up to 512 MiB).")) ),
          "link_target": .optional(Schema.nullable(Schema.string("Where a symlink points, as stored in the link."))),
          "target_type": .optional(
            Schema.string(
              "For a symlink, what it leads to, looked up beneath the root: missing for a dangling link, outside_root for one that leaves the root.",
              enum: ["file", "dir", "other", "missing", "outside_root"])),
        ]),
      annotations: .readOnly,
      footprint: reads(workspace, "path"), isQuick: true,
      render: { result in
        var line = "\(result["path"]?.stringValue ?? ""): \(result["type"]?.stringValue ?? ""), \(result["size"]?.intValue ?? 0) bytes, mode \(result["mode"]?.stringValue ?? ""), modified \(result["mtime"]?.stringValue ?? "")"
        if let target = result["link_target"]?.stringValue { line += ", -> \(target) (\(result["target_type"]?.stringValue ?? "?"))" }
        if let sha = result["sha256"]?.stringValue { line += ", sha256 \(sha)" }
        return line
      },
      handler: .blocking { args, _ throws(ToolError) in
        let path = args.string("path") ?? ""
        let relative = workspace.relative(path)
        var info = Glibc.stat()
        var linkTarget: String?
        if relative.isEmpty {
          guard fstat(workspace.fd, &info) == 0 else { throw pathError(errno, relative, doing: "stat") }
        } else {
          let parent = try workspace.openParent(path, doing: "stat")
          guard fstatat(parent.dir.raw, parent.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw pathError(errno, relative, doing: "stat") }
          if info.st_mode & S_IFMT == S_IFLNK {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlinkat(parent.dir.raw, parent.name, &buffer, buffer.count - 1)
            if n >= 0 { linkTarget = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
          }
        }
        var result: JSONObject = [
          "path": .string(relative.isEmpty ? "." : relative),
          "type": .string(typeName(info.st_mode)),
          "size": .int(Int(info.st_size)),
          "mode": .string("0" + String(info.st_mode & 0o7777, radix: 8)),
          "mtime": .string(rfc3339(info.st_mtim)),
          "nlink": .int(Int(info.st_nlink)),
        ]
        if info.st_mode & S_IFMT == S_IFREG { result["sha256"] = .string(SHA256.hex(try workspace.readFile(path).bytes)) }
        if let linkTarget {
          result["link_target"] = .string(linkTarget)
          result["target_type"] = .string(linkTargetType(workspace, path))
        }
        return .object(result)
      })
  }

  /// What a symlink leads to, resolved by the kernel beneath the root like any other path.
  static func linkTargetType(_ workspace: Workspace, _ path: String) -> String {
    do throws(ToolError) {
      let (fd, _) = try workspace.openResolved(path, flags: mish_O_PATH, doing: "stat")
      var info = Glibc.stat()
      guard fstat(fd.raw, &info) == 0 else { return "missing" }
      return typeName(info.st_mode) == "symlink" ? "other" : typeName(info.st_mode)
    } catch {
      switch error.code {
      case .outsideRoot: return "outside_root"
      case .notFound: return "missing"
      default: return "other"
      }
    }
  }

  static func rfc3339(_ time: timespec) -> String {
    var seconds = time.tv_sec
    var parts = tm()
    gmtime_r(&seconds, &parts)
    let fraction = String(format: "%03d", Int(time.tv_nsec / 1_000_000))
    return String(
      format: "%04d-%02d-%02dT%02d:%02d:%02d.%@Z", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), fraction)
  }
}
