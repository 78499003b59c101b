// The in-memory tree merge against real repositories made with the git CLI: one case per rule, then random
// histories compared with `git merge-tree --write-tree` (git's own ort merge, no index, no work tree).
import Foundation
import Glibc
import MishGit
import MishJSON
import MishTestSupport
import Testing

struct GitFailure: Error, CustomStringConvertible {
  var description: String
}

/// A repository in a fresh directory under /tmp, removed when released, driven through the git CLI.
final class TestRepo {
  let path: String

  init() throws {
    var template = Array("/tmp/mish-treemerge-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
      throw GitFailure(description: "mkdtemp failed")
    }
    path = String(cString: template)
    try git(["init", "-q", "-b", "main"])
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// Runs git in the repository, hermetically (no user or system configuration); returns its exit status and
  /// stdout. Fails on a non-zero exit unless `allowFailure`.
  @discardableResult
  func git(_ arguments: [String], allowFailure: Bool = false) throws -> (status: Int32, output: String) {
    try runGit(arguments, in: path, allowFailure: allowFailure, hermetic: true)
  }

  func write(_ relative: String, _ content: String, executable: Bool = false) throws {
    try write(relative, Data(content.utf8), executable: executable)
  }

  func write(_ relative: String, _ data: Data, executable: Bool = false) throws {
    let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url)
    chmod(url.path, executable ? 0o755 : 0o644)
  }

  func setExecutable(_ relative: String, _ executable: Bool) {
    chmod(path + "/" + relative, executable ? 0o755 : 0o644)
  }

  func remove(_ relative: String) throws {
    try FileManager.default.removeItem(atPath: path + "/" + relative)
  }

  /// Commits everything in the work tree and returns the commit's id.
  @discardableResult
  func commit(_ message: String) throws -> String {
    try git(["add", "-A"])
    try git(["commit", "-q", "--allow-empty", "-m", message])
    return try rev("HEAD")
  }

