// Finding the place in a file that most resembles text that failed to match.

/// The region of a file most similar to text that did not match, so a failed edit can show what is really there.
public struct NearMiss: Sendable, Equatable {
  /// The 1-based line where the region starts.
  public var line: Int
  /// How many lines the region spans.
  public var lineCount: Int
  /// `2 × common / (expected + actual)` in Unicode scalars after CRLF is read as LF: 1 is identical, 0 is unrelated.
  public var similarity: Double
  /// The file's text in the region, decoded as UTF-8 (invalid bytes shown as U+FFFD), clipped when very long; for
  /// a one-line fragment of a much longer line (minified code), the part of the line around the most similar stretch.
  public var actualText: String
  /// A character diff from the expected to the actual text: `{-only expected-}{+only in the file+}`, with long
  /// common stretches elided by "…".
  public var diff: String

  /// The similarity as a whole percentage for messages: rounded as the result field is, but 100 only for a region
  /// that differs in line endings alone.
  public var percent: Int { similarity >= 1 ? 100 : min(99, Int((similarity * 100).rounded())) }

  public init(line: Int, lineCount: Int, similarity: Double, actualText: String, diff: String) {
    self.line = line
    self.lineCount = lineCount
    self.similarity = similarity
    self.actualText = actualText
    self.diff = diff
  }
}

/// Finds the region of `content` (as many lines as `expected` has) that is most similar to `expected`, or nil when
/// nothing is at least 30% similar.
///
/// The search is bounded so that a failed edit on a 10 MB file stays fast: candidate regions come from lines equal to
/// an expected line once whitespace is trimmed and from a bigram-overlap score of the most distinctive expected lines;
/// only the best few candidates get the full character comparison.
public func findNearMiss(of expected: [UInt8], in content: [UInt8]) -> NearMiss? {
  findNearMiss(of: expected, in: content, lines: LineIndex(content))
}

/// The least similarity worth reporting; below it the "nearest" text is noise.
let nearMissThreshold = 0.3

/// How many candidates of each kind get the full character comparison.
private let candidatesPerSource = 8

/// Clip for `NearMiss.actualText`, in Unicode scalars.
private let actualTextLimit = 8_000

func findNearMiss(of expected: [UInt8], in content: [UInt8], lines: LineIndex) -> NearMiss? {
  let expectedLF = convertingCRLFToLF(expected)
  let fileLineCount = lines.lineCount
  guard !expectedLF.isEmpty, fileLineCount > 0 else { return nil }
  var expectedLines = expectedLF.split(separator: newlineByte, omittingEmptySubsequences: false)
  let endsWithNewline = expectedLF.last == newlineByte
  if endsWithNewline { expectedLines.removeLast() }
  if expectedLines.isEmpty { expectedLines = [expectedLF[0..<0]] }
  let window = min(expectedLines.count, fileLineCount)
  let maxStart = fileLineCount - window

  let starts: [Int] = content.withUnsafeBufferPointer { buffer in
    let finder = CandidateFinder(buffer: buffer, lines: lines, maxStart: maxStart)
    var result = finder.startsByTrimmedEquality(expectedLines)
    for start in finder.startsByBigramOverlap(expectedLines) where !result.contains(start) {
      result.append(start)
    }
    if result.isEmpty && window == fileLineCount { result = [0] }
    return result
  }

  let expectedString = String(decoding: expectedLF, as: UTF8.self)
  let expectedTrimmed = expectedLines.map(trimmedWhitespace)
  let nonBlankExpected = expectedTrimmed.filter { !$0.isEmpty }.count
  var best: (start: Int, rank: Double, comparison: CharacterComparison, actual: ArraySlice<UInt8>)?
  for start in starts.sorted() {
    guard var range = lines.range(ofLines: (start + 1)...(start + window)) else { continue }
    if !endsWithNewline {
      var end = range.upperBound
      if end > range.lowerBound && content[end - 1] == newlineByte {
        end -= 1
        if end > range.lowerBound && content[end - 1] == carriageReturnByte { end -= 1 }
      }
      range = range.lowerBound..<end
    }
    var actual = content[range]
    let isFragment = expectedLines.count == 1 && !endsWithNewline
    if isFragment && actual.count > expectedLF.count * 3 + 64 {
      actual = narrowedRegion(of: actual, resembling: expectedLF)
    }
    let comparison = CharacterComparison(
      expected: expectedString,
      actual: String(decoding: convertingCRLFToLF(actual), as: UTF8.self),
      ignoringSurroundingActual: expectedLines.count == 1 && !endsWithNewline)
    // Whole lines that agree (ignoring indentation) are stronger evidence of the intended place than scattered
    // similar characters, so they weigh half of the rank.
    var agreeing = 0
    for offset in 0..<window where !expectedTrimmed[offset].isEmpty {
      guard let lineRange = lines.contentRange(ofLine: start + offset + 1, in: content) else { continue }
      if trimmedWhitespace(content[lineRange]).elementsEqual(expectedTrimmed[offset]) { agreeing += 1 }
    }
    let agreement = nonBlankExpected == 0 ? 0 : Double(agreeing) / Double(nonBlankExpected)
    let rank = (comparison.similarity + agreement) / 2
    if best == nil || rank > best!.rank {
      best = (start, rank, comparison, actual)
    }
  }
  guard let best, best.comparison.similarity >= nearMissThreshold else { return nil }
  var actualText = String(decoding: best.actual, as: UTF8.self)
  if actualText.unicodeScalars.count > actualTextLimit {
    actualText = String(String.UnicodeScalarView(actualText.unicodeScalars.prefix(actualTextLimit))) + "…"
  }
  return NearMiss(
    line: best.start + 1, lineCount: window, similarity: best.comparison.similarity, actualText: actualText,
    diff: best.comparison.compactDiff)
}

