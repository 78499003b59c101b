import Foundation
import Testing

@testable import MishSearch

// MARK: - Parsing

struct GitignoreParsingTests {
  @Test(arguments: [
    // (file text, expected rule texts)
    ("*.o\n", ["*.o"]),
    ("# comment\n\n*.o", ["*.o"]),
    ("  # not a comment", ["  # not a comment"]),
    ("\\#file", ["\\#file"]),
    ("trailing   ", ["trailing"]),
    ("escaped\\ ", ["escaped\\ "]),
    ("escaped\\  \t", ["escaped\\  \t"]),
    ("crlf\r\n*.log\r\n", ["crlf", "*.log"]),
    ("\u{FEFF}bom\n", ["bom"]),
    ("   \n!\n/\n", []),
  ])
  func rulesAreReadLikeGit(text: String, expected: [String]) {
    #expect(GitignoreRules(text).rules.map(\.text) == expected)
  }

  @Test func flagsAreParsed() throws {
    let rules = GitignoreRules("!/build/\nfoo/bar\nbaz\n\\!x").rules
    #expect(rules.count == 4)
    #expect(rules[0].isNegated && rules[0].directoryOnly && rules[0].isAnchored)
    #expect(!rules[1].isNegated && !rules[1].directoryOnly && rules[1].isAnchored)
    #expect(!rules[2].isAnchored && rules[2].line == 3)
    #expect(!rules[3].isNegated)
  }

  @Test(arguments: [
    // (rules, path, isDirectory, ignored) — expectations from gitignore(5)
    ("*.o", "a/b/c.o", false, true),
    ("foo/", "foo", false, false),
    ("foo/", "foo", true, true),
    ("foo/", "x/foo", true, true),
    ("/foo", "x/foo", false, false),
    ("/foo", "foo", false, true),
    ("doc/frotz", "x/doc/frotz", true, false),
    ("doc/frotz", "doc/frotz", true, true),
    ("**/foo", "a/b/foo", false, true),
    ("**/foo/bar", "foo/bar", false, true),
    ("a/**/b", "a/b", false, true),
    ("a/**/b", "a/x/y/b", false, true),
    ("abc/**", "abc", true, false),
    ("abc/**", "abc/x/y", false, true),
    ("*.txt\n!keep.txt", "keep.txt", false, false),
    ("build/\n!build/keep", "build/keep", false, true),
    ("[a-c]?.md", "b1.md", false, true),
    ("[!a-c]?.md", "b1.md", false, false),
    ("[^a-c]?.md", "d1.md", false, true),
    ("foo*bar", "foo/bar", false, false),
    ("*", "anything/at/all", false, true),
    ("\\!important", "!important", false, true),
  ])
  func matchesFollowTheManual(rules: String, path: String, isDirectory: Bool, ignored: Bool) {
    let stack = GitignoreStack([GitignoreRules(rules)])
    #expect(stack.isIgnored(path, isDirectory: isDirectory) == ignored)
  }

  @Test func rulesAreScopedToTheirDirectory() {
    let stack = GitignoreStack([
      GitignoreRules("*.log\n"),
      GitignoreRules("/local.txt\n!keep.log\n", base: "src"),
    ])
    #expect(stack.isIgnored("src/local.txt", isDirectory: false))
    #expect(!stack.isIgnored("local.txt", isDirectory: false))
    #expect(!stack.isIgnored("src/sub/local.txt", isDirectory: false))
    #expect(!stack.isIgnored("src/keep.log", isDirectory: false))
    #expect(stack.isIgnored("other/keep.log", isDirectory: false))
    #expect(stack.match("src/local.txt", isDirectory: false)?.source == "src/.gitignore")
  }
}

// MARK: - Against real git

/// A tree whose names exercise the pattern syntax; every case is checked on all of its files and directories.
private let treeFiles = [
  "a.txt", "b.log", "c.o", "1abc", ".hidden", "#file", "!bang", "space ", "name with space", "name[1].txt",
  "foo/bar", "foo/bar.txt", "foo/baz/qux.c", "bar/foo/x.txt", "bar/bar", "build/out.o", "build/sub/deep.txt",
  "src/build/x.o", "src/main.swift", "src/lib/util.swift", "src/foo", "doc/frotz/a", "x/doc/frotz/b", "frotz/c",
  "a/b/c/d.txt", "a/x/b/y.txt", "a/b/z", "abc/def", "d.txt", "deep/a/b/c/d.txt", "Makefile", "UPPER.TXT",
  "back\\slash", "ünï/cödé.txt", "q?.md", "star*.md",
]

