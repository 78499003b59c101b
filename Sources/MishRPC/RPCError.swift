import MishJSON

/// A JSON-RPC error object: what goes in a reply's `error` member. Only protocol-level problems become one
/// (malformed requests, unknown methods, bad params on the native face); failures of an operation are results.
public struct RPCError: Error, Sendable, Equatable {
  public var code: Int
  public var message: String
  public var data: JSONValue?

  public init(code: Int, message: String, data: JSONValue? = nil) {
    self.code = code
    self.message = message
    self.data = data
  }

  public static let parseErrorCode = -32700
  public static let invalidRequestCode = -32600
  public static let methodNotFoundCode = -32601
  public static let invalidParamsCode = -32602
  public static let internalErrorCode = -32603
  /// LSP's RequestCancelled, used to answer `$/cancelRequest`.
  public static let requestCancelledCode = -32800
  /// MCP 2026-07-28 UnsupportedProtocolVersion.
  public static let unsupportedProtocolVersionCode = -32022

  public static func parseError(_ detail: String) -> RPCError {
    RPCError(
      code: parseErrorCode, message: "Parse error: \(detail)",
      data: ["hint": "Send one JSON-RPC 2.0 object (or batch array) per line, or use Content-Length framing."])
  }

  public static func invalidRequest(_ detail: String, hint: String? = nil) -> RPCError {
    var data = JSONObject()
    if let hint { data["hint"] = .string(hint) }
    return RPCError(code: invalidRequestCode, message: "Invalid request: \(detail)", data: data.isEmpty ? nil : .object(data))
  }

  public static func methodNotFound(_ method: String, suggestions: [String]) -> RPCError {
    let hint =
      suggestions.isEmpty
      ? "Call tools/list for the available tools: each is also a native method, with '/' for '_' (fs_read is fs/read); `mish tools` lists them too."
      : "Did you mean \(suggestions.map { "\"\($0)\"" }.joined(separator: " or "))?"
    return RPCError(code: methodNotFoundCode, message: "Method not found: \(method)", data: ["method": .string(method), "hint": .string(hint)])
  }

  public static func invalidParams(_ violation: SchemaViolation, method: String) -> RPCError {
    RPCError(
      code: invalidParamsCode,
      message: "Invalid params for \(method): \(violation.path) \(violation.message)",
      data: [
        "code": "invalid_argument", "field": .string(violation.path), "message": .string(violation.message),
        "hint": .string("Fix \(violation.path); the params schema is in schemas/\(method).params.json."),
      ])
  }

  public static func internalError(_ detail: String) -> RPCError {
    RPCError(
      code: internalErrorCode, message: "Internal error: \(detail)",
      data: ["hint": "This is a bug in mish; the server log (stderr) has details. Retrying may work."])
  }

  public var json: JSONValue {
    var object = JSONObject()
    object["code"] = .int(code)
    object["message"] = .string(message)
    if let data { object["data"] = data }
    return .object(object)
  }
}