/// A 65,536-bit set of the byte pairs (bigrams) of a text, for cheap similarity scores.
struct BigramSet {
  private(set) var bits = [UInt64](repeating: 0, count: 1_024)
  /// The number of bigrams added (with repeats).
  private(set) var count = 0

  init(_ bytes: some Collection<UInt8>) {
    var previous: UInt8?
    for byte in bytes {
      if let previous {
        let bigram = Int(previous) << 8 | Int(byte)
        bits[bigram >> 6] |= 1 << UInt64(bigram & 63)
        count += 1
      }
      previous = byte
    }
  }

  /// The start (relative to `range`) and bigram hits of the `width`-bigram window of `buffer[range]` that shares
  /// the most bigrams with the set; a sliding sum, so linear in the range.
  func bestWindow(in buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>, width: Int) -> (start: Int, hits: Int) {
    let pairs = range.count - 1
    guard pairs > 0, width > 0 else { return (0, 0) }
    return bits.withUnsafeBufferPointer { bits in
      func hit(_ index: Int) -> Int {
        let bigram = Int(buffer[range.lowerBound + index]) << 8 | Int(buffer[range.lowerBound + index + 1])
        return bits[bigram >> 6] & (1 << UInt64(bigram & 63)) != 0 ? 1 : 0
      }
      let span = min(width, pairs)
      var sum = 0
      for index in 0..<span { sum += hit(index) }
      var best = (start: 0, hits: sum)
      if pairs > span {
        for start in 1...(pairs - span) {
          sum += hit(start + span - 1) - hit(start - 1)
          if sum > best.hits { best = (start, sum) }
        }
      }
      return best
    }
  }
}

/// The stretch of a long line most likely meant by a one-line fragment: the fragment-sized window sharing the most
/// byte pairs with it, padded on both sides and widened to whole UTF-8 sequences. Without it, a typo in a fragment of
/// a 1 MB minified line would be compared with the whole line.
func narrowedRegion(of line: ArraySlice<UInt8>, resembling fragment: [UInt8]) -> ArraySlice<UInt8> {
  guard fragment.count >= 2, line.count > fragment.count else { return line }
  let bestStart = line.withUnsafeBufferPointer { buffer in
    BigramSet(fragment).bestWindow(in: buffer, range: 0..<buffer.count, width: fragment.count - 1).start
  }
  let padding = max(16, fragment.count / 2)
  var low = max(line.startIndex, line.startIndex + bestStart - padding)
  var high = min(line.endIndex, line.startIndex + bestStart + fragment.count + padding)
  while low > line.startIndex && low < line.endIndex && line[low] & 0xC0 == 0x80 { low -= 1 }
  while high < line.endIndex && line[high] & 0xC0 == 0x80 { high += 1 }
  return line[low..<high]
}

@inline(__always)
private func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }

/// `bytes` without leading and trailing spaces, tabs, CR and LF.
func trimmedWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
  var start = bytes.startIndex
  var end = bytes.endIndex
  while start < end && isBlank(bytes[start]) { start += 1 }
  while end > start && isBlank(bytes[end - 1]) { end -= 1 }
  return bytes[start..<end]
}

