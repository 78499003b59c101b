import Testing

@testable import MishText

/// Randomised checks with reproducible seeds: every failure message names the seed to replay.
@Suite struct PropertyTests {
  static let seeds: [UInt64] = [1, 2, 3, 5, 8, 13, 21, 34]

  /// Lines chosen to trip parsers: diff and envelope syntax as content, blanks, tabs and multi-byte text.
  static let vocabulary = [
    "", " ", "a", "b", "c", "let x = 1", "-- x", "++ y", "--- a/x", "+++ b/x", "@@ -1 +1 @@", "@@",
    "\\ No newline at end of file", "*** Begin Patch", "*** End Patch", "\t", "é", "日本語", "}", "{", "-", "+",
  ]

  static func randomLines(_ count: Int, using generator: inout SplitMix64) -> [String] {
    (0..<count).map { _ in vocabulary.randomElement(using: &generator)! }
  }

  static func joined(_ lines: [String], ending: String, finalNewline: Bool) -> [UInt8] {
    guard !lines.isEmpty else { return [] }
    return bytes(lines.joined(separator: ending) + (finalNewline ? ending : ""))
  }

  /// `lines` after a few random insertions, deletions and replacements.
  static func mutated(_ lines: [String], using generator: inout SplitMix64) -> [String] {
    var result = lines
    for _ in 0..<Int.random(in: 0...4, using: &generator) {
      let operation = Int.random(in: 0..<3, using: &generator)
      if operation == 0 || result.isEmpty {
        let position = Int.random(in: 0...result.count, using: &generator)
        result.insert(
          contentsOf: randomLines(Int.random(in: 1...3, using: &generator), using: &generator), at: position)
      } else if operation == 1 {
        let start = Int.random(in: 0..<result.count, using: &generator)
        result.removeSubrange(start..<min(result.count, start + Int.random(in: 1...3, using: &generator)))
      } else {
        result[Int.random(in: 0..<result.count, using: &generator)] = vocabulary.randomElement(using: &generator)!
      }
    }
    return result
  }

  @Test(arguments: seeds)
  func editThenInverseEditRestoresTheBytes(seed: UInt64) {
    var generator = SplitMix64(seed: seed)
    var checked = 0
    for iteration in 0..<300 {
      let lines = Self.randomLines(Int.random(in: 1...30, using: &generator), using: &generator)
      let content = Self.joined(lines, ending: "\n", finalNewline: Bool.random(using: &generator))
      guard !content.isEmpty else { continue }
      let start = Int.random(in: 0..<content.count, using: &generator)
      let end = Int.random(in: (start + 1)...min(content.count, start + 40), using: &generator)
      guard let oldText = String(validating: content[start..<end], as: UTF8.self) else { continue }
      let newText = Self.randomLines(Int.random(in: 1...3, using: &generator), using: &generator).joined(
        separator: "\n")
      guard oldText != newText, !newText.isEmpty,
        occurrences(of: bytes(oldText), in: content, overlapping: true).count == 1
      else {
        continue
      }
      guard case .success(let forward) = applyEdits([TextEdit(oldText: oldText, newText: newText)], to: content) else {
        Issue.record("seed \(seed) iteration \(iteration): a unique edit failed")
        continue
      }
      // The inverse is exact only when the final newline rule did not step in and the new text is unique.
      guard forward.notes.isEmpty, (forward.content.last == 10) == (content.last == 10),
        occurrences(of: bytes(newText), in: forward.content, overlapping: true).count == 1
      else { continue }
      let backward = applyEdits([TextEdit(oldText: newText, newText: oldText)], to: forward.content)
      guard case .success(let restored) = backward else {
        Issue.record("seed \(seed) iteration \(iteration): the inverse edit failed")
        continue
      }
      let replay = "\(oldText.debugDescription) → \(newText.debugDescription) in \(string(content)!.debugDescription)"
      #expect(restored.content == content, "seed \(seed) iteration \(iteration): \(replay)")
      checked += 1
    }
    #expect(checked > 60, "seed \(seed): only \(checked) cases were checked")
  }

