import Testing

@testable import MishText

@Suite struct PatchEnvelopeParseTests {
  @Test func parsesEveryKindOfSection() throws {
    let patch = """
      *** Begin Patch
      *** Add File: docs/new.md
      +# Title
      +
      +text
      *** Delete File: old.txt
      *** Update File: src/a.swift
      *** Move to: src/b.swift
      @@ func a() {
       let x = 1
      -let y = 2
      +let y = 3
      @@
      -tail
      +end
      *** End of File
      *** End Patch
      """
    let files = try parsePatch(patch)
    #expect(files.map(\.action) == [.add, .delete, .move])
    #expect(files.map(\.path) == ["docs/new.md", "old.txt", "src/a.swift"])
    #expect(files[2].movePath == "src/b.swift")
    #expect(files.allSatisfy { $0.format == .envelope })
    #expect(files[0].hunks.first?.lines.map(\.text) == ["# Title", "", "text"])
    let hunks = files[2].hunks
    #expect(hunks.count == 2)
    #expect(hunks[0].anchors == ["func a() {"])
    #expect(
      hunks[0].lines == [
        PatchLine(.context, "let x = 1"), PatchLine(.remove, "let y = 2"), PatchLine(.add, "let y = 3"),
      ])
    #expect(hunks[0].patchLine == 9)
    #expect(hunks[1].anchors.isEmpty)
    #expect(hunks[1].isEndOfFile)
    #expect(files[2].patchLine == 7)
  }

  @Test func toleratesWrappersAroundTheEnvelope() throws {
    let patch = "```\napply_patch <<'EOF'\n*** Begin Patch\n*** Delete File: x\n*** End Patch\nEOF\n```\n"
    #expect(try parsePatch(patch).map(\.path) == ["x"])
  }

  @Test func readsCRLFPatchText() throws {
    let patch = "*** Begin Patch\r\n*** Update File: a\r\n@@\r\n-x\r\n+y\r\n*** End Patch\r\n"
    let files = try parsePatch(patch)
    #expect(files[0].hunks[0].lines == [PatchLine(.remove, "x"), PatchLine(.add, "y")])
  }

  @Test func treatsUnifiedStyleHeadersAsBareChunks() throws {
    let files = try parsePatch("*** Begin Patch\n*** Update File: a\n@@ -1,2 +1,2 @@\n-x\n+y\n*** End Patch")
    #expect(files[0].hunks[0].anchors.isEmpty)
    let anchored = try parsePatch("*** Begin Patch\n*** Update File: a\n@@ -1,2 +1,2 @@ class A\n-x\n+y\n*** End Patch")
    #expect(anchored[0].hunks[0].anchors == ["class A"])
  }

  @Test(arguments: [
    ("*** Begin Patch\n*** Update File: a\n@@\n-x\n", 4, "ends without '*** End Patch'"),
    ("*** Begin Patch\n*** Frobnicate File: a\n*** End Patch", 2, "expected '*** Add File: path'"),
    ("*** Begin Patch\n*** Update File: a\n@@\n x\n?y\n*** End Patch", 5, "starting with ' ' (context)"),
    ("*** Begin Patch\n*** Update File: a\n*** End Patch", 2, "has no chunks"),
    ("*** Begin Patch\n*** Update File: \n@@\n-x\n*** End Patch", 2, "needs a path"),
    ("*** Begin Patch\n*** Add File: a\nno plus\n*** End Patch", 3, "expected a '+' line"),
    ("*** Begin Patch\n*** End Patch", 2, "changes no files"),
    ("hello\n*** Begin Patch\n*** Delete File: a\n*** End Patch", 1, "expected '*** Begin Patch'"),
    ("*** Begin Patch\n*** Update File: a\n@@ x\n*** End Patch", 3, "has no lines"),
  ])
  func pointsAtMalformedLines(patch: String, line: Int, phrase: String) throws {
    let error = try #require(patchError { _ = try parsePatch(patch) })
    #expect(error.code == PatchError.invalidPatch)
    #expect(error.patchLine == line)
    #expect(error.message.contains(phrase), "\(error.message)")
    #expect(!error.hint.isEmpty)
  }
}

