import Foundation
import MishJSON
import MishRPC
import Testing

@Suite struct EditToolTests {
  func edit(_ old: String, _ new: String, all: Bool = false) -> JSONValue {
    ["old_text": .string(old), "new_text": .string(new), "replace_all": .bool(all)]
  }

  @Test func uniqueMatchIsReplacedAndDiffReturned() throws {
    let s = try Scratch()
    try s.put("a.py", "def f():\n    return 1\n")
    let r = try s.ok("fs/edit", ["path": "a.py", "edits": [edit("return 1", "return 2")]])
    #expect(try s.text("a.py") == "def f():\n    return 2\n")
    #expect(r["applied"] == 1)
    #expect(r["diff"]?.stringValue?.contains("-    return 1\n+    return 2\n") == true)
    #expect(r["sha256"]?.stringValue == (try s.ok("fs/read", ["path": "a.py"])["sha256"]?.stringValue))
  }

  @Test func ambiguousMatchListsEveryLine() throws {
    let s = try Scratch()
    try s.put("a", "x = 1\ny = 2\nx = 1\n")
    let e = s.failure("fs/edit", ["path": "a", "edits": [edit("x = 1", "x = 3")]])
    #expect(e?.code == .ambiguousMatch)
    #expect(e?.details["match_lines"] == [1, 3])
    #expect(try s.text("a") == "x = 1\ny = 2\nx = 1\n")
    _ = try s.ok("fs/edit", ["path": "a", "edits": [edit("x = 1", "x = 3", all: true)]])
    #expect(try s.text("a") == "x = 3\ny = 2\nx = 3\n")
  }

  @Test func noMatchShowsTheNearMiss() throws {
    let s = try Scratch()
    try s.put("a", "alpha\ndef compute(a, b):\n    return a + b\nomega\n")
    let e = s.failure("fs/edit", ["path": "a", "edits": [edit("def compute(a,b):\n    return a + b", "x")]])
    #expect(e?.code == .noMatch)
    #expect(e?.details["near_miss"]?["line"] == 2)
    #expect(e?.details["near_miss"]?["diff"]?.stringValue?.isEmpty == false)
  }

  @Test func alreadyAppliedIsSaid() throws {
    let s = try Scratch()
    try s.put("a", "value = new\n")
    let e = s.failure("fs/edit", ["path": "a", "edits": [edit("value = old", "value = new")]])
    #expect(e?.code == .noMatch)
    #expect(e?.details["already_applied"] == true)
    #expect(e?.message.contains("already") == true)
  }

  @Test func severalEditsApplyAllOrNothing() throws {
    let s = try Scratch()
    try s.put("a", "one\ntwo\nthree\n")
    let e = s.failure("fs/edit", ["path": "a", "edits": [edit("one", "1"), edit("missing", "x")]])
    #expect(e?.code == .noMatch)
    #expect(e?.details["edit_index"] == 1)
    #expect(try s.text("a") == "one\ntwo\nthree\n")
    _ = try s.ok("fs/edit", ["path": "a", "edits": [edit("one", "1"), edit("three", "3")]])
    #expect(try s.text("a") == "1\ntwo\n3\n")
  }

  @Test func crlfFilesStayCRLF() throws {
    let s = try Scratch()
    try s.put("w.txt", "first\r\nsecond\r\nthird\r\n")
    let r = try s.ok("fs/edit", ["path": "w.txt", "edits": [edit("first\nsecond", "first\nmiddle\nsecond")]])
    #expect(try s.bytes("w.txt") == Array("first\r\nmiddle\r\nsecond\r\nthird\r\n".utf8))
    #expect(r["notes"]?.arrayValue?.isEmpty == false)
  }

  @Test func finalNewlineIsKept() throws {
    let s = try Scratch()
    try s.put("a", "a\nb\n")
    _ = try s.ok("fs/edit", ["path": "a", "edits": [edit("b\n", "c")]])
    #expect(try s.text("a") == "a\nc\n")
  }

