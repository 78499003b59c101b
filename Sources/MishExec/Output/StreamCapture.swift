import CMishSys

/// What one stream printed, as a result shows it: the text (all of it, or head + a marker + tail) and exact counts.
public struct CapturedText: Sendable, Equatable {
  public var text: String
  /// Bytes the stream printed in all.
  public var bytes: Int
  /// Lines in all (a last line without a newline counts).
  public var lines: Int
  public var truncated: Bool
  /// Bytes of the stream that `text` does not show.
  public var omittedBytes: Int
}

/// Keeps the first `headLimit` and the last `tailLimit` bytes of a stream, and counts everything, in memory that
/// never grows past the two limits however much the command prints. Pure: no I/O.
public struct StreamCapture: Sendable {
  public let headLimit: Int
  public let tailLimit: Int
  var head: [UInt8] = []
  /// A ring of the last `tailLimit` bytes after the head: `tailStart` is the oldest byte once it is full.
  var tail: [UInt8] = []
  var tailStart = 0
  public private(set) var bytes = 0
  var newlines = 0
  var lastByte: UInt8?

  public init(headLimit: Int, tailLimit: Int) {
    self.headLimit = max(0, headLimit)
    self.tailLimit = max(0, tailLimit)
  }

  public var lines: Int { newlines + (lastByte == nil || lastByte == 0x0A ? 0 : 1) }

  public mutating func append(_ chunk: UnsafeRawBufferPointer) {
    guard let base = chunk.baseAddress, chunk.count > 0 else { return }
    bytes += chunk.count
    newlines += mish_count_byte(base, chunk.count, 0x0A)
    lastByte = chunk[chunk.count - 1]
    var rest = chunk
    if head.count < headLimit {
      let take = min(headLimit - head.count, rest.count)
      head.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0..<take]))
      rest = UnsafeRawBufferPointer(rebasing: rest[take...])
    }
    guard !rest.isEmpty, tailLimit > 0 else { return }
    if rest.count >= tailLimit {
      tail = Array(UnsafeRawBufferPointer(rebasing: rest[(rest.count - tailLimit)...]))
      tailStart = 0
      return
    }
    if tail.count < tailLimit {
      let fill = min(tailLimit - tail.count, rest.count)
      tail.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0..<fill]))
      rest = UnsafeRawBufferPointer(rebasing: rest[fill...])
    }
    // Overwrite the oldest bytes, in at most two copies.
    tail.withUnsafeMutableBytes { ring in
      var source = rest
      while !source.isEmpty {
        let room = min(tailLimit - tailStart, source.count)
        ring.baseAddress!.advanced(by: tailStart).copyMemory(from: source.baseAddress!, byteCount: room)
        tailStart = (tailStart + room) % tailLimit
        source = UnsafeRawBufferPointer(rebasing: source[room...])
      }
    }
  }

  public mutating func append(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { append($0) }
  }

  /// The tail in order, oldest first.
  var orderedTail: [UInt8] { Array(tail[tailStart...] + tail[..<tailStart]) }

  /// The text for a result. When bytes were left out, the head ends and the tail starts at a line boundary when one
  /// is near (else at a character boundary), and a marker line between them says exactly how much is missing.
  public func rendered() -> CapturedText {
    let tailBytes = orderedTail
    if bytes == head.count + tailBytes.count {
      return CapturedText(
        text: String(decoding: head + tailBytes, as: UTF8.self), bytes: bytes, lines: lines, truncated: false,
        omittedBytes: 0)
    }
    let shownHead = head[..<Self.headCut(head)]
    let shownTail = tailBytes[Self.tailCut(tailBytes)...]
    let omitted = bytes - shownHead.count - shownTail.count
    let shownNewlines = shownHead.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + shownTail.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    let omittedLines = newlines - shownNewlines
    var text = String(decoding: shownHead, as: UTF8.self)
    if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
    if omittedLines == 0 {
      // The cut falls inside one line: head and tail show its two ends.
      text += "[… \(omitted) bytes from the middle of a line omitted; output_read has it all …]\n"
    } else {
      text += "[… \(omittedLines) of \(lines) lines (\(omitted) bytes) omitted; output_read has them all …]\n"
    }
    text += String(decoding: shownTail, as: UTF8.self)
    return CapturedText(text: text, bytes: bytes, lines: lines, truncated: true, omittedBytes: omitted)
  }

  /// Where the shown head ends: after its last newline when that keeps at least half of it, else at the last
  /// complete UTF-8 character.
  static func headCut(_ head: [UInt8]) -> Int {
    if let newline = head.lastIndex(of: 0x0A), newline + 1 >= head.count / 2 { return newline + 1 }
    return UTF8Boundary.completePrefix(head)
  }

  /// Where the shown tail starts: after its first newline when that drops at most half of it, else at the first
  /// byte that begins a UTF-8 character.
  static func tailCut(_ tail: [UInt8]) -> Int {
    if let newline = tail.firstIndex(of: 0x0A), newline + 1 <= tail.count / 2, newline + 1 < tail.count { return newline + 1 }
    var start = 0
    while start < min(3, tail.count) && tail[start] & 0xC0 == 0x80 { start += 1 }
    return start
  }
}

/// Where a byte string may be cut without splitting a UTF-8 character.
enum UTF8Boundary {
  /// The length of the longest prefix that does not end inside a character: a final lead byte whose continuation
  /// bytes are missing is left out; everything else (complete characters, invalid bytes) stays.
  static func completePrefix(_ bytes: [UInt8]) -> Int {
    var cut = bytes.count
    var back = 0
    while cut > 0 && back < 3 && bytes[cut - 1] & 0xC0 == 0x80 {
      cut -= 1
      back += 1
    }
    guard cut > 0 && (0xC0..<0xF8).contains(bytes[cut - 1]) else { return bytes.count }
    let needed = bytes[cut - 1] >= 0xF0 ? 3 : bytes[cut - 1] >= 0xE0 ? 2 : 1
    return back < needed ? cut - 1 : bytes.count
  }
}
