import Testing

@testable import MishText

@Suite struct EOLTests {
  @Test(arguments: [
    ("", EOLKind.none),
    ("abc", .none),
    ("a\r", .none),
    ("a\nb\n", .lf),
    ("a\nb", .lf),
    ("a\r\nb\r\n", .crlf),
    ("\r\n", .crlf),
    ("a\r\nb\n", .mixed),
    ("a\nb\r\n", .mixed),
  ])
  func detectsLineEndings(text: String, expected: EOLKind) {
    #expect(detectEOL(bytes(text)) == expected)
  }

  @Test func lineEndingBytes() {
    #expect(EOLKind.crlf.lineEnding == [13, 10])
    #expect(EOLKind.lf.lineEnding == [10])
    #expect(EOLKind.mixed.lineEnding == [10])
    #expect(EOLKind.none.lineEnding == [10])
  }

  @Test(arguments: [
    ("a\nb", "a\r\nb"),
    ("a\r\nb\n", "a\r\nb\r\n"),
    ("\n", "\r\n"),
    ("", ""),
  ])
  func convertsBareLFOnly(text: String, expected: String) {
    #expect(string(convertingBareLFToCRLF(bytes(text))) == expected)
    #expect(string(convertingCRLFToLF(bytes(expected))) == text.replacingCRLF())
  }
}

extension String {
  fileprivate func replacingCRLF() -> String {
    String(decoding: convertingCRLFToLF(Array(utf8)), as: UTF8.self)
  }
}

@Suite struct LineIndexTests {
  @Test(arguments: [
    ("", 0),
    ("a", 1),
    ("a\n", 1),
    ("a\nb", 2),
    ("a\nb\n", 2),
    ("\n", 1),
    ("\n\n", 2),
    ("a\r\nb\r\n", 2),
  ])
  func countsLines(text: String, expected: Int) {
    #expect(LineIndex(bytes(text)).lineCount == expected)
  }

  @Test func mapsOffsetsToLines() {
    let index = LineIndex(bytes("ab\ncd\n\nef"))
    let expected = [1, 1, 1, 2, 2, 2, 3, 4, 4, 4]
    for (offset, line) in expected.enumerated() {
      #expect(index.line(containing: offset) == line, "offset \(offset)")
    }
    #expect(index.line(containing: 1_000) == 4)
    #expect(LineIndex([]).line(containing: 0) == 1)
  }

  @Test func rangesOfLines() {
    let text = bytes("ab\r\ncd\nef")
    let index = LineIndex(text)
    #expect(index.range(ofLine: 1) == 0..<4)
    #expect(index.range(ofLine: 2) == 4..<7)
    #expect(index.range(ofLine: 3) == 7..<9)
    #expect(index.range(ofLine: 0) == nil)
    #expect(index.range(ofLine: 4) == nil)
    #expect(index.contentRange(ofLine: 1, in: text) == 0..<2)
    #expect(index.contentRange(ofLine: 2, in: text) == 4..<6)
    #expect(index.contentRange(ofLine: 3, in: text) == 7..<9)
    #expect(index.range(ofLines: 2...10) == 4..<9)
  }

  @Test func indexesLargeBuffersCompletely() {
    var text: [UInt8] = []
    for line in 0..<50_000 { text += bytes("line \(line)\n") }
    let index = LineIndex(text)
    #expect(index.lineCount == 50_000)
    #expect(index.line(containing: text.count - 1) == 50_000)
    #expect(string(Array(text[index.range(ofLine: 12_345)!])) == "line 12344\n")
  }
}

@Suite struct ByteSearchTests {
  @Test(arguments: [
    ("hello world", "world", [6]),
    ("aaaa", "aa", [0, 2]),
    ("    x    x", "    x", [0, 5]),
    ("abc", "abcd", []),
    ("", "a", []),
    ("a\r\nb\r\n", "\r\n", [1, 4]),
  ])
  func findsNonOverlappingOccurrences(haystack: String, needle: String, expected: [Int]) {
    #expect(occurrences(of: bytes(needle), in: bytes(haystack)) == expected)
  }

  @Test func findsNeedlesAtEveryAlignment() {
    var generator = SplitMix64(seed: 7)
    for _ in 0..<200 {
      let haystack = (0..<Int.random(in: 0..<80, using: &generator)).map { _ in
        UInt8.random(in: 97...99, using: &generator)
      }
      let needle = (0..<Int.random(in: 1..<5, using: &generator)).map { _ in
        UInt8.random(in: 97...99, using: &generator)
      }
      var expected: [Int] = []
      var position = 0
      while position + needle.count <= haystack.count {
        if Array(haystack[position..<(position + needle.count)]) == needle {
          expected.append(position)
          position += needle.count
        } else {
          position += 1
        }
      }
      #expect(occurrences(of: needle, in: haystack) == expected, "\(haystack) \(needle)")
    }
  }
}
