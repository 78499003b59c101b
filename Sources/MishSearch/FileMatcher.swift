import Foundation
import Glibc

/// Finds matching lines in one file's bytes. One per worker thread: it owns the folding buffer and its own
/// NSRegularExpression, so nothing is shared between threads while searching.
final class FileMatcher {
  struct Hit {
    let lineStart: Int
    /// End of the line's text, before `\r\n` or `\n`.
    let contentEnd: Int
    let lineNumber: Int
    /// Byte offsets of the first match within the buffer.
    let matchStart: Int
    let matchLength: Int
  }

  private let finders: [LiteralFinder]
  private let folded: Bool
  private let regex: NSRegularExpression?
  /// For regexes without a selective literal: candidate lines come from this automaton.
  private let automaton: LazyDFA?
  private let foldBuffer = ReadBuffer()

  /// Literals at least this long are a better prefilter than the automaton (memchr speed, few candidates).
  static let selectiveLiteralLength = 3

  init(_ compiled: CompiledGrep) {
    switch compiled.method {
    case .literal(let needle):
      finders = [LiteralFinder(needle)]
      folded = false
      regex = nil
      automaton = nil
    case .foldedLiteral(let needle):
      finders = [LiteralFinder(needle)]
      folded = true
      regex = nil
      automaton = nil
    case .regex(let pattern, let caseInsensitive, let plan):
      let literals = plan.requirement?.literals ?? []
      let selective = !literals.isEmpty && literals.allSatisfy { $0.count >= FileMatcher.selectiveLiteralLength }
      let dfa = plan.automaton.map { LazyDFA($0) }
      if !selective, let dfa, !dfa.acceptsEverything {
        finders = []
        folded = false
        automaton = dfa
      } else {
        finders = literals.map(LiteralFinder.init)
        folded = plan.requirement?.caseFolded ?? false
        automaton = nil
      }
      // Validated when the query was compiled.
      regex = try? CompiledGrep.makeRegex(pattern, caseInsensitive: caseInsensitive)
    }
  }

