import Foundation
import Glibc
import Testing

@testable import MishSearch

/// A small tree with every kind of entry the walker must handle.
private func makeTree() -> TempTree {
  let tree = TempTree()
  tree.write("b.txt", "bee\n")
  tree.write("A.txt", "upper\n")
  tree.write("a/z.txt", "zed\n")
  tree.write("a/b/c.txt", "sea\n")
  tree.write("a-c.txt", "dash\n")
  tree.write(".hidden/x", "hidden\n")
  tree.write(".git/HEAD", "ref: refs/heads/main\n")
  tree.mkdir("empty")
  tree.symlink("link", to: "a")
  tree.symlink("rootlink", to: "/")
  tree.symlink("a/up", to: "../..")
  return tree
}

/// fds of this process whose path lies in `tree` (other tests' fds are elsewhere).
func openFDs(in tree: TempTree) -> Int {
  let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
  return entries.filter { name in
    let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name)) ?? ""
    return target.hasPrefix(tree.path)
  }.count
}

struct WalkerTests {
  @Test func ordersDepthFirstByBytes() throws {
    let tree = makeTree()
    let entries = try DirectoryWalker(rootFD: tree.fd).entries()
    #expect(
      entries.map(\.path) == [
        "A.txt", "a", "a/b", "a/b/c.txt", "a/up", "a/z.txt", "a-c.txt", "b.txt", "empty", "link", "rootlink",
      ])
    #expect(entries.map(\.depth) == [1, 1, 2, 3, 2, 2, 1, 1, 1, 1, 1])
    let types = Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0.type) })
    #expect(types["a"] == .directory && types["b.txt"] == .file && types["link"] == .symlink)
    #expect(entries.first { $0.path == "b.txt" }?.size == 4)
    #expect(entries.first { $0.path == "a" }?.size == nil)
  }

  @Test func neverFollowsSymlinks() throws {
    let tree = makeTree()
    let entries = try DirectoryWalker(rootFD: tree.fd, includeHidden: true, respectGitignore: false).entries()
    #expect(entries.first { $0.path == "rootlink" }?.type == .symlink)
    #expect(
      !entries.contains { $0.path.hasPrefix("rootlink/") || $0.path.hasPrefix("link/") || $0.path.hasPrefix("a/up/") })
  }

  @Test func depthLimitsLevels() throws {
    let tree = makeTree()
    let one = try DirectoryWalker(rootFD: tree.fd, maxDepth: 1).entries().map(\.path)
    #expect(one == ["A.txt", "a", "a-c.txt", "b.txt", "empty", "link", "rootlink"])
    let two = try DirectoryWalker(rootFD: tree.fd, maxDepth: 2).entries().map(\.path)
    #expect(two.contains("a/b") && !two.contains("a/b/c.txt"))
    #expect(try DirectoryWalker(rootFD: tree.fd, maxDepth: 0).entries().isEmpty)
  }

  @Test func hiddenEntriesOnRequestButNeverGit() throws {
    let tree = makeTree()
    let paths = try DirectoryWalker(rootFD: tree.fd, includeHidden: true).entries().map(\.path)
    #expect(paths.contains(".hidden") && paths.contains(".hidden/x"))
    #expect(!paths.contains { $0 == ".git" || $0.hasPrefix(".git/") })
    #expect(paths.first == ".hidden")
  }

  @Test func startPathIsReportedFromTheRoot() throws {
    let tree = makeTree()
    let paths = try DirectoryWalker(rootFD: tree.fd, startPath: "a").entries().map(\.path)
    #expect(paths == ["a/b", "a/b/c.txt", "a/up", "a/z.txt"])
    let normalized = try DirectoryWalker(rootFD: tree.fd, startPath: "./a/b/../").entries().map(\.path)
    #expect(normalized == paths)
    // A symlink inside the root may be named as the start; below it nothing is followed.
    let viaLink = try DirectoryWalker(rootFD: tree.fd, startPath: "link").entries().map(\.path)
    #expect(viaLink == ["link/b", "link/b/c.txt", "link/up", "link/z.txt"])
  }

  @Test(arguments: [
    ("nope", SearchError.Code.notFound),
    ("b.txt", .notDirectory),
    ("b.txt/x", .notDirectory),
    ("../x", .outsideRoot),
    ("/etc", .outsideRoot),
    ("rootlink", .outsideRoot),
    ("a/up", .outsideRoot),
    ("a/up/tmp", .outsideRoot),
  ])
  func startPathErrors(path: String, code: SearchError.Code) {
    let tree = makeTree()
    #expect {
      try DirectoryWalker(rootFD: tree.fd, startPath: path).entries()
    } throws: { error in
      (error as? SearchError)?.code == code && !((error as? SearchError)?.hint.isEmpty ?? true)
    }
  }

  @Test func gitignoreFromTheRootDownAndExplicitStart() throws {
    let tree = TempTree()
    tree.write(".gitignore", "*.log\nbuild/\n")
    tree.write("src/.gitignore", "!keep.log\n")
    tree.write("src/a.log", "")
    tree.write("src/keep.log", "")
    tree.write("src/main.c", "")
    tree.write("build/out.o", "")
    tree.write("top.log", "")
    let all = try DirectoryWalker(rootFD: tree.fd).entries().map(\.path)
    #expect(all == ["src", "src/keep.log", "src/main.c"])
    let withHidden = try DirectoryWalker(rootFD: tree.fd, includeHidden: true).entries().map(\.path)
    #expect(withHidden == [".gitignore", "src", "src/.gitignore", "src/keep.log", "src/main.c"])
    // Root rules apply below a start directory; the start directory itself is entered even when ignored.
    #expect(
      try DirectoryWalker(rootFD: tree.fd, startPath: "src").entries().map(\.path) == ["src/keep.log", "src/main.c"])
    #expect(try DirectoryWalker(rootFD: tree.fd, startPath: "build").entries().map(\.path) == ["build/out.o"])
    let unfiltered = try DirectoryWalker(rootFD: tree.fd, respectGitignore: false).entries().map(\.path)
    #expect(unfiltered.contains("top.log") && unfiltered.contains("build/out.o"))
  }

  @Test func infoExcludeApplies() throws {
    let tree = TempTree()
    tree.write(".git/info/exclude", "secret*\n")
    tree.write("secret.txt", "")
    tree.write("public.txt", "")
    #expect(try DirectoryWalker(rootFD: tree.fd).entries().map(\.path) == ["public.txt"])
  }

  @Test func closesEveryDescriptor() throws {
    let tree = makeTree()
    for index in 0..<20 { tree.write("deep/\(index)/\(index)/f.txt", "x\n") }
    let before = openFDs(in: tree)
    _ = try DirectoryWalker(rootFD: tree.fd, includeHidden: true).entries()
    _ = try tree.root.list(ListQuery(depth: nil, limit: 3))
    _ = try tree.root.glob(GlobQuery(pattern: GlobPattern("**/f.txt"), limit: 5))
    _ = try tree.root.grep(GrepQuery(pattern: "x", maxResults: 3))
    _ = try tree.root.grep(GrepQuery(pattern: "x"))
    #expect(openFDs(in: tree) == before)
  }

  @Test func acceptsAnOPathRoot() throws {
    let tree = makeTree()
    let oPath: Int32 = 0o10_000_000  // O_PATH, which Swift's Glibc module does not export
    let fd = open(tree.path, oPath | O_DIRECTORY | O_CLOEXEC)
    #expect(fd >= 0)
    defer { close(fd) }
    tree.write(".gitignore", "b.txt\n")
    let paths = try DirectoryWalker(rootFD: fd, maxDepth: 1).entries().map(\.path)
    #expect(paths == ["A.txt", "a", "a-c.txt", "empty", "link", "rootlink"])
    let matches = try SearchRoot(fd: fd).grep(GrepQuery(pattern: "sea"))
    #expect(matches.matches.map(\.path) == ["a/b/c.txt"])
  }

  @Test func visitorCanPruneAndStop() throws {
    let tree = makeTree()
    var seen: [String] = []
    try DirectoryWalker(rootFD: tree.fd).walk { entry in
      seen.append(entry.path)
      if entry.path == "a" { return .skipChildren }
      if entry.path == "b.txt" { return .stop }
      return .continue
    }
    #expect(seen == ["A.txt", "a", "a-c.txt", "b.txt"])
  }
}

