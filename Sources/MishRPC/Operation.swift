import MishJSON

/// MCP tool annotations: hints for clients deciding whether to ask before calling.
public struct Annotations: Sendable {
  public var readOnly: Bool
  public var destructive: Bool
  public var idempotent: Bool
  public var openWorld: Bool

  public init(readOnly: Bool, destructive: Bool, idempotent: Bool, openWorld: Bool = false) {
    self.readOnly = readOnly
    self.destructive = destructive
    self.idempotent = idempotent
    self.openWorld = openWorld
  }

  public static let readOnly = Annotations(readOnly: true, destructive: false, idempotent: true)
  /// Creates or changes content without losing what was there (a write guarded by hashes, an edit).
  public static let additive = Annotations(readOnly: false, destructive: false, idempotent: false)
  public static let destructive = Annotations(readOnly: false, destructive: true, idempotent: false)

  public func json(title: String) -> JSONValue {
    [
      "title": .string(title), "readOnlyHint": .bool(readOnly), "destructiveHint": .bool(destructive),
      "idempotentHint": .bool(idempotent), "openWorldHint": .bool(openWorld),
    ]
  }
}

/// What an operation touches, so the dispatcher can order it: writes to a path wait for earlier reads and writes of
/// that path (or anything beneath it); reads run concurrently with reads.
public struct Footprint: Sendable, Equatable {
  public var reads: [String]
  public var writes: [String]
  /// Waits for everything earlier, and everything later waits for it.
  public var isBarrier: Bool

  public init(reads: [String] = [], writes: [String] = [], isBarrier: Bool = false) {
    self.reads = reads
    self.writes = writes
    self.isBarrier = isBarrier
  }

  public static let none = Footprint()
  public static let barrier = Footprint(isBarrier: true)
}

/// Validated arguments of one call. The params schema was checked before the handler runs, so accessors only
/// convert; a name missing from the schema is a programming error caught by the tests.
public struct Args: Sendable {
  public let object: JSONObject

  public init(_ object: JSONObject) { self.object = object }

  public subscript(key: String) -> JSONValue? {
    guard let value = object[key], !value.isNull else { return nil }
    return value
  }

  public func string(_ key: String) -> String? { self[key]?.stringValue }
  public func int(_ key: String) -> Int? { self[key]?.intValue }
  public func bool(_ key: String, default value: Bool) -> Bool { self[key]?.boolValue ?? value }
  public func array(_ key: String) -> [JSONValue]? { self[key]?.arrayValue }
  public func strings(_ key: String) -> [String]? { array(key)?.compactMap(\.stringValue) }

  /// A required string; the schema makes absence impossible, but a handler stays total.
  public func require(_ key: String) throws(ToolError) -> String {
    guard let value = string(key) else {
      throw ToolError(.invalidArgument, "Missing required argument \(key)", hint: "Pass \(key).")
    }
    return value
  }
}

/// What a running handler can see of its request: cancellation and progress.
public final class RequestContext: Sendable {
  let cancelled: @Sendable () -> Bool
  let progressSink: @Sendable (Double, Double?, String?) -> Void
  /// True when the request carried a progress token, so streaming work is worth doing.
  public let wantsProgress: Bool

  public init(
    isCancelled: @escaping @Sendable () -> Bool = { false },
    wantsProgress: Bool = false,
    progress: @escaping @Sendable (Double, Double?, String?) -> Void = { _, _, _ in }
  ) {
    cancelled = isCancelled
    self.wantsProgress = wantsProgress
    progressSink = progress
  }

  public var isCancelled: Bool { cancelled() }

  /// Throws `cancelled` once the client has cancelled this request; long loops call it between steps.
  public func checkCancelled() throws(ToolError) {
    if cancelled() {
      throw ToolError(.cancelled, "The request was cancelled", hint: "Nothing more will be done for it.")
    }
  }

  /// Sends `notifications/progress` when the request carried a progress token; otherwise does nothing.
  public func progress(_ progress: Double, total: Double? = nil, message: String? = nil) {
    progressSink(progress, total, message)
  }
}

