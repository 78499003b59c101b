import Testing

@testable import MishText

@Suite struct PatchUnifiedParseTests {
  @Test func parsesGitDiffs() throws {
    let patch = """
      commit message text
      diff --git a/src/a.swift b/src/a.swift
      index 83db48f..bf269f4 100644
      --- a/src/a.swift
      +++ b/src/a.swift
      @@ -1,3 +1,3 @@ func a() {
       one
      -two
      +TWO
       three
      diff --git a/new.txt b/new.txt
      new file mode 100644
      --- /dev/null
      +++ b/new.txt
      @@ -0,0 +1 @@
      +hello
      diff --git a/gone.txt b/gone.txt
      deleted file mode 100644
      --- a/gone.txt
      +++ /dev/null
      @@ -1 +0,0 @@
      -bye
      diff --git a/old name.txt b/new name.txt
      similarity index 100%
      rename from old name.txt
      rename to new name.txt
      diff --git a/empty b/empty
      new file mode 100644
      index 0000000..e69de29
      """
    let files = try parsePatch(patch)
    #expect(files.map(\.action) == [.update, .add, .delete, .move, .add])
    #expect(files.map(\.path) == ["src/a.swift", "new.txt", "gone.txt", "old name.txt", "empty"])
    #expect(files[3].movePath == "new name.txt")
    #expect(files[0].hunks[0].oldStart == 1 && files[0].hunks[0].oldCount == 3)
    #expect(files[0].hunks[0].lines.count == 4)
    #expect(files[0].patchLine == 2)
    #expect(files.allSatisfy { $0.format == .unified })
  }

  @Test func parsesPlainDiffsWithTimestamps() throws {
    let patch = "--- main.c.orig\t2024-01-01 10:00:00\n+++ main.c\t2024-01-02 10:00:00\n@@ -1 +1 @@\n-a\n+b\n"
    let files = try parsePatch(patch)
    #expect(files.map(\.path) == ["main.c"])
    #expect(files[0].action == .update)
  }

  @Test func unquotesGitPaths() throws {
    let patch = "--- \"a/tab\\there\"\n+++ \"b/tab\\there\"\n@@ -1 +1 @@\n-a\n+b\n"
    #expect(try parsePatch(patch).map(\.path) == ["tab\there"])
  }

  @Test func readsTheNoNewlineMarker() throws {
    let patch = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"
    let lines = try parsePatch(patch)[0].hunks[0].lines
    #expect(lines.map(\.noNewlineAtEnd) == [true, false])
  }

  @Test func acceptsHunksThatStopEarlyAtTheNextHeader() throws {
    let patch = "--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n-a\n+b\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-c\n+d\n"
    let files = try parsePatch(patch)
    #expect(files.map(\.path) == ["f", "g"])
    #expect(files[0].hunks[0].lines.count == 2)
  }

  @Test func readsDashedContentLinesByTheCounts() throws {
    let patch = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n--- a\n+++ b\n x\n"
    let lines = try parsePatch(patch)[0].hunks[0].lines
    #expect(lines == [PatchLine(.remove, "-- a"), PatchLine(.add, "++ b"), PatchLine(.context, "x")])
  }

  @Test func acceptsHunksWithoutNumbers() throws {
    let files = try parsePatch("--- a/f\n+++ b/f\n@@\n a\n-b\n+c\n")
    #expect(files[0].hunks[0].oldStart == nil)
    #expect(files[0].hunks[0].lines.count == 3)
  }

  /// A header that counts short takes the lines that follow it anyway, as one that counts long does.
  @Test func headersThatCountShortKeepTheirLines() throws {
    let hunk = try parsePatch("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n+c\n\n d\n")[0].hunks[0]
    #expect(hunk.lines.map(\.kind) == [.remove, .add, .add, .context, .context])
    #expect(try applyPatchText("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n+c\n", to: "a\nz\n") == "b\nc\nz\n")
    let signed = try parsePatch("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n-- \n2.43.0\n")
    #expect(signed[0].hunks[0].lines.count == 2)
  }

  @Test func ignoresAFormatPatchSignature() throws {
    let patch = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n-- \n2.43.0\n"
    #expect(try parsePatch(patch)[0].hunks[0].lines.count == 2)
  }

  @Test(arguments: [
    ("just some text\n", 1, "neither a '*** Begin Patch' envelope nor a unified diff"),
    ("@@ -1 +1 @@\n-a\n+b\n", 1, "no file headers"),
    ("--- a/f\n+++ b/f\n@@ -x +1 @@\n", 3, "malformed hunk header"),
    ("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\nnonsense\n", 5, "promises 2 more old and 2 more new lines"),
    ("--- a/f\n+++ b/f\n x\n", 3, "expected a '@@ -start,count +start,count @@' hunk header"),
    ("diff --git a/f b/f\nGIT binary patch\n", 2, "binary patches are not supported"),
    ("--- /dev/null\n+++ /dev/null\n", 1, "both '---' and '+++' are /dev/null"),
    ("", 1, "empty"),
    ("--- a/f\n+++ b/f\n", 2, "expected a '@@ -start,count +start,count @@' hunk after '+++ b/f'"),
  ])
  func pointsAtMalformedLines(patch: String, line: Int, phrase: String) throws {
    let error = try #require(patchError { _ = try parsePatch(patch) })
    #expect(error.code == PatchError.invalidPatch)
    #expect(error.patchLine == line)
    #expect(error.message.contains(phrase), "\(error.message)")
  }
}

