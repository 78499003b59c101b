import MishJSON
import Testing
@_exported import MishTestSupport

@Suite struct JSONParserTests {
  static let valid: [(String, JSONValue)] = [
    ("null", .null), ("true", true), ("false", false), ("0", 0), ("-12", -12), ("1.5", 1.5),
    ("1e3", 1000.0), ("\"a\\nb\"", "a\nb"), ("\"\\u00e9\\ud83d\\ude00\"", "é😀"), ("[]", []), ("{}", [:]),
    ("[1,[2,{\"a\":null}]]", [1, [2, ["a": nil]]]), (" \t\n{\"k\" : \"v\"} ", ["k": "v"]),
  ]

  @Test(arguments: valid)
  func parsesValid(text: String, expected: JSONValue) throws {
    #expect(try JSONParser.parse(text) == expected)
  }

  @Test(arguments: [
    "", "{", "[1,]", "{\"a\":}", "{a:1}", "01", "1.", "-", "tru", "\"abc", "\"\\x\"", "[1 2]", "{\"a\":1,}", "1 2",
    "\"tab\there\"", "nul",
  ])
  func rejectsInvalid(text: String) {
    #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
  }

  @Test func invalidUTF8BecomesReplacementCharacter() throws {
    let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x62, 0x22]
    #expect(try JSONParser.parse(bytes) == .string("a\u{FFFD}b"))
  }

  @Test func loneSurrogateBecomesReplacementCharacter() throws {
    #expect(try JSONParser.parse("\"\\ud800x\"") == .string("\u{FFFD}x"))
  }

  @Test func deepNestingIsRefusedNotCrashed() {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
  }

  @Test func largeIntegersStayExactAndHugeOnesBecomeDoubles() throws {
    #expect(try JSONParser.parse("9007199254740993") == .int(9_007_199_254_740_993))
    #expect(try JSONParser.parse("123456789012345678901234567890").doubleValue != nil)
  }
}

@Suite struct JSONWriterTests {
  @Test func escapesControlCharactersAndKeepsOneLine() {
    let text = JSONWriter.string(["s": "line1\nline2\r\t\"\\\u{01}é"])
    #expect(text == #"{"s":"line1\nline2\r\t\"\\\u0001é"}"#)
    #expect(!text.contains("\n"))
  }

  /// Property: long strings dense in bytes that need escaping come out as a plain byte-by-byte escaper writes them,
  /// across the writer's word and chunk boundaries.
  @Test(arguments: 0..<40)
  func escapesLikeTheReference(seed: UInt64) {
    var random = SplitMix64(seed: seed)
    let alphabet: [String] = ["a", "bcdefghi", "\n", "\r", "\t", "\"", "\\", "\u{0}", "\u{1F}", " ", "é", "😀", "\u{7F}"]
    let count = Int(random.next() % 9000)
    let text = (0..<count).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined()
    var expected = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": expected += "\\\""
      case "\\": expected += "\\\\"
      case "\n": expected += "\\n"
      case "\r": expected += "\\r"
      case "\t": expected += "\\t"
      case _ where scalar.value < 0x20:
        expected += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
      default: expected.unicodeScalars.append(scalar)
      }
    }
    expected += "\""
    #expect(JSONWriter.string(.string(text)) == expected, "seed \(seed)")
  }

  @Test(arguments: [Int.min, Int.max, 0, -1, 9, 10, -10, 1_000_000_007])
  func writesIntegers(value: Int) {
    #expect(JSONWriter.string(.int(value)) == String(value))
  }

  @Test func keepsKeyOrder() {
    #expect(JSONWriter.string(["b": 1, "a": 2, "c": 3]) == #"{"b":1,"a":2,"c":3}"#)
  }

  /// Property: parse(write(v)) == v for random values.
  @Test(arguments: 0..<100)
  func roundTrips(seed: UInt64) throws {
    var random = SplitMix64(seed: seed)
    let value = randomValue(&random, depth: 0)
    let parsed = try JSONParser.parse(JSONWriter.encode(value))
    #expect(parsed == value, "seed \(seed)")
  }

  func randomValue(_ random: inout SplitMix64, depth: Int) -> JSONValue {
    switch random.next() % (depth > 3 ? 5 : 7) {
    case 0: return .null
    case 1: return .bool(random.next() % 2 == 0)
    case 2: return .int(Int(truncatingIfNeeded: random.next()) >> Int(random.next() % 60))
    case 3: return .double(Double(Int(random.next() % 1_000_000)) / 7.0)
    case 4:
      let scalars = (0..<Int(random.next() % 12)).map { _ in
        Character(Unicode.Scalar(UInt32(random.next() % 0xD7FF)) ?? "x")
      }
      return .string(String(scalars))
    case 5: return .array((0..<Int(random.next() % 4)).map { _ in randomValue(&random, depth: depth + 1) })
    default:
      var object = JSONObject()
      for i in 0..<Int(random.next() % 4) { object["k\(i)\(random.next() % 9)"] = randomValue(&random, depth: depth + 1) }
      return .object(object)
    }
  }
}

@Suite struct SchemaValidatorTests {
  let schema = Schema.object(
    nil,
    [
      "path": .required(Schema.string(minLength: 1)),
      "count": .optional(Schema.integer(minimum: 1, maximum: 10)),
      "mode": .optional(Schema.string(enum: ["a", "b"])),
      "edits": .optional(Schema.array(of: Schema.object(nil, ["old_text": .required(Schema.string())]), minItems: 1)),
      "maybe": .optional(Schema.nullable(Schema.string())),
    ])

  static let cases: [(JSONValue, String?)] = [
    (["path": "x"], nil),
    (["path": "x", "count": 3, "maybe": nil], nil),
    (["path": "x", "count": 3.0], nil),
    ([:], "$.path: is required"),
    (["path": 5], "$.path: expected string, got integer"),
    (["path": ""], "$.path: must not be empty"),
    (["path": "x", "count": 0], "$.count: must be at least 1, got 0"),
    (["path": "x", "count": 2.5], "$.count: expected integer, got number"),
    (["path": "x", "mode": "c"], "$.mode: must be one of \"a\", \"b\", got \"c\""),
    (["path": "x", "edits": []], "$.edits: must have at least 1 item"),
    (["path": "x", "edits": [["old_text": 1]]], "$.edits[0].old_text: expected string, got integer"),
    (["path": "x", "edits": [["old": "a", "old_text": "b"]]], "$.edits[0].old: is not a known field (known: old_text)."),
  ]

  @Test(arguments: cases)
  func reportsTheFirstViolationWithItsPath(value: JSONValue, expected: String?) {
    let violation = SchemaValidator.firstViolation(of: value, against: schema)
    if let expected {
      #expect(violation.map { "\($0.path): \($0.message)" }?.hasPrefix(expected) == true, "\(String(describing: violation))")
    } else {
      #expect(violation == nil)
    }
  }

  @Test func misspeltFieldGetsASuggestion() {
    let violation = SchemaValidator.firstViolation(of: ["path": "x", "cont": 3], against: schema)
    #expect(violation?.message.contains("Did you mean \"count\"?") == true)
  }
}

