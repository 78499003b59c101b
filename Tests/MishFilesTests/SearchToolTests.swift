import Foundation
import MishFiles
import MishJSON
import MishRPC
import Testing

/// fs/grep and fs/glob as an agent calls them: what the tool layer adds on top of the search engine.
@Suite struct SearchToolTests {
  private func paths(_ result: JSONValue, _ key: String) -> [String] {
    (result[key]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue ?? $0.stringValue }
  }

  private func text(_ s: Scratch, _ method: String, _ result: JSONValue) -> String {
    s.registry.operation(named: method)?.render(result) ?? ""
  }

  private func tree() throws -> Scratch {
    let s = try Scratch()
    try s.put("src/app/main.py", "# TODO: fix\n")
    try s.put("src/lib/util.ts", "// TODO\n")
    try s.put("tests/unit/test_a.py", "# TODO\n")
    try s.put("bin.dat", [0x61, 0x00, 0x54, 0x4F, 0x44, 0x4F])
    return s
  }

  @Test func leadingBangInGrepGlobExcludesFilesAndDirectories() throws {
    let s = try tree()
    #expect(paths(try s.ok("fs/grep", ["pattern": "TODO", "glob": "!tests"]), "matches") == ["src/app/main.py", "src/lib/util.ts"])
    #expect(paths(try s.ok("fs/grep", ["pattern": "TODO", "glob": "!tests/**"]), "matches") == ["src/app/main.py", "src/lib/util.ts"])
    #expect(paths(try s.ok("fs/grep", ["pattern": "TODO", "glob": "!*.py"]), "matches") == ["src/lib/util.ts"])
    #expect(
      paths(try s.ok("fs/grep", ["pattern": "TODO", "glob": "!lib/", "path": "src"]), "matches") == ["src/app/main.py"])
  }

  /// fs/glob finds files; directories with a pattern ending in `/`, and its empty text says so.
  @Test func globFindsDirectoriesWithATrailingSlash() throws {
    let s = try tree()
    let files = try s.ok("fs/glob", ["pattern": "src/*"])
    #expect(paths(files, "paths").isEmpty)
    #expect(text(s, "fs/glob", files).contains("pattern ending in /"), "\(text(s, "fs/glob", files))")
    #expect(paths(try s.ok("fs/glob", ["pattern": "src/*/"]), "paths") == ["src/app", "src/lib"])
  }

  @Test func absoluteGlobsInsideTheRootAreMadeRelative() throws {
    let s = try tree()
    let root = s.workspace.rootPath
    #expect(paths(try s.ok("fs/glob", ["pattern": .string(root + "/**/*.py")]), "paths") == ["src/app/main.py", "tests/unit/test_a.py"])
    #expect(paths(try s.ok("fs/glob", ["pattern": .string(root + "/src/**/*.py"), "path": "src"]), "paths") == ["src/app/main.py"])
    #expect(paths(try s.ok("fs/grep", ["pattern": "TODO", "glob": .string(root + "/src/**")]), "matches") == ["src/app/main.py", "src/lib/util.ts"])
    #expect(paths(try s.ok("fs/grep", ["pattern": "TODO", "glob": .string("!" + root + "/src/**")]), "matches") == ["tests/unit/test_a.py"])
    let outside = s.failure("fs/glob", ["pattern": .string(root + "/tests/*.py"), "path": "src"])
    #expect(outside?.code == .invalidArgument)
    #expect(outside?.message.contains("not beneath the searched directory") == true)
    // A leading "/" that is not the root still anchors at the searched directory.
    #expect(paths(try s.ok("fs/glob", ["pattern": "/src/**/*.ts"]), "paths") == ["src/lib/util.ts"])
  }

  @Test func grepSaysWhenFilesWereSkippedOrNoneSearched() throws {
    let s = try tree()
    let binary = try s.ok("fs/grep", ["pattern": "TODO", "path": "bin.dat"])
    #expect(binary["files_skipped"] == 1 && binary["files_searched"] == 0)
    #expect(text(s, "fs/grep", binary).contains("1 skipped as binary"))
    let everywhere = try s.ok("fs/grep", ["pattern": "TODO"])
    #expect(everywhere["files_skipped"] == 1 && everywhere["files_searched"] == 3)
    let filtered = try s.ok("fs/grep", ["pattern": "TODO", "glob": "*.rs"])
    #expect(text(s, "fs/grep", filtered).contains("no file was searched"))
    let none = try s.ok("fs/grep", ["pattern": "absent"])
    #expect(text(s, "fs/grep", none) == "(no matches in 3 files; 1 skipped as binary, larger than 50 MiB or unreadable)")
  }

  @Test func grepTextPrintsSharedContextOnceInLineOrder() throws {
    let s = try Scratch()
    try s.put("many.txt", (1...20).map { "m \($0)\n" }.joined())
    try s.put("other.txt", "x\nm 1\n")
    let result = try s.ok("fs/grep", ["pattern": "^m (1|2|9)$", "context_lines": 2])
    #expect(
      text(s, "fs/grep", result).split(separator: "\n") == [
        "many.txt:1:1: m 1", "many.txt:2:1: m 2", "many.txt-3-m 3", "many.txt-4-m 4", "--",
        "many.txt-7-m 7", "many.txt-8-m 8", "many.txt:9:1: m 9", "many.txt-10-m 10", "many.txt-11-m 11", "--",
        "other.txt-1-x", "other.txt:2:1: m 1",
      ])
    // Without context the lines are the matches alone, with no separators.
    let plain = try s.ok("fs/grep", ["pattern": "^m (1|2)$"])
    #expect(text(s, "fs/grep", plain).split(separator: "\n") == ["many.txt:1:1: m 1", "many.txt:2:1: m 2", "other.txt:2:1: m 1"])
  }
}
