import MishJSON

/// A failure of an operation the user can act on: a missing file, no match, a path outside the root. It reaches
/// the client as an `isError` result (MCP) or as `error.data` (native), always with what happened and what to do.
public struct ToolError: Error, Sendable {
  /// The stable machine-readable code; an open set so each tool family can add its own.
  public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public static let noMatch: Code = "no_match"
    public static let ambiguousMatch: Code = "ambiguous_match"
    public static let stale: Code = "stale"
    public static let notFound: Code = "not_found"
    public static let outsideRoot: Code = "outside_root"
    public static let exists: Code = "exists"
    public static let isBinary: Code = "is_binary"
    public static let tooLarge: Code = "too_large"
    public static let denied: Code = "denied"
    public static let timeout: Code = "timeout"
    public static let invalidArgument: Code = "invalid_argument"
    public static let notADirectory: Code = "not_a_directory"
    public static let isADirectory: Code = "is_a_directory"
    public static let invalidPatch: Code = "invalid_patch"
    public static let cancelled: Code = "cancelled"
    public static let io: Code = "io_error"
    public static let `internal`: Code = "internal"
  }

  public var code: Code
  public var message: String
  public var hint: String
  /// Extra machine-readable detail (`current_sha256`, `match_lines`, `field`, ...), merged into the error object.
  public var details: JSONObject

  public init(_ code: Code, _ message: String, hint: String, details: JSONObject = JSONObject()) {
    self.code = code
    self.message = message
    self.hint = hint
    self.details = details
  }

  public var json: JSONValue {
    var object = JSONObject()
    object["code"] = .string(code.rawValue)
    object["message"] = .string(message)
    object["hint"] = .string(hint)
    for (key, value) in details where object[key] == nil { object[key] = value }
    return .object(object)
  }

  public static func invalidArgument(_ violation: SchemaViolation, schemaName: String) -> ToolError {
    ToolError(
      .invalidArgument, "Invalid argument \(violation.path): \(violation.message)",
      hint: "Fix \(violation.path) and call again; the full schema is schemas/\(schemaName).params.json.",
      details: ["field": .string(violation.path)])
  }

  /// The schema every error object follows; each tool's result schema accepts it as an alternative.
  public static let schema: JSONValue = Schema.object(
    "What went wrong and what to do next.",
    [
      "code": .required(Schema.string("Stable machine-readable code, e.g. no_match, stale, not_found, outside_root.")),
      "message": .required(Schema.string("What happened.")),
      "hint": .required(Schema.string("What to do next.")),
    ],
    additionalProperties: true)
}