struct ListTests {
  @Test(arguments: 1...6)
  func pagesConcatenateToTheWholeListing(limit: Int) throws {
    let tree = makeTree()
    let whole = try tree.root.list(ListQuery(depth: nil, includeHidden: true, limit: 1000))
    #expect(whole.nextCursor == nil)
    var collected: [WalkEntry] = []
    var cursor: String? = nil
    var pages = 0
    repeat {
      let page = try tree.root.list(ListQuery(depth: nil, includeHidden: true, cursor: cursor, limit: limit))
      #expect(page.entries.count <= limit)
      collected += page.entries
      cursor = page.nextCursor
      pages += 1
    } while cursor != nil && pages < 100
    #expect(collected == whole.entries)
  }

  @Test func resumesAfterTheCursorEntryWasDeleted() throws {
    let tree = makeTree()
    let first = try tree.root.list(ListQuery(depth: nil, limit: 4))
    #expect(first.entries.last?.path == "a/b/c.txt")
    tree.remove("a/b")
    let second = try tree.root.list(ListQuery(depth: nil, cursor: first.nextCursor, limit: 3))
    #expect(second.entries.map(\.path) == ["a/up", "a/z.txt", "a-c.txt"])
  }

  @Test func listsBelowAStartPath() throws {
    let tree = makeTree()
    let first = try tree.root.list(ListQuery(path: "a", depth: nil, limit: 2))
    #expect(first.entries.map(\.path) == ["a/b", "a/b/c.txt"])
    let second = try tree.root.list(ListQuery(path: "a", depth: nil, cursor: first.nextCursor, limit: 2))
    #expect(second.entries.map(\.path) == ["a/up", "a/z.txt"])
    #expect(second.nextCursor == nil)
  }

