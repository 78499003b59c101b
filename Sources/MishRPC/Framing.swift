/// How a message was framed on the wire. Replies use the framing of the request they answer.
public enum Framing: Sendable, Equatable {
  /// One JSON message per line (MCP stdio).
  case newline
  /// LSP-style `Content-Length: N\r\n\r\n` headers.
  case contentLength
}

/// One unit the frame parser hands on.
public enum FrameEvent: Equatable, Sendable {
  case message([UInt8], Framing)
  /// A frame larger than the maximum; its bytes were discarded without being buffered.
  case oversized(size: Int, Framing)
  /// A header block that could not be understood; the parser resynchronised after it.
  case badHeader(String)
}

/// Splits a byte stream into frames, whatever the chunking. Framing is detected per message from its first byte:
/// `{` or `[` starts a line-delimited message, anything else a header block. Memory is bounded by the maximum frame
/// size: an oversized frame is skipped as it streams past.
public struct FrameParser: Sendable {
  public let maxFrameBytes: Int
  var buffer: [UInt8] = []
  var state: State = .between

  enum State: Equatable {
    case between
    /// Collecting a line; `discarded` counts bytes of an oversized line being skipped.
    case line(discarding: Int?)
    case header
    case body(length: Int)
    case skippingBody(remaining: Int, total: Int)
  }

  public init(maxFrameBytes: Int) { self.maxFrameBytes = maxFrameBytes }