  @Test func lineNumberPrefixesFromAReadAreTolerated() throws {
    let s = try Scratch()
    try s.put("a", "alpha\nbeta\ngamma\n")
    _ = try s.ok("fs/edit", ["path": "a", "edits": [edit("     2\tbeta\n     3\tgamma", "     2\tBETA\n     3\tgamma")]])
    #expect(try s.text("a") == "alpha\nBETA\ngamma\n")
  }

  @Test func dryRunWritesNothing() throws {
    let s = try Scratch()
    try s.put("a", "keep\n")
    let r = try s.ok("fs/edit", ["path": "a", "edits": [edit("keep", "change")], "dry_run": true])
    #expect(r["dry_run"] == true)
    #expect(r["diff"]?.stringValue?.contains("+change") == true)
    #expect(try s.text("a") == "keep\n")
  }

  @Test func staleBinaryAndMissingAreRefused() throws {
    let s = try Scratch()
    try s.put("a", "x\n")
    #expect(s.failure("fs/edit", ["path": "a", "edits": [edit("x", "y")], "expected_sha256": .string(String(repeating: "0", count: 64))])?.code == .stale)
    try s.put("b", [0, 1, 2, 0x78])
    #expect(s.failure("fs/edit", ["path": "b", "edits": [edit("x", "y")]])?.code == .isBinary)
    #expect(s.failure("fs/edit", ["path": "nope", "edits": [edit("x", "y")]])?.code == .notFound)
    #expect(s.failure("fs/edit", ["path": "a", "edits": []])?.code == .invalidArgument)
    #expect(s.failure("fs/edit", ["path": "a", "edits": [edit("", "y")]])?.code == .invalidArgument)
  }

  /// Property: an edit followed by its inverse restores the file byte for byte.
  @Test(arguments: 0..<30)
  func editThenInverseRestores(seed: UInt64) throws {
    var random = SplitMix64(seed: seed)
    let s = try Scratch()
    let words = ["alpha", "beta", "gamma", "delta", "\t", " ", "é", "x"]
    var lines: [String] = []
    for i in 0..<Int(random.next() % 30 + 3) {
      lines.append((0..<Int(random.next() % 5 + 1)).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined() + " #\(i)")
    }
    let eol = random.next() % 2 == 0 ? "\n" : "\r\n"
    let original = lines.joined(separator: eol) + eol
    try s.put("f", original)
    let target = Int(random.next() % UInt64(lines.count))
    let old = lines[target]
    let new = "replaced \(seed) " + old
    _ = try s.ok("fs/edit", ["path": "f", "edits": [edit(old, new)]])
    _ = try s.ok("fs/edit", ["path": "f", "edits": [edit(new, old)]])
    #expect(try s.text("f") == original, "seed \(seed)")
  }
}

@Suite struct PatchToolTests {
  /// What an agent should check is said: a chunk placed at the first of several matches, a tolerant match, a hunk
  /// away from its header's line.
  @Test func notesSayHowHunksWerePlaced() throws {
    let s = try Scratch()
    try s.put("two.py", "def f():\n    return 1\n\ndef g():\n    return 1\n")
    let first = try s.ok("fs/patch", ["patch": "*** Begin Patch\n*** Update File: two.py\n@@\n-    return 1\n+    return 2\n*** End Patch"])
    let notes = (first["notes"]?.arrayValue ?? []).compactMap(\.stringValue)
    #expect(notes.count == 1 && notes[0].contains("applied at line 2") && notes[0].contains("also occur at line 5"), "\(notes)")
    #expect(try s.text("two.py") == "def f():\n    return 2\n\ndef g():\n    return 1\n")
    let anchored = try s.ok("fs/patch", ["patch": "*** Begin Patch\n*** Update File: two.py\n@@ def g():\n-    return 1\n+    return 3\n*** End Patch"])
    #expect(anchored["notes"] == [])
    try s.put("ws.txt", "alpha  \nbeta\n")
    let tolerant = try s.ok("fs/patch", ["patch": "*** Begin Patch\n*** Update File: ws.txt\n@@\n-alpha\n+ALPHA\n*** End Patch"])
    #expect((tolerant["notes"]?.arrayValue ?? []).contains { $0.stringValue?.contains("trailing whitespace is ignored") == true })
    try s.put("n.txt", (1...10).map { "\($0)\n" }.joined())
    let moved = try s.ok("fs/patch", ["patch": "--- a/n.txt\n+++ b/n.txt\n@@ -2,3 +2,3 @@\n 7\n-8\n+eight\n 9\n"])
    #expect((moved["notes"]?.arrayValue ?? []).contains { $0.stringValue?.contains("applied at line 7, not at line 2") == true }, "\(moved)")
  }

