import Foundation
import Glibc
import Testing

@testable import MishSearch

private func grep(_ tree: TempTree, _ query: GrepQuery) throws -> GrepResult {
  try tree.root.grep(query)
}

private func locations(_ result: GrepResult) -> [String] {
  result.matches.map { "\($0.path):\($0.line):\($0.column)" }
}

struct GrepTests {
  private func codeTree() -> TempTree {
    let tree = TempTree()
    tree.write(
      "src/server.rs",
      """
      use std::io;

      pub fn open_handler(ctx: &Context) {
          // TODO: validate
          let value = compute();
      }

      fn   close_handler() {}
      """)
    tree.write("src/util.rs", "fn helper() {}\n// FIXME later\nlet todo = 1;\n")
    tree.write("README.md", "Handler docs\nnothing here\n")
    tree.write("notes/ünïcode.txt", "äöü open_handler\nStraße ÄRGER\n")
    return tree
  }

  @Test func literalReportsLineAndByteColumn() throws {
    let result = try grep(codeTree(), GrepQuery(pattern: "open_handler"))
    #expect(locations(result) == ["notes/ünïcode.txt:1:8", "src/server.rs:3:8"])
    #expect(result.matches[1].text == "pub fn open_handler(ctx: &Context) {")
    #expect(result.nextCursor == nil && !result.truncated)
    #expect(result.filesSearched == 4 && result.filesSkipped == 0)
  }

