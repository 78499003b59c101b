/// Serialises JSON compactly, on one line (MCP stdio frames must not contain newlines), straight into bytes.
///
/// The buffer always holds some room past what is written (`storage.count` is the capacity, `count` the bytes
/// written), so a string is escaped with one capacity check per 512 bytes instead of one per byte: replies that carry
/// file content spend most of their encoding time there.
public struct JSONWriter {
  var storage: [UInt8]
  var count = 0

  public init(reservingCapacity capacity: Int = 256) { storage = [UInt8](repeating: 0, count: max(capacity, 16)) }

  /// The written bytes, without a copy.
  public consuming func finish() -> [UInt8] {
    storage.removeSubrange(count...)
    return storage
  }

  public static func encode(_ value: JSONValue) -> [UInt8] {
    // Replies often carry file content: start big enough that most never regrow.
    var writer = JSONWriter(reservingCapacity: 16 << 10)
    writer.write(value)
    return writer.finish()
  }

  public static func string(_ value: JSONValue) -> String { String(decoding: encode(value), as: UTF8.self) }

  /// Multi-line, two-space indented, keys in stored order: for files people read (schemas/).
  public static func pretty(_ value: JSONValue) -> String {
    var writer = JSONWriter()
    writer.writePretty(value, indent: 0)
    writer.appendByte(0x0A)
    return String(decoding: writer.finish(), as: UTF8.self)
  }

  mutating func appendRaw(_ raw: some Sequence<UInt8>) {
    for byte in raw { appendByte(byte) }
  }

  /// Makes sure `extra` more bytes fit after what is written.
  @inline(__always)
  mutating func reserve(_ extra: Int) {
    if count + extra > storage.count { grow(extra) }
  }

  mutating func grow(_ extra: Int) {
    storage.append(contentsOf: repeatElement(0, count: max(storage.count, count + extra - storage.count)))
  }

  @inline(__always)
  mutating func appendByte(_ byte: UInt8) {
    reserve(1)
    storage[count] = byte
    count += 1
  }

  mutating func append(_ buffer: UnsafeRawBufferPointer) {
    guard let source = buffer.baseAddress, buffer.count > 0 else { return }
    reserve(buffer.count)
    let at = count
    storage.withUnsafeMutableBytes { out in (out.baseAddress! + at).copyMemory(from: source, byteCount: buffer.count) }
    count += buffer.count
  }