  /// Feeds bytes and returns every event they complete.
  public mutating func feed(_ chunk: some Collection<UInt8>) -> [FrameEvent] {
    buffer.append(contentsOf: chunk)
    var events: [FrameEvent] = []
    var start = 0
    defer { if start > 0 { buffer.removeFirst(start) } }
    while start < buffer.count {
      switch state {
      case .between:
        let byte = buffer[start]
        if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
          start += 1
        } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
          state = .line(discarding: nil)
        } else if byte == UInt8(ascii: "C") || byte == UInt8(ascii: "c") {
          state = .header
        } else {
          // Not JSON and not a header: take the line as a (malformed) message so the client hears about it.
          state = .line(discarding: nil)
        }
      case .line(let discarding):
        if let newline = firstIndex(of: 0x0A, from: start) {
          if let discarded = discarding {
            events.append(.oversized(size: discarded + newline - start, .newline))
          } else {
            var end = newline
            if end > start, buffer[end - 1] == 0x0D { end -= 1 }
            if end - start > maxFrameBytes {
              events.append(.oversized(size: end - start, .newline))
            } else {
              events.append(.message(Array(buffer[start..<end]), .newline))
            }
          }
          start = newline + 1
          state = .between
        } else {
          let pending = buffer.count - start
          if let discarded = discarding {
            state = .line(discarding: discarded + pending)
            start = buffer.count
          } else if pending > maxFrameBytes {
            state = .line(discarding: pending)
            start = buffer.count
          }
          return events
        }
      case .header:
        // Line by line: every line must look like "Name: value" until a blank line ends the block. A first line
        // that does not (a stray "connected" print) is a malformed newline message; a later one means the block
        // was never closed, and reading resumes at that line. Either way no frame after it is lost.
        var cursor = start
        var sawHeader = false
        headerLines: while true {
          guard let newline = firstIndex(of: 0x0A, from: cursor) else {
            if buffer.count - cursor > 8192 {
              // A line this long is no header: read it as a (malformed, perhaps oversized) line message.
              if sawHeader {
                events.append(.badHeader("Content-Length header not followed by a blank line"))
                start = cursor
              }
              state = .line(discarding: nil)
              break headerLines
            }
            return events
          }
          var lineEnd = newline
          if lineEnd > cursor, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
          if lineEnd == cursor, sawHeader {
            let header = String(decoding: buffer[start..<cursor], as: UTF8.self)
            start = newline + 1
            switch Self.contentLength(inHeader: header) {
            case .success(let length):
              state = length > maxFrameBytes ? .skippingBody(remaining: length, total: length) : .body(length: length)
            case .failure(let error):
              events.append(.badHeader(error.message))
              state = .between
            }
            break headerLines
          }
          if lineEnd > cursor, Self.isHeaderLine(buffer[cursor..<lineEnd]) {
            sawHeader = true
            cursor = newline + 1
            continue
          }
          if sawHeader {
            events.append(.badHeader("Content-Length header not followed by a blank line"))
            start = cursor
          } else {
            events.append(.message(Array(buffer[cursor..<lineEnd]), .newline))
            start = newline + 1
          }
          state = .between
          break headerLines
        }
      case .body(let length):
        guard buffer.count - start >= length else { return events }
        events.append(.message(Array(buffer[start..<start + length]), .contentLength))
        start += length
        state = .between
      case .skippingBody(let remaining, let total):
        let take = min(remaining, buffer.count - start)
        start += take
        if take == remaining {
          events.append(.oversized(size: total, .contentLength))
          state = .between
        } else {
          state = .skippingBody(remaining: remaining - take, total: total)
        }
      }
    }
    return events
  }

  /// Whether bytes of an unfinished frame are pending (for reporting a truncated message at EOF).
  public var hasPartialFrame: Bool {
    switch state {
    case .between: return buffer.contains { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
    default: return true
    }
  }

  /// At end of input, a final line without its newline is still a message.
  public mutating func finish() -> [FrameEvent] {
    var events: [FrameEvent] = []
    switch state {
    case .line(let discarding):
      if let discarded = discarding {
        events.append(.oversized(size: discarded + buffer.count, .newline))
      } else if !buffer.isEmpty {
        events.append(.message(buffer, .newline))
      }
    case .header, .body, .skippingBody:
      events.append(.badHeader("input ended inside a Content-Length frame"))
    case .between:
      break
    }
    buffer = []
    state = .between
    return events
  }

  func firstIndex(of byte: UInt8, from start: Int) -> Int? {
    buffer.withUnsafeBufferPointer { pointer -> Int? in
      guard start < pointer.count else { return nil }
      guard let found = memchrIndex(pointer, byte, from: start) else { return nil }
      return found
    }
  }

  /// "Name: value", the name a token (letters, digits, '-').
  static func isHeaderLine(_ line: ArraySlice<UInt8>) -> Bool {
    guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return false }
    return line[..<colon].allSatisfy { byte in
      (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D
    }
  }

  static func contentLength(inHeader header: String) -> Result<Int, HeaderError> {
    var length: Int?
    for rawLine in header.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      let line = rawLine.trimmingSuffix("\r")
      guard let colon = line.firstIndex(of: ":") else {
        return .failure(HeaderError("header line without ':' (\(line.prefix(60)))"))
      }
      let name = line[..<colon].lowercased()
      let value = line[line.index(after: colon)...].trimmingWhitespace()
      if name == "content-length" {
        guard let parsed = Int(value), parsed >= 0 else {
          return .failure(HeaderError("Content-Length is not a non-negative integer (\(value.prefix(40)))"))
        }
        length = parsed
      }
    }
    guard let length else { return .failure(HeaderError("header block without Content-Length")) }
    return .success(length)
  }

  struct HeaderError: Error { var message: String; init(_ m: String) { message = m } }
}


extension Substring {
  fileprivate func trimmingSuffix(_ suffix: Character) -> Substring { last == suffix ? dropLast() : self }
  fileprivate func trimmingWhitespace() -> String {
    String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
  }
}

@inline(__always)
func memchrIndex(_ pointer: UnsafeBufferPointer<UInt8>, _ byte: UInt8, from start: Int) -> Int? {
  var i = start
  while i < pointer.count {
    if pointer[i] == byte { return i }
    i += 1
  }
  return nil
}

/// Encodes one outgoing frame in the given framing. The body never contains a newline (JSONWriter escapes them).
/// A newline frame is the body itself plus one byte: no copy when the caller hands over its only reference.
public func encodeFrame(_ body: consuming [UInt8], framing: Framing) -> [UInt8] {
  switch framing {
  case .newline:
    var frame = body
    frame.append(0x0A)
    return frame
  case .contentLength:
    var frame = Array("Content-Length: \(body.count)\r\n\r\n".utf8)
    frame.append(contentsOf: body)
    return frame
  }
}
