import Testing

@testable import MishText

@Suite struct EditEngineTests {
  @Test func replacesAUniqueMatch() throws {
    let outcome = try applyEdits([TextEdit(oldText: "world", newText: "there")], to: bytes("hello world\n")).get()
    #expect(string(outcome.content) == "hello there\n")
    #expect(outcome.replacements == 1)
    #expect(outcome.replacementsPerEdit == [1])
    #expect(outcome.notes.isEmpty)
  }

  @Test func rejectsAmbiguousMatchesListingEveryLine() throws {
    let failure = try #require(
      editFailure("x = 1\ny = 2\nx = 1\n\nx = 1", [TextEdit(oldText: "x = 1", newText: "x = 3")]))
    #expect(failure.kind == .ambiguousMatch)
    #expect(failure.matchLines == [1, 3, 5])
    #expect(failure.editIndex == 0)
    #expect(failure.message.contains("3 places"))
    #expect(failure.message.contains("lines 1, 3, 5"))
    #expect(failure.hint.contains("replace_all"))
    #expect(failure.hint.contains("surrounding lines"))
  }

  @Test func replaceAllReplacesEveryMatch() throws {
    let outcome = try applyEdits(
      [TextEdit(oldText: "a", newText: "bb", replaceAll: true)], to: bytes("a-a-a\n")
    ).get()
    #expect(string(outcome.content) == "bb-bb-bb\n")
    #expect(outcome.replacements == 3)
  }

  @Test func replaceAllStillNeedsOneMatch() throws {
    let failure = try #require(editFailure("abc\n", [TextEdit(oldText: "zzz", newText: "y", replaceAll: true)]))
    #expect(failure.kind == .noMatch)
  }

  @Test(arguments: [
    (TextEdit(oldText: "", newText: "x"), EditFailure.Kind.emptyOldText),
    (TextEdit(oldText: "same", newText: "same"), .noChange),
  ])
  func rejectsDegenerateEdits(edit: TextEdit, kind: EditFailure.Kind) throws {
    let failure = try #require(editFailure("same\n", [edit]))
    #expect(failure.kind == kind)
    #expect(!failure.hint.isEmpty)
  }

  @Test func appliesEditsInOrderToPreviousResults() {
    let result = edited(
      "one\ntwo\n",
      [TextEdit(oldText: "one", newText: "three"), TextEdit(oldText: "three\ntwo", newText: "four")])
    #expect(result == "four\n")
  }

  @Test func isAllOrNothingAndSaysSo() throws {
    let edits = [
      TextEdit(oldText: "one", newText: "1"),
      TextEdit(oldText: "two", newText: "2"),
      TextEdit(oldText: "missing", newText: "3"),
    ]
    let failure = try #require(editFailure("one\ntwo\n", edits))
    #expect(failure.editIndex == 2)
    #expect(failure.message.hasPrefix("edit 3"))
    #expect(failure.message.contains("No edit was applied"))
    #expect(failure.message.contains("edits 1–2"))
  }

  @Test func failureInTheFirstOfSeveralEditsAlsoSaysNothingWasApplied() throws {
    let failure = try #require(
      editFailure("one\n", [TextEdit(oldText: "missing", newText: "x"), TextEdit(oldText: "one", newText: "1")]))
    #expect(failure.editIndex == 0)
    #expect(failure.message.contains("No edit was applied"))
  }

  // MARK: CRLF

  @Test func adaptsLFTextToACRLFFile() throws {
    let outcome = try applyEdits(
      [TextEdit(oldText: "a\nb\n", newText: "x\ny\nz\n")], to: bytes("a\r\nb\r\nc\r\n")
    ).get()
    #expect(string(outcome.content) == "x\r\ny\r\nz\r\nc\r\n")
    #expect(outcome.notes == ["edit 1: matched after converting LF to the file's CRLF line endings"])
  }

  @Test func adaptsInMixedFiles() throws {
    let outcome = try applyEdits([TextEdit(oldText: "b\nc", newText: "B\nC")], to: bytes("a\nb\r\nc\r\n")).get()
    #expect(string(outcome.content) == "a\nB\r\nC\r\n")
  }

  @Test func exactMatchInAMixedFileIsNotConverted() throws {
    let outcome = try applyEdits([TextEdit(oldText: "a\nb", newText: "A\nB")], to: bytes("a\nb\r\nc\r\n")).get()
    #expect(string(outcome.content) == "A\nB\r\nc\r\n")
    #expect(outcome.notes.isEmpty)
  }

  @Test func writesNewLinesOfASingleLineEditAsCRLF() throws {
    let outcome = try applyEdits([TextEdit(oldText: "b", newText: "b\nb2")], to: bytes("a\r\nb\r\nc\r\n")).get()
    #expect(string(outcome.content) == "a\r\nb\r\nb2\r\nc\r\n")
    #expect(outcome.notes == ["edit 1: wrote new_text's LF line endings as the file's CRLF"])
  }

  /// CRLF in old_text matches an LF file's LF (and new_text's CRLF is written as LF): an LF file never gains a CR.
  @Test func neverConvertsLFFiles() throws {
    let outcome = try applyEdits([TextEdit(oldText: "a\r\nb", newText: "x\r\ny")], to: bytes("a\nb\n")).get()
    #expect(string(outcome.content) == "x\ny\n")
    #expect(outcome.notes == ["edit 1: matched after converting CRLF to the file's LF line endings"])
    #expect(edited("a\nb\n", [TextEdit(oldText: "a", newText: "x\ny")]) == "x\ny\nb\n")
  }

  /// In a mixed file the numbered view hides which lines end in CRLF: a stretch that differs only there says so.
  @Test func saysWhenOnlyLineEndingsDiffer() throws {
    let failure = try #require(editFailure("a\r\nb\nc\r\n", [TextEdit(oldText: "a\nb\nc", newText: "x")]))
    #expect(failure.kind == .noMatch)
    #expect(failure.message.contains("same except for line endings"), "\(failure.message)")
  }

  @Test func explicitCRLFTextIsNotConvertedAgain() {
    #expect(edited("a\r\nb\r\n", [TextEdit(oldText: "a\r\nb", newText: "c\r\nd")]) == "c\r\nd\r\n")
  }

  // MARK: Line-number prefixes

  @Test(arguments: [
    ("     1\tfunc a() {\n     2\t  return 1\n", "     1\tfunc a() {\n     2\t  return 2\n"),
    ("1→func a() {\n2→  return 1\n", "1→func a() {\n2→  return 2\n"),
    ("1: func a() {\n2:   return 1\n", "1: func a() {\n2:   return 2\n"),
    ("  1| func a() {\n  2|   return 1\n", "  1| func a() {\n  2|   return 2\n"),
  ])
  func stripsLineNumberPrefixes(old: String, new: String) throws {
    let outcome = try applyEdits([TextEdit(oldText: old, newText: new)], to: bytes("func a() {\n  return 1\n}\n")).get()
    #expect(string(outcome.content) == "func a() {\n  return 2\n}\n")
    #expect(outcome.notes == ["edit 1: stripped line-number prefixes from old_text and new_text"])
  }

  @Test func stripsOnlyOldTextWhenNewTextHasNoPrefixes() throws {
    let outcome = try applyEdits(
      [TextEdit(oldText: "12\tlet x = 1\n\n13\tlet y = 2", newText: "let x = 1\n\nlet y = 3")],
      to: bytes("let x = 1\n\nlet y = 2\n")
    ).get()
    #expect(string(outcome.content) == "let x = 1\n\nlet y = 3\n")
    #expect(outcome.notes == ["edit 1: stripped line-number prefixes from old_text"])
  }

  @Test func keepsPrefixesWhenNotEveryLineHasOne() throws {
    let failure = try #require(editFailure("a\nb\n", [TextEdit(oldText: "1\ta\nb", newText: "x")]))
    #expect(failure.kind == .noMatch)
  }

  @Test func combinesPrefixStrippingWithCRLF() throws {
    let outcome = try applyEdits(
      [TextEdit(oldText: "1→a\n2→b\n", newText: "1→x\n2→y\n")], to: bytes("a\r\nb\r\nc\r\n")
    ).get()
    #expect(string(outcome.content) == "x\r\ny\r\nc\r\n")
    #expect(outcome.notes.count == 2)
  }

  // MARK: Final newline

  @Test(arguments: [
    ("a\nb\n", "b\n", "c", "a\nc\n"),
    ("a\r\nb\r\n", "b\r\n", "c", "a\r\nc\r\n"),
    ("a\nb", "b", "c", "a\nc"),
    ("a\n", "a\n", "", ""),
    ("a\nb\n", "b\n", "B", "a\nB\n"),
  ])
  func keepsTheFinalNewline(text: String, old: String, new: String, expected: String) {
    #expect(edited(text, [TextEdit(oldText: old, newText: new)]) == expected)
  }

  /// A whole last line copied with its newline matches a file that has none there, and the file still has none.
  @Test func matchesTheLastLineOfAFileWithoutFinalNewline() throws {
    let outcome = try applyEdits([TextEdit(oldText: "last\n", newText: "LAST\n")], to: bytes("a\nlast")).get()
    #expect(string(outcome.content) == "a\nLAST")
    #expect(outcome.notes == ["edit 1: matched the file's last line, which has no final newline (none was added)"])
    #expect(edited("last\nx\nlast", [TextEdit(oldText: "x\nlast\n", newText: "y\n")]) == "last\ny")
    // Elsewhere in the file the newline still has to be there.
    let failure = try #require(editFailure("lastx\nlast", [TextEdit(oldText: "lastx\n\n", newText: "z")]))
    #expect(failure.kind == .noMatch)
    #expect(failure.message.contains("then at the end of the file without old_text's final newline"), "\(failure.message)")
  }

  /// An edit whose only effect would be dropping the final newline changes nothing, and says so.
  @Test func removingOnlyTheFinalNewlineIsRefused() throws {
    let failure = try #require(editFailure("a\nb\n", [TextEdit(oldText: "b\n", newText: "b")]))
    #expect(failure.kind == .noChange)
    #expect(failure.hint.contains("fs_write"))
  }

  // MARK: Failures with context

  /// new_text inside old_text (a deletion) proves nothing about the edit having been made.
  @Test func deletionsAreNotTakenForAlreadyApplied() throws {
    let file = "def f():\n    print(\"debug\")\n    x = 1\n    return x\n"
    let failure = try #require(editFailure(file, [TextEdit(oldText: "    print('debug')\n    x = 1\n", newText: "    x = 1\n")]))
    #expect(failure.kind == .noMatch)
    #expect(failure.nearMiss?.line == 2)
  }

  /// An edit whose text an earlier edit of the same call changed is told so, not sent to a near miss elsewhere.
  @Test func namesTheEarlierEditThatChangedTheText() throws {
    let failure = try #require(
      editFailure("a\nb\nc\n", [TextEdit(oldText: "b", newText: "B"), TextEdit(oldText: "b\nc", newText: "x")]))
    #expect(failure.kind == .noMatch && failure.editIndex == 1)
    #expect(failure.message.hasPrefix("edit 2: old_text is in the file, but edit 1 changes that text first"), "\(failure.message)")
    #expect(failure.nearMiss == nil)
  }

  @Test func multiEditFailuresReadWell() throws {
    let failure = try #require(
      editFailure("a\nb\n", [TextEdit(oldText: "a", newText: "A"), TextEdit(oldText: "zzz", newText: "Z")]))
    #expect(failure.message.hasSuffix("No edit was applied: edits are all or nothing, so edit 1 was discarded too."))
    #expect(!failure.message.contains(" No edit was applied:") || failure.message.contains(". No edit was applied:"))
  }

  @Test func reportsAlreadyAppliedEdits() throws {
    let failure = try #require(
      editFailure("let a = 0\nlet x = 2\n", [TextEdit(oldText: "let x = 1", newText: "let x = 2")]))
    #expect(failure.kind == .alreadyApplied)
    #expect(failure.alreadyAppliedLine == 2)
    #expect(failure.message.hasPrefix("edit 1 looks already applied: its new_text is already at line 2"))
    #expect(failure.hint.contains("line 2"))
  }

  @Test func reportsTheNearestMissWithACharacterDiff() throws {
    let file = "func hello() {\n  print(\"hi\")\n}\n"
    let failure = try #require(editFailure(file, [TextEdit(oldText: "  print(\"hello\")", newText: "  print(1)")]))
    #expect(failure.kind == .noMatch)
    let nearMiss = try #require(failure.nearMiss)
    #expect(nearMiss.line == 2)
    #expect(nearMiss.actualText == "  print(\"hi\")")
    #expect(nearMiss.diff == "  print(\"h{-ello-}{+i+}\")")
    #expect(nearMiss.similarity > 0.6 && nearMiss.similarity < 1)
    #expect(failure.message.contains("line 2"))
    #expect(failure.message.contains("byte for byte"))
    #expect(failure.hint.contains("around line 2"))
  }

  @Test func nearMissOfAMultiLineEditSpansItsLines() throws {
    var lines = (1...200).map { "let value\($0) = compute(\($0))" }
    lines[120] = "let value121 = compute(121, fast: true)"
    let file = lines.joined(separator: "\n") + "\n"
    let old = "let value120 = compute(120)\nlet value121 = compute(121)\nlet value122 = compute(122)\n"
    let failure = try #require(editFailure(file, [TextEdit(oldText: old, newText: "x\n")]))
    let nearMiss = try #require(failure.nearMiss)
    #expect(nearMiss.line == 120)
    #expect(nearMiss.lineCount == 3)
    #expect(nearMiss.diff.contains("{+, fast: true+}"))
    #expect(failure.message.contains("lines 120–122"))
  }

  @Test func nearMissFindsIndentationChanges() throws {
    let file = "struct S {\n\tvar a: Int\n\tvar b: Int\n}\n"
    let failure = try #require(editFailure(file, [TextEdit(oldText: "    var a: Int\n    var b: Int\n", newText: "")]))
    let nearMiss = try #require(failure.nearMiss)
    #expect(nearMiss.line == 2)
    #expect(nearMiss.diff.contains("{-    -}{+\t+}"))
  }

  @Test func saysSoWhenNothingIsSimilar() throws {
    let failure = try #require(editFailure("aaaa\nbbbb\n", [TextEdit(oldText: "zyxwvut", newText: "q")]))
    #expect(failure.kind == .noMatch)
    #expect(failure.nearMiss == nil)
    #expect(failure.message.contains("Nothing in the file resembles it"))
  }

  @Test func laterEditFailuresExplainOrdering() throws {
    let failure = try #require(
      editFailure(
        "alpha\nbeta\n", [TextEdit(oldText: "alpha", newText: "gamma"), TextEdit(oldText: "alpha\nbeta", newText: "x")])
    )
    #expect(failure.editIndex == 1)
    #expect(failure.hint.contains("as edit 1 left it"))
  }

  // MARK: Bytes

  @Test func preservesInvalidUTF8Elsewhere() throws {
    let content: [UInt8] = [0xFF, 0xFE, 0x0A] + bytes("ab\n") + [0xC3]
    let outcome = try applyEdits([TextEdit(oldText: "ab", newText: "cd")], to: content).get()
    #expect(outcome.content == [0xFF, 0xFE, 0x0A] + bytes("cd\n") + [0xC3])
  }

  @Test func reportsFailuresInFilesWithInvalidUTF8() throws {
    let content: [UInt8] = [0xFF] + bytes("\nlet a = 1\n") + [0xC3, 0x28]
    guard case .failure(let failure) = applyEdits([TextEdit(oldText: "let a = 2", newText: "x")], to: content) else {
      Issue.record("expected a failure")
      return
    }
    #expect(failure.nearMiss?.line == 2)
  }

  @Test func matchesMultibyteText() {
    #expect(edited("naïve café\n", [TextEdit(oldText: "café", newText: "bar")]) == "naïve bar\n")
  }

  @Test func editsAnEmptyFileOnlyWithFailures() throws {
    let failure = try #require(editFailure("", [TextEdit(oldText: "a", newText: "b")]))
    #expect(failure.kind == .noMatch)
  }

  @Test func handlesALargeFile() throws {
    var lines: [String] = []
    for index in 0..<100_000 { lines.append("    let value\(index) = compute(\(index))") }
    let content = bytes(lines.joined(separator: "\n") + "\n")
    let outcome = try applyEdits(
      [TextEdit(oldText: "let value77777 = compute(77777)", newText: "let value77777 = 0")], to: content
    ).get()
    #expect(outcome.content.count == content.count - "compute(77777)".utf8.count + 1)
    guard
      case .failure(let failure) = applyEdits(
        [TextEdit(oldText: "let value77777 = compute(77778)", newText: "x")], to: outcome.content)
    else {
      Issue.record("expected a failure")
      return
    }
    #expect(failure.nearMiss != nil)
  }
}