  func rev(_ revision: String) throws -> String {
    try git(["rev-parse", revision]).output.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The file at `path` in `revision` (a tree or commit id).
  func show(_ revision: String, _ path: String) throws -> String { try git(["cat-file", "blob", "\(revision):\(path)"]).output }

  /// The paths in a tree, recursively, one a line (with `-t`, the directories too).
  func paths(_ tree: String, directories: Bool = false) throws -> String {
    try git(["ls-tree", "-r", "--name-only"] + (directories ? ["-t"] : []) + [tree]).output
  }

  /// `git ls-tree TREE PATH`: "MODE TYPE OID\tPATH\n".
  func entry(_ tree: String, _ path: String) throws -> String { try git(["ls-tree", tree, path]).output }

  /// `git merge-tree --write-tree` of two commits: clean or not (its exit status, which the man page says is the
  /// authority), the tree it wrote, and the conflicted paths.
  func gitMergeTree(_ ours: String, _ theirs: String) throws -> (clean: Bool, tree: String, paths: [String]) {
    let (status, output) = try git(["merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs], allowFailure: true)
    guard status == 0 || status == 1 else { throw GitFailure(description: "git merge-tree exited \(status)") }
    let lines = output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    return (status == 0, lines.first ?? "", Array(lines.dropFirst()))
  }
}

/// A base commit on main and two branches made from it, `ours` and `theirs`.
struct Scenario {
  let repo: TestRepo
  let base: String
  let ours: String
  let theirs: String

  init(base: (TestRepo) throws -> Void, ours: (TestRepo) throws -> Void, theirs: (TestRepo) throws -> Void) throws {
    repo = try TestRepo()
    try base(repo)
    self.base = try repo.commit("base")
    try repo.git(["checkout", "-q", "-b", "ours"])
    try ours(repo)
    self.ours = try repo.commit("ours")
    try repo.git(["checkout", "-q", "-b", "theirs", self.base])
    try theirs(repo)
    self.theirs = try repo.commit("theirs")
  }

  /// mish's merge of the branches' trees from the base's.
  func merge() throws -> TreeMergeResult {
    let repository = try MergeRepository(path: repo.path)
    return try repository.mergeTrees(
      base: try repository.tree(ofCommit: base), ours: try repository.tree(ofCommit: ours), theirs: try repository.tree(ofCommit: theirs))
  }

  /// The merged tree, checked to be exactly what `git merge-tree` writes.
  func cleanTree(sourceLocation: SourceLocation = #_sourceLocation) throws -> (tree: String, stats: TreeMergeStats)? {
    let git = try repo.gitMergeTree(ours, theirs)
    #expect(git.clean, "git merge-tree found conflicts: \(git.paths)", sourceLocation: sourceLocation)
    switch try merge() {
    case .clean(let tree, let stats):
      #expect(tree == git.tree, "mish and git merge-tree wrote different trees", sourceLocation: sourceLocation)
      return (tree, stats)
    case .conflicts(let conflicts, _):
      Issue.record("expected a clean merge, got \(conflicts)", sourceLocation: sourceLocation)
      return nil
    }
  }

  /// The conflicts, checked to be on the paths `git merge-tree` lists.
  func conflicts(sourceLocation: SourceLocation = #_sourceLocation) throws -> [MergeConflict] {
    let git = try repo.gitMergeTree(ours, theirs)
    #expect(!git.clean, "git merge-tree merged it cleanly", sourceLocation: sourceLocation)
    switch try merge() {
    case .clean(let tree, _):
      Issue.record("expected conflicts, got the clean tree \(tree)", sourceLocation: sourceLocation)
      return []
    case .conflicts(let conflicts, _):
      return conflicts
    }
  }

  /// The side of `commit` at `path`, as a conflict reports it.
  func side(_ commit: String, _ path: String, mode: Int = 0o100644) throws -> MergeConflict.Side {
    MergeConflict.Side(oid: try repo.rev("\(commit):\(path)"), mode: mode)
  }
}

/// Ten numbered lines, so edits can touch separate hunks.
let tenLines = (1...10).map { "line \($0)\n" }.joined()

func replacing(_ text: String, line: Int, with replacement: String) -> String {
  var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  lines[line - 1] = replacement
  return lines.joined(separator: "\n")
}

@Suite struct TreeMergeTests {
  @Test func disjointChangesInDifferentDirectoriesReadOnlyTheRoot() throws {
    let scenario = try Scenario(
      base: { repo in
        for dir in ["a", "b", "c/deep"] { try repo.write("\(dir)/file.txt", tenLines) }
        try repo.write("top.txt", "top\n")
      },
      ours: { repo in try repo.write("a/file.txt", replacing(tenLines, line: 1, with: "ours")) },
      theirs: { repo in
        try repo.write("b/file.txt", replacing(tenLines, line: 1, with: "theirs"))
        try repo.write("c/deep/new.txt", "added\n")
      })
    let (tree, stats) = try #require(try scenario.cleanTree())
    // Only the root is read: a, b and c each changed on one side and are taken by their ids.
    #expect(stats == TreeMergeStats(treesVisited: 1, filesMerged: 0))
    #expect(try scenario.repo.show(tree, "a/file.txt").hasPrefix("ours\n"))
    #expect(try scenario.repo.show(tree, "c/deep/new.txt") == "added\n")
  }

  @Test func differentHunksOfOneFileMerge() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("src/file.txt", tenLines) },
      ours: { repo in try repo.write("src/file.txt", replacing(tenLines, line: 2, with: "ours two")) },
      theirs: { repo in try repo.write("src/file.txt", replacing(tenLines, line: 8, with: "theirs eight")) })
    let (tree, stats) = try #require(try scenario.cleanTree())
    let expected = replacing(replacing(tenLines, line: 2, with: "ours two"), line: 8, with: "theirs eight")
    #expect(try scenario.repo.show(tree, "src/file.txt") == expected)
    #expect(stats == TreeMergeStats(treesVisited: 2, filesMerged: 1))
  }

