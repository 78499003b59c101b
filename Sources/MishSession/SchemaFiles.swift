import Foundation
import MishFiles
import MishJSON
import MishRPC
import MishSandbox

/// schemas/: every method's params and result as JSON Schema 2020-12 files, generated from the registry.
public enum SchemaFiles {
  /// Relative file path → file content, for every operation of the session registry and `extra` ones (the hub's),
  /// plus configuration files' schemas (`documents`: name → schema, written as `<name>.schema.json`).
  public static func generate(extra: [OperationSpec] = [], documents: [(name: String, schema: JSONValue)] = []) -> [(path: String, content: String)] {
    let scratch = FileManager.default.temporaryDirectory.path
    guard let workspace = try? Workspace(root: scratch) else { return [] }
    var files: [(String, String)] = []
    for operation in SessionServer.registry(workspace: workspace, exec: SessionServer.idleExec(workspace)).operations + extra {
      for (kind, schema) in [("params", operation.params), ("result", operation.publishedResultSchema)] {
        var document: JSONObject = [
          "$schema": .string(Schema.dialect),
          "$id": .string("https://mish.dev/schemas/\(operation.name).\(kind).json"),
          "title": .string("\(operation.name) \(kind)"),
        ]
        if kind == "params" { document["description"] = .string(operation.summary) }
        for (key, value) in schema.objectValue ?? JSONObject() where document[key] == nil { document[key] = value }
        files.append(("\(operation.name).\(kind).json", JSONWriter.pretty(.object(document))))
      }
    }
    for (name, schema) in documents {
      var document: JSONObject = ["$schema": .string(Schema.dialect), "$id": .string("https://mish.dev/schemas/\(name).schema.json")]
      for (key, value) in schema.objectValue ?? JSONObject() where document[key] == nil { document[key] = value }
      files.append(("\(name).schema.json", JSONWriter.pretty(.object(document))))
    }
    return files
  }

  /// Writes the files (or, with `check`, compares them) and returns the exit code.
  public static func run(directory: String, check: Bool, extra: [OperationSpec] = [], documents: [(name: String, schema: JSONValue)] = []) -> Int32 {
    GeneratedFiles.sync(
      generate(extra: extra, documents: documents), directory: directory, check: check,
      owns: { $0.hasSuffix(".params.json") || $0.hasSuffix(".result.json") || $0.hasSuffix(".schema.json") }, command: "mish schemas")
  }
}

/// sandbox/*.json: the built-in sandbox profiles as files, generated from `Profile.builtIn`.
public enum ProfileFiles {
  public static func generate() -> [(path: String, content: String)] {
    Profile.builtIn.map { ("\($0.name).json", JSONWriter.pretty($0.json)) }
  }

  public static func run(directory: String, check: Bool) -> Int32 {
    GeneratedFiles.sync(generate(), directory: directory, check: check, owns: { $0.hasSuffix(".json") && !$0.contains("/") }, command: "mish profiles")
  }
}

/// Keeps a directory of generated files equal to what the code generates (or, with `check`, says where not).
enum GeneratedFiles {
  static func sync(
    _ files: [(path: String, content: String)], directory: String, check: Bool, owns: (String) -> Bool, command: String
  ) -> Int32 {
    let manager = FileManager.default
    var stale: [String] = []
    for (path, content) in files {
      let url = URL(fileURLWithPath: directory).appendingPathComponent(path)
      let current = try? String(contentsOf: url, encoding: .utf8)
      if current == content { continue }
      if check {
        stale.append(path)
        continue
      }
      do {
        try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try content.write(to: url, atomically: true, encoding: .utf8)
        print("wrote \(url.path)")
      } catch {
        FileHandle.standardError.write(Data("mish: cannot write \(url.path): \(error)\n".utf8))
        return 1
      }
    }
    let expected = Set(files.map(\.path))
    let existing = (manager.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter(owns)
    let extra = existing.filter { !expected.contains($0) }.sorted()
    if check {
      if stale.isEmpty && extra.isEmpty {
        print("\(directory)/ is current (\(files.count) files)")
        return 0
      }
      for path in stale { print("stale or missing: \(directory)/\(path)") }
      for path in extra { print("no longer generated: \(directory)/\(path)") }
      print("Run `\(command) \(directory)` to regenerate.")
      return 1
    }
    for path in extra {
      try? manager.removeItem(atPath: directory + "/" + path)
      print("removed \(directory)/\(path)")
    }
    return 0
  }
}