@Suite struct EditUniquenessTests {
  @Test func overlappingMatchesAreAmbiguous() throws {
    let failure = try #require(editFailure("ababa\n", [TextEdit(oldText: "aba", newText: "x")]))
    #expect(failure.kind == .ambiguousMatch)
    #expect(failure.message.contains("2 places (overlapping)"))
    #expect(failure.hint.contains("replace 1 of them"))
    #expect(edited("ababa\n", [TextEdit(oldText: "aba", newText: "x", replaceAll: true)]) == "xba\n")
  }
}

@Suite struct NearMissTests {
  @Test func narrowsAFragmentOfAVeryLongLine() throws {
    let filler = (0..<2_000).map { "v\($0)=\($0 * 7);" }.joined()
    let file = "header\n" + filler + "function target(alpha, beta){return alpha+beta}" + filler + "\n"
    let found = findNearMiss(of: bytes("function target(alpha, gamma){"), in: bytes(file))
    let nearMiss = try #require(found)
    #expect(nearMiss.line == 2)
    #expect(nearMiss.actualText.contains("function target(alpha, beta){"))
    #expect(nearMiss.actualText.utf8.count < 200)
    #expect(nearMiss.diff.contains("{-gamm-}{+bet+}a"))
    #expect(nearMiss.similarity > 0.8)
  }

