/// Serialises JSON compactly, on one line (MCP stdio frames must not contain newlines), straight into bytes.
public struct JSONWriter {
  public private(set) var bytes: [UInt8] = []

  public init(reservingCapacity capacity: Int = 256) { bytes.reserveCapacity(capacity) }

  public static func encode(_ value: JSONValue) -> [UInt8] {
    var writer = JSONWriter()
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
  /// 1 for bytes that need escaping inside a JSON string.
  static let escapeTable: [UInt8] = (0..<256).map { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C ? 1 : 0 }

  public mutating func writeString(_ string: String) {
    bytes.append(UInt8(ascii: "\""))
    var string = string
    let table = Self.escapeTable
    string.withUTF8 { utf8 in
      var runStart = 0
      table.withUnsafeBufferPointer { table in
      for i in 0..<utf8.count {
        let byte = utf8[i]
        if table[Int(byte)] == 0 { continue }
        if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
        runStart = i + 1
        switch byte {
        case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
        case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        default:
          bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
        }
      }
      }
      if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count])) }
    }
    bytes.append(UInt8(ascii: "\""))
  }
}

extension JSONValue: CustomStringConvertible {
  public var description: String { JSONWriter.string(self) }
}
