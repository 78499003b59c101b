/// Why a byte sequence is not JSON, with the byte offset where the parser stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var offset: Int
  public var description: String { "\(message) at byte \(offset)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes. Invalid UTF-8 inside strings is replaced with U+FFFD rather than
/// rejected, so a client sending a stray byte still gets an answer about its request.
public struct JSONParser {
  public static let maxDepth = 512

  public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
    let array = Array(bytes)
    return try array.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
      var parser = Cursor(bytes: buffer)
      parser.skipWhitespace()
      let value = try parser.parseValue(depth: 0)
      parser.skipWhitespace()
      if parser.index != buffer.count { throw parser.error("Unexpected data after the JSON value") }
      return value
    }
  }

  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    try parse(Array(text.utf8))
  }

  struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: index) }

    mutating func skipWhitespace() {
      while index < bytes.count {
        switch bytes[index] {
        case 0x20, 0x09, 0x0A, 0x0D: index += 1
        default: return
        }
      }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
      guard depth < JSONParser.maxDepth else { throw error("JSON nested deeper than \(JSONParser.maxDepth) levels") }
      guard index < bytes.count else { throw error("Unexpected end of JSON") }
      switch bytes[index] {
      case UInt8(ascii: "{"): return try parseObject(depth: depth)
      case UInt8(ascii: "["): return try parseArray(depth: depth)
      case UInt8(ascii: "\""): return .string(try parseString())
      case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
      case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
      case UInt8(ascii: "n"): try expectWord("null"); return .null
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
      default: throw error("Unexpected character '\(Self.printable(bytes[index]))'")
      }
    }

    static func printable(_ byte: UInt8) -> String {
      byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }

    mutating func expectWord(_ word: StaticString) throws(JSONParseError) {
      let count = word.utf8CodeUnitCount
      guard index + count <= bytes.count else { throw error("Unexpected end of JSON") }
      let base = word.utf8Start
      for offset in 0..<count where bytes[index + offset] != base[offset] {
        throw error("Invalid literal")
      }
      index += count
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
      index += 1
      var object = JSONObject()
      // Most objects in protocol messages are small: one allocation instead of growing 1, 2, 4.
      object.reserveCapacity(4)
      skipWhitespace()
      if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(object)
      }
      while true {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("Expected a string key") }
        let key = try parseString()
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("Expected ':'") }
        index += 1
        skipWhitespace()
        let value = try parseValue(depth: depth + 1)
        object[key] = value
        skipWhitespace()
        guard index < bytes.count else { throw error("Unexpected end of JSON in an object") }
        if bytes[index] == UInt8(ascii: ",") {
          index += 1
          continue
        }
        if bytes[index] == UInt8(ascii: "}") {
          index += 1
          return .object(object)
        }
        throw error("Expected ',' or '}'")
      }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
      index += 1
      var array: [JSONValue] = []
      skipWhitespace()
      if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(array)
      }
      while true {
        skipWhitespace()
        array.append(try parseValue(depth: depth + 1))
        skipWhitespace()
        guard index < bytes.count else { throw error("Unexpected end of JSON in an array") }
        if bytes[index] == UInt8(ascii: ",") {
          index += 1
          continue
        }
        if bytes[index] == UInt8(ascii: "]") {
          index += 1
          return .array(array)
        }
        throw error("Expected ',' or ']'")
      }
    }

    mutating func parseString() throws(JSONParseError) -> String {
      index += 1
      let start = index
      // Fast path: no escapes.
      while index < bytes.count {
        let byte = bytes[index]
        if byte == UInt8(ascii: "\"") {
          let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
          index += 1
          return String(decoding: slice, as: UTF8.self)
        }
        if byte == UInt8(ascii: "\\") { break }
        if byte < 0x20 { throw error("Unescaped control character in a string") }
        index += 1
      }
      var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<index]))
      while index < bytes.count {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "\""):
          index += 1
          return String(decoding: out, as: UTF8.self)
        case UInt8(ascii: "\\"):
          index += 1
          guard index < bytes.count else { throw error("Unexpected end of JSON in a string") }
          let escaped = bytes[index]
          index += 1
          switch escaped {
          case UInt8(ascii: "\""): out.append(0x22)
          case UInt8(ascii: "\\"): out.append(0x5C)
          case UInt8(ascii: "/"): out.append(0x2F)
          case UInt8(ascii: "b"): out.append(0x08)
          case UInt8(ascii: "f"): out.append(0x0C)
          case UInt8(ascii: "n"): out.append(0x0A)
          case UInt8(ascii: "r"): out.append(0x0D)
          case UInt8(ascii: "t"): out.append(0x09)
          case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
              // A high surrogate must be followed by \u low surrogate; a lone one becomes U+FFFD.
              if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                let save = index
                index += 2
                let low = try parseHex4()
                if (0xDC00...0xDFFF).contains(low) {
                  scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else {
                  index = save
                  scalar = 0xFFFD
                }
              } else {
                scalar = 0xFFFD
              }
            } else if (0xDC00...0xDFFF).contains(scalar) {
              scalar = 0xFFFD
            }
            let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
          default:
            index -= 1
            throw error("Invalid escape '\\\(Self.printable(escaped))'")
          }
        default:
          if byte < 0x20 { throw error("Unescaped control character in a string") }
          out.append(byte)
          index += 1
        }
      }
      throw error("Unterminated string")
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
      guard index + 4 <= bytes.count else { throw error("Truncated \\u escape") }
      var value: UInt32 = 0
      for _ in 0..<4 {
        let byte = bytes[index]
        let digit: UInt32
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
        default: throw error("Invalid hex digit in \\u escape")
        }
        value = value << 4 | digit
        index += 1
      }
      return value
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
      let start = index
      var isInteger = true
      if bytes[index] == UInt8(ascii: "-") { index += 1 }
      guard index < bytes.count else { throw error("Truncated number") }
      if bytes[index] == UInt8(ascii: "0") {
        index += 1
      } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]) {
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
      } else {
        throw error("Invalid number")
      }
      if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
        isInteger = false
        index += 1
        let digitsStart = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        if index == digitsStart { throw error("Expected digits after '.'") }
      }
      if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
        isInteger = false
        index += 1
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        if index == digitsStart { throw error("Expected digits in the exponent") }
      }
      let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
      if isInteger, let value = Int(text) { return .int(value) }
      guard let value = Double(text) else { throw error("Invalid number") }
      return .double(value)
    }
  }
}