  @Test(arguments: seeds)
  func editsKeepACRLFFileCRLF(seed: UInt64) {
    var generator = SplitMix64(seed: seed)
    for iteration in 0..<200 {
      let lines = Self.randomLines(Int.random(in: 2...20, using: &generator), using: &generator)
      let content = Self.joined(lines, ending: "\r\n", finalNewline: true)
      let line = Int.random(in: 0..<(lines.count - 1), using: &generator)
      let oldText = lines[line] + "\n" + lines[line + 1]
      let newText = Self.randomLines(Int.random(in: 1...3, using: &generator), using: &generator).joined(
        separator: "\n")
      guard case .success(let outcome) = applyEdits([TextEdit(oldText: oldText, newText: newText)], to: content) else {
        continue
      }
      #expect(
        [EOLKind.crlf, .none].contains(detectEOL(outcome.content)), "seed \(seed) iteration \(iteration)")
    }
  }

  @Test(arguments: seeds)
  func unifiedDiffAppliedAsAPatchYieldsTheNewText(seed: UInt64) {
    var generator = SplitMix64(seed: seed)
    for iteration in 0..<150 {
      let ending = Bool.random(using: &generator) ? "\n" : "\r\n"
      let oldLines = Self.randomLines(Int.random(in: 0...25, using: &generator), using: &generator)
      let newLines = Self.mutated(oldLines, using: &generator)
      var old: [UInt8]? = Self.joined(oldLines, ending: ending, finalNewline: Bool.random(using: &generator))
      var new: [UInt8]? = Self.joined(newLines, ending: ending, finalNewline: Bool.random(using: &generator))
      switch Int.random(in: 0..<10, using: &generator) {
      case 0: old = nil
      case 1: new = nil
      default: break
      }
      let context = Int.random(in: 0...4, using: &generator)
      let diff = unifiedDiff(old: old, new: new, oldPath: "p", newPath: "p", context: context)
      let label = "seed \(seed) iteration \(iteration)\n\(diff)"
      if diff.isEmpty {
        #expect(old == new, "\(label)")
        continue
      }
      let outcome = Result { () throws(PatchError) -> [FilePatch] in try parsePatch(diff) }
        .flatMap { files -> Result<[UInt8]?, PatchError> in
          Result { () throws(PatchError) -> [UInt8]? in try apply(files[0], to: old) }
        }
      switch outcome {
      case .success(let result): #expect(result == new, "\(label)")
      case .failure(let error): Issue.record("\(label)\n\(error.message)")
      }
    }
  }

  @Test(arguments: seeds)
  func diffHunksAppliedAsEnvelopeChunksYieldTheNewText(seed: UInt64) {
    var generator = SplitMix64(seed: seed)
    for iteration in 0..<150 {
      // Distinct lines, so that finding chunks by content is unambiguous.
      let oldLines = (0..<Int.random(in: 1...30, using: &generator)).map { "line \($0)" }
      var newLines = oldLines
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        let position = Int.random(in: 0..<newLines.count, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: newLines.insert("new \(iteration) \(position)", at: position)
        case 1 where newLines.count > 1: newLines.remove(at: position)
        default: newLines[position] = "changed \(position)"
        }
      }
      let old = Self.joined(oldLines, ending: "\n", finalNewline: true)
      let new = Self.joined(newLines, ending: "\n", finalNewline: true)
      let diff = unifiedDiff(
        old: old, new: new, oldPath: "p", newPath: "p", context: Int.random(in: 1...3, using: &generator))
      guard !diff.isEmpty else { continue }
      var envelope = "*** Begin Patch\n*** Update File: p\n"
      for line in diff.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2) where !line.isEmpty {
        envelope += line.hasPrefix("@@") ? "@@\n" : line + "\n"
      }
      envelope += "*** End Patch\n"
      let label = "seed \(seed) iteration \(iteration)\n\(envelope)"
      switch patchOutcome(envelope, to: string(old)) {
      case .success(let result): #expect(result == string(new), "\(label)")
      case .failure(let error): Issue.record("\(label)\n\(error.message)")
      }
    }
  }

  /// Lines that look like patch syntax, malformed on purpose, for the crash fuzzer.
  static let patchLikeLines = [
    "*** Begin Patch", "*** End Patch", "*** Add File: x", "*** Update File: x", "*** Delete File: x",
    "*** Move to: y", "*** End of File", "*** Add File:", "@@", "@@ a", "@@ -1,2 +1,2 @@", "@@ -0,0 +1 @@",
    "@@ -99999999999999999999 +1 @@", "@@ -3,0 +0,0 @@", "@@ -1,1000000000 +1 @@", "--- a/x", "+++ b/x",
    "--- /dev/null", "+++ /dev/null", "diff --git a/x b/x", "diff --git \"a/x", "new file mode 100644",
    "deleted file mode 100644", "rename from x", "rename to y", "copy from x", "\\ No newline at end of file", " a",
    "-a", "+a", "", "a", " ", "-", "+", "\"", "--- \"a/\\", "--- \"a/\\777\"", "-- ", "\r", "```", "<<'EOF'",
  ]

  @Test(.timeLimit(.minutes(1)), arguments: seeds)
  func parsingAndApplyingArbitraryTextNeverCrashes(seed: UInt64) {
    var generator = SplitMix64(seed: seed)
    for _ in 0..<400 {
      var text: String
      if Bool.random(using: &generator) {
        text = (0..<Int.random(in: 0...20, using: &generator)).map { _ in
          Self.patchLikeLines.randomElement(using: &generator)!
        }.joined(separator: Bool.random(using: &generator) ? "\n" : "\r\n")
      } else {
        let old = Self.randomLines(Int.random(in: 0...10, using: &generator), using: &generator)
        let diff = unifiedDiff(
          old: Self.joined(old, ending: "\n", finalNewline: true),
          new: Self.joined(Self.mutated(old, using: &generator), ending: "\n", finalNewline: false), oldPath: "x",
          newPath: "x")
        let scalars = Array(diff.unicodeScalars)
        let cut = scalars.isEmpty ? 0 : Int.random(in: 0...scalars.count, using: &generator)
        text = String(String.UnicodeScalarView(scalars.prefix(cut)))
        if Bool.random(using: &generator) { text = "*** Begin Patch\n*** Update File: x\n" + text }
      }
      let contents: [[UInt8]?] = [
        nil, [], bytes("a\n"), bytes("a\r\nb\r\n x\n"), [0xFF, 0x0A, 0x2D, 0x61],
        Self.joined(Self.randomLines(8, using: &generator), ending: "\n", finalNewline: false),
      ]
      guard let files = try? parsePatch(text) else { continue }
      for file in files {
        for content in contents { _ = try? apply(file, to: content) }
      }
    }
  }

  @Test(.timeLimit(.minutes(1)), arguments: seeds)
  func editingArbitraryBytesNeverCrashes(seed: UInt64) {
    var generator = SplitMix64(seed: seed)
    let alphabet: [UInt8] = [0x61, 0x62, 0x0A, 0x0D, 0x20, 0x09, 0xFF, 0xC3, 0xA9, 0x31, 0x3A]
    for _ in 0..<400 {
      let content = (0..<Int.random(in: 0...200, using: &generator)).map { _ in
        alphabet.randomElement(using: &generator)!
      }
      let pieces = ["a", "b", "\n", "\r\n", " ", "1:", "1\t", "1→", "é", "ab\nb", "\n\n"]
      func text() -> String {
        (0..<Int.random(in: 0...5, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
      }
      let edits = (0..<Int.random(in: 1...3, using: &generator)).map { _ in
        TextEdit(oldText: text(), newText: text(), replaceAll: Bool.random(using: &generator))
      }
      switch applyEdits(edits, to: content) {
      case .success(let outcome):
        #expect(outcome.replacementsPerEdit.count == edits.count, "seed \(seed)")
      case .failure(let failure):
        #expect(!failure.message.isEmpty && !failure.hint.isEmpty, "seed \(seed)")
        #expect(failure.editIndex < edits.count, "seed \(seed)")
      }
      _ = findNearMiss(of: Array(text().utf8), in: content)
    }
  }
}