private func allPaths() -> [(path: String, isDirectory: Bool)] {
  var directories = Set<String>()
  for file in treeFiles {
    var parts = file.split(separator: "/").dropLast()
    while !parts.isEmpty {
      directories.insert(parts.joined(separator: "/"))
      parts.removeLast()
    }
  }
  return treeFiles.map { ($0, false) } + directories.sorted().map { ($0, true) }
}

struct GitignoreCase: CustomTestStringConvertible, Sendable {
  /// gitignore files by path; "info" stands for .git/info/exclude.
  let files: [String: String]
  var testDescription: String {
    files.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.debugDescription)" }.joined(separator: "; ")
  }
  init(_ root: String, _ others: [String: String] = [:]) {
    var files = others
    files[".gitignore"] = root
    self.files = files
  }
}

private let gitCases: [GitignoreCase] = [
  .init("*.o"), .init("foo"), .init("foo/"), .init("/foo"), .init("foo/bar"), .init("**/foo"), .init("**/foo/bar"),
  .init("foo/**"), .init("a/**/d.txt"), .init("a/**/b"), .init("a/**/**/d.txt"), .init("***/d.txt"), .init("ab**"),
  .init("**foo"), .init("*.txt\n!a.txt"), .init("build/\n!build/sub/deep.txt"), .init("build/*\n!build/sub"),
  .init("/*\n!/src\n/src/*\n!/src/lib"), .init("[a-c].txt"), .init("[!a]*.txt"), .init("[^a]*"), .init("?.txt"),
  .init("\\#file\n\\!bang"), .init("space\\ \nname with space   "), .init("space"), .init("doc/frotz/"),
  .init("frotz/"), .init("*/bar"), .init("foo/*"), .init("**"), .init("*\n!*/\n!*.swift"), .init("[[:digit:]]*"),
  .init("[[:upper:]]*"), .init("[[:nope:]]*"), .init("[a-"), .init("name\\[1\\].txt"), .init("name[1].txt"),
  .init("back\\\\slash"), .init("trailing\\"), .init("*.log\r\n*.o\r\n"), .init("# a.txt\n  a.txt"),
  .init("ünï/"), .init("c?dé.txt"), .init("c??dé.txt"), .init("q\\?.md\nstar\\*.md"), .init("[]]*\n[!]]*.md"),
  .init("a/b/"), .init("/a/b/c/"), .init("*/b/*"), .init("deep/**/c"), .init("**/b/**"), .init("d.txt\n!/d.txt"),
  .init("[z-a]*"), .init("[a-cx-z]*.txt"), .init("*[.]txt"), .init("[\\]]*"), .init("\\a.txt"), .init("/"),
  .init("**/"), .init("a/**/"), .init("!*.txt\n*.txt"), .init("*.TXT"), .init("a**/d.txt"), .init("d**/?"),
  .init("*.swift", ["src/.gitignore": "!main.swift\n/lib\nbuild"]),
  .init("src/", ["src/.gitignore": "!main.swift"]),
  .init("!a.txt", ["info": "*.txt"]),
  .init("", ["info": "build\n!build/sub", "build/.gitignore": "!deep.txt"]),
  .init("*", ["src/.gitignore": "!*"]),
  .init("deep/a", ["deep/.gitignore": "!a/b"]),
  .init("x/", ["x/doc/.gitignore": "*"]),
  .init("", ["a/.gitignore": "b/c\n/x\nz", "a/b/.gitignore": "!c\n*.txt"]),
]

struct GitignoreVersusGitTests {
  /// Writes the case into a fresh git repository holding `treeFiles`.
  private func makeRepository(_ gitCase: GitignoreCase) -> TempTree {
    let tree = TempTree()
    for file in treeFiles { tree.write(file, "content of \(file)\n") }
    #expect(tree.run(["git", "init", "-q"]).status == 0)
    for (path, content) in gitCase.files {
      tree.write(path == "info" ? ".git/info/exclude" : path, content)
    }
    return tree
  }

  /// Our rule stack for the case, as the walker builds it.
  private func stack(_ gitCase: GitignoreCase) -> GitignoreStack {
    var sets: [GitignoreRules] = []
    if let info = gitCase.files["info"] { sets.append(GitignoreRules(info, source: ".git/info/exclude")) }
    let others = gitCase.files.keys.filter { $0 != "info" }.sorted {
      $0.split(separator: "/").count < $1.split(separator: "/").count
    }
    for path in others {
      let base = path.split(separator: "/").dropLast().joined(separator: "/")
      sets.append(GitignoreRules(gitCase.files[path]!, base: base))
    }
    return GitignoreStack(sets)
  }