  @Test func sameLineIsAContentConflictWithAllThreeSides() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("file.txt", tenLines) },
      ours: { repo in try repo.write("file.txt", replacing(tenLines, line: 5, with: "ours")) },
      theirs: { repo in try repo.write("file.txt", replacing(tenLines, line: 5, with: "theirs")) })
    let conflicts = try scenario.conflicts()
    #expect(conflicts == [
      MergeConflict(
        path: "file.txt", kind: "content", base: try scenario.side(scenario.base, "file.txt"),
        ours: try scenario.side(scenario.ours, "file.txt"), theirs: try scenario.side(scenario.theirs, "file.txt")),
    ])
    let json = try #require(conflicts.first?.json)
    #expect(json["kind"] == "content")
    #expect(json["base"]?["mode"] == "100644")
    #expect(json["ours"]?["oid"] == .string(try scenario.repo.rev("\(scenario.ours):file.txt")))
    #expect(JSONWriter.string(json).hasPrefix(#"{"path":"file.txt","kind":"content","base":{"oid":"#))
  }

  @Test func addAddOfTheSameContentIsClean() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("keep.txt", "keep\n") },
      ours: { repo in try repo.write("new/same.txt", "same\n") },
      theirs: { repo in try repo.write("new/same.txt", "same\n") })
    let (tree, _) = try #require(try scenario.cleanTree())
    #expect(try scenario.repo.show(tree, "new/same.txt") == "same\n")
  }

  @Test func addAddOfDifferentContentConflicts() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("keep.txt", "keep\n") },
      ours: { repo in try repo.write("new.txt", "ours\n") },
      theirs: { repo in try repo.write("new.txt", "theirs\n") })
    let conflicts = try scenario.conflicts()
    #expect(conflicts == [
      MergeConflict(
        path: "new.txt", kind: "add/add", base: nil, ours: try scenario.side(scenario.ours, "new.txt"),
        theirs: try scenario.side(scenario.theirs, "new.txt")),
    ])
    #expect(conflicts.first?.json["base"] == .null)
  }

  @Test func modifyDeleteInBothDirections() throws {
    let scenario = try Scenario(
      base: { repo in
        try repo.write("one.txt", tenLines)
        try repo.write("two.txt", tenLines)
      },
      ours: { repo in
        try repo.write("one.txt", replacing(tenLines, line: 1, with: "ours"))
        try repo.remove("two.txt")
      },
      theirs: { repo in
        try repo.remove("one.txt")
        try repo.write("two.txt", replacing(tenLines, line: 1, with: "theirs"))
      })
    let conflicts = try scenario.conflicts()
    #expect(conflicts.map(\.path) == ["one.txt", "two.txt"])
    #expect(conflicts.map(\.kind) == ["modify/delete", "delete/modify"])
    #expect(conflicts[0].theirs == nil && conflicts[1].ours == nil)
    #expect(conflicts[0].ours == (try scenario.side(scenario.ours, "one.txt")))
    #expect(conflicts[1].theirs == (try scenario.side(scenario.theirs, "two.txt")))
    #expect(conflicts[0].base == (try scenario.side(scenario.base, "one.txt")))
  }

  @Test func deletedOnBothSidesIsGone() throws {
    let scenario = try Scenario(
      base: { repo in
        try repo.write("gone.txt", "x\n")
        try repo.write("dir/a.txt", "a\n")
        try repo.write("dir/b.txt", "b\n")
      },
      ours: { repo in
        try repo.remove("gone.txt")
        try repo.write("dir/a.txt", "a ours\n")
      },
      theirs: { repo in
        try repo.remove("gone.txt")
        try repo.write("dir/b.txt", "b theirs\n")
      })
    let (tree, _) = try #require(try scenario.cleanTree())
    #expect(try scenario.repo.paths(tree) == "dir/a.txt\ndir/b.txt\n")
  }

  /// git moves the file aside (`p~ours`, listed as the conflicted path) and keeps the directory; mish reports the
  /// name itself as a `type` conflict and writes nothing.
  @Test func fileAgainstDirectoryIsATypeConflict() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("p", tenLines) },
      ours: { repo in
        try repo.write("p", replacing(tenLines, line: 1, with: "ours"))
        try repo.write("added", "a file\n")
      },
      theirs: { repo in
        try repo.remove("p")
        try repo.write("p/inner.txt", "now a directory\n")
        try repo.write("added/inner.txt", "a directory\n")
      })
    let conflicts = try scenario.conflicts()
    #expect(conflicts.map(\.path) == ["added", "p"])
    #expect(conflicts.map(\.kind) == ["type", "type"])
    #expect(conflicts[1].theirs?.mode == 0o040000 && conflicts[1].json["theirs"]?["mode"] == "040000")
    #expect(conflicts[1].base?.mode == 0o100644)
  }

  @Test func fileReplacedByADirectoryOnOneSideDeletedOnTheOtherIsClean() throws {
    let scenario = try Scenario(
      base: { repo in
        try repo.write("p", tenLines)
        try repo.write("keep.txt", "keep\n")
      },
      ours: { repo in try repo.remove("p") },
      theirs: { repo in
        try repo.remove("p")
        try repo.write("p/inner.txt", "now a directory\n")
      })
    let (tree, _) = try #require(try scenario.cleanTree())
    #expect(try scenario.repo.show(tree, "p/inner.txt") == "now a directory\n")
  }

  @Test func modeOnOneSideAndContentOnTheOtherMerge() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("run.sh", tenLines) },
      ours: { repo in repo.setExecutable("run.sh", true) },
      theirs: { repo in try repo.write("run.sh", replacing(tenLines, line: 3, with: "theirs")) })
    let (tree, stats) = try #require(try scenario.cleanTree())
    #expect(try scenario.repo.entry(tree, "run.sh").hasPrefix("100755 blob \(try scenario.repo.rev("\(scenario.theirs):run.sh"))"))
    #expect(stats.filesMerged == 0)
  }

  @Test func executableBitOnBothSidesAndAddedWithDifferentModes() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("tool", tenLines) },
      ours: { repo in
        try repo.write("tool", replacing(tenLines, line: 1, with: "ours"), executable: true)
        try repo.write("both.sh", "same\n", executable: true)
      },
      theirs: { repo in
        try repo.write("tool", replacing(tenLines, line: 9, with: "theirs"), executable: true)
        try repo.write("both.sh", "same\n")
      })
    let conflicts = try scenario.conflicts()
    #expect(conflicts.map(\.path) == ["both.sh"])
    #expect(conflicts.first?.kind == "mode")
    #expect(conflicts.first?.ours?.mode == 0o100755 && conflicts.first?.theirs?.mode == 0o100644)
  }

  @Test func executableBitAndEditsOnBothSidesMerge() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("tool", tenLines) },
      ours: { repo in try repo.write("tool", replacing(tenLines, line: 1, with: "ours"), executable: true) },
      theirs: { repo in try repo.write("tool", replacing(tenLines, line: 9, with: "theirs")) })
    let (tree, stats) = try #require(try scenario.cleanTree())
    #expect(try scenario.repo.entry(tree, "tool").hasPrefix("100755 blob"))
    #expect(stats.filesMerged == 1)
  }

  @Test func deepNestingDescendsOnlyAlongTheSharedPath() throws {
    let scenario = try Scenario(
      base: { repo in
        try repo.write("a/b/c/d/e/f.txt", tenLines)
        try repo.write("a/b/c/d/e/g.txt", tenLines)
        try repo.write("a/b/side/untouched.txt", tenLines)
        try repo.write("z/other.txt", tenLines)
      },
      ours: { repo in
        try repo.write("a/b/c/d/e/f.txt", replacing(tenLines, line: 2, with: "ours"))
        try repo.write("z/other.txt", "ours only\n")
      },
      theirs: { repo in try repo.write("a/b/c/d/e/g.txt", replacing(tenLines, line: 2, with: "theirs")) })
    let (tree, stats) = try #require(try scenario.cleanTree())
    // root, a, b, c, d, e: six trees; a/b/side and z are never read.
    #expect(stats == TreeMergeStats(treesVisited: 6, filesMerged: 0))
    #expect(try scenario.repo.show(tree, "a/b/c/d/e/g.txt").contains("theirs"))
  }

  @Test func directoryEmptiedByTheMergeIsDropped() throws {
    let scenario = try Scenario(
      base: { repo in
        try repo.write("d/x.txt", "x\n")
        try repo.write("d/y.txt", "y\n")
        try repo.write("d/sub/z.txt", "z\n")
        try repo.write("keep.txt", "keep\n")
      },
      ours: { repo in
        try repo.remove("d/x.txt")
        try repo.remove("d/sub/z.txt")
      },
      theirs: { repo in try repo.remove("d/y.txt") })
    let (tree, _) = try #require(try scenario.cleanTree())
    #expect(try scenario.repo.paths(tree, directories: true) == "keep.txt\n")
  }

  @Test func directoryDeletedOnOneSideEditedOnTheOtherConflictsOnTheEditedFileOnly() throws {
    let scenario = try Scenario(
      base: { repo in
        for name in ["a", "b", "c"] { try repo.write("d/\(name).txt", "\(name)\n") }
        try repo.write("keep.txt", "keep\n")
      },
      ours: { repo in try repo.remove("d") },
      theirs: { repo in
        try repo.write("d/b.txt", "b theirs\n")
        try repo.write("d/new.txt", "new\n")
      })
    let conflicts = try scenario.conflicts()
    #expect(conflicts.map(\.path) == ["d/b.txt"])
    #expect(conflicts.first?.kind == "delete/modify")
  }

  @Test func everyConflictIsReportedSortedByPath() throws {
    let scenario = try Scenario(
      base: { repo in
        for path in ["z.txt", "m/inner.txt", "a.txt", "m/clean.txt"] { try repo.write(path, tenLines) }
      },
      ours: { repo in
        for path in ["z.txt", "m/inner.txt", "a.txt"] { try repo.write(path, replacing(tenLines, line: 4, with: "ours")) }
        try repo.write("m/clean.txt", replacing(tenLines, line: 1, with: "ours"))
      },
      theirs: { repo in
        for path in ["z.txt", "m/inner.txt", "a.txt"] { try repo.write(path, replacing(tenLines, line: 4, with: "theirs")) }
        try repo.write("m/clean.txt", replacing(tenLines, line: 10, with: "theirs"))
      })
    let conflicts = try scenario.conflicts()
    #expect(conflicts.map(\.path) == ["a.txt", "m/inner.txt", "z.txt"])
    #expect(Set(conflicts.map(\.kind)) == ["content"])
  }

  @Test func binaryFilesChangedOnBothSidesConflict() throws {
    let scenario = try Scenario(
      base: { repo in
        try repo.write("image.bin", Data([0, 1, 2, 3]))
        try repo.write("one-side.bin", Data([0, 1]))
      },
      ours: { repo in
        try repo.write("image.bin", Data([0, 1, 2, 3, 4]))
        try repo.write("one-side.bin", Data([0, 9]))
      },
      theirs: { repo in try repo.write("image.bin", Data([0, 1, 2, 3, 5])) })
    let conflicts = try scenario.conflicts()
    #expect(conflicts.map(\.path) == ["image.bin"])
    #expect(conflicts.first?.kind == "binary")
  }

  @Test func symlinksAndSubmodules() throws {
    let commitA = String(repeating: "a", count: 40)
    let scenario = try Scenario(
      base: { repo in
        // A gitlink with an empty directory in the work tree, as an uninitialized submodule is (so `add -A` keeps it).
        try FileManager.default.createDirectory(atPath: repo.path + "/vendor/lib", withIntermediateDirectories: true)
        try repo.git(["update-index", "--add", "--cacheinfo", "160000,\(commitA),vendor/lib"])
        Glibc.symlink("target-one", repo.path + "/link")
      },
      ours: { repo in
        try repo.git(["update-index", "--cacheinfo", "160000,\(String(repeating: "b", count: 40)),vendor/lib"])
        try repo.remove("link")
        Glibc.symlink("target-ours", repo.path + "/link")
      },
      theirs: { repo in
        try repo.git(["update-index", "--cacheinfo", "160000,\(String(repeating: "c", count: 40)),vendor/lib"])
        try repo.remove("link")
        Glibc.symlink("target-theirs", repo.path + "/link")
      })
    let conflicts = try scenario.conflicts()
    #expect(conflicts.map(\.path) == ["link", "vendor/lib"])
    #expect(conflicts.map(\.kind) == ["content", "submodule"])
    #expect(conflicts[0].ours?.mode == 0o120000 && conflicts[1].base == MergeConflict.Side(oid: commitA, mode: 0o160000))
  }

  @Test func unrelatedHistoriesMergeFromTheEmptyTree() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("base.txt", "base\n") },
      ours: { repo in try repo.write("ours.txt", "ours\n") },
      theirs: { repo in try repo.write("theirs.txt", "theirs\n") })
    let repository = try MergeRepository(path: scenario.repo.path)
    let result = try repository.mergeTrees(
      base: nil, ours: try repository.tree(ofCommit: scenario.ours), theirs: try repository.tree(ofCommit: scenario.theirs))
    // base.txt was added on both sides with the same content: kept once.
    guard case .clean(let tree, _) = result else { Issue.record("expected clean, got \(result)"); return }
    #expect(try scenario.repo.paths(tree) == "base.txt\nours.txt\ntheirs.txt\n")
  }

  @Test func everythingDeletedIsTheEmptyTree() throws {
    let scenario = try Scenario(
      base: { repo in
        try repo.write("a.txt", "a\n")
        try repo.write("b.txt", "b\n")
      },
      ours: { repo in try repo.remove("a.txt") },
      theirs: { repo in try repo.remove("b.txt") })
    let (tree, _) = try #require(try scenario.cleanTree())
    #expect(tree == "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
  }

  @Test func commitsBasesAndAncestry() throws {
    let scenario = try Scenario(
      base: { repo in try repo.write("a.txt", "a\n") },
      ours: { repo in try repo.write("a.txt", "ours\n") },
      theirs: { repo in try repo.write("b.txt", "b\n") })
    let repo = scenario.repo
    try repo.git(["tag", "-a", "-m", "annotated", "v1", scenario.ours])
    let repository = try MergeRepository(path: repo.path)
    #expect(try repository.commit("v1") == scenario.ours)
    #expect(try repository.commit("theirs") == scenario.theirs)
    #expect(try repository.tree(ofCommit: scenario.base) == (try repo.rev("\(scenario.base)^{tree}")))
    #expect(try repository.mergeBase(scenario.ours, scenario.theirs) == scenario.base)
    #expect(try repository.isAncestor(scenario.base, of: scenario.ours))
    #expect(try repository.isAncestor(scenario.ours, of: scenario.ours))
    #expect(try !repository.isAncestor(scenario.ours, of: scenario.theirs))
    #expect(throws: GitError.self) { try repository.commit("no-such-branch") }
    #expect(throws: GitError.self) { try repository.tree(ofCommit: String(scenario.ours.prefix(12))) }

    guard case .clean(let tree, _) = try scenario.merge() else { Issue.record("expected clean"); return }
    let refsBefore = try repo.git(["for-each-ref"]).output
    let merge = try repository.createCommit(tree: tree, parents: [scenario.ours, scenario.theirs], message: "Merge theirs\n")
    #expect(try repo.git(["for-each-ref"]).output == refsBefore)
    let object = try repo.git(["cat-file", "-p", merge]).output
    #expect(object.contains("tree \(tree)\nparent \(scenario.ours)\nparent \(scenario.theirs)\nauthor mish hub <hub@mish.invalid> "))
    #expect(object.contains("\ncommitter mish hub <hub@mish.invalid> "))
    #expect(object.hasSuffix("\n\nMerge theirs\n"))

    // An orphan history shares nothing.
    try repo.git(["checkout", "-q", "--orphan", "lonely"])
    let lonely = try repo.commit("lonely")
    #expect(try repository.mergeBase(lonely, scenario.ours) == nil)
  }
}