  @Test(arguments: ["garbage!", "", "bDE"])
  func rejectsForeignCursors(cursor: String) throws {
    let tree = makeTree()
    let globCursor = try tree.root.glob(GlobQuery(pattern: GlobPattern("*"), limit: 1)).nextCursor!
    for bad in [cursor, globCursor] {
      #expect {
        try tree.root.list(ListQuery(cursor: bad))
      } throws: { error in
        (error as? SearchError)?.code == .invalidCursor
      }
    }
    // A cursor of one directory does not apply to another.
    let fromA = try tree.root.list(ListQuery(path: "a", depth: nil, limit: 1)).nextCursor
    #expect(throws: SearchError.self) { try tree.root.list(ListQuery(path: "empty", cursor: fromA)) }
  }

  @Test func asyncVariantRunsOffThePool() async throws {
    let tree = makeTree()
    let page = try await tree.root.list(ListQuery(depth: 1))
    #expect(page.entries.count == 7)
  }
}

struct GlobTests {
  private func tree() -> TempTree {
    let tree = TempTree()
    for path in [
      "README.md", "src/app.ts", "src/app.tsx", "src/lib/util.ts", "src/lib/deep/x.ts", "docs/guide.md", "test/a.py",
      "pkg/test/b.py", ".github/workflows/ci.yml", ".env", "node_modules/m/index.js", "build/out.ts",
    ] {
      tree.write(path, "x\n")
    }
    tree.write(".gitignore", "node_modules/\nbuild/\n")
    tree.symlink("src/linked.ts", to: "app.ts")
    return tree
  }

  @Test(arguments: [
    ("*.ts", "", ["src/app.ts", "src/lib/deep/x.ts", "src/lib/util.ts", "src/linked.ts"]),
    ("src/*.ts", "", ["src/app.ts", "src/linked.ts"]),
    ("src/**/*.ts", "", ["src/app.ts", "src/lib/deep/x.ts", "src/lib/util.ts", "src/linked.ts"]),
    ("*.{ts,tsx}", "src", ["src/app.ts", "src/app.tsx", "src/lib/deep/x.ts", "src/lib/util.ts", "src/linked.ts"]),
    ("lib/*.ts", "src", ["src/lib/util.ts"]),
    ("**/test/*.py", "", ["pkg/test/b.py", "test/a.py"]),
    ("*.md", "", ["README.md", "docs/guide.md"]),
    (".github/**/*.yml", "", [".github/workflows/ci.yml"]),
    (".*", "", [".env", ".gitignore"]),
    ("*.js", "", []),
    ("node_modules/**/*.js", "", ["node_modules/m/index.js"]),
    ("src/*/", "", ["src/lib"]),
    ("nope/*.ts", "", []),
  ])
  func findsPaths(pattern: String, path: String, expected: [String]) throws {
    let tree = tree()
    let page = try tree.root.glob(GlobQuery(pattern: GlobPattern(pattern), path: path))
    #expect(page.paths == expected)
    #expect(page.nextCursor == nil)
  }

  @Test func pagesThroughMatches() throws {
    let tree = tree()
    let pattern = try GlobPattern("**/*")
    let whole = try tree.root.glob(GlobQuery(pattern: pattern)).paths
    var collected: [String] = []
    var cursor: String? = nil
    repeat {
      let page = try tree.root.glob(GlobQuery(pattern: pattern, cursor: cursor, limit: 2))
      collected += page.paths
      cursor = page.nextCursor
    } while cursor != nil
    #expect(collected == whole)
    #expect(whole.count == 9)
  }

  @Test func directoriesOnRequest() throws {
    let tree = tree()
    let page = try tree.root.glob(GlobQuery(pattern: GlobPattern("src/**"), includeDirectories: true))
    #expect(page.paths.contains("src/lib") && page.paths.contains("src/lib/deep/x.ts"))
  }
}