  /// Directories a patch needs are made only when it is written: a dry run, or a patch that fails, leaves none.
  @Test func dryRunsAndFailuresMakeNoDirectories() throws {
    let s = try Scratch()
    try s.put("a.txt", "one\n")
    let add = "*** Begin Patch\n*** Add File: brand/new/dir/f.txt\n+x\n*** End Patch"
    _ = try s.ok("fs/patch", ["patch": .string(add), "dry_run": true])
    #expect(!s.exists("brand"))
    let failing = "*** Begin Patch\n*** Add File: other/new/f.txt\n+x\n*** Update File: a.txt\n*** Move to: moved/deep/a.txt\n@@\n-nomatch\n+x\n*** End Patch"
    #expect(s.failure("fs/patch", ["patch": .string(failing)])?.code == .noMatch)
    #expect(!s.exists("other") && !s.exists("moved"))
    _ = try s.ok("fs/patch", ["patch": .string(add)])
    #expect(try s.text("brand/new/dir/f.txt") == "x\n")
  }

  /// Later sections see what earlier ones did: a file moved away is gone, its new path holds the moved content.
  @Test func sectionsSeeEarlierMoves() throws {
    let s = try Scratch()
    try s.put("a.txt", "one\ntwo\n")
    _ = chmod(s.url("a.txt").path, 0o755)
    let move = "*** Update File: a.txt\n*** Move to: c.txt\n@@\n-one\n+ONE\n"
    let thenOld = "*** Begin Patch\n" + move + "*** Update File: a.txt\n@@\n-two\n+TWO\n*** End Patch"
    let stale = try #require(s.failure("fs/patch", ["patch": .string(thenOld)]))
    #expect(stale.code == .notFound && stale.message.contains("earlier sections"), "\(stale.message)")
    let thenAdd = "*** Begin Patch\n" + move + "*** Add File: c.txt\n+new\n*** End Patch"
    #expect(s.failure("fs/patch", ["patch": .string(thenAdd)])?.code == .exists)
    #expect(try s.text("a.txt") == "one\ntwo\n" && !s.exists("c.txt"))
    let thenNew = "*** Begin Patch\n" + move + "*** Update File: c.txt\n@@\n-two\n+TWO\n*** End Patch"
    _ = try s.ok("fs/patch", ["patch": .string(thenNew)])
    #expect(try s.text("c.txt") == "ONE\nTWO\n" && !s.exists("a.txt"))
    let mode = try FileManager.default.attributesOfItem(atPath: s.url("c.txt").path)[.posixPermissions] as? Int
    #expect(mode == 0o755, "a moved file keeps its mode")
  }

  @Test func codexEnvelopeAddsUpdatesMovesAndDeletes() throws {
    let s = try Scratch()
    try s.put("src/app.py", "import os\n\ndef main():\n    print('hi')\n")
    try s.put("old.txt", "bye\n")
    try s.put("rename/me.txt", "content\n")
    let patch = """
      *** Begin Patch
      *** Add File: docs/new.md
      +# New
      +text
      *** Update File: src/app.py
      @@ def main():
      -    print('hi')
      +    print('hello')
      *** Delete File: old.txt
      *** Update File: rename/me.txt
      *** Move to: renamed/me.txt
      @@
      -content
      +moved content
      *** End Patch
      """
    let r = try s.ok("fs/patch", ["patch": .string(patch)])
    #expect(r["files"]?.arrayValue?.map { $0["action"]?.stringValue ?? "" } == ["add", "update", "delete", "move"])
    #expect(r["notes"] == [])
    #expect(try s.text("docs/new.md") == "# New\ntext\n")
    #expect(try s.text("src/app.py") == "import os\n\ndef main():\n    print('hello')\n")
    #expect(!s.exists("old.txt"))
    #expect(!s.exists("rename/me.txt"))
    #expect(try s.text("renamed/me.txt") == "moved content\n")
  }