  mutating func appendLiteral(_ literal: StaticString) {
    append(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
  }

  public mutating func write(_ value: JSONValue) {
    switch value {
    case .null: appendLiteral("null")
    case .bool(let b): appendLiteral(b ? "true" : "false")
    case .int(let i): writeInt(i)
    case .double(let d): writeDouble(d)
    case .string(let s): writeString(s)
    case .array(let array):
      appendByte(UInt8(ascii: "["))
      for (i, element) in array.enumerated() {
        if i > 0 { appendByte(UInt8(ascii: ",")) }
        write(element)
      }
      appendByte(UInt8(ascii: "]"))
    case .object(let object):
      appendByte(UInt8(ascii: "{"))
      var first = true
      for (key, element) in object {
        if !first { appendByte(UInt8(ascii: ",")) }
        first = false
        writeString(key)
        appendByte(UInt8(ascii: ":"))
        write(element)
      }
      appendByte(UInt8(ascii: "}"))
    }
  }

  mutating func writePretty(_ value: JSONValue, indent: Int) {
    let pad = { (writer: inout JSONWriter, n: Int) in for _ in 0..<n { writer.appendByte(0x20) } }
    switch value {
    case .array(let array) where !array.isEmpty:
      appendLiteral("[\n")
      for (i, element) in array.enumerated() {
        pad(&self, indent + 2)
        writePretty(element, indent: indent + 2)
        if i + 1 < array.count { appendByte(UInt8(ascii: ",")) }
        appendByte(0x0A)
      }
      pad(&self, indent)
      appendByte(UInt8(ascii: "]"))
    case .object(let object) where !object.isEmpty:
      appendLiteral("{\n")
      for (i, pair) in object.pairs.enumerated() {
        pad(&self, indent + 2)
        writeString(pair.key)
        appendLiteral(": ")
        writePretty(pair.value, indent: indent + 2)
        if i + 1 < object.count { appendByte(UInt8(ascii: ",")) }
        appendByte(0x0A)
      }
      pad(&self, indent)
      appendByte(UInt8(ascii: "}"))
    default:
      write(value)
    }
  }

  mutating func writeInt(_ value: Int) {
    // Digits right to left into a 20-byte scratch (Int.min has 19 digits and a sign), then copied once.
    var magnitude = value.magnitude
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
      var start = 20
      repeat {
        start -= 1
        digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
      } while magnitude > 0
      if value < 0 {
        start -= 1
        digits[start] = UInt8(ascii: "-")
      }
      append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[start...]))
    }
  }

  mutating func writeDouble(_ d: Double) {
    guard d.isFinite else {
      appendLiteral("null")
      return
    }
    if d.rounded() == d, abs(d) < 1e15 {
      writeInt(Int(d))
    } else {
      appendRaw(d.description.utf8)
    }
  }

  /// For each byte, the letter after the backslash that escapes it ("u" for \u00XX), or 0 when it stands as is.
  static let escapeLetters: [UInt8] = (0..<256).map { byte in
    switch byte {
    case 0x22, 0x5C: return UInt8(byte)
    case 0x0A: return UInt8(ascii: "n")
    case 0x0D: return UInt8(ascii: "r")
    case 0x09: return UInt8(ascii: "t")
    case 0..<0x20: return UInt8(ascii: "u")
    default: return 0
    }
  }

  /// Input bytes escaped per capacity check: the worst case (every byte a \u00XX) needs six times as much room.
  /// Small enough that the room asked for (3 KB) seldom outgrows a reply's buffer: a 4 KB chunk asked for 24 KB, so
  /// a reply carrying a few KB of text grew its 16 KB buffer twice (zero-filled and copied) on every call.
  static let escapeChunk = 512

  public mutating func writeString(_ string: String) {
    appendByte(UInt8(ascii: "\""))
    var string = string
    string.withUTF8 { utf8 in
      Self.escapeLetters.withUnsafeBufferPointer { letters in
        var i = 0
        while i < utf8.count {
          let end = min(utf8.count, i + Self.escapeChunk)
          reserve((end - i) * 6)
          let at = count
          count = storage.withUnsafeMutableBufferPointer { out in
            Self.escape(from: utf8.baseAddress!, &i, to: end, into: out.baseAddress! + at, letters: letters.baseAddress!) - out.baseAddress!
          }
        }
      }
    }
    appendByte(UInt8(ascii: "\""))
  }

  /// Escapes `source[i..<end]` into `out`, which has room for six bytes per input byte; returns the end of output.
  @inline(__always)
  static func escape(
    from source: UnsafePointer<UInt8>, _ i: inout Int, to end: Int, into out: UnsafeMutablePointer<UInt8>, letters: UnsafePointer<UInt8>
  ) -> UnsafeMutablePointer<UInt8> {
    let hexDigits: StaticString = "0123456789abcdef"
    let hex = hexDigits.utf8Start
    var out = out
    while i < end {
      // Eight bytes at a time: the word is copied whole, then the output moves past the bytes before the first one
      // that needs escaping (all eight when none does); the room makes the over-copy harmless.
      if i + 8 <= end {
        let word = UnsafeRawPointer(source + i).loadUnaligned(as: UInt64.self)
        UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
        let mask = escapeMask(word)
        if mask == 0 {
          out += 8
          i += 8
          continue
        }
        let clean = mask.trailingZeroBitCount >> 3
        out += clean
        i += clean
      }
      let byte = source[i]
      i += 1
      let letter = letters[Int(byte)]
      if letter == 0 {
        out.pointee = byte
        out += 1
        continue
      }
      out[0] = 0x5C
      out[1] = letter
      if letter != UInt8(ascii: "u") {
        out += 2
        continue
      }
      out[2] = 0x30
      out[3] = 0x30
      out[4] = hex[Int(byte >> 4)]
      out[5] = hex[Int(byte & 0xF)]
      out += 6
    }
    return out
  }

  /// The high bit of each byte of the word that is below 0x20, a quote or a backslash (the classic SWAR zero-byte
  /// tests, little-endian): a borrow can flag a byte above a true hit, but the lowest flag is always exact.
  @inline(__always)
  static func escapeMask(_ word: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let below0x20 = (word &- ones &* 0x20) & ~word & highs
    let quote = word ^ (ones &* 0x22)
    let backslash = word ^ (ones &* 0x5C)
    let hasQuote = (quote &- ones) & ~quote & highs
    let hasBackslash = (backslash &- ones) & ~backslash & highs
    return below0x20 | hasQuote | hasBackslash
  }
}

extension JSONValue: CustomStringConvertible {
  public var description: String { JSONWriter.string(self) }
}
