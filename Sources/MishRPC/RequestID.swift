import MishJSON

/// A JSON-RPC request id: a string or an integer, echoed back exactly as the client sent it.
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
  case number(Int)
  case string(String)

  /// Nil for anything JSON-RPC does not allow as an id (null, fractions, objects).
  public init?(_ json: JSONValue) {
    switch json {
    case .int(let i): self = .number(i)
    case .string(let s): self = .string(s)
    default: return nil
    }
  }

  public var json: JSONValue {
    switch self {
    case .number(let n): return .int(n)
    case .string(let s): return .string(s)
    }
  }

  public var description: String { JSONWriter.string(json) }
}
