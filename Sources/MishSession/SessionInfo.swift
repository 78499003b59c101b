import Foundation
import MishFiles
import MishJSON
import MishRPC
import MishSandbox

/// `session/info`: what an agent should know before its first call — where it is, what confines it, which
/// protocol versions and limits apply, and which branch and commit it works on.
enum SessionInfo {
  static func operation(_ workspace: Workspace, launcher: Launcher, defaultProfile: Profile, limits: JSONObject) -> OperationSpec {
    let layerSchema = Schema.object(
      nil,
      [
        "enforced": .required(Schema.boolean("True when this layer confines the session now.")),
        "available": .required(Schema.boolean("True when the kernel offers it.")),
        "version": .required(Schema.nullable(Schema.string("Version or ABI of the layer, when it has one."))),
        "reason": .required(Schema.string("What the layer does here, or why it is not enforced.")),
        "requirement": .optional(Schema.string("How the default profile insists on it: refused without it (required), applied when possible (best_effort), or off.", enum: ["required", "best_effort", "off"])),
      ])
    return OperationSpec(
      name: "session/info", title: "Session info",
      summary: "The session's root, mish version, protocol versions, sandbox layers (each enforced or not, and why), limits, and git branch and HEAD.",
      params: Schema.object(),
      result: Schema.object(
        nil,
        [
          "root": .required(Schema.string("Absolute path of the root every path is confined to.")),
          "version": .required(Schema.string("mish version.")),
          "protocol_versions": .required(Schema.array("MCP revisions served.", of: Schema.string())),
          "sandbox": .required(Schema.map("Confinement layers by name: paths (the file tools) and the layers commands run under with the default profile.", values: layerSchema)),
          "profiles": .required(Schema.array("Sandbox profiles exec_run accepts (sandbox/*.json); the first is the default.", of: Schema.object(nil, ["name": .required(Schema.string()), "description": .required(Schema.string()), "refused": .required(Schema.nullable(Schema.string("Why commands with this profile are refused on this host, or null.")))]))),
          "limits": .required(Schema.map("Limits that apply to calls.", values: Schema.any())),
          "git": .required(
            Schema.nullable(
              Schema.object(
                "The repository the root belongs to; null when it is not in one.",
                [
                  "branch": .required(Schema.nullable(Schema.string("Checked-out branch; null when HEAD is detached."))),
                  "head": .required(Schema.nullable(Schema.string("Commit HEAD points at; null in a repository with no commits."))),
                ]))),
          "hub": .optional(
            Schema.object(
              "Present when the session runs under mish hub (added by the hub): who it is there and the shared decisions log.",
              [
                "session_id": .required(Schema.string()), "task": .required(Schema.string()),
                "branch": .required(Schema.string()), "base": .required(Schema.string("The commit the session branched from.")),
                "decisions": .required(
                  Schema.array(
                    "Every decision recorded with hub_decisions, oldest first.",
                    of: Schema.object(
                      nil,
                      [
                        "decision_id": .required(Schema.integer()), "time_ms": .required(Schema.integer()),
                        "author": .required(Schema.string("The session that wrote it, or hub.")), "text": .required(Schema.string()),
                      ]))),
              ])),
        ]),
      annotations: .readOnly, isQuick: true,
      render: render,
      handler: .blocking { _, _ in
        let git = GitHead.read(root: workspace.rootPath)
        return [
          "root": .string(workspace.rootPath),
          "version": .string(MishVersion.string),
          "protocol_versions": JSONValue(MCPVersions.all),
          "sandbox": .object(sandboxLayers(launcher, defaultProfile: defaultProfile)),
          "profiles": .array(profileList(launcher, defaultProfile: defaultProfile)),
          "limits": .object(limits),
          "git": git.map { ["branch": JSONValue($0.branch), "head": JSONValue($0.head)] } ?? .null,
        ]
      })
  }

  static func sandboxLayers(_ launcher: Launcher, defaultProfile: Profile) -> JSONObject {
    var layers: JSONObject = [
      "paths": [
        "enforced": true, "available": true, "version": "openat2",
        "reason": "Every file tool path is resolved by the kernel beneath the root fd (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); writes refuse .git and hard-linked files.",
      ]
    ]
    for (key, value) in launcher.plan(defaultProfile).json { layers[key] = value }
    return layers
  }

  static func profileList(_ launcher: Launcher, defaultProfile: Profile) -> [JSONValue] {
    let ordered = Profile.builtIn.filter { $0.name == defaultProfile.name } + Profile.builtIn.filter { $0.name != defaultProfile.name }
    return ordered.map { profile in
      ["name": .string(profile.name), "description": .string(profile.description), "refused": JSONValue(launcher.plan(profile).refusal)]
    }
  }

  static func render(_ result: JSONValue) -> String {
    var lines = ["mish \(result["version"]?.stringValue ?? "") at \(result["root"]?.stringValue ?? "")"]
    if let git = result["git"], !git.isNull {
      lines.append("git: branch \(git["branch"]?.stringValue ?? "(detached)"), head \(git["head"]?.stringValue ?? "(no commits)")")
    }
    for (name, layer) in result["sandbox"]?.objectValue ?? JSONObject() {
      let state = layer["enforced"]?.boolValue == true ? "enforced" : "not enforced"
      lines.append("sandbox \(name): \(state) — \(layer["reason"]?.stringValue ?? "")")
    }
    return lines.joined(separator: "\n")
  }
}

/// Branch and HEAD read straight from the repository's files (plain repos and linked worktrees).
struct GitHead {
  var branch: String?
  var head: String?

  static func read(root: String) -> GitHead? {
    var directory = URL(fileURLWithPath: root)
    while true {
      let dotGit = directory.appendingPathComponent(".git")
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) {
        var gitDir = dotGit
        if !isDirectory.boolValue {
          guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") else { return nil }
          let target = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
          gitDir = URL(fileURLWithPath: target, relativeTo: directory).standardizedFileURL
        }
        return read(gitDir: gitDir)
      }
      let parent = directory.deletingLastPathComponent()
      if parent.path == directory.path { return nil }
      directory = parent
    }
  }

  static func read(gitDir: URL) -> GitHead? {
    guard let headText = try? String(contentsOf: gitDir.appendingPathComponent("HEAD"), encoding: .utf8) else { return nil }
    let head = headText.trimmingCharacters(in: .whitespacesAndNewlines)
    guard head.hasPrefix("ref:") else { return GitHead(branch: nil, head: head) }
    let ref = head.dropFirst(4).trimmingCharacters(in: .whitespaces)
    let branch = ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : ref
    var commonDir = gitDir
    if let common = try? String(contentsOf: gitDir.appendingPathComponent("commondir"), encoding: .utf8) {
      commonDir = URL(fileURLWithPath: common.trimmingCharacters(in: .whitespacesAndNewlines), relativeTo: gitDir).standardizedFileURL
    }
    for dir in [gitDir, commonDir] {
      if let sha = try? String(contentsOf: dir.appendingPathComponent(ref), encoding: .utf8) {
        return GitHead(branch: branch, head: sha.trimmingCharacters(in: .whitespacesAndNewlines))
      }
    }
    if let packed = try? String(contentsOf: commonDir.appendingPathComponent("packed-refs"), encoding: .utf8) {
      for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) {
        return GitHead(branch: branch, head: String(line.prefix(while: { $0 != " " })))
      }
    }
    return GitHead(branch: branch, head: nil)
  }
}
