/// The one error type of MishSearch. `code` is stable and meant for the wire; `message` says what happened and `hint`
/// says what to do next, both written for the agent that sent the request.
public struct SearchError: Error, Sendable, Equatable, CustomStringConvertible {
  /// An extensible error code (new codes can be added without breaking callers that switch with a default).
  public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The path resolves outside the root (`..`, an absolute path, or a symlink pointing out).
    public static let outsideRoot = Code(rawValue: "outside_root")
    /// The path does not exist.
    public static let notFound = Code(rawValue: "not_found")
    /// The path exists but is not a directory where one is needed.
    public static let notDirectory = Code(rawValue: "not_directory")
    /// A glob or regular expression that cannot be compiled.
    public static let invalidPattern = Code(rawValue: "invalid_pattern")
    /// A cursor that this module did not produce, or that belongs to another tool or path.
    public static let invalidCursor = Code(rawValue: "invalid_cursor")
    /// An unexpected system call failure.
    public static let io = Code(rawValue: "io")
    /// The caller's `isCancelled` closure returned true.
    public static let cancelled = Code(rawValue: "cancelled")

    public var description: String { rawValue }
  }

  public let code: Code
  public let message: String
  public let hint: String

  public init(_ code: Code, _ message: String, hint: String) {
    self.code = code
    self.message = message
    self.hint = hint
  }

  public var description: String { "\(code): \(message) (\(hint))" }
}

extension SearchError {
  static func cancelled() -> SearchError {
    SearchError(.cancelled, "the search was cancelled", hint: "Send the request again if you still need the result.")
  }

  static func invalidCursor(_ detail: String) -> SearchError {
    SearchError(
      .invalidCursor, "invalid cursor: \(detail)",
      hint:
        "Pass the next_cursor returned by the previous call with the same tool and path, or omit cursor to start over."
    )
  }
}
