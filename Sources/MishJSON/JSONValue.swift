/// A JSON value with object keys kept in insertion order, so replies read in the order they were built and
/// schemas/ files are byte-stable across runs.
public enum JSONValue: Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object(JSONObject)
}

/// An ordered JSON object. Objects in protocol messages are small, so lookups scan linearly.
public struct JSONObject: Sendable, Equatable, Sequence {
  public private(set) var pairs: [(key: String, value: JSONValue)]

  public init() { pairs = [] }
  public init(_ pairs: [(String, JSONValue)]) {
    self.pairs = []
    self.pairs.reserveCapacity(pairs.count)
    for (k, v) in pairs { self[k] = v }
  }

  public mutating func reserveCapacity(_ count: Int) { pairs.reserveCapacity(count) }

  public subscript(key: String) -> JSONValue? {
    get {
      for pair in pairs where pair.key == key { return pair.value }
      return nil
    }
    set {
      if let index = pairs.firstIndex(where: { $0.key == key }) {
        if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
      } else if let newValue {
        pairs.append((key, newValue))
      }
    }
  }

  public var keys: [String] { pairs.map(\.key) }
  public var count: Int { pairs.count }
  public var isEmpty: Bool { pairs.isEmpty }

  public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> { pairs.makeIterator() }

  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
    guard lhs.pairs.count == rhs.pairs.count else { return false }
    for (key, value) in lhs.pairs where rhs[key] != value { return false }
    return true
  }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
  public init(nilLiteral: ()) { self = .null }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

extension JSONValue: Equatable {
  /// Numbers compare by value: JSON does not distinguish `1` from `1.0`.
  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.int(let a), .int(let b)): return a == b
    case (.int, .double), (.double, .int), (.double, .double): return lhs.doubleValue == rhs.doubleValue
    case (.string(let a), .string(let b)): return a == b
    case (.array(let a), .array(let b)): return a == b
    case (.object(let a), .object(let b)): return a == b
    default: return false
    }
  }
}

extension JSONValue {
  public subscript(key: String) -> JSONValue? {
    if case .object(let object) = self { return object[key] }
    return nil
  }

  public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }
  public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
  public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
  public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
  public var isNull: Bool { if case .null = self { return true } else { return false } }

  /// Integers, and doubles with no fractional part (JSON does not distinguish `1` from `1.0`).
  public var intValue: Int? {
    switch self {
    case .int(let i): return i
    case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int(d)
    default: return nil
    }
  }

  public var doubleValue: Double? {
    switch self {
    case .int(let i): return Double(i)
    case .double(let d): return d
    default: return nil
    }
  }

  /// The JSON Schema type name of this value ("integer" for whole numbers).
  public var typeName: String {
    switch self {
    case .null: return "null"
    case .bool: return "boolean"
    case .int: return "integer"
    case .double: return intValue != nil ? "integer" : "number"
    case .string: return "string"
    case .array: return "array"
    case .object: return "object"
    }
  }
}

extension JSONValue {
  public init(_ value: String?) { self = value.map(JSONValue.string) ?? .null }
  public init(_ value: Int?) { self = value.map(JSONValue.int) ?? .null }
  public init(_ value: Bool) { self = .bool(value) }
  public init(_ values: [String]) { self = .array(values.map(JSONValue.string)) }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
  public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}