  /// Calls `emit` for each matching line at or after `startOffset` (a line start numbered `startLine`), in order,
  /// until `emit` returns false.
  func search(
    _ base: UnsafePointer<UInt8>, count: Int, startOffset: Int, startLine: Int, emit: (Hit) -> Bool
  ) {
    guard startOffset < count else { return }
    var text = base
    if folded {
      foldBuffer.reserve(count + 1)
      let destination = foldBuffer.pointer.assumingMemoryBound(to: UInt8.self)
      Lines.foldASCII(base, into: destination, from: startOffset, to: count)
      text = UnsafePointer(destination)
    }
    var countedOffset = startOffset
    var countedLine = startLine
    func lineNumber(at lineStart: Int) -> Int {
      countedLine += Lines.countNewlines(base, from: countedOffset, to: lineStart)
      countedOffset = lineStart
      return countedLine
    }

    guard let regex else {
      // Literal search: the finder's hit is the match.
      guard let finder = finders.first else { return }
      var scan = LiteralFinder.Scan(start: startOffset)
      var position = startOffset
      while let hit = finder.find(text, from: position, to: count, scan: &scan) {
        let lineStart = Lines.lineStart(base, containing: hit, floor: startOffset)
        let lineEnd = Lines.lineEnd(base, from: hit + finder.needle.count, end: count)
        let contentEnd = lineEnd > lineStart && base[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
        let number = lineNumber(at: lineStart)
        let keepGoing = emit(
          Hit(
            lineStart: lineStart, contentEnd: contentEnd, lineNumber: number, matchStart: hit,
            matchLength: finder.needle.count))
        if !keepGoing || lineEnd >= count { return }
        position = lineEnd + 1
      }
      return
    }

    if let automaton {
      // Candidate lines are those the automaton accepts; ICU confirms and finds the column.
      var position = startOffset
      while position < count, let accepted = automaton.firstAccept(base, from: position, to: count) {
        let lineStart = Lines.lineStart(base, containing: accepted, floor: position)
        let lineEnd = Lines.lineEnd(base, from: accepted, end: count)
        let contentEnd = lineEnd > lineStart && base[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
        if let (offset, length) = firstMatch(regex, base + lineStart, count: contentEnd - lineStart) {
          let number = lineNumber(at: lineStart)
          let hit = Hit(
            lineStart: lineStart, contentEnd: contentEnd, lineNumber: number, matchStart: lineStart + offset,
            matchLength: length)
          if !emit(hit) { return }
        }
        position = lineEnd + 1
      }
      return
    }

    // Regex search: candidate lines hold a required literal (every line when none is known); ICU confirms.
    var scans = finders.map { _ in LiteralFinder.Scan(start: startOffset) }
    var nextHits: [Int?] = finders.indices.map {
      finders[$0].find(text, from: startOffset, to: count, scan: &scans[$0])
    }
    var position = startOffset
    while position < count {
      var candidateLineStart = position
      if !finders.isEmpty {
        guard let earliest = nextHits.compactMap({ $0 }).min() else { return }
        candidateLineStart = Lines.lineStart(base, containing: earliest, floor: position)
      }
      let lineEnd = Lines.lineEnd(base, from: candidateLineStart, end: count)
      let contentEnd = lineEnd > candidateLineStart && base[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
      if let (offset, length) = firstMatch(regex, base + candidateLineStart, count: contentEnd - candidateLineStart) {
        let number = lineNumber(at: candidateLineStart)
        let keepGoing = emit(
          Hit(
            lineStart: candidateLineStart, contentEnd: contentEnd, lineNumber: number,
            matchStart: candidateLineStart + offset, matchLength: length))
        if !keepGoing { return }
      }
      if lineEnd >= count { return }
      position = lineEnd + 1
      for index in finders.indices {
        if let hit = nextHits[index], hit < position {
          nextHits[index] = finders[index].find(text, from: position, to: count, scan: &scans[index])
        }
      }
    }
  }

  /// The first match of `regex` in one line, as a byte offset and byte length.
  private func firstMatch(_ regex: NSRegularExpression, _ start: UnsafePointer<UInt8>, count: Int) -> (Int, Int)? {
    let line = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    let utf16 = line.utf16
    guard let match = regex.firstMatch(in: line, options: [], range: NSRange(location: 0, length: utf16.count)) else {
      return nil
    }
    let range = match.range
    guard range.location != NSNotFound else { return nil }
    let lower = utf16.index(utf16.startIndex, offsetBy: range.location)
    let upper = utf16.index(lower, offsetBy: range.length)
    // Offsets into the decoded line; invalid UTF-8 (decoded as U+FFFD) can shift them, so keep them in the raw line.
    let offset = min(line.utf8.distance(from: line.utf8.startIndex, to: lower), count)
    let length = min(line.utf8.distance(from: lower, to: upper), count - offset)
    return (offset, length)
  }
}

/// Turns hits into reported lines: cut long lines around the match and gather context.
struct MatchFormatter {
  let maxLineLength: Int
  let contextLines: Int

  func match(path: String, hit: FileMatcher.Hit, base: UnsafePointer<UInt8>, count: Int) -> GrepMatch {
    let text = cut(base, from: hit.lineStart, to: hit.contentEnd, around: hit.matchStart, length: hit.matchLength)
    var before: [String] = []
    var after: [String] = []
    if contextLines > 0 {
      var start = hit.lineStart
      while before.count < contextLines && start > 0 {
        let end = start - 1
        let lineStart = Lines.lineStart(base, containing: end, floor: 0)
        before.append(contextLine(base, from: lineStart, to: end))
        start = lineStart
      }
      before.reverse()
      var next = Lines.lineEnd(base, from: hit.contentEnd, end: count) + 1
      while after.count < contextLines && next < count {
        let end = Lines.lineEnd(base, from: next, end: count)
        after.append(contextLine(base, from: next, to: end))
        next = end + 1
      }
    }
    return GrepMatch(
      path: path, line: hit.lineNumber, column: hit.matchStart - hit.lineStart + 1, text: text, before: before,
      after: after)
  }

  private func contextLine(_ base: UnsafePointer<UInt8>, from start: Int, to rawEnd: Int) -> String {
    let end = rawEnd > start && base[rawEnd - 1] == 0x0D ? rawEnd - 1 : rawEnd
    return cut(base, from: start, to: end, around: start, length: 0)
  }

  /// The line `[start, end)`, or a window of `maxLineLength` bytes around the match with `…` where it was cut.
  private func cut(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, around matchStart: Int, length: Int)
    -> String
  {
    guard end - start > maxLineLength else { return decode(base, start, end) }
    // Keep some text before the match, and as much of the match as fits.
    let lead = min(maxLineLength / 5, max(0, maxLineLength - length))
    var windowStart = max(start, min(matchStart - lead, end - maxLineLength))
    var windowEnd = min(end, windowStart + maxLineLength)
    while windowStart > start && base[windowStart] & 0xC0 == 0x80 { windowStart -= 1 }
    while windowEnd < end && windowEnd > windowStart && base[windowEnd] & 0xC0 == 0x80 { windowEnd -= 1 }
    var text = windowStart > start ? "…" : ""
    text += decode(base, windowStart, windowEnd)
    if windowEnd < end { text += "…" }
    return text
  }

  private func decode(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> String {
    String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
  }
}
