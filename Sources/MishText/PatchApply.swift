// Applying a parsed file patch to file content.

/// Applies `patch` to `content` and returns the new content: `content` is nil when the file does not exist (an add),
/// and the result is nil when the file is deleted.
///
/// Envelope chunks are searched in order, each after the previous one, trying exact lines, then lines ignoring trailing
/// whitespace, then trimmed lines, then lines with typographic punctuation read as ASCII; an `@@ anchor` is found
/// first and the chunk searched after it. Unified hunks go at their line numbers, or at the nearest offset where their
/// lines match (exactly, then ignoring trailing whitespace). Context lines keep the file's own text, new lines get the
/// file's line ending (CRLF files stay CRLF), and the file keeps or loses its final newline only as the patch says.
public func apply(_ patch: FilePatch, to content: [UInt8]?) throws(PatchError) -> [UInt8]? {
  var notes: [String] = []
  return try apply(patch, to: content, notes: &notes)
}

/// `apply`, adding to `notes` what an agent should know about how the hunks were placed: a match found only with a
/// tolerance, a context-searched chunk whose lines also occur further on, a numbered hunk found away from its line.
public func apply(_ patch: FilePatch, to content: [UInt8]?, notes: inout [String]) throws(PatchError) -> [UInt8]? {
  switch patch.action {
  case .add:
    if content != nil {
      throw PatchError(
        code: PatchError.fileExists,
        message: "\(patch.path): the patch adds this file (patch line \(patch.patchLine)), but it already exists.",
        hint: "Update the file with an '@@' chunk instead, or delete it first.", path: patch.path,
        patchLine: patch.patchLine)
    }
    var applier = HunkApplier(patch: patch, content: [])
    defer { notes += applier.notes }
    return try applier.run()
  case .delete:
    guard let content else { throw missingFile(patch) }
    if patch.hunks.contains(where: { !$0.oldLines.isEmpty }) {
      var applier = HunkApplier(patch: patch, content: content)
      defer { notes += applier.notes }
      let remaining = try applier.run()
      guard remaining.isEmpty else {
        throw PatchError(
          code: PatchError.noMatch,
          message: "\(patch.path): the patch deletes this file (patch line \(patch.patchLine)), but the file has "
            + "lines the patch does not remove.",
          hint: "Re-read the file; if it should go anyway, delete it without listing its lines.", path: patch.path,
          patchLine: patch.patchLine)
      }
    }
    return nil
  case .update, .move:
    guard let content else { throw missingFile(patch) }
    var applier = HunkApplier(patch: patch, content: content)
    defer { notes += applier.notes }
    return try applier.run()
  }
}

private func missingFile(_ patch: FilePatch) -> PatchError {
  let verb = patch.action == .delete ? "deletes" : patch.action == .move ? "moves" : "updates"
  return PatchError(
    code: PatchError.fileMissing,
    message: "\(patch.path): the patch \(verb) this file (patch line \(patch.patchLine)), but it does not exist.",
    hint: "Check the path; to create the file, add it ('*** Add File:' or '--- /dev/null').", path: patch.path,
    patchLine: patch.patchLine)
}

/// How loosely a patch line was matched against a file line; tried in this order.
private enum Tolerance: Int, CaseIterable {
  case exact, trailingWhitespace, surroundingWhitespace, punctuation

  /// How a note says it: "matched at line 4 …".
  var phrase: String {
    switch self {
    case .exact: return "exactly"
    case .trailingWhitespace: return "only when trailing whitespace is ignored"
    case .surroundingWhitespace: return "only when leading and trailing whitespace is ignored"
    case .punctuation: return "only when typographic quotes and dashes are read as ASCII"
    }
  }
}

/// Where one hunk goes: `oldLength` file lines from `position` are replaced by the hunk's lines.
private struct Placement {
  var position: Int
  var oldLength: Int
  var lines: [PatchLine]
}