@Suite struct PatchEnvelopeApplyTests {
  func envelope(_ body: String) -> String { "*** Begin Patch\n" + body + "\n*** End Patch\n" }

  @Test func updatesAFile() throws {
    let patch = envelope("*** Update File: a.txt\n@@\n one\n-two\n+TWO\n three")
    #expect(try applyPatchText(patch, to: "one\ntwo\nthree\nfour\n") == "one\nTWO\nthree\nfour\n")
  }

  @Test func anchorsSelectTheRightOccurrence() throws {
    let file = "func a() {\n  return 1\n}\nfunc b() {\n  return 1\n}\n"
    let patch = envelope("*** Update File: f\n@@ func b() {\n-  return 1\n+  return 2")
    #expect(try applyPatchText(patch, to: file) == "func a() {\n  return 1\n}\nfunc b() {\n  return 2\n}\n")
  }

  @Test func nestedAnchorsAreFoundInOrder() throws {
    let file = "class A {\n  func f() {\n    x\n  }\n}\nclass B {\n  func f() {\n    x\n  }\n}\n"
    let patch = envelope("*** Update File: f\n@@ class B {\n@@   func f() {\n-    x\n+    y")
    let expected = "class A {\n  func f() {\n    x\n  }\n}\nclass B {\n  func f() {\n    y\n  }\n}\n"
    #expect(try applyPatchText(patch, to: file) == expected)
  }

  @Test func chunksApplyInOrderAfterEachOther() throws {
    let file = "x\na\nx\nb\n"
    let patch = envelope("*** Update File: f\n@@\n-x\n+1\n@@\n-x\n+2")
    #expect(try applyPatchText(patch, to: file) == "1\na\n2\nb\n")
  }

  @Test(arguments: [
    ("let a = 1   \nlet b = 2\n", " let a = 1\n-let b = 2\n+let b = 3", "let a = 1   \nlet b = 3\n"),
    ("    let a = 1\n    let b = 2\n", " let a = 1\n-let b = 2\n+    let b = 3", "    let a = 1\n    let b = 3\n"),
    ("// a – b “c”\nx\n", " // a - b \"c\"\n-x\n+y", "// a – b “c”\ny\n"),
    ("// nbsp\u{00A0}here\nx\n", " // nbsp here\n-x\n+y", "// nbsp\u{00A0}here\ny\n"),
  ])
  func matchesWithIncreasingTolerance(file: String, chunk: String, expected: String) throws {
    #expect(try applyPatchText(envelope("*** Update File: f\n@@\n" + chunk), to: file) == expected)
  }

  @Test func keepsCRLFLineEndings() throws {
    let patch = envelope("*** Update File: f\n@@\n a\n-b\n+B\n+B2")
    #expect(try applyPatchText(patch, to: "a\r\nb\r\nc\r\n") == "a\r\nB\r\nB2\r\nc\r\n")
  }

  @Test func keepsAMissingFinalNewline() throws {
    let patch = envelope("*** Update File: f\n@@\n a\n-b\n+B")
    #expect(try applyPatchText(patch, to: "a\nb") == "a\nB")
    #expect(try applyPatchText(envelope("*** Update File: f\n@@\n b\n+c"), to: "a\nb") == "a\nb\nc")
  }

  @Test func endOfFileChunksMatchAtTheEnd() throws {
    let file = "}\nmiddle\n}\n"
    let patch = envelope("*** Update File: f\n@@\n-}\n+} // end\n*** End of File")
    #expect(try applyPatchText(patch, to: file) == "}\nmiddle\n} // end\n")
  }

