import Foundation
import MishTestSupport
import Testing

@testable import MishExec

@Suite("Head + tail capture: bounded memory, exact counts")
struct StreamCaptureTests {
  func capture(_ chunks: [String], head: Int, tail: Int) -> CapturedText {
    var capture = StreamCapture(headLimit: head, tailLimit: tail)
    for chunk in chunks { capture.append(Array(chunk.utf8)) }
    return capture.rendered()
  }

  @Test func smallOutputIsWhole() {
    let text = capture(["hello\n", "world"], head: 64, tail: 64)
    #expect(text == CapturedText(text: "hello\nworld", bytes: 11, lines: 2, truncated: false, omittedBytes: 0))
  }

  @Test func emptyOutput() {
    #expect(capture([], head: 8, tail: 8) == CapturedText(text: "", bytes: 0, lines: 0, truncated: false, omittedBytes: 0))
  }

  @Test func exactlyFullIsNotTruncated() {
    let text = capture(["abcd", "efgh"], head: 4, tail: 4)
    #expect(text.text == "abcdefgh")
    #expect(!text.truncated)
  }

  @Test func linesAreCutAtLineBoundariesWithExactCounts() {
    let lines = (1...1000).map { "line \($0)\n" }
    let text = capture(lines, head: 40, tail: 40)
    let total = lines.joined().utf8.count
    #expect(text.bytes == total)
    #expect(text.lines == 1000)
    #expect(text.truncated)
    #expect(text.text.hasPrefix("line 1\nline 2\n"))
    #expect(text.text.hasSuffix("line 999\nline 1000\n"))
    // What is shown plus what is omitted is everything.
    let marker = text.text.split(separator: "\n").first { $0.hasPrefix("[…") }!
    let shown = text.text.utf8.count - marker.utf8.count - 1
    #expect(shown + text.omittedBytes == total)
    #expect(marker.contains("\(text.omittedBytes) bytes"))
  }

  /// One long line cut in its middle said "0 of 1 lines omitted", which reads as nothing missing.
  @Test func aCutInsideOneLineSaysSo() {
    let text = capture([String(repeating: "x", count: 1000)], head: 10, tail: 10)
    #expect(text.text == "xxxxxxxxxx\n[… 980 bytes from the middle of a line omitted; output_read has it all …]\nxxxxxxxxxx")
    #expect(text.omittedBytes == 980 && text.lines == 1 && text.truncated)
  }

  @Test func multibyteCharactersAreNeverSplit() {
    let text = capture([String(repeating: "é", count: 100)], head: 7, tail: 7)
    #expect(!text.text.contains("\u{FFFD}"))
    #expect(text.text.hasPrefix("ééé\n"))
    #expect(text.text.hasSuffix("ééé"))
  }

  @Test func invalidUTF8NeverCrashes() {
    var capture = StreamCapture(headLimit: 4, tailLimit: 4)
    capture.append([0xFF, 0xFE, 0x80, 0x41, 0xC3, 0x28, 0x0A, 0xE2, 0x82])
    let text = capture.rendered()
    #expect(text.bytes == 9)
    #expect(text.lines == 2)
  }

  /// Whatever the chunking, the result is the same as one append of everything (seeded, seed printed).
  @Test func chunkingDoesNotMatter() {
    let seed = UInt64.random(in: 0...UInt64.max)
    var rng = SplitMix64(seed: seed)
    for _ in 0..<200 {
      let length = Int.random(in: 0...600, using: &rng)
      let bytes = (0..<length).map { _ in [0x0A, 0x61, 0x62, 0xC3, 0xA9][Int.random(in: 0..<5, using: &rng)] as UInt8 }
      let head = Int.random(in: 0...80, using: &rng)
      let tail = Int.random(in: 0...80, using: &rng)
      var whole = StreamCapture(headLimit: head, tailLimit: tail)
      whole.append(bytes)
      var pieces = StreamCapture(headLimit: head, tailLimit: tail)
      var index = 0
      while index < bytes.count {
        let step = Int.random(in: 1...40, using: &rng)
        pieces.append(Array(bytes[index..<min(bytes.count, index + step)]))
        index += step
      }
      #expect(whole.rendered() == pieces.rendered(), "seed \(seed)")
      let rendered = pieces.rendered()
      #expect(rendered.bytes == bytes.count, "seed \(seed)")
      #expect(rendered.lines == bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count - (bytes.last == 0x0A || bytes.isEmpty ? 1 : 0), "seed \(seed)")
      if !rendered.truncated { #expect(rendered.text == String(decoding: bytes, as: UTF8.self), "seed \(seed)") }
    }
  }
}

@Suite("UTF-8 cut points")
struct UTF8BoundaryTests {
  @Test(arguments: [
    ([UInt8](), 0), (Array("abc".utf8), 3), (Array("aé".utf8), 3), ([0x61, 0xC3], 1), (Array("a€".utf8), 4),
    ([0x61, 0xE2, 0x82], 1), ([0x61, 0xF0, 0x9F, 0x98], 1), (Array("😀".utf8), 4), ([0x80, 0x80], 2), ([0xFF], 1),
  ])
  func completePrefix(bytes: [UInt8], expected: Int) {
    #expect(UTF8Boundary.completePrefix(bytes) == expected)
  }
}

@Suite("Terminal text: escapes stripped, redraws collapsed")
struct TerminalTextTests {
  @Test(arguments: [
    ("plain\ntext\n", "plain\ntext\n"),
    ("\u{1B}[31mred\u{1B}[0m normal", "red normal"),
    ("\u{1B}[1;32;40mbold\u{1B}[K", "bold"),
    ("\u{1B}]0;window title\u{07}after", "after"),
    ("\u{1B}]8;;http://x\u{1B}\\link\u{1B}]8;;\u{1B}\\", "link"),
    ("10%\r50%\r100%\ndone", "100%\ndone"),
    ("crlf\r\nline\r\n", "crlf\nline\n"),
    ("abc\u{08}d", "abd"),
    ("bell\u{07}!", "bell!"),
    ("tab\tkept", "tab\tkept"),
    ("trailing cr\r", "trailing cr"),
    ("\u{1B}(Bcharset", "charset"),
    ("\u{1B}", ""),
  ])
  func plain(input: String, expected: String) {
    #expect(TerminalText.plain(input) == expected)
  }
}

@Suite("Spilled logs: line ranges and grep")
struct LogFileTests {
  func withLog(_ content: String, _ body: (String) throws -> Void) throws {
    let path = NSTemporaryDirectory() + "mish-log-\(UUID().uuidString)"
    try content.write(toFile: path, atomically: false, encoding: .utf8)
    defer { unlink(path) }
    try body(path)
  }