  @Test(arguments: gitCases)
  func checkIgnoreAgrees(_ gitCase: GitignoreCase) {
    let tree = makeRepository(gitCase)
    let paths = allPaths()
    let input = Data(paths.map { $0.path + "\0" }.joined().utf8)
    let result = tree.run(["git", "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin"], stdin: input)
    let fields = nulFields(result.output)
    #expect(fields.count == paths.count * 4)
    guard fields.count == paths.count * 4 else { return }
    let stack = stack(gitCase)
    for (index, entry) in paths.enumerated() {
      let source = fields[index * 4]
      let line = fields[index * 4 + 1]
      let pattern = fields[index * 4 + 2]
      #expect(fields[index * 4 + 3] == entry.path)
      let ours = stack.match(entry.path, isDirectory: entry.isDirectory)
      let oursText = ours.map { "\($0.source):\($0.rule.line):\($0.rule.text)" } ?? "none"
      let gitText = source.isEmpty ? "none" : "\(source):\(line):\(pattern)"
      #expect(oursText == gitText, "\(entry.path) (dir: \(entry.isDirectory))")
    }
  }

  @Test(arguments: gitCases)
  func walkerListsWhatGitListsAsUntracked(_ gitCase: GitignoreCase) throws {
    let tree = makeRepository(gitCase)
    let output = tree.run(["git", "ls-files", "-o", "--exclude-standard", "-z"]).output
    let gitFiles = Set(nulFields(output))
    let walker = DirectoryWalker(rootFD: tree.fd, includeHidden: true, respectGitignore: true)
    let ours = Set(try walker.entries().filter { $0.type != .directory }.map(\.path))
    #expect(ours == gitFiles)
    // And the complement: what git lists as ignored is exactly what the walker leaves out.
    let ignoredOutput = tree.run(["git", "ls-files", "-o", "-i", "--exclude-standard", "-z"]).output
    let everything = DirectoryWalker(rootFD: tree.fd, includeHidden: true, respectGitignore: false)
    let all = Set(try everything.entries().filter { $0.type != .directory }.map(\.path))
    #expect(all.subtracting(ours) == Set(nulFields(ignoredOutput)))
  }

  /// Random patterns over a small alphabet on random trees, seeded so a failure can be replayed.
  @Test(arguments: 0..<40)
  func randomPatternsAgree(round: Int) {
    let seed = UInt64(0x5EED_0000 + round)
    var random = SplitMix64(seed: seed)
    let names = ["a", "b", "ab", "ba", "a.c", "b.c", ".a"]
    var files = Set<String>()
    for _ in 0..<30 {
      let depth = Int.random(in: 1...4, using: &random)
      files.insert((0..<depth).map { _ in names.randomElement(using: &random)! }.joined(separator: "/"))
    }
    // A file cannot also be a directory: keep the files that are no other file's parent.
    let leaves = files.filter { file in !files.contains { $0.hasPrefix(file + "/") } }
    let pieces = ["a", "b", "*", "**", "?", "[ab]", "[!a]", ".c", "/", "/", "!", "\\a"]
    func randomPattern() -> String {
      (0..<Int.random(in: 1...5, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }
    var gitignores: [String: String] = [".gitignore": (0..<4).map { _ in randomPattern() }.joined(separator: "\n")]
    let directories = Set(
      leaves.flatMap { file -> [String] in
        let parts = file.split(separator: "/").dropLast()
        return parts.indices.map { parts[...$0].joined(separator: "/") }
      })
    for directory in directories.sorted().prefix(3) where Bool.random(using: &random) {
      gitignores[directory + "/.gitignore"] = (0..<3).map { _ in randomPattern() }.joined(separator: "\n")
    }
    let tree = TempTree()
    for file in leaves { tree.write(file, "x\n") }
    tree.run(["git", "init", "-q"])
    for (path, content) in gitignores { tree.write(path, content) }
    let paths = leaves.sorted().map { ($0, false) } + directories.sorted().map { ($0, true) }
    let input = Data(paths.map { $0.0 + "\0" }.joined().utf8)
    let fields = nulFields(
      tree.run(["git", "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin"], stdin: input).output)
    #expect(fields.count == paths.count * 4, "seed \(seed)")
    guard fields.count == paths.count * 4 else { return }
    let stack = stack(GitignoreCase(gitignores[".gitignore"]!, gitignores.filter { $0.key != ".gitignore" }))
    for (index, entry) in paths.enumerated() {
      let gitIgnored = !fields[index * 4 + 2].isEmpty && !fields[index * 4 + 2].hasPrefix("!")
      let gitLine = fields[index * 4 + 1]
      let ours = stack.match(entry.0, isDirectory: entry.1)
      #expect(
        ours?.isIgnored ?? false == gitIgnored && (ours.map { String($0.rule.line) } ?? "") == gitLine,
        "seed \(seed): \(entry.0) dir=\(entry.1) rules=\(gitignores)")
    }
  }
}