  @Test func reportsNothingForAnEmptyFileOrText() {
    #expect(findNearMiss(of: bytes("x"), in: []) == nil)
    #expect(findNearMiss(of: [], in: bytes("x\n")) == nil)
  }

  @Test func comparesCRLFFilesAsLF() throws {
    let found = findNearMiss(of: bytes("alpha\nbeta gamma\n"), in: bytes("x\r\nalpha\r\nbeta gamme\r\n"))
    let nearMiss = try #require(found)
    #expect(nearMiss.line == 2)
    #expect(nearMiss.actualText == "alpha\r\nbeta gamme\r\n")
    #expect(nearMiss.diff == "alpha\nbeta gamm{-a-}{+e+}\n")
  }

  @Test(arguments: [
    ("kitten", "sitting", "{-k-}{+s+}itt{-en-}{+ing+}"),
    ("let x = foo(a)", "let y = foo(b)", "let {-x-}{+y+} = foo({-a-}{+b+})"),
    ("same", "same", "same"),
    ("", "new", "{+new+}"),
    ("old", "", "{-old-}"),
  ])
  func rendersCompactCharacterDiffs(expected: String, actual: String, diff: String) {
    #expect(CharacterComparison(expected: expected, actual: actual).compactDiff == diff)
  }

  @Test func elidesLongCommonStretches() {
    let common = String(repeating: "x", count: 100)
    let diff = CharacterComparison(expected: common + "a" + common, actual: common + "b" + common).compactDiff
    #expect(diff == "…" + String(repeating: "x", count: 20) + "{-a-}{+b+}" + String(repeating: "x", count: 20) + "…")
  }
}