/// One operation, declared once. Its native method, its MCP tool, and its schemas/ files all derive from this.
public struct OperationSpec: Sendable {
  public typealias SyncHandler = @Sendable (Args, RequestContext) throws(ToolError) -> JSONValue
  public typealias AsyncHandler = @Sendable (Args, RequestContext) async throws(ToolError) -> JSONValue
  /// Starts the work and returns at once with a canceller; `reply` is called exactly once, from any thread.
  public typealias CallbackHandler = @Sendable (Args, RequestContext, _ reply: @escaping @Sendable (Result<JSONValue, ToolError>) -> Void) -> @Sendable () -> Void

  public enum Handler: Sendable {
    /// Short blocking work (file I/O): run on a worker thread, never on the cooperative pool.
    case blocking(SyncHandler)
    /// Work that waits on other things (processes, child servers).
    case async(AsyncHandler)
    /// Forwarding that must not block and is answered from elsewhere (the hub's calls to its sessions): started on
    /// the thread that read the request, replied from the thread that reads the answer, with no hand-off between.
    case callback(CallbackHandler)
  }

  /// Native method name, `family/verb`.
  public let name: String
  public let title: String
  /// One to three sentences for tools/list; detail belongs in the parameter descriptions.
  public let summary: String
  public let params: JSONValue
  /// The success shape; the published result schema also admits the error shape.
  public let result: JSONValue
  public let annotations: Annotations
  public let footprint: @Sendable (Args) -> Footprint
  public let handler: Handler
  /// The one compact text item an agent can act on alone.
  public let render: @Sendable (JSONValue) -> String
  /// Short, bounded blocking work (a stat, a ranged read): the reading thread may run it itself instead of handing
  /// it to a worker, which saves a thread wake-up on every call of a one-request-at-a-time client.
  public let isQuick: Bool

  public init(
    name: String, title: String, summary: String, params: JSONValue, result: JSONValue, annotations: Annotations,
    footprint: @escaping @Sendable (Args) -> Footprint = { _ in .none }, isQuick: Bool = false,
    render: @escaping @Sendable (JSONValue) -> String,
    handler: Handler
  ) {
    self.isQuick = isQuick
    self.name = name
    self.title = title
    self.summary = summary
    self.params = params
    self.result = result
    self.annotations = annotations
    self.footprint = footprint
    self.handler = handler
    self.render = render
  }

  /// The MCP tool name: the method with `/` → `_`.
  public var toolName: String { String(name.map { $0 == "/" ? "_" : $0 }) }

  /// The result schema as published: the success shape, or an object carrying only `error`.
  public var publishedResultSchema: JSONValue {
    var schema = Schema.anyOf(
      [result, Schema.object("The operation failed.", ["error": .required(ToolError.schema)])],
      description: "Either the result, or an error object when the operation failed.")
    // MCP requires an object-typed outputSchema at the top.
    if case .object(var object) = schema {
      object["type"] = "object"
      schema = .object(object)
    }
    return schema
  }
}

/// The immutable set of operations a server offers, in a stable order (tools/list order is part of prompt caches).
public struct Registry: Sendable {
  public let operations: [OperationSpec]
  let byName: [String: Int]
  let byToolName: [String: Int]

  public init(_ operations: [OperationSpec]) {
    self.operations = operations
    var byName: [String: Int] = [:]
    var byToolName: [String: Int] = [:]
    for (index, operation) in operations.enumerated() {
      precondition(byName[operation.name] == nil, "duplicate operation \(operation.name)")
      byName[operation.name] = index
      byToolName[operation.toolName] = index
    }
    self.byName = byName
    self.byToolName = byToolName
  }

  public func operation(named name: String) -> OperationSpec? { byName[name].map { operations[$0] } }
  public func operation(toolName: String) -> OperationSpec? { byToolName[toolName].map { operations[$0] } }

  /// Up to two known names close to `name`, for "did you mean" hints.
  public func suggestions(for name: String, tool: Bool) -> [String] {
    let names = operations.map { tool ? $0.toolName : $0.name }
    let needle = Array(name.lowercased().utf8)
    return names.map { ($0, SchemaValidator.distance(needle, Array($0.lowercased().utf8))) }
      .filter { $0.1 <= max(2, needle.count / 3) }
      .sorted { $0.1 < $1.1 }
      .prefix(2).map(\.0)
  }
}