/// Places every hunk of one file patch and writes the result.
private struct HunkApplier {
  let patch: FilePatch
  let content: [UInt8]
  let lineStarts: [Int]
  let eol: EOLKind
  var normalizedLines: [Int: [UInt8]] = [:]
  /// The tolerance of the last successful `seek` or `seekOutward`.
  var lastTolerance = Tolerance.exact
  var notes: [String] = []

  init(patch: FilePatch, content: [UInt8]) {
    self.patch = patch
    self.content = content
    lineStarts = LineIndex(content).lineStarts
    eol = detectEOL(content)
  }

  var lineCount: Int { lineStarts.count }

  /// The end of 0-based line `index`, including its terminator.
  func lineEnd(_ index: Int) -> Int { index + 1 < lineStarts.count ? lineStarts[index + 1] : content.count }

  /// The text of 0-based line `index` without its terminator.
  func text(_ index: Int) -> ArraySlice<UInt8> {
    var end = lineEnd(index)
    let start = lineStarts[index]
    if end > start && content[end - 1] == newlineByte {
      end -= 1
      if end > start && content[end - 1] == carriageReturnByte { end -= 1 }
    }
    return content[start..<end]
  }

  // MARK: Matching

  mutating func lineMatches(_ index: Int, _ pattern: PatternLine, _ tolerance: Tolerance) -> Bool {
    let line = text(index)
    switch tolerance {
    case .exact: return line.elementsEqual(pattern.bytes)
    case .trailingWhitespace: return trimmedTrailingWhitespace(line).elementsEqual(pattern.trailingTrimmed)
    case .surroundingWhitespace: return trimmedWhitespace(line).elementsEqual(pattern.trimmed)
    case .punctuation:
      if let cached = normalizedLines[index] { return cached == pattern.normalized }
      let normalized = normalizedPunctuation(line)
      normalizedLines[index] = normalized
      return normalized == pattern.normalized
    }
  }

  mutating func matches(_ pattern: [PatternLine], at position: Int, _ tolerance: Tolerance) -> Bool {
    for offset in pattern.indices where !lineMatches(position + offset, pattern[offset], tolerance) { return false }
    return true
  }

  /// The first position at or after `start` where `pattern` matches, trying each tolerance over the whole range
  /// before the next; with `atEnd`, the position that ends the file is tried first.
  mutating func seek(
    _ pattern: [PatternLine], from start: Int, atEnd: Bool = false, tolerances: [Tolerance] = Tolerance.allCases
  ) -> Int? {
    guard pattern.count <= lineCount - start else { return nil }
    let last = lineCount - pattern.count
    for tolerance in tolerances {
      lastTolerance = tolerance
      if atEnd && matches(pattern, at: last, tolerance) { return last }
      for position in start...last where matches(pattern, at: position, tolerance) { return position }
    }
    return nil
  }

  /// The position nearest to `expected` (searching outward, not before `start`) where `pattern` matches.
  mutating func seekOutward(_ pattern: [PatternLine], expected: Int, from start: Int) -> Int? {
    guard pattern.count <= lineCount - start else { return nil }
    let last = lineCount - pattern.count
    let center = min(max(expected, start), last)
    for tolerance in [Tolerance.exact, .trailingWhitespace] {
      lastTolerance = tolerance
      for distance in 0...max(center - start, last - center) {
        if center + distance <= last && matches(pattern, at: center + distance, tolerance) { return center + distance }
        if distance > 0 && center - distance >= start && matches(pattern, at: center - distance, tolerance) {
          return center - distance
        }
      }
    }
    return nil
  }

  // MARK: Placing hunks