// MARK: - Random histories against git merge-tree

/// Random edits, adds, deletes and mode changes on two branches of a random tree. Every line of every file names
/// its path, so no two files are alike and git's rename detection (which mish does not have) never fires: a
/// deletion plus an addition stays a deletion plus an addition for both. Names never switch between file and
/// directory (files are `f*.txt`/`a*.txt`, directories `d*`/`n*`), so git's file/directory renaming never applies.
struct HistoryGenerator {
  struct File: Equatable {
    var lines: [String]
    var executable = false
  }

  var random: SplitMix64
  var counter = 0

  init(seed: UInt64) { random = SplitMix64(seed: seed) }

  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
  mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }

  /// A few directories (some nested) and about thirty files of a few lines.
  mutating func base() -> [String: File] {
    var dirs = [""]
    for index in 0..<int(3...6) {
      let parent = dirs[int(0...(dirs.count - 1))]
      dirs.append(parent.isEmpty ? "d\(index)" : "\(parent)/d\(index)")
    }
    var files: [String: File] = [:]
    for index in 0..<int(24...36) {
      let dir = dirs[int(0...(dirs.count - 1))]
      let path = dir.isEmpty ? "f\(index).txt" : "\(dir)/f\(index).txt"
      files[path] = File(lines: (1...int(4...14)).map { "\(path) line \($0)" }, executable: chance(0.1))
    }
    return files
  }

  /// One branch's changes. Edits favour the first files in name order, so the two branches often touch the same
  /// ones; some edits and adds are the same on both sides by construction ("same" lines, "shared" files).
  mutating func branch(_ name: String, from base: [String: File]) -> [String: File] {
    var files = base
    for _ in 0..<int(1...8) {
      let paths = files.keys.sorted()
      guard !paths.isEmpty else { break }
      let hot = paths[int(0...min(paths.count - 1, chance(0.7) ? 7 : paths.count - 1))]
      counter += 1
      switch int(0...99) {
      case 0..<56: // edit lines
        var lines = files[hot]!.lines
        let at = int(0...(lines.count - 1))
        switch int(0...4) {
        case 0: lines[at] = "\(hot) \(name) edit \(counter)"
        case 1: lines[at] = "\(hot) same edit \(at)"
        case 2: lines.insert("\(hot) \(name) insert \(counter)", at: at)
        case 3: if lines.count > 1 { lines.remove(at: at) }
        default: lines.append("\(hot) \(name) append \(counter)")
        }
        files[hot]!.lines = lines
      case 56..<63: // delete a file
        files[hot] = nil
      case 63..<67: // delete a directory
        let dirs = Self.directories(paths)
        if let dir = dirs.isEmpty ? nil : dirs[int(0...(dirs.count - 1))] {
          for path in paths where path.hasPrefix(dir + "/") { files[path] = nil }
        }
      case 67..<76: // flip the executable bit
        files[hot]!.executable.toggle()
      default: // add a file, in a directory of the base or a new one
        let dirs = [""] + Self.directories(Array(base.keys))
        var dir = dirs[int(0...(dirs.count - 1))]
        if chance(0.3) { dir = dir.isEmpty ? "n\(int(0...2))" : "\(dir)/n\(int(0...2))" }
        let path = (dir.isEmpty ? "" : dir + "/") + "a\(int(0...3)).txt"
        guard files[path] == nil else { continue }
        let shared = chance(0.5)
        let count = shared ? 3 : int(1...4)
        files[path] = File(lines: (1...count).map { shared ? "\(path) shared \($0)" : "\(path) \(name) add \(counter).\($0)" })
      }
    }
    return files
  }

  /// The directories holding `paths`, sorted.
  static func directories(_ paths: [String]) -> [String] {
    Set(paths.compactMap { path in path.lastIndex(of: "/").map { String(path[..<$0]) } }).sorted()
  }
}

