import MishJSON
import MishRPC
import Testing
@_exported import MishTestSupport

@Suite struct FramingTests {
  func messages(_ events: [FrameEvent]) -> [String] {
    events.compactMap {
      if case .message(let bytes, _) = $0 { return String(decoding: bytes, as: UTF8.self) }
      return nil
    }
  }

  @Test func newlineFramesAndCRLFLines() {
    var parser = FrameParser(maxFrameBytes: 1000)
    let events = parser.feed(Array("{\"a\":1}\n\n{\"b\":2}\r\n[1]\n".utf8))
    #expect(messages(events) == ["{\"a\":1}", "{\"b\":2}", "[1]"])
  }

  @Test func contentLengthFramesDetectedPerMessage() {
    var parser = FrameParser(maxFrameBytes: 1000)
    let body = "{\"x\":\"é\"}"
    let input = "Content-Length: \(body.utf8.count)\r\n\r\n\(body){\"y\":1}\ncontent-length: 2\r\nContent-Type: x\r\n\r\n{}"
    let events = parser.feed(Array(input.utf8))
    #expect(events == [
      .message(Array(body.utf8), .contentLength), .message(Array("{\"y\":1}".utf8), .newline),
      .message(Array("{}".utf8), .contentLength),
    ])
  }

  @Test func oversizedFramesAreSkippedAndParsingGoesOn() {
    var parser = FrameParser(maxFrameBytes: 10)
    var events = parser.feed(Array("{\"a\":\"0123456789abcdef\"}\n{}\n".utf8))
    #expect(events.first == .oversized(size: 24, .newline))
    #expect(messages(events) == ["{}"])
    events = parser.feed(Array("Content-Length: 50\r\n\r\n".utf8) + [UInt8](repeating: 0x41, count: 50) + Array("{}\n".utf8))
    #expect(events == [.oversized(size: 50, .contentLength), .message(Array("{}".utf8), .newline)])
  }

  @Test func oversizedLineIsNotBufferedWhileStreaming() {
    var parser = FrameParser(maxFrameBytes: 100)
    for _ in 0..<1000 { _ = parser.feed([UInt8](repeating: 0x7B, count: 1000)) }
    let events = parser.feed(Array("\n{}\n".utf8))
    #expect(events.first == .oversized(size: 1_000_000, .newline))
    #expect(messages(events) == ["{}"])
  }

  @Test(arguments: [
    "Content-Length: abc\r\n\r\n{}\n", "Content-Type: x\r\n\r\n{}\n", "Content-Length: 2\r\n{}\n",
  ])
  func badHeadersAreReportedAndParsingResynchronises(input: String) {
    var parser = FrameParser(maxFrameBytes: 1000)
    let events = parser.feed(Array(input.utf8))
    #expect(events.contains { if case .badHeader = $0 { return true } else { return false } })
    #expect(messages(events) == ["{}"])
  }

  /// The size limit counts the message, not its line ending: CRLF and LF frames of the same message agree.
  @Test func crlfDoesNotCountTowardsTheLimit() {
    var parser = FrameParser(maxFrameBytes: 10)
    #expect(messages(parser.feed(Array("{\"a\":1234}\r\n{\"a\":1234}\n".utf8))) == ["{\"a\":1234}", "{\"a\":1234}"])
  }

  /// A stray line that starts like a header ("connected") is one malformed line, and nothing after it is lost.
  @Test func aStrayLineLosesNothingAfterIt() {
    var parser = FrameParser(maxFrameBytes: 1000)
    let pings = (1...300).map { "{\"id\":\($0)}\n" }.joined()
    let events = parser.feed(Array(("connected\n" + pings).utf8))
    #expect(messages(events).count == 301)
    #expect(messages(events).first == "connected")
    #expect(!events.contains { if case .badHeader = $0 { return true } else { return false } })
  }

  @Test func finalLineWithoutNewlineIsDeliveredAtEOF() {
    var parser = FrameParser(maxFrameBytes: 1000)
    #expect(parser.feed(Array("{\"a\":1}".utf8)).isEmpty)
    #expect(messages(parser.finish()) == ["{\"a\":1}"])
  }

  /// Property: whatever the chunking, the same frames come out.
  @Test(arguments: 0..<200)
  func survivesAnyChunking(seed: UInt64) {
    var random = SplitMix64(seed: seed)
    var stream: [UInt8] = []
    var expected: [FrameEvent] = []
    for i in 0..<Int(random.next() % 8 + 1) {
      let body = Array("{\"id\":\(i),\"text\":\"\(String(repeating: "é\\n", count: Int(random.next() % 40)))\"}".utf8)
      if random.next() % 2 == 0 {
        stream += body + (random.next() % 2 == 0 ? [0x0A] : [0x0D, 0x0A])
        expected.append(.message(body, .newline))
      } else {
        stream += Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        expected.append(.message(body, .contentLength))
      }
    }
    var parser = FrameParser(maxFrameBytes: 1 << 20)
    var events: [FrameEvent] = []
    var offset = 0
    while offset < stream.count {
      let size = random.next() % 4 == 0 ? 1 : Int(random.next() % 64) + 1
      let end = min(stream.count, offset + size)
      events += parser.feed(stream[offset..<end])
      offset = end
    }
    events += parser.finish()
    #expect(events == expected, "seed \(seed)")
  }
}

