/// Builders for the JSON Schema (2020-12) documents that declare every operation's params and result. A schema is
/// an ordinary `JSONValue`, so what is validated, listed in `tools/list` and written to schemas/ is one value.
public enum Schema {
  public static let dialect = "https://json-schema.org/draft/2020-12/schema"

  /// One property of an object schema.
  public struct Field: Sendable {
    public var schema: JSONValue
    public var isRequired: Bool

    public static func required(_ schema: JSONValue) -> Field { Field(schema: schema, isRequired: true) }
    public static func optional(_ schema: JSONValue) -> Field { Field(schema: schema, isRequired: false) }
  }

  /// A closed object: unknown properties are rejected, so a misspelt parameter is an error, not silently ignored.
  public static func object(
    _ description: String? = nil,
    _ fields: KeyValuePairs<String, Field> = [:],
    additionalProperties: JSONValue = false
  ) -> JSONValue {
    var schema = JSONObject()
    schema["type"] = "object"
    if let description { schema["description"] = .string(description) }
    var properties = JSONObject()
    var required: [JSONValue] = []
    for (name, field) in fields {
      properties[name] = field.schema
      if field.isRequired { required.append(.string(name)) }
    }
    if !fields.isEmpty { schema["properties"] = .object(properties) }
    if !required.isEmpty { schema["required"] = .array(required) }
    schema["additionalProperties"] = additionalProperties
    return .object(schema)
  }

  /// An object schema with `fields` added to `base`'s (for operations that share a set of parameters or fields).
  public static func object(extending base: JSONValue, _ fields: KeyValuePairs<String, Field>) -> JSONValue {
    guard var schema = base.objectValue else { return base }
    var properties = schema["properties"]?.objectValue ?? JSONObject()
    var required = schema["required"]?.arrayValue ?? []
    for (name, field) in fields {
      properties[name] = field.schema
      if field.isRequired { required.append(.string(name)) }
    }
    schema["properties"] = .object(properties)
    if !required.isEmpty { schema["required"] = .array(required) }
    return .object(schema)
  }

  /// An object whose values all follow one schema (a map).
  public static func map(_ description: String? = nil, values: JSONValue) -> JSONValue {
    object(description, [:], additionalProperties: values)
  }

  public static func string(
    _ description: String? = nil, enum cases: [String]? = nil, minLength: Int? = nil, default value: String? = nil
  ) -> JSONValue {
    var schema = JSONObject()
    schema["type"] = "string"
    if let description { schema["description"] = .string(description) }
    if let cases { schema["enum"] = .array(cases.map(JSONValue.string)) }
    if let minLength { schema["minLength"] = .int(minLength) }
    if let value { schema["default"] = .string(value) }
    return .object(schema)
  }

  public static func integer(
    _ description: String? = nil, minimum: Int? = nil, maximum: Int? = nil, default value: Int? = nil
  ) -> JSONValue {
    var schema = JSONObject()
    schema["type"] = "integer"
    if let description { schema["description"] = .string(description) }
    if let minimum { schema["minimum"] = .int(minimum) }
    if let maximum { schema["maximum"] = .int(maximum) }
    if let value { schema["default"] = .int(value) }
    return .object(schema)
  }

  public static func number(_ description: String? = nil, minimum: Double? = nil, maximum: Double? = nil) -> JSONValue {
    var schema = JSONObject()
    schema["type"] = "number"
    if let description { schema["description"] = .string(description) }
    if let minimum { schema["minimum"] = .double(minimum) }
    if let maximum { schema["maximum"] = .double(maximum) }
    return .object(schema)
  }

  public static func boolean(_ description: String? = nil, default value: Bool? = nil) -> JSONValue {
    var schema = JSONObject()
    schema["type"] = "boolean"
    if let description { schema["description"] = .string(description) }
    if let value { schema["default"] = .bool(value) }
    return .object(schema)
  }

  public static func array(
    _ description: String? = nil, of items: JSONValue, minItems: Int? = nil, maxItems: Int? = nil
  ) -> JSONValue {
    var schema = JSONObject()
    schema["type"] = "array"
    if let description { schema["description"] = .string(description) }
    schema["items"] = items
    if let minItems { schema["minItems"] = .int(minItems) }
    if let maxItems { schema["maxItems"] = .int(maxItems) }
    return .object(schema)
  }

  /// The schema, or null.
  public static func nullable(_ schema: JSONValue) -> JSONValue {
    guard var object = schema.objectValue else { return schema }
    if case .string(let type)? = object["type"] {
      object["type"] = .array([.string(type), "null"])
    }
    if case .array(var cases)? = object["enum"] {
      cases.append(.null)
      object["enum"] = .array(cases)
    }
    return .object(object)
  }

  public static func anyOf(_ schemas: [JSONValue], description: String? = nil) -> JSONValue {
    var schema = JSONObject()
    if let description { schema["description"] = .string(description) }
    schema["anyOf"] = .array(schemas)
    return .object(schema)
  }

  /// Any JSON value.
  public static func any(_ description: String? = nil) -> JSONValue {
    var schema = JSONObject()
    if let description { schema["description"] = .string(description) }
    return .object(schema)
  }

  /// `schema` with `description` replaced (for reusing a shared definition under a property-specific description).
  public static func describe(_ schema: JSONValue, _ description: String) -> JSONValue {
    guard var object = schema.objectValue else { return schema }
    object["description"] = .string(description)
    return .object(object)
  }
}