extension TestRepo {
  /// Makes the work tree hold exactly `files` (and commits them).
  func materialize(_ files: [String: HistoryGenerator.File], replacing previous: [String: HistoryGenerator.File]) throws -> String {
    for path in previous.keys where files[path] == nil { try remove(path) }
    for (path, file) in files where previous[path] != file {
      try write(path, file.lines.map { $0 + "\n" }.joined(), executable: file.executable)
    }
    return try commit("state")
  }
}

@Suite struct TreeMergePropertyTests {
  /// For each seed: the same three commits merged by mish and by `git merge-tree --write-tree` (git 2.39's ort).
  /// When git is clean, mish is clean with the same tree id (so every file merge produced the same bytes); when git
  /// reports conflicts, mish reports conflicts on the same paths.
  @Test(arguments: 0..<200)
  func agreesWithGitMergeTree(seed: Int) throws {
    var generator = HistoryGenerator(seed: UInt64(seed))
    let base = generator.base()
    let ours = generator.branch("ours", from: base)
    let theirs = generator.branch("theirs", from: base)
    let repo = try TestRepo()
    let baseCommit = try repo.materialize(base, replacing: [:])
    try repo.git(["checkout", "-q", "-b", "ours"])
    let ourCommit = try repo.materialize(ours, replacing: base)
    try repo.git(["checkout", "-q", "-b", "theirs", baseCommit])
    let theirCommit = try repo.materialize(theirs, replacing: base)

    let git = try repo.gitMergeTree(ourCommit, theirCommit)
    let repository = try MergeRepository(path: repo.path)
    let result = try repository.mergeTrees(
      base: try repository.tree(ofCommit: baseCommit), ours: try repository.tree(ofCommit: ourCommit),
      theirs: try repository.tree(ofCommit: theirCommit))
    switch result {
    case .clean(let tree, _):
      #expect(git.clean, "seed \(seed): git merge-tree conflicts on \(git.paths), mish merged cleanly")
      if git.clean { #expect(tree == git.tree, "seed \(seed): mish wrote \(tree), git \(git.tree)") }
    case .conflicts(let conflicts, _):
      let described = conflicts.map { "\($0.path) (\($0.kind))" }
      #expect(!git.clean, "seed \(seed): git merged cleanly, mish conflicts on \(described)")
      if !git.clean { #expect(Set(conflicts.map(\.path)) == Set(git.paths), "seed \(seed): mish \(described), git \(git.paths)") }
    }
  }

  /// The generator makes both outcomes often enough for the comparison above to mean something.
  @Test func generatorMakesCleanAndConflictingMerges() throws {
    var kinds: [String: Int] = [:]
    for seed in 0..<40 {
      var generator = HistoryGenerator(seed: UInt64(seed))
      let base = generator.base()
      let ours = generator.branch("ours", from: base)
      let theirs = generator.branch("theirs", from: base)
      let touchedBoth = Set(base.keys).union(ours.keys).union(theirs.keys).filter { base[$0] != ours[$0] && base[$0] != theirs[$0] }
      kinds[touchedBoth.isEmpty ? "disjoint" : "overlapping", default: 0] += 1
    }
    #expect(kinds["disjoint", default: 0] >= 5 && kinds["overlapping", default: 0] >= 10, "\(kinds)")
  }
}