  @Test func rangesPageThroughTheWholeLog() throws {
    let content = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
    try withLog(content) { path in
      let first = try LogFile.readLines(path: path, startLine: 1, limitLines: 4, grep: nil, maxBytes: 10_000)
      #expect(first.lines.map(\.number) == [1, 2, 3, 4])
      #expect(first.totalLines == 10)
      #expect(first.nextStartLine == 5)
      #expect(first.truncated)
      let last = try LogFile.readLines(path: path, startLine: 9, limitLines: 4, grep: nil, maxBytes: 10_000)
      #expect(last.lines.map(\.text) == ["line 9", "line 10"])
      #expect(last.nextStartLine == nil)
      #expect(!last.truncated)
    }
  }

  @Test func grepKeepsRealLineNumbers() throws {
    try withLog("ok\nerror: one\nok\nwarning two\nerror: three\r\nlast without newline") { path in
      let slice = try LogFile.readLines(path: path, startLine: 1, limitLines: 100, grep: "error|warn", maxBytes: 10_000)
      #expect(slice.lines == [.init(number: 2, text: "error: one"), .init(number: 4, text: "warning two"), .init(number: 5, text: "error: three")])
      #expect(slice.totalLines == 6)
      let paged = try LogFile.readLines(path: path, startLine: 3, limitLines: 1, grep: "error", maxBytes: 10_000)
      #expect(paged.lines.map(\.number) == [5])
      #expect(paged.nextStartLine == nil)
    }
  }

  @Test func maxBytesStopsThePage() throws {
    try withLog(String(repeating: "x", count: 100) + "\n" + String(repeating: "y", count: 100) + "\n") { path in
      let slice = try LogFile.readLines(path: path, startLine: 1, limitLines: 100, grep: nil, maxBytes: 150)
      #expect(slice.lines.count == 1)
      #expect(slice.nextStartLine == 2)
      let cut = try LogFile.readLines(path: path, startLine: 1, limitLines: 100, grep: nil, maxBytes: 10)
      #expect(cut.lines.first?.text == "xxxxxxxxxx…")
      #expect(cut.truncated, "a line cut to max_bytes is a truncated page")
    }
  }

  /// A single line longer than max_bytes, alone on its page: cut on a character boundary and reported as
  /// truncated (it was reported complete, so an agent could not tell that the rest was missing).
  @Test func aLineLongerThanThePageIsCutVisibly() throws {
    try withLog("ab" + String(repeating: "é", count: 100) + "\n") { path in
      let slice = try LogFile.readLines(path: path, startLine: 1, limitLines: 10, grep: nil, maxBytes: 5)
      #expect(slice.lines.map(\.text) == ["abé…"])
      #expect(slice.truncated)
      #expect(slice.nextStartLine == nil)
    }
  }

  @Test func badRegexIsAClearError() throws {
    try withLog("a\n") { path in
      #expect(throws: LogFileError.self) { try LogFile.readLines(path: path, startLine: 1, limitLines: 1, grep: "(", maxBytes: 100) }
    }
  }

  @Test func linesAcrossReadBlocks() throws {
    let long = String(repeating: "z", count: 200_000)
    try withLog("a\n\(long)\nb\n") { path in
      let slice = try LogFile.readLines(path: path, startLine: 1, limitLines: 10, grep: nil, maxBytes: 1 << 20)
      #expect(slice.lines.map(\.text.count) == [1, 200_000, 1])
    }
  }
}

@Suite("Spilled logs: a stream that printed nothing has no file")
struct MissingLogTests {
  @Test func missingFileIsAnEmptyLog() throws {
    let slice = try LogFile.readLines(path: NSTemporaryDirectory() + "mish-no-such-log-\(UUID().uuidString)", startLine: 1, limitLines: 10, grep: nil, maxBytes: 100)
    #expect(slice == LogSlice(lines: [], totalLines: 0, nextStartLine: nil, truncated: false))
  }
}