  mutating func run() throws(PatchError) -> [UInt8] {
    var placements: [Placement] = []
    var cursor = 0
    var offsetCarry = 0
    for (number, hunk) in patch.hunks.enumerated() {
      let placement: Placement
      if patch.format == .unified, let oldStart = hunk.oldStart {
        placement = try placeNumbered(hunk, number: number, oldStart: oldStart, cursor: cursor, carry: offsetCarry)
        offsetCarry = placement.position - (hunk.oldLines.isEmpty ? oldStart : max(oldStart - 1, 0))
      } else {
        placement = try placeByContent(hunk, number: number, cursor: cursor)
      }
      placements.append(placement)
      cursor = placement.position + placement.oldLength
    }
    return write(placements)
  }

  private mutating func placeNumbered(
    _ hunk: PatchHunk, number: Int, oldStart: Int, cursor: Int, carry: Int
  ) throws(PatchError) -> Placement {
    let old = hunk.oldLines.map(PatternLine.init)
    if old.isEmpty {
      return Placement(position: min(max(oldStart + carry, cursor), lineCount), oldLength: 0, lines: hunk.lines)
    }
    guard let position = seekOutward(old, expected: max(oldStart - 1, 0) + carry, from: cursor) else {
      throw noMatch(hunk, number: number, old: old, cursor: cursor)
    }
    if lastTolerance != .exact {
      notes.append("\(patch.path): hunk \(number + 1) matched at line \(position + 1) \(lastTolerance.phrase)")
    }
    if position != max(oldStart - 1, 0) + carry {
      notes.append("\(patch.path): hunk \(number + 1) applied at line \(position + 1), not at line \(oldStart) as its header says")
    }
    return Placement(position: position, oldLength: old.count, lines: hunk.lines)
  }

  private mutating func placeByContent(_ hunk: PatchHunk, number: Int, cursor: Int) throws(PatchError) -> Placement {
    var start = cursor
    for anchor in hunk.anchors {
      let pattern = [PatternLine(bytes: Array(anchor.utf8))]
      guard let found = seek(pattern, from: start) else {
        throw anchorMissing(anchor, hunk: hunk, number: number, cursor: start)
      }
      start = found + 1
    }
    var lines = hunk.lines
    var old = lines.filter { $0.kind != .add }.map(PatternLine.init)
    if old.isEmpty {
      return Placement(position: hunk.anchors.isEmpty ? lineCount : start, oldLength: 0, lines: lines)
    }
    let tolerances: [Tolerance] = patch.format == .envelope ? Tolerance.allCases : [.exact, .trailingWhitespace]
    if let found = seek(old, from: start, atEnd: hunk.isEndOfFile, tolerances: tolerances) {
      noteContentPlacement(old, hunk: hunk, number: number, at: found)
      return Placement(position: found, oldLength: old.count, lines: lines)
    }
    // A trailing empty context line often stands for the file's final newline; retry without it.
    if lines.last?.kind == .context && lines.last?.bytes.isEmpty == true {
      while let tail = lines.last, tail.kind == .context, tail.bytes.isEmpty { lines.removeLast() }
      old = lines.filter { $0.kind != .add }.map(PatternLine.init)
      if old.isEmpty {
        return Placement(position: hunk.anchors.isEmpty ? lineCount : start, oldLength: 0, lines: lines)
      }
      if let found = seek(old, from: start, atEnd: hunk.isEndOfFile, tolerances: tolerances) {
        noteContentPlacement(old, hunk: hunk, number: number, at: found)
        return Placement(position: found, oldLength: old.count, lines: lines)
      }
    }
    throw noMatch(hunk, number: number, old: hunk.oldLines.map(PatternLine.init), cursor: start)
  }

  /// A chunk placed by its content takes the first match after the previous chunk: say so when it matched only with
  /// a tolerance, or when, with no '@@' line to place it, its lines occur again further on (it may have landed in
  /// the wrong place).
  private mutating func noteContentPlacement(_ old: [PatternLine], hunk: PatchHunk, number: Int, at found: Int) {
    let tolerance = lastTolerance
    let noun = hunkNoun
    if tolerance != .exact {
      notes.append("\(patch.path): \(noun) \(number + 1) matched at line \(found + 1) \(tolerance.phrase)")
    }
    if hunk.anchors.isEmpty, let again = seek(old, from: found + 1, tolerances: [tolerance]) {
      notes.append(
        "\(patch.path): \(noun) \(number + 1) was applied at line \(found + 1), the first match after the previous \(noun); "
          + "its lines also occur at line \(again + 1). If that was the place meant, add an '@@' line naming it or more context.")
    }
    lastTolerance = tolerance
  }

