/// Serialises JSON compactly, on one line (MCP stdio frames must not contain newlines), straight into bytes.
public struct JSONWriter {
  public private(set) var bytes: [UInt8] = []

  public init(reservingCapacity capacity: Int = 256) { bytes.reserveCapacity(capacity) }

  public static func encode(_ value: JSONValue) -> [UInt8] {
    // Replies often carry file content: start big enough that most never regrow.
    var writer = JSONWriter(reservingCapacity: 16 << 10)
    writer.write(value)
    return writer.bytes
  }

  public static func string(_ value: JSONValue) -> String { String(decoding: encode(value), as: UTF8.self) }

  /// Multi-line, two-space indented, keys in stored order: for files people read (schemas/).
  public static func pretty(_ value: JSONValue) -> String {
    var writer = JSONWriter()
    writer.writePretty(value, indent: 0)
    return String(decoding: writer.bytes, as: UTF8.self) + "\n"
  }

  public mutating func appendRaw(_ raw: some Sequence<UInt8>) { bytes.append(contentsOf: raw) }

  public mutating func write(_ value: JSONValue) {
    switch value {
    case .null: appendLiteral("null")
    case .bool(let b): appendLiteral(b ? "true" : "false")
    case .int(let i): bytes.append(contentsOf: String(i).utf8)
    case .double(let d): writeDouble(d)
    case .string(let s): writeString(s)
    case .array(let array):
      bytes.append(UInt8(ascii: "["))
      for (i, element) in array.enumerated() {
        if i > 0 { bytes.append(UInt8(ascii: ",")) }
        write(element)
      }
      bytes.append(UInt8(ascii: "]"))
    case .object(let object):
      bytes.append(UInt8(ascii: "{"))
      var first = true
      for (key, element) in object {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        write(element)
      }
      bytes.append(UInt8(ascii: "}"))
    }
  }

  mutating func writePretty(_ value: JSONValue, indent: Int) {
    let pad = { (n: Int) in [UInt8](repeating: 0x20, count: n) }
    switch value {
    case .array(let array) where !array.isEmpty:
      bytes.append(contentsOf: "[\n".utf8)
      for (i, element) in array.enumerated() {
        bytes.append(contentsOf: pad(indent + 2))
        writePretty(element, indent: indent + 2)
        bytes.append(contentsOf: (i + 1 < array.count ? ",\n" : "\n").utf8)
      }
      bytes.append(contentsOf: pad(indent))
      bytes.append(UInt8(ascii: "]"))
    case .object(let object) where !object.isEmpty:
      bytes.append(contentsOf: "{\n".utf8)
      for (i, pair) in object.pairs.enumerated() {
        bytes.append(contentsOf: pad(indent + 2))
        writeString(pair.key)
        bytes.append(contentsOf: ": ".utf8)
        writePretty(pair.value, indent: indent + 2)
        bytes.append(contentsOf: (i + 1 < object.count ? ",\n" : "\n").utf8)
      }
      bytes.append(contentsOf: pad(indent))
      bytes.append(UInt8(ascii: "}"))
    default:
      write(value)
    }
  }

  mutating func appendLiteral(_ literal: StaticString) {
    bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
  }

  mutating func writeDouble(_ d: Double) {
    guard d.isFinite else {
      appendLiteral("null")
      return
    }
    if d.rounded() == d, abs(d) < 1e15 {
      bytes.append(contentsOf: String(Int(d)).utf8)
    } else {
      bytes.append(contentsOf: d.description.utf8)
    }
  }

  static let hex: [UInt8] = Array("0123456789abcdef".utf8)

  public mutating func writeString(_ string: String) {
    bytes.append(UInt8(ascii: "\""))
    var string = string
    string.withUTF8 { utf8 in
      guard let base = utf8.baseAddress else { return }
      let count = utf8.count
      var runStart = 0
      var i = 0
      while i < count {
        // Eight bytes at a time: skip words with no control byte, quote or backslash.
        if i + 8 <= count {
          let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
          if !Self.wordNeedsEscape(word) {
            i += 8
            continue
          }
        }
        let byte = base[i]
        if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
          i += 1
          continue
        }
        if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart)) }
        // Byte by byte: an array literal here would allocate on every escape.
        bytes.append(0x5C)
        switch byte {
        case 0x22, 0x5C: bytes.append(byte)
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
          bytes.append(UInt8(ascii: "u"))
          bytes.append(0x30)
          bytes.append(0x30)
          bytes.append(Self.hex[Int(byte >> 4)])
          bytes.append(Self.hex[Int(byte & 0xF)])
        }
        i += 1
        runStart = i
      }
      if runStart < count { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart)) }
    }
    bytes.append(UInt8(ascii: "\""))
  }

  /// Whether any byte of the word is below 0x20, a quote or a backslash (the classic SWAR zero-byte tests).
  @inline(__always)
  static func wordNeedsEscape(_ word: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let below0x20 = (word &- ones &* 0x20) & ~word & highs
    let quote = word ^ (ones &* 0x22)
    let backslash = word ^ (ones &* 0x5C)
    let hasQuote = (quote &- ones) & ~quote & highs
    let hasBackslash = (backslash &- ones) & ~backslash & highs
    return (below0x20 | hasQuote | hasBackslash) != 0
  }
}

extension JSONValue: CustomStringConvertible {
  public var description: String { JSONWriter.string(self) }
}
