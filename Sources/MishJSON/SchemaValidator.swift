/// A value that does not follow its schema: where (`$.edits[0].old_text`) and why.
public struct SchemaViolation: Error, Sendable, Equatable, CustomStringConvertible {
  public var path: String
  public var message: String
  public var description: String { "\(path): \(message)" }
}

/// Validates values against the subset of JSON Schema 2020-12 that mish's own schemas use: type, properties,
/// required, additionalProperties, items, enum, const, minimum/maximum, minLength, minItems/maxItems, anyOf/oneOf.
/// Unknown keywords are ignored, as the specification requires.
public enum SchemaValidator {
  /// The first violation found, in document order, or nil when the value is valid.
  public static func firstViolation(of value: JSONValue, against schema: JSONValue) -> SchemaViolation? {
    var violations: [SchemaViolation] = []
    validate(value, schema, path: { "$" }, into: &violations, stopAtFirst: true)
    return violations.first
  }

  public static func violations(of value: JSONValue, against schema: JSONValue) -> [SchemaViolation] {
    var violations: [SchemaViolation] = []
    validate(value, schema, path: { "$" }, into: &violations, stopAtFirst: false)
    return violations
  }

  static func childPath(_ path: String, key: String) -> String {
    let plain = !key.isEmpty && key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    return plain ? "\(path).\(key)" : "\(path)[\(JSONWriter.string(.string(key)))]"
  }

  static func typeMatches(_ value: JSONValue, _ type: String) -> Bool {
    switch type {
    case "null": return value.isNull
    case "boolean": return value.boolValue != nil
    case "integer": return value.intValue != nil
    case "number": return value.doubleValue != nil
    case "string": return value.stringValue != nil
    case "array": return value.arrayValue != nil
    case "object": return value.objectValue != nil
    default: return true
    }
  }

  /// `path` spells where `value` is; it is only called when something fails there, so a valid value costs no strings.
  static func validate(
    _ value: JSONValue, _ schema: JSONValue, path: () -> String, into violations: inout [SchemaViolation], stopAtFirst: Bool
  ) {
    func fail(_ message: String, at where_: String? = nil) {
      violations.append(SchemaViolation(path: where_ ?? path(), message: message))
    }
    if case .bool(let allowed) = schema {
      if !allowed { fail("is not allowed here") }
      return
    }
    guard let schema = schema.objectValue else { return }

    if let type = schema["type"] {
      let matches: Bool
      switch type {
      case .string(let name): matches = typeMatches(value, name)
      case .array(let list):
        let names = list.compactMap(\.stringValue)
        matches = names.isEmpty || names.contains { typeMatches(value, $0) }
      default: matches = true
      }
      if !matches {
        let types = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
        fail("expected \(types.joined(separator: " or ")), got \(value.typeName)")
        return
      }
    }
    if let cases = schema["enum"]?.arrayValue, !cases.contains(value) {
      let list = cases.map { JSONWriter.string($0) }.joined(separator: ", ")
      fail("must be one of \(list), got \(JSONWriter.string(value))")
      return
    }
    if let constant = schema["const"], constant != value {
      fail("must be \(JSONWriter.string(constant))")
      return
    }
    if let number = value.doubleValue, value.boolValue == nil {
      if let minimum = schema["minimum"]?.doubleValue, number < minimum {
        fail("must be at least \(JSONWriter.string(schema["minimum"]!)), got \(JSONWriter.string(value))")
      }
      if let maximum = schema["maximum"]?.doubleValue, number > maximum {
        fail("must be at most \(JSONWriter.string(schema["maximum"]!)), got \(JSONWriter.string(value))")
      }
    }
    if let string = value.stringValue, let minLength = schema["minLength"]?.intValue, string.count < minLength {
      fail(minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters long")
    }
    if let array = value.arrayValue {
      if let minItems = schema["minItems"]?.intValue, array.count < minItems {
        fail("must have at least \(minItems) item\(minItems == 1 ? "" : "s")")
      }
      if let maxItems = schema["maxItems"]?.intValue, array.count > maxItems {
        fail("must have at most \(maxItems) items, got \(array.count)")
      }
      if let items = schema["items"] {
        for (index, element) in array.enumerated() {
          validate(element, items, path: { "\(path())[\(index)]" }, into: &violations, stopAtFirst: stopAtFirst)
          if stopAtFirst, !violations.isEmpty { return }
        }
      }
    }
    if let object = value.objectValue {
      let properties = schema["properties"]?.objectValue ?? JSONObject()
      for required in schema["required"]?.arrayValue ?? [] {
        guard let name = required.stringValue, object[name] == nil else { continue }
        fail("is required", at: childPath(path(), key: name))
        if stopAtFirst { return }
      }
      for (key, element) in object {
        if let propertySchema = properties[key] {
          validate(element, propertySchema, path: { childPath(path(), key: key) }, into: &violations, stopAtFirst: stopAtFirst)
        } else if let additional = schema["additionalProperties"] {
          if case .bool(false) = additional {
            let known = properties.keys
            let suggestion = closest(to: key, in: known).map { " Did you mean \"\($0)\"?" } ?? ""
            let list = known.isEmpty ? "none" : known.joined(separator: ", ")
            fail("is not a known field (known: \(list)).\(suggestion)", at: childPath(path(), key: key))
          } else {
            validate(element, additional, path: { childPath(path(), key: key) }, into: &violations, stopAtFirst: stopAtFirst)
          }
        }
        if stopAtFirst, !violations.isEmpty { return }
      }
    }
    for keyword in ["anyOf", "oneOf"] {
      guard let options = schema[keyword]?.arrayValue else { continue }
      var matches = 0
      for option in options where firstViolation(of: value, against: option, path: path) == nil { matches += 1 }
      if matches == 0 || (keyword == "oneOf" && matches > 1) {
        // Report the closest option's own violation: more useful than "matches no option".
        let nested = options.compactMap { firstViolation(of: value, against: $0, path: path) }
        if let best = nested.max(by: { $0.path.count < $1.path.count }) {
          violations.append(best)
        } else {
          fail("matches more than one allowed form")
        }
      }
    }
  }

  static func firstViolation(of value: JSONValue, against schema: JSONValue, path: () -> String) -> SchemaViolation? {
    var violations: [SchemaViolation] = []
    validate(value, schema, path: path, into: &violations, stopAtFirst: true)
    return violations.first
  }

  /// The known name within edit distance 2 of `name`, for "did you mean" hints.
  static func closest(to name: String, in candidates: [String]) -> String? {
    var best: (String, Int)?
    for candidate in candidates {
      let d = distance(Array(name.lowercased().utf8), Array(candidate.lowercased().utf8))
      if d <= 2, d < (best?.1 ?? Int.max) { best = (candidate, d) }
    }
    return best?.0
  }

  public static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}
