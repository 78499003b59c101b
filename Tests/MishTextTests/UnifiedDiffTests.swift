import Testing

@testable import MishText

@Suite struct UnifiedDiffTests {
  func diff(_ old: String?, _ new: String?, context: Int = 3) -> String {
    unifiedDiff(old: old.map(bytes), new: new.map(bytes), oldPath: "f", newPath: "f", context: context)
  }

  @Test func identicalContentHasNoDiff() {
    #expect(unifiedDiff(old: bytes("a\n"), new: bytes("a\n"), oldPath: "f", newPath: "f") == "")
    #expect(unifiedDiff(old: [], new: [], oldPath: "f", newPath: "f") == "")
  }

  @Test(arguments: [
    (
      "a\nb\nc\n", "a\nB\nc\n", 3,
      "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
    ),
    (
      "a\nb\nc\n", "a\nB\nc\n", 0,
      "--- a/f\n+++ b/f\n@@ -2 +2 @@\n-b\n+B\n"
    ),
    (
      "a\nb\n", "a\nx\nb\n", 0,
      "--- a/f\n+++ b/f\n@@ -1,0 +2 @@\n+x\n"
    ),
    (
      "a\nb\n", "b\n", 0,
      "--- a/f\n+++ b/f\n@@ -1 +0,0 @@\n-a\n"
    ),
    (
      "a\nb", "a\nc", 3,
      "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    ),
    (
      "a\nb", "a\nb\n", 3,
      "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"
    ),
    (
      "", "x\n", 3,
      "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+x\n"
    ),
  ])
  func printsHunks(old: String, new: String, context: Int, expected: String) {
    #expect(diff(old, new, context: context) == expected)
  }

  @Test func addsAndDeletesWithDevNull() {
    #expect(diff(nil, "x\ny\n") == "--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n")
    #expect(diff("x\ny\n", nil) == "--- a/f\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n")
    #expect(diff(nil, "") == "--- /dev/null\n+++ b/f\n")
    #expect(diff(nil, nil) == "")
  }

  @Test func separatesDistantChangesIntoHunks() {
    let old = (1...20).map { "\($0)\n" }.joined()
    var newLines = (1...20).map { "\($0)\n" }
    newLines[1] = "two\n"
    newLines[17] = "eighteen\n"
    let text = diff(old, newLines.joined())
    let headers = text.split(separator: "\n").filter { $0.hasPrefix("@@") }
    #expect(headers == ["@@ -1,5 +1,5 @@", "@@ -15,6 +15,6 @@"])
  }

  @Test func mergesChangesWithinTwiceTheContext() {
    let old = (1...12).map { "\($0)\n" }.joined()
    var newLines = (1...12).map { "\($0)\n" }
    newLines[2] = "three\n"
    newLines[8] = "nine\n"
    let headers = diff(old, newLines.joined()).split(separator: "\n").filter { $0.hasPrefix("@@") }
    #expect(headers == ["@@ -1,12 +1,12 @@"])
  }

  @Test func usesBothPathsAndBytesVerbatim() {
    let text = unifiedDiff(old: bytes("x\r\n"), new: bytes("y\r\n"), oldPath: "old name", newPath: "new name")
    #expect(text == "--- a/old name\n+++ b/new name\n@@ -1 +1 @@\n-x\r\n+y\r\n")
    let raw = unifiedDiffBytes(old: [0xFF, 0x0A], new: [0xFE, 0x0A], oldPath: "b", newPath: "b")
    #expect(raw.suffix(6) == [0x2D, 0xFF, 0x0A, 0x2B, 0xFE, 0x0A])
  }

  @Test func numbersHunksDeepInALargeFile() {
    let lines = (1...100_000).map { "line \($0)\n" }
    var changed = lines
    changed[76_543] = "changed\n"
    let text = diff(lines.joined(), changed.joined())
    #expect(
      text == "--- a/f\n+++ b/f\n@@ -76541,7 +76541,7 @@\n line 76541\n line 76542\n line 76543\n-line 76544\n"
        + "+changed\n line 76545\n line 76546\n line 76547\n")
  }

  @Test func findsAShortestScriptForSmallInputs() {
    // Classic example from Myers' paper: ABCABBA → CBABAC has an edit distance of 5.
    let a = "ABCABBA".map { "\($0)\n" }.joined()
    let b = "CBABAC".map { "\($0)\n" }.joined()
    let text = diff(a, b)
    let changes = text.split(separator: "\n").dropFirst(3).filter { $0.hasPrefix("+") || $0.hasPrefix("-") }
    #expect(changes.count == 5)
  }

  @Test func sequenceDiffKeepsALongestCommonSubsequence() {
    var generator = SplitMix64(seed: 42)
    for _ in 0..<300 {
      let a = (0..<Int.random(in: 0..<30, using: &generator)).map { _ in Int.random(in: 0..<4, using: &generator) }
      let b = (0..<Int.random(in: 0..<30, using: &generator)).map { _ in Int.random(in: 0..<4, using: &generator) }
      let diff = SequenceDiff(a, b)
      let keptA = a.indices.filter { !diff.deleted[$0] }.map { a[$0] }
      let keptB = b.indices.filter { !diff.inserted[$0] }.map { b[$0] }
      #expect(keptA == keptB, "a=\(a) b=\(b)")
      #expect(keptA.count == longestCommonSubsequenceLength(a, b), "a=\(a) b=\(b)")
    }
  }

  @Test func sequenceDiffStaysValidPastTheCostLimit() {
    var generator = SplitMix64(seed: 9)
    let a = (0..<3_000).map { _ in Int.random(in: 0..<50, using: &generator) }
    let b = (0..<3_000).map { _ in Int.random(in: 0..<50, using: &generator) }
    let diff = SequenceDiff(a, b)
    let keptA = a.indices.filter { !diff.deleted[$0] }.map { a[$0] }
    let keptB = b.indices.filter { !diff.inserted[$0] }.map { b[$0] }
    #expect(keptA == keptB)
  }
}

/// The textbook dynamic-programming LCS length, as an oracle for small inputs.
func longestCommonSubsequenceLength(_ a: [Int], _ b: [Int]) -> Int {
  guard !a.isEmpty, !b.isEmpty else { return 0 }
  var previous = [Int](repeating: 0, count: b.count + 1)
  for x in a {
    var current = [Int](repeating: 0, count: b.count + 1)
    for (j, y) in b.enumerated() {
      current[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], current[j])
    }
    previous = current
  }
  return previous[b.count]
}
