import Foundation
import MishCLI
import MishHub
import MishSession
import Testing

@Suite struct CommandLineTests {
  @Test(arguments: [
    (["serve"], Command.serve(root: ".", logLevel: "info", maxFrameBytes: nil)),
    (["serve", "--root", "/w", "--log-level=debug"], .serve(root: "/w", logLevel: "debug", maxFrameBytes: nil)),
    (["serve", "--max-frame-bytes", "4096"], .serve(root: ".", logLevel: "info", maxFrameBytes: 4096)),
    (["serve", "--state-dir", "/s"], .serve(root: ".", logLevel: "info", maxFrameBytes: nil, stateDir: "/s")),
    (["call", "fs/read", "{\"path\":\"a\"}", "--root", "r"], .call(method: "fs/read", params: "{\"path\":\"a\"}", root: "r")),
    (["call", "session/info"], .call(method: "session/info", params: nil, root: ".")),
    (["tools"], .tools(root: ".")),
    (["schemas", "--check"], .schemas(directory: "schemas", check: true)),
    (["schemas", "out"], .schemas(directory: "out", check: false)),
    (["profiles", "--check"], .profiles(directory: "sandbox", check: true)),
    (["serve", "--profile", "test"], .serve(root: ".", logLevel: "info", maxFrameBytes: nil, profile: "test")),
    (["serve", "--limits", "memory_mb=512,pids=64"], .serve(root: ".", logLevel: "info", maxFrameBytes: nil, limits: "memory_mb=512,pids=64")),
    (["demo"], .demo(directory: nil)),
    (["hub"], .hub(repo: ".", pool: 2, logLevel: "info", stuckAfterMs: 120_000)),
    (["hub", "--repo", "/r", "--pool=0", "--stuck-after-ms", "500"], .hub(repo: "/r", pool: 0, logLevel: "info", stuckAfterMs: 500)),
    (["hub", "status", "--json"], .hubStatus(repo: ".", json: true)),
    (["hub", "status", "--repo", "/r"], .hubStatus(repo: "/r", json: false)),
    (["connect", "--session", "s1", "--repo", "/r"], .connect(session: "s1", repo: "/r")),
    (["merge-tree", "main", "topic"], .mergeTree(repo: ".", repeat: 1, ours: "main", theirs: "topic")),
    (["merge-tree", "--repo", "/r", "a", "--repeat=30", "b"], .mergeTree(repo: "/r", repeat: 30, ours: "a", theirs: "b")),
    (["--help"], .help), (["-h"], .help), (["--version"], .version),
  ])
  func parses(arguments: [String], expected: Command) throws {
    #expect(try CommandLineParser.parse(arguments) == expected)
  }

  @Test(arguments: [
    ([], "missing command"),
    (["frobnicate"], "unknown command frobnicate"),
    (["serve", "--bogus"], "unknown option --bogus"),
    (["serve", "--root"], "--root needs a value"),
    (["serve", "extra"], "serve does not take the argument extra"),
    (["serve", "--log-level", "loud"], "unknown log level loud"),
    (["serve", "--max-frame-bytes", "12"], "--max-frame-bytes needs a number of at least 1024, got 12"),
    (["call"], "call needs a METHOD"),
    (["call", "a", "{}", "more"], "call takes METHOD and at most one JSON argument"),
    (["connect"], "connect needs --session ID"),
    (["hub", "--pool", "100"], "--pool needs a number from 0 to 64, got 100"),
    (["hub", "status", "extra"], "hub status does not take the argument extra"),
    (["merge-tree", "main"], "merge-tree needs two commits, OURS and THEIRS (e.g. mish merge-tree main my-branch); got 1"),
    (["merge-tree", "a", "b", "c"], "merge-tree needs two commits"),
    (["merge-tree", "--repeat", "0", "a", "b"], "--repeat needs a number from 1 to 100000, got 0"),
  ])
  func rejects(arguments: [String], message: String) {
    #expect {
      try CommandLineParser.parse(arguments)
    } throws: { error in
      (error as? UsageError)?.message.hasPrefix(message) == true
    }
  }
}

@Suite struct SchemaFilesTests {
  /// schemas/ in the repository must be exactly what the registry generates.
  @Test func checkedInSchemasAreCurrent() throws {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let files = SchemaFiles.generate(extra: HubTools.operations(nil), documents: HubTools.documents)
    #expect(!files.isEmpty)
    var stale: [String] = []
    for (path, content) in files {
      let onDisk = try? String(contentsOf: repo.appendingPathComponent("schemas").appendingPathComponent(path), encoding: .utf8)
      if onDisk != content { stale.append(path) }
    }
    #expect(stale.isEmpty, "stale schemas (run `swift run mish schemas`): \(stale)")
  }

  /// sandbox/*.json must be exactly the built-in profiles.
  @Test func checkedInProfilesAreCurrent() throws {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let files = ProfileFiles.generate()
    #expect(files.count == 5)
    for (path, content) in files {
      let onDisk = try? String(contentsOf: repo.appendingPathComponent("sandbox").appendingPathComponent(path), encoding: .utf8)
      #expect(onDisk == content, "stale sandbox/\(path) (run `swift run mish profiles`)")
    }
  }

  @Test func everyToolHasClosedParamsAndBothSchemaFiles() {
    let paths = Set(SchemaFiles.generate(extra: HubTools.operations(nil), documents: HubTools.documents).map(\.path))
    for path in paths where path.hasSuffix(".params.json") {
      #expect(paths.contains(path.replacingOccurrences(of: ".params.json", with: ".result.json")))
    }
  }
}