  // MARK: Errors

  private var hunkNoun: String { patch.format == .envelope ? "chunk" : "hunk" }

  private mutating func noMatch(_ hunk: PatchHunk, number: Int, old: [PatternLine], cursor: Int) -> PatchError {
    let noun = hunkNoun
    var message = "\(patch.path): \(noun) \(number + 1) of \(patch.hunks.count) (patch line \(hunk.patchLine)) "
    message += "does not match the file: its \(old.count) expected line\(old.count == 1 ? "" : "s") (context and '-') "
    message += "were not found"
    if cursor > 0 { message += " after line \(cursor)" }
    if let oldStart = hunk.oldStart, patch.format == .unified { message += " (the header says line \(oldStart))" }
    message += ". Expected:\n" + quoted(old.map(\.bytes))

    let new = hunk.newLines.map(PatternLine.init)
    if !new.isEmpty, new.map(\.bytes) != old.map(\.bytes),
      let applied = seek(new, from: 0, tolerances: [.exact, .trailingWhitespace])
    {
      message += "\nThe \(noun) looks already applied: its new lines are at line \(applied + 1)."
      return PatchError(
        code: PatchError.noMatch, message: message,
        hint: "Re-read \(patch.path) around line \(applied + 1); if the change is there, drop this \(noun).",
        path: patch.path, patchLine: hunk.patchLine)
    }
    if cursor > 0, !old.isEmpty, let earlier = seek(old, from: 0, tolerances: [.exact, .trailingWhitespace]), earlier < cursor {
      message += "\nThey are at line \(earlier + 1), before the end of the previous \(noun): \(noun)s apply in file order."
      return PatchError(
        code: PatchError.noMatch, message: message,
        hint: "Order the \(noun)s by their place in \(patch.path), top to bottom.", path: patch.path, patchLine: hunk.patchLine)
    }
    var expected: [UInt8] = []
    for line in old {
      expected += line.bytes
      expected.append(newlineByte)
    }
    let nearMiss = findNearMiss(of: expected, in: content)
    if let nearMiss {
      message += "\nThe most similar text is at line \(nearMiss.line) (\(nearMiss.percent)% similar)"
      message += nearMiss.diff.count <= 400 ? "; as {-expected-}{+file+}: \(nearMiss.diff)" : "."
    }
    var hint =
      nearMiss.map {
        "Re-read \(patch.path) around line \($0.line) and copy the \(noun)'s context and '-' lines from it exactly."
      } ?? "Re-read \(patch.path) and copy the \(noun)'s context and '-' lines from it exactly."
    if patch.format == .envelope { hint += " Chunks are searched in order, each after the previous one." }
    return PatchError(
      code: PatchError.noMatch, message: message, hint: hint,
      path: patch.path, patchLine: hunk.patchLine, nearMiss: nearMiss)
  }

  private func anchorMissing(_ anchor: String, hunk: PatchHunk, number: Int, cursor: Int) -> PatchError {
    var message = "\(patch.path): the '@@ \(clipped(anchor))' line of \(hunkNoun) \(number + 1) (patch line "
    message += "\(hunk.patchLine)) was not found"
    if cursor > 0 { message += " after line \(cursor)" }
    message += "."
    let nearMiss = findNearMiss(of: Array(anchor.utf8), in: content)
    if let nearMiss {
      message += " The most similar line is \(nearMiss.line): '\(clipped(nearMiss.actualText))'."
    }
    return PatchError(
      code: PatchError.noMatch, message: message,
      hint: "Make the '@@' line copy a line of the file exactly (a function or type declaration works well), or use a "
        + "bare '@@'.",
      path: patch.path, patchLine: hunk.patchLine, nearMiss: nearMiss)
  }