  @Test func unifiedDiffApplies() throws {
    let s = try Scratch()
    try s.put("a.txt", "1\n2\n3\n4\n5\n")
    let diff = """
      diff --git a/a.txt b/a.txt
      --- a/a.txt
      +++ b/a.txt
      @@ -2,3 +2,3 @@
       2
      -3
      +three
       4
      --- /dev/null
      +++ b/b.txt
      @@ -0,0 +1 @@
      +new file

      """
    let r = try s.ok("fs/patch", ["patch": .string(diff)])
    #expect(r["files"]?.arrayValue?.count == 2)
    #expect(try s.text("a.txt") == "1\n2\nthree\n4\n5\n")
    #expect(try s.text("b.txt") == "new file\n")
  }

  @Test func aFailingFileLeavesEveryFileUnchanged() throws {
    let s = try Scratch()
    try s.put("a.txt", "alpha\n")
    try s.put("b.txt", "beta\n")
    let patch = """
      *** Begin Patch
      *** Update File: a.txt
      @@
      -alpha
      +ALPHA
      *** Add File: c.txt
      +c
      *** Update File: b.txt
      @@
      -not there
      +x
      *** End Patch
      """
    let e = s.failure("fs/patch", ["patch": .string(patch)])
    #expect(e?.code == .noMatch)
    #expect(e?.message.contains("no file was changed") == true)
    #expect(try s.text("a.txt") == "alpha\n")
    #expect(try s.text("b.txt") == "beta\n")
    #expect(!s.exists("c.txt"))
  }

  @Test func malformedAndEscapingPatchesAreRefused() throws {
    let s = try Scratch()
    #expect(s.failure("fs/patch", ["patch": "*** Begin Patch\n*** Frobnicate File: x\n*** End Patch\n"])?.code == .invalidPatch)
    #expect(s.failure("fs/patch", ["patch": "*** Begin Patch\n*** Add File: ../evil.txt\n+x\n*** End Patch\n"])?.code == .outsideRoot)
    #expect(s.failure("fs/patch", ["patch": "*** Begin Patch\n*** Add File: .git/hooks/pre-commit\n+x\n*** End Patch\n"])?.code == .denied)
    try s.put("exists.txt", "x\n")
    #expect(s.failure("fs/patch", ["patch": "*** Begin Patch\n*** Add File: exists.txt\n+x\n*** End Patch\n"])?.code == .exists)
    #expect(s.failure("fs/patch", ["patch": "*** Begin Patch\n*** Delete File: missing.txt\n*** End Patch\n"])?.code == .notFound)
  }

  @Test func dryRunReturnsDiffsWithoutWriting() throws {
    let s = try Scratch()
    try s.put("a.txt", "old\n")
    let r = try s.ok("fs/patch", ["patch": "*** Begin Patch\n*** Update File: a.txt\n@@\n-old\n+new\n*** End Patch\n", "dry_run": true])
    #expect(r["files"]?[0]?["diff"]?.stringValue?.contains("+new") == true)
    #expect(try s.text("a.txt") == "old\n")
  }

  @Test func crlfFileKeepsItsLineEndingsThroughAPatch() throws {
    let s = try Scratch()
    try s.put("w.txt", "a\r\nb\r\nc\r\n")
    _ = try s.ok("fs/patch", ["patch": "*** Begin Patch\n*** Update File: w.txt\n@@\n a\n-b\n+B\n c\n*** End Patch\n"])
    #expect(try s.bytes("w.txt") == Array("a\r\nB\r\nc\r\n".utf8))
  }
}

extension JSONValue {
  fileprivate subscript(index: Int) -> JSONValue? { arrayValue.flatMap { index < $0.count ? $0[index] : nil } }
}