  @Test func insertsAfterAnAnchorOrAtTheEnd() throws {
    let file = "import A\n\nfunc main() {}\n"
    #expect(
      try applyPatchText(envelope("*** Update File: f\n@@ import A\n+import B"), to: file)
        == "import A\nimport B\n\nfunc main() {}\n")
    #expect(try applyPatchText(envelope("*** Update File: f\n@@\n+// end"), to: file) == file + "// end\n")
  }

  @Test func ignoresBlankSeparatorLinesAfterAChunk() throws {
    let patch = "*** Begin Patch\n*** Update File: f\n@@ a\n+b\n\n*** End Patch\n"
    #expect(try applyPatchText(patch, to: "a\nc\n\nd\n") == "a\nb\nc\n\nd\n")
  }

  @Test func retriesWithoutATrailingEmptyContextLine() throws {
    let patch = envelope("*** Update File: f\n@@\n-last\n+LAST\n ")
    #expect(try applyPatchText(patch, to: "first\nlast\n") == "first\nLAST\n")
  }

  @Test func addsMovesAndDeletes() throws {
    let files = try parsePatch(
      envelope("*** Add File: n\n+a\n+b\n*** Update File: m\n*** Move to: m2\n@@\n-x\n+y\n*** Delete File: d"))
    #expect(string(try apply(files[0], to: nil)) == "a\nb\n")
    #expect(string(try apply(files[1], to: bytes("x\n"))) == "y\n")
    #expect(try apply(files[2], to: bytes("anything")) == nil)
  }

  @Test func addingAnEmptyFileGivesEmptyContent() throws {
    let files = try parsePatch(envelope("*** Add File: empty"))
    #expect(try apply(files[0], to: nil) == [])
  }

  @Test func refusesToAddAnExistingFileOrChangeAMissingOne() throws {
    let files = try parsePatch(envelope("*** Add File: n\n+a\n*** Update File: m\n@@\n-x\n+y\n*** Delete File: d"))
    #expect(patchError { _ = try apply(files[0], to: []) }?.code == PatchError.fileExists)
    #expect(patchError { _ = try apply(files[1], to: nil) }?.code == PatchError.fileMissing)
    #expect(patchError { _ = try apply(files[2], to: nil) }?.code == PatchError.fileMissing)
  }

  @Test func explainsAChunkThatDoesNotMatch() throws {
    let file = (1...50).map { "line \($0)" }.joined(separator: "\n") + "\n"
    let patch = envelope("*** Update File: src/f.txt\n@@\n line 10\n-line 11\n+x\n@@\n line 30\n-line 3l\n+y")
    let error = try #require(patchError { _ = try applyPatchText(patch, to: file) })
    #expect(error.code == PatchError.noMatch)
    #expect(error.path == "src/f.txt")
    #expect(error.patchLine == 7)
    #expect(error.message.hasPrefix("src/f.txt: chunk 2 of 2 (patch line 7)"))
    #expect(error.message.contains("after line 11"))
    #expect(error.message.contains("  line 30\n  line 3l"))
    #expect(error.nearMiss?.line == 30)
    #expect(error.hint.contains("around line 30"))
  }

  @Test func recognisesAnAlreadyAppliedChunk() throws {
    let patch = envelope("*** Update File: f\n@@\n a\n-b\n+B")
    let error = try #require(patchError { _ = try applyPatchText(patch, to: "a\nB\n") })
    #expect(error.message.contains("looks already applied"))
    #expect(error.message.contains("line 1"))
  }

  @Test func reportsAMissingAnchor() throws {
    let patch = envelope("*** Update File: f\n@@ func missing() {\n-x\n+y")
    let error = try #require(patchError { _ = try applyPatchText(patch, to: "func present() {\nx\n}\n") })
    #expect(error.code == PatchError.noMatch)
    #expect(error.message.contains("'@@ func missing() {'"))
    #expect(error.patchLine == 3)
  }
}