@Suite struct PatchUnifiedApplyTests {
  @Test func appliesAtTheHeaderLine() throws {
    let patch = "--- a/f\n+++ b/f\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n"
    #expect(try applyPatchText(patch, to: "a\nb\nc\nd\ne\n") == "a\nb\nC\nd\ne\n")
  }

  @Test func searchesOutwardForTheNearestMatch() throws {
    let file = "x\nb\nc\nd\n" + (1...10).map { "\($0)\n" }.joined() + "b\nc\nd\n"
    // The header says line 12; the copy at line 15 is nearer than the one at line 2.
    let patch = "--- a/f\n+++ b/f\n@@ -12,3 +12,3 @@\n b\n-c\n+C\n d\n"
    let result = try #require(try applyPatchText(patch, to: file))
    #expect(result.hasSuffix("b\nC\nd\n"))
    #expect(result.hasPrefix("x\nb\nc\nd\n"))
  }

  @Test func carriesTheOffsetOfEarlierHunks() throws {
    let file = "new1\nnew2\n" + (1...20).map { "\($0)\n" }.joined()
    let patch = "--- a/f\n+++ b/f\n@@ -2 +2 @@\n-2\n+two\n@@ -15 +15 @@\n-15\n+fifteen\n"
    let expected =
      "new1\nnew2\n1\ntwo\n" + (3...14).map { "\($0)\n" }.joined() + "fifteen\n"
      + (16...20).map { "\($0)\n" }.joined()
    #expect(try applyPatchText(patch, to: file) == expected)
  }

  /// Hunks out of file order fail with that reason, not with "copy the lines exactly" (they are in the file).
  @Test func hunksOutOfOrderSaySo() throws {
    let file = (1...20).map { "\($0)\n" }.joined()
    let patch = "--- a/f\n+++ b/f\n@@ -15,3 +15,3 @@\n 15\n-16\n+sixteen\n 17\n@@ -2,3 +2,3 @@\n 2\n-3\n+three\n 4\n"
    do {
      _ = try applyPatchText(patch, to: file)
      Issue.record("out-of-order hunks applied")
    } catch {
      #expect(error.message.contains("They are at line 2, before the end of the previous hunk"), "\(error.message)")
      #expect(error.hint.hasPrefix("Order the hunks"))
    }
  }

  @Test func addsAndRemovesTheFinalNewlineAsMarked() throws {
    #expect(
      try applyPatchText("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n", to: "a") == "a\n")
    #expect(
      try applyPatchText("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n", to: "a\n") == "a")
  }

  @Test func addsDeletesAndRenames() throws {
    let add = try parsePatch("--- /dev/null\n+++ b/n\n@@ -0,0 +1,2 @@\n+x\n+y\n")[0]
    #expect(string(try apply(add, to: nil)) == "x\ny\n")
    let delete = try parsePatch("--- a/d\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n")[0]
    #expect(try apply(delete, to: bytes("x\n")) == nil)
    let error = try #require(patchError { _ = try apply(delete, to: bytes("x\ny\n")) })
    #expect(error.code == PatchError.noMatch)
    let rename = try parsePatch(
      "diff --git a/o b/n\nrename from o\nrename to n\n--- a/o\n+++ b/n\n@@ -1 +1 @@\n-x\n+y\n")[0]
    #expect(rename.action == .move)
    #expect(rename.movePath == "n")
    #expect(string(try apply(rename, to: bytes("x\n"))) == "y\n")
  }

  @Test func keepsCRLFLineEndings() throws {
    let patch = "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n-b\n+B\n+B2\n"
    #expect(try applyPatchText(patch, to: "a\r\nb\r\n") == "a\r\nB\r\nB2\r\n")
  }

  @Test func findsNumberlessHunksByContent() throws {
    let patch = "--- a/f\n+++ b/f\n@@\n b\n-c\n+C\n"
    #expect(try applyPatchText(patch, to: "a\nb\nc\n") == "a\nb\nC\n")
  }

  @Test func explainsAHunkThatDoesNotMatch() throws {
    let patch = "--- a/src/f\n+++ b/src/f\n@@ -1,2 +1,2 @@\n alpha\n-beta\n+gamma\n"
    let error = try #require(patchError { _ = try applyPatchText(patch, to: "alpha\nbeat\n") })
    #expect(error.code == PatchError.noMatch)
    #expect(error.path == "src/f")
    #expect(error.patchLine == 3)
    #expect(error.message.hasPrefix("src/f: hunk 1 of 1 (patch line 3) does not match the file"))
    #expect(error.message.contains("  alpha\n  beta"))
    #expect(error.nearMiss?.line == 1)
  }

  @Test func toleratesTrailingWhitespace() throws {
    let patch = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    #expect(try applyPatchText(patch, to: "a  \nb\t\n") == "a  \nc\n")
  }
}