  private func quoted(_ lines: [[UInt8]]) -> String {
    var shown = lines.prefix(5).map { "  " + clipped(String(decoding: $0, as: UTF8.self)) }
    if lines.count > 5 { shown.append("  … (\(lines.count - 5) more)") }
    return shown.joined(separator: "\n")
  }

  // MARK: Writing

  /// The line ending for a new line written near 0-based line `position`.
  private func newLineEnding(for line: PatchLine, near position: Int) -> [UInt8] {
    if line.endsWithCRLF { return [carriageReturnByte, newlineByte] }
    if eol == .mixed && lineCount > 0 {
      let neighbour = min(position, lineCount - 1)
      let end = lineEnd(neighbour)
      if end - lineStarts[neighbour] >= 2 && content[end - 1] == newlineByte && content[end - 2] == carriageReturnByte {
        return [carriageReturnByte, newlineByte]
      }
      return [newlineByte]
    }
    return eol.lineEnding
  }

  private func write(_ placements: [Placement]) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(content.count + placements.reduce(0) { $0 + $1.lines.count * 40 })
    let defaultEnding = eol.lineEnding
    var endsWithLineEnding = true
    var keepsFinalNewline = content.isEmpty || content.last == newlineByte

    func appendOriginal(_ lines: Range<Int>) {
      guard !lines.isEmpty else { return }
      if !output.isEmpty && !endsWithLineEnding { output += defaultEnding }
      let end = lineEnd(lines.upperBound - 1)
      output += content[lineStarts[lines.lowerBound]..<end]
      endsWithLineEnding = content[end - 1] == newlineByte
    }
    func appendNew(_ bytes: [UInt8], _ ending: [UInt8]) {
      if !output.isEmpty && !endsWithLineEnding { output += defaultEnding }
      output += bytes
      output += ending
      endsWithLineEnding = true
    }

    var copied = 0
    for placement in placements {
      appendOriginal(copied..<placement.position)
      var fileLine = placement.position
      for line in placement.lines {
        switch line.kind {
        case .context:
          appendOriginal(fileLine..<(fileLine + 1))
          fileLine += 1
        case .remove:
          fileLine += 1
        case .add:
          appendNew(line.bytes, newLineEnding(for: line, near: placement.position))
        }
      }
      copied = fileLine
      if placement.position + placement.oldLength == lineCount && patch.format == .unified {
        if placement.lines.last(where: { $0.kind != .remove })?.noNewlineAtEnd == true {
          keepsFinalNewline = false
        } else if placement.lines.last(where: { $0.kind != .add })?.noNewlineAtEnd == true {
          keepsFinalNewline = true
        }
      }
    }
    appendOriginal(copied..<lineCount)

    if !output.isEmpty {
      if keepsFinalNewline && !endsWithLineEnding {
        output += defaultEnding
      } else if !keepsFinalNewline && endsWithLineEnding {
        output.removeLast()
        if output.last == carriageReturnByte { output.removeLast() }
      }
    }
    return output
  }
}

/// A patch line prepared for each tolerance.
private struct PatternLine {
  let bytes: [UInt8]
  let trailingTrimmed: ArraySlice<UInt8>
  let trimmed: ArraySlice<UInt8>
  let normalized: [UInt8]

  init(bytes: [UInt8]) {
    self.bytes = bytes
    trailingTrimmed = trimmedTrailingWhitespace(bytes[...])
    trimmed = trimmedWhitespace(bytes[...])
    normalized = normalizedPunctuation(bytes[...])
  }

  init(_ line: PatchLine) {
    self.init(bytes: line.bytes)
  }
}