  @Test func caseInsensitiveLiteral() throws {
    let tree = codeTree()
    let ascii = try grep(tree, GrepQuery(pattern: "HANDLER", caseInsensitive: true))
    #expect(
      locations(ascii) == [
        "README.md:1:1", "notes/ünïcode.txt:1:13", "src/server.rs:3:13", "src/server.rs:8:12",
      ])
    let unicode = try grep(tree, GrepQuery(pattern: "ärger", caseInsensitive: true))
    #expect(locations(unicode) == ["notes/ünïcode.txt:2:9"])
    #expect(try grep(tree, GrepQuery(pattern: "HANDLER")).matches.isEmpty)
  }

  @Test func regexWithPCREStyleSyntax() throws {
    let tree = codeTree()
    #expect(
      locations(try grep(tree, GrepQuery(pattern: #"fn\s+\w+_handler"#, isRegex: true))) == [
        "src/server.rs:3:5", "src/server.rs:8:1",
      ])
    #expect(
      locations(try grep(tree, GrepQuery(pattern: "TODO|FIXME", isRegex: true))) == [
        "src/server.rs:4:8", "src/util.rs:2:4",
      ])
    #expect(
      locations(try grep(tree, GrepQuery(pattern: "todo|fixme", isRegex: true, caseInsensitive: true))) == [
        "src/server.rs:4:8", "src/util.rs:2:4", "src/util.rs:3:5",
      ])
    #expect(
      locations(try grep(tree, GrepQuery(pattern: #"(?i)\bstrasse\b|stra(?:ß)e"#, isRegex: true))) == [
        "notes/ünïcode.txt:2:1"
      ])
    #expect(
      locations(try grep(tree, GrepQuery(pattern: #"^\S.*\{\}$"#, isRegex: true))) == [
        "src/server.rs:8:1", "src/util.rs:1:1",
      ])
    #expect(
      locations(try grep(tree, GrepQuery(pattern: #"o\w+?_"#, isRegex: true, glob: GlobPattern("*.txt")))) == [
        "notes/ünïcode.txt:1:8"
      ])
  }

  @Test func excludeGlobLeavesOutFilesAndPrunesDirectories() throws {
    let tree = codeTree()
    tree.write("src/vendor/dep.rs", "fn open_handler() {}\n")
    let all = try grep(tree, GrepQuery(pattern: "handler", excludeGlob: GlobPattern("vendor")))
    #expect(locations(all) == ["notes/ünïcode.txt:1:13", "src/server.rs:3:13", "src/server.rs:8:12"])
    let noText = try grep(tree, GrepQuery(pattern: "handler", excludeGlob: GlobPattern("{*.txt,*.md}")))
    #expect(locations(noText) == ["src/server.rs:3:13", "src/server.rs:8:12", "src/vendor/dep.rs:1:9"])
    // Relative to the searched path, and kept across pages.
    var query = GrepQuery(pattern: "handler", path: "src", maxResults: 1, excludeGlob: try GlobPattern("vendor/"))
    var pages: [String] = []
    while true {
      let page = try grep(tree, query)
      pages += locations(page)
      guard let cursor = page.nextCursor else { break }
      query.cursor = cursor
    }
    #expect(pages == ["src/server.rs:3:13", "src/server.rs:8:12"])
  }

  @Test func invalidRegexSaysWhatAndSuggestsLiteral() throws {
    let tree = codeTree()
    for pattern in ["(foo", "a[b", "*x", "x{2,1}", "\\", "^+?[ab]c"] {
      #expect {
        try grep(tree, GrepQuery(pattern: pattern, isRegex: true))
      } throws: { error in
        guard let error = error as? SearchError else { return false }
        return error.code == .invalidPattern && error.message.contains("\"\(pattern)\"")
          && error.hint.contains("regex: false")
      }
    }
    // The same text is fine as a literal.
    #expect(try grep(tree, GrepQuery(pattern: "(foo")).matches.isEmpty)
    #expect(throws: SearchError.self) { try grep(tree, GrepQuery(pattern: "")) }
    #expect(throws: SearchError.self) { try grep(tree, GrepQuery(pattern: "two\nlines")) }
  }

  @Test func contextLinesStopAtFileEdges() throws {
    let tree = TempTree()
    tree.write("f.txt", "one\ntwo\nthree\nfour\nfive\n")
    let first = try grep(tree, GrepQuery(pattern: "one", contextLines: 2)).matches[0]
    #expect(first.before == [] && first.after == ["two", "three"])
    let middle = try grep(tree, GrepQuery(pattern: "three", contextLines: 1)).matches[0]
    #expect(middle.before == ["two"] && middle.after == ["four"])
    let last = try grep(tree, GrepQuery(pattern: "five", contextLines: 3)).matches[0]
    #expect(last.before == ["two", "three", "four"] && last.after == [])
    #expect(last.line == 5)
  }

  @Test func crlfLinesLoseTheirCarriageReturn() throws {
    let tree = TempTree()
    tree.write("dos.txt", "alpha\r\nbeta end\r\ngamma\r\n")
    let literal = try grep(tree, GrepQuery(pattern: "beta", contextLines: 1)).matches[0]
    #expect(literal.text == "beta end" && literal.before == ["alpha"] && literal.after == ["gamma"])
    let anchored = try grep(tree, GrepQuery(pattern: "end$", isRegex: true))
    #expect(locations(anchored) == ["dos.txt:2:6"])
  }

  @Test func skipsBinaryHiddenIgnoredAndLargeFiles() throws {
    let tree = TempTree()
    tree.write("text.txt", "needle\n")
    tree.write("binary.bin", Data("needle\n".utf8) + Data([0, 1, 2]))
    tree.write("late-nul.txt", Data("needle\n".utf8) + Data(repeating: 0x61, count: 9000) + Data([0]))
    tree.write(".hidden.txt", "needle\n")
    tree.write(".gitignore", "ignored.txt\n")
    tree.write("ignored.txt", "needle\n")
    tree.write("big.txt", String(repeating: "needle\n", count: 2000))
    let result = try grep(tree, GrepQuery(pattern: "needle", maxFileSize: 10_000))
    #expect(Set(result.matches.map(\.path)) == ["late-nul.txt", "text.txt"])
    #expect(result.filesSkipped == 2)
    let everything = try grep(
      tree, GrepQuery(pattern: "needle", maxResults: 10_000, includeHidden: true, respectGitignore: false))
    #expect(
      Set(everything.matches.map(\.path)) == [".hidden.txt", "big.txt", "ignored.txt", "late-nul.txt", "text.txt"])
  }

  @Test func longLinesAreCutAroundTheMatch() throws {
    let tree = TempTree()
    let line = String(repeating: "a", count: 3000) + "NEEDLE" + String(repeating: "é", count: 2000)
    tree.write("long.txt", line + "\nshort\n")
    let match = try grep(tree, GrepQuery(pattern: "NEEDLE", contextLines: 1)).matches[0]
    #expect(match.column == 3001)
    #expect(match.text.hasPrefix("…") && match.text.hasSuffix("…") && match.text.contains("NEEDLE"))
    #expect(match.text.utf8.count <= 510)
    #expect(!match.text.contains("\u{FFFD}"))
    #expect(match.after == ["short"])
  }

  /// A pattern whose automaton needs more states than the cache holds: the automaton gives up (every line becomes a
  /// candidate) and the search still finds exactly ICU's matches.
  @Test func automatonThatOutgrowsItsCache() throws {
    let tree = TempTree()
    var random = SplitMix64(seed: 7)
    let lines = (0..<600).map { _ in
      String((0..<40).map { _ in Bool.random(using: &random) ? "a" : "b" }) + (Bool.random(using: &random) ? "" : "c")
    }
    tree.write("ab.txt", lines.joined(separator: "\n") + "\n")
    let pattern = "[ab]*a[ab]{13}[cd]"
    let regex = try NSRegularExpression(pattern: pattern)
    let automaton = LazyDFA(RegexAnalysis.plan(of: pattern, caseInsensitive: false).automaton!, stateLimit: 256)
    let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
    var position = 0
    while let hit = bytes.withUnsafeBufferPointer({
      automaton.firstAccept($0.baseAddress!, from: position, to: $0.count)
    }) {
      position = bytes[hit...].firstIndex(of: 0x0A)! + 1
    }
    #expect(automaton.gaveUp)
    let expected = lines.indices.filter {
      regex.firstMatch(in: lines[$0], range: NSRange(location: 0, length: lines[$0].utf16.count)) != nil
    }
    let result = try grep(tree, GrepQuery(pattern: pattern, isRegex: true, maxResults: 10_000))
    #expect(result.matches.map(\.line) == expected.map { $0 + 1 })
    #expect(!expected.isEmpty)
  }

  @Test func searchesASingleNamedFile() throws {
    let tree = codeTree()
    let result = try grep(tree, GrepQuery(pattern: "fn", path: "src/util.rs"))
    #expect(locations(result) == ["src/util.rs:1:1"])
    #expect {
      try grep(tree, GrepQuery(pattern: "fn", path: "missing.rs"))
    } throws: { ($0 as? SearchError)?.code == .notFound }
    #expect {
      try grep(tree, GrepQuery(pattern: "fn", path: "../outside"))
    } throws: { ($0 as? SearchError)?.code == .outsideRoot }
  }

  @Test func resultsFollowWalkOrderDespiteParallelism() throws {
    let tree = TempTree()
    var expected: [String] = []
    for directory in 0..<12 {
      for file in 0..<25 {
        let path = "d\(directory)/f\(String(format: "%02d", file)).txt"
        let lines = (0..<40).map { $0 % 7 == file % 7 ? "match \($0)" : "filler \($0)" }
        tree.write(path, lines.joined(separator: "\n") + "\n")
        for (index, line) in lines.enumerated() where line.hasPrefix("match") {
          expected.append("\(path):\(index + 1):1")
        }
      }
    }
    // Directory names sort bytewise: d0, d1, d10, d11, d2, ...
    expected.sort { lhs, rhs in
      let l = lhs.split(separator: ":")
      let r = rhs.split(separator: ":")
      return l[0] == r[0] ? Int(l[1])! < Int(r[1])! : l[0].utf8.lexicographicallyPrecedes(r[0].utf8)
    }
    for _ in 0..<5 {
      let result = try grep(tree, GrepQuery(pattern: "match", maxResults: 100_000))
      #expect(locations(result) == expected)
      #expect(result.filesSearched == 300)
    }
    let early = try grep(tree, GrepQuery(pattern: "match", maxResults: 10))
    #expect(locations(early) == Array(expected.prefix(10)))
    #expect(early.truncated && early.nextCursor != nil)
  }

  @Test(arguments: [1, 2, 3, 5, 8])
  func cursorResumesWithExactlyTheRemainingMatches(pageSize: Int) throws {
    let tree = TempTree()
    tree.write("a.txt", "x1\nno\nx3\nx4\n")
    tree.write("b/c.txt", "x1\n")
    tree.write("b/d.txt", "none\n")
    tree.write("e.txt", "x1\nx2\nno\nno\nx5\nx6\nx7\n")
    for regex in [false, true] {
      let whole = try grep(tree, GrepQuery(pattern: regex ? "x\\d" : "x", isRegex: regex))
      #expect(whole.matches.count == 9)
      var collected: [GrepMatch] = []
      var cursor: String? = nil
      var pages = 0
      repeat {
        let page = try grep(
          tree, GrepQuery(pattern: regex ? "x\\d" : "x", isRegex: regex, maxResults: pageSize, cursor: cursor))
        #expect(page.matches.count <= pageSize)
        #expect((page.nextCursor != nil) == page.truncated)
        collected += page.matches
        cursor = page.nextCursor
        pages += 1
      } while cursor != nil && pages < 50
      #expect(collected == whole.matches)
      #expect(pages == (9 + pageSize - 1) / pageSize)
    }
  }

  @Test func cursorWithinASingleFile() throws {
    let tree = TempTree()
    tree.write("f.txt", "hit\nhit\nmiss\nhit\n")
    let first = try grep(tree, GrepQuery(pattern: "hit", path: "f.txt", maxResults: 2))
    #expect(first.matches.map(\.line) == [1, 2])
    let second = try grep(tree, GrepQuery(pattern: "hit", path: "f.txt", maxResults: 2, cursor: first.nextCursor))
    #expect(second.matches.map(\.line) == [4] && second.nextCursor == nil)
  }

  @Test(arguments: ["nonsense", "bDE", "cDEAYQ"])
  func malformedCursorIsAnError(cursor: String) {
    let tree = codeTree()
    #expect {
      try grep(tree, GrepQuery(pattern: "fn", cursor: cursor))
    } throws: { error in
      guard let error = error as? SearchError else { return false }
      return error.code == .invalidCursor && error.hint.contains("cursor")
    }
  }

  @Test func cancellationStopsTheSearch() throws {
    let tree = codeTree()
    #expect {
      try tree.root.grep(GrepQuery(pattern: "fn"), isCancelled: { true })
    } throws: { ($0 as? SearchError)?.code == .cancelled }
  }

  @Test func asyncGrepCanBeCancelled() async throws {
    let tree = codeTree()
    await #expect {
      try await tree.root.grep(GrepQuery(pattern: "fn"), isCancelled: { true })
    } throws: { ($0 as? SearchError)?.code == .cancelled }
  }

  @Test func asyncGrepFindsTheSameMatches() async throws {
    let tree = codeTree()
    let result = try await tree.root.grep(GrepQuery(pattern: #"\w+_handler"#, isRegex: true, contextLines: 1))
    #expect(locations(result) == ["notes/ünïcode.txt:1:8", "src/server.rs:3:8", "src/server.rs:8:6"])
    #expect(result.matches[1].before == [""] && result.matches[1].after == ["    // TODO: validate"])
  }
}

/// Cross-checks matches, lines and byte columns against ripgrep on a generated tree.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/rg")))
struct GrepVersusRipgrepTests {
  private func makeTree() -> TempTree {
    let tree = TempTree()
    var random = SplitMix64(seed: 2024)
    let words = [
      "alpha", "beta", "Gamma", "delta", "fn", "handler", "open_handler", "TODO", "x1", "x22", "foo", "foobar",
      "(paren)", "[br]", "a.c", "abc", "ÄÖÜ", "naïve", "  ", "\t", "value=42", "Foo",
    ]
    for file in 0..<120 {
      let depth = Int.random(in: 0...3, using: &random)
      let directories = (0..<depth).map { _ in ["src", "lib", "a", "B", "z-z", "sub"].randomElement(using: &random)! }
      let path = (directories + ["file\(file).\(["rs", "txt", "md"].randomElement(using: &random)!)"]).joined(
        separator: "/")
      var lines: [String] = []
      for _ in 0..<Int.random(in: 0...30, using: &random) {
        lines.append(
          (0..<Int.random(in: 0...8, using: &random)).map { _ in words.randomElement(using: &random)! }.joined(
            separator: " "))
      }
      tree.write(path, lines.joined(separator: Bool.random(using: &random) ? "\n" : "\r\n") + "\n")
    }
    return tree
  }

  @Test(arguments: [
    ("handler", false, false), ("foo", false, false), ("FOO", false, true), ("äöü", false, true),
    ("(paren)", false, false),
    ("a.c", true, false), (#"\bfoo\b"#, true, false), (#"x\d+"#, true, false), (#"fn\s+\w+_handler"#, true, false),
    ("TODO|Gamma", true, false), (#"^\s*alpha"#, true, false), (#"beta$"#, true, false), ("gamma|delta", true, true),
    (#"value=\d{2}"#, true, false), (#"[A-Z][a-z]+"#, true, false), (#"\t"#, true, false),
    // Plain text in regex mode takes the literal path.
    ("open_handler", true, false), ("gamma", true, true),
    // No selective literal: these run behind the byte automaton.
    (#"[A-Z]{3}"#, true, false), (#"\d+"#, true, false), (#"^\s*$"#, true, false), (#"[a-z]+_[a-z]+"#, true, false),
    (#"(a|b)c"#, true, false), (#"\S+\s\S+$"#, true, false), (#"[^\x00-\x7F]"#, true, false), (#"\w\W\w"#, true, false),
  ])
  func agreesWithRipgrep(pattern: String, isRegex: Bool, caseInsensitive: Bool) throws {
    let tree = makeTree()
    var arguments = ["rg", "--sort", "path", "-n", "--column", "--no-heading", "-H", "--no-config", "--crlf"]
    if !isRegex { arguments.append("-F") }
    if caseInsensitive { arguments.append("-i") }
    arguments += ["-e", pattern, "."]
    // Split bytes, not Characters: "\r\n" is a single Character.
    let expected = tree.run(arguments).output.split(separator: 0x0A).map { line -> String in
      let parts = line.split(separator: UInt8(ascii: ":"), maxSplits: 3, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
      return "\(parts[0].dropFirst(2)):\(parts[1]):\(parts[2])"
    }
    let ours = try tree.root.grep(
      GrepQuery(pattern: pattern, isRegex: isRegex, caseInsensitive: caseInsensitive, maxResults: 100_000))
    #expect(locations(ours) == expected)
    #expect(!expected.isEmpty)
  }
}