/// Proposes region starts (0-based first lines) for the near-miss search, each source bounded in work and output.
private struct CandidateFinder {
  let buffer: UnsafeBufferPointer<UInt8>
  let lines: LineIndex
  let maxStart: Int

  /// Bytes of a line considered by the bigram score; longer lines are compared by their start only.
  static let bigramLineLimit = 1_024

  /// The trimmed byte range of 0-based file line `index`.
  func trimmedRange(ofLine index: Int) -> Range<Int> {
    var start = lines.lineStarts[index]
    var end = index + 1 < lines.lineCount ? lines.lineStarts[index + 1] : buffer.count
    while start < end && isBlank(buffer[start]) { start += 1 }
    while end > start && isBlank(buffer[end - 1]) { end -= 1 }
    return start..<end
  }

  func clampedStart(_ start: Int) -> Int { min(max(start, 0), maxStart) }

  /// Starts implied by file lines that equal an expected line once trimmed, ranked by how many lines agree.
  func startsByTrimmedEquality(_ expectedLines: [ArraySlice<UInt8>]) -> [Int] {
    var wanted: [[UInt8]: [Int]] = [:]
    var wantedLengths = Set<Int>()
    for (index, line) in expectedLines.enumerated() {
      let trimmed = trimmedWhitespace(line)
      guard trimmed.count >= 2 else { continue }
      wanted[Array(trimmed), default: []].append(index)
      wantedLengths.insert(trimmed.count)
    }
    guard !wanted.isEmpty else { return [] }
    var votes: [Int: Int] = [:]
    for fileLine in 0..<lines.lineCount {
      let range = trimmedRange(ofLine: fileLine)
      guard wantedLengths.contains(range.count), let indices = wanted[Array(buffer[range])] else { continue }
      for index in indices { votes[clampedStart(fileLine - index), default: 0] += 1 }
    }
    let ranked = votes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    return ranked.prefix(candidatesPerSource).map(\.key)
  }

  /// Starts ranked by the bigram overlap (Dice coefficient) of file lines with the longest expected lines, which
  /// finds regions where every line was changed a little.
  func startsByBigramOverlap(_ expectedLines: [ArraySlice<UInt8>]) -> [Int] {
    let chosen = expectedLines.enumerated()
      .map { (index: $0.offset, text: trimmedWhitespace($0.element)) }
      .filter { $0.text.count >= 3 }
      .sorted { $0.text.count != $1.text.count ? $0.text.count > $1.text.count : $0.index < $1.index }
      .prefix(buffer.count > 4_000_000 ? 2 : 3)
    guard !chosen.isEmpty else { return [] }
    var scores = [Double](repeating: 0, count: maxStart + 1)
    for (expectedIndex, text) in chosen {
      let sample = text.prefix(Self.bigramLineLimit)
      let bigrams = BigramSet(sample)
      let expectedBigrams = sample.count - 1
      bigrams.bits.withUnsafeBufferPointer { bitset in
        for fileLine in 0..<lines.lineCount {
          let range = trimmedRange(ofLine: fileLine)
          guard range.count >= 2, range.count * 3 >= sample.count else { continue }
          var hits = 0
          var length = range.count
          if range.count > sample.count * 3 {
            // A long line may hold the text as a fragment (minified code): score its best fragment-sized window.
            hits = bigrams.bestWindow(in: buffer, range: range, width: expectedBigrams).hits
            length = sample.count
          } else {
            length = min(range.count, Self.bigramLineLimit)
            var last = buffer[range.lowerBound]
            for position in (range.lowerBound + 1)..<(range.lowerBound + length) {
              let byte = buffer[position]
              let bigram = Int(last) << 8 | Int(byte)
              if bitset[bigram >> 6] & (1 << UInt64(bigram & 63)) != 0 { hits += 1 }
              last = byte
            }
          }
          let dice = Double(2 * min(hits, expectedBigrams)) / Double(expectedBigrams + length - 1)
          scores[clampedStart(fileLine - expectedIndex)] += dice
        }
      }
    }
    var top: [(start: Int, score: Double)] = []
    for (start, score) in scores.enumerated() where score > 0 {
      if top.count < candidatesPerSource {
        top.append((start, score))
        top.sort { $0.score > $1.score }
      } else if score > top[top.count - 1].score {
        top[top.count - 1] = (start, score)
        top.sort { $0.score > $1.score }
      }
    }
    return top.map(\.start)
  }
}
