import Foundation
import MishJSON
import MishRPC
import Synchronization

/// Who the server says it is, in `initialize`, `server/discover` and logs.
public struct ServerIdentity: Sendable {
  public var name: String
  public var title: String
  public var version: String
  public var instructions: String

  public init(name: String, title: String, version: String, instructions: String) {
    self.name = name
    self.title = title
    self.version = version
    self.instructions = instructions
  }
}

public struct ServerOptions: Sendable {
  /// Largest accepted frame; bigger ones are skipped as they stream past and answered with an error.
  public var maxFrameBytes = 64 << 20
  public var toolsPageSize = 100
  public var workerThreads = 4
  /// Check every result against its schema before sending (on in debug builds, so every test checks it).
  public var validateResults: Bool

  public init() {
    #if DEBUG
      validateResults = true
    #else
      validateResults = false
    #endif
  }
}

/// A JSON-RPC 2.0 server over a pair of fds that offers one registry through two faces: native methods
/// (`fs/read`) and MCP tools (`fs_read`), in both MCP eras. One thread reads and frames; blocking handlers run on a
/// worker pool; async ones as tasks; every reply leaves through one `FrameWriter`.
public final class Server: Sendable {
  public let registry: Registry
  public let identity: ServerIdentity
  public let options: ServerOptions
  public let logger: Logger
  let writer: FrameWriter
  let pool: WorkerPool
  let scheduler = Scheduler()
  let live = Mutex<[RequestID: LiveRequest]>([:])
  let inflight = InflightCounter()
  /// Set by the reading thread while it handles the last request of a chunk: one quick operation may then run on
  /// that thread (see `OperationSpec.isQuick`).
  let inlineSlot = Atomic(false)

  /// A request between admission and reply, so it can be cancelled.
  final class LiveRequest: Sendable {
    let responder: Responder
    let cancelled = Atomic(false)
    let task = Mutex<Task<Void, Never>?>(nil)
    /// A callback handler's canceller.
    let canceller = Mutex<(@Sendable () -> Void)?>(nil)
    init(responder: Responder) { self.responder = responder }
  }

  public init(registry: Registry, identity: ServerIdentity, options: ServerOptions = ServerOptions(), logger: Logger, outputFD: Int32) {
    self.registry = registry
    self.identity = identity
    self.options = options
    self.logger = logger
    writer = FrameWriter(fd: outputFD)
    pool = WorkerPool(threads: options.workerThreads)
  }

  // MARK: - Reading

  /// How long the reading thread may spend running a chunk's quick requests itself before handing the rest out.
  static let inlineBudget = Duration.milliseconds(2)

  /// Reads frames from `inputFD` until end of input, then waits for every request in flight to be answered.
  public func run(inputFD: Int32) {
    var parser = FrameParser(maxFrameBytes: options.maxFrameBytes)
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    readLoop: while true {
      let n = buffer.withUnsafeMutableBytes { read(inputFD, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        logger.error("reading stdin failed: \(String(cString: strerror(errno))); shutting down")
        break readLoop
      }
      if n == 0 { break readLoop }
      let events = parser.feed(buffer[0..<n])
      let chunkStart = ContinuousClock.now
      for (index, event) in events.enumerated() {
        // Quick operations run here, one after another, while this chunk has taken under 2 ms of this thread (and
        // always its last request, behind which nothing read is waiting): a burst of small reads (parallel tool
        // calls) is answered without a thread wake-up per call, and a slow one cannot hold the rest of a long
        // chunk back for more than that.
        let inline = index == events.count - 1 || ContinuousClock.now - chunkStart < Self.inlineBudget
        inlineSlot.store(inline, ordering: .relaxed)
        handle(event)
      }
      inlineSlot.store(false, ordering: .relaxed)
    }
    for event in parser.finish() { handle(event) }
    inflight.waitUntilZero()
  }

  /// Handles one framed message; public so tests and in-process hosts can drive the server without a pipe.
  public func handle(_ event: FrameEvent) {
    switch event {
    case .message(let bytes, let framing):
      handleFrame(bytes, framing: framing)
    case .oversized(let size, let framing):
      let error = RPCError.invalidRequest(
        "message of \(size) bytes exceeds the maximum frame size of \(options.maxFrameBytes) bytes",
        hint: "Send smaller requests: large content belongs in several calls.")
      writer.send(JSONWriter.encode(Responder.envelope(id: nil, result: nil, error: error)), framing: framing)
    case .badHeader(let message):
      let error = RPCError.parseError("bad Content-Length header: \(message)")
      writer.send(JSONWriter.encode(Responder.envelope(id: nil, result: nil, error: error)), framing: .contentLength)
    }
  }

  func handleFrame(_ bytes: [UInt8], framing: Framing) {
    let message: JSONValue
    do {
      message = try JSONParser.parse(bytes)
    } catch {
      writer.send(JSONWriter.encode(Responder.envelope(id: nil, result: nil, error: .parseError(error.description))), framing: framing)
      return
    }
    if case .array(let elements) = message {
      guard !elements.isEmpty else {
        let error = RPCError.invalidRequest("empty batch", hint: "A batch must hold at least one request.")
        writer.send(JSONWriter.encode(Responder.envelope(id: nil, result: nil, error: error)), framing: framing)
        return
      }
      let batch = BatchCollector(writer: writer, framing: framing)
      for element in elements { handleMessage(element, sink: .batch(batch)) }
      batch.seal()
    } else {
      handleMessage(message, sink: .direct(writer, framing))
    }
  }

  func rejectMessage(_ error: RPCError, id: RequestID?, sink: ReplySink) {
    let reply = Responder.envelope(id: id, result: nil, error: error)
    switch sink {
    case .direct(let writer, let framing): writer.send(JSONWriter.encode(reply), framing: framing)
    case .discard: break
    case .batch(let batch):
      batch.expectOne()
      batch.add(reply)
    }
  }

  func handleMessage(_ message: JSONValue, sink: ReplySink) {
    guard let object = message.objectValue else {
      rejectMessage(.invalidRequest("a message must be a JSON object, got \(message.typeName)"), id: nil, sink: sink)
      return
    }
    let rawID = object["id"]
    let id = rawID.flatMap(RequestID.init)
    if let rawID, id == nil {
      let got = if case .double = rawID { "a number written with a fraction or exponent" } else { rawID.typeName }
      rejectMessage(.invalidRequest("id must be a string or an integer, got \(got)"), id: nil, sink: sink)
      return
    }
    guard object["jsonrpc"] == "2.0" else {
      rejectMessage(.invalidRequest("\"jsonrpc\" must be \"2.0\"", hint: "Add \"jsonrpc\":\"2.0\" to every message."), id: id, sink: sink)
      return
    }
    guard let method = object["method"]?.stringValue else {
      if object["result"] != nil || object["error"] != nil {
        logger.debug("ignoring a response from the client (id \(id?.description ?? "null")): mish sends no requests")
        return
      }
      if let other = object["method"] {
        rejectMessage(.invalidRequest("\"method\" must be a string, got \(other.typeName)"), id: id, sink: sink)
      } else {
        rejectMessage(.invalidRequest("missing \"method\""), id: id, sink: sink)
      }
      return
    }
    let params = object["params"]
    if let params, params.objectValue == nil, params.arrayValue == nil {
      rejectMessage(.invalidRequest("\"params\" must be an object or an array"), id: id, sink: sink)
      return
    }
    guard let id else {
      if method.hasPrefix("notifications/") || method.hasPrefix("$/") {
        handleNotification(method, params: params?.objectValue ?? JSONObject())
      } else {
        // A notification for anything else is run like a request whose reply nobody reads (JSON-RPC 2.0 §4.1).
        let entry = LiveRequest(
          responder: Responder(
            id: .string("notification"), method: method, sink: .discard, logger: logger,
            onDone: { [weak self] in self?.inflight.decrement() }))
        inflight.increment()
        handleRequest(method, params: params, entry: entry)
      }
      return
    }
    // Only this thread adds entries, so checking and then inserting cannot race.
    if live.withLock({ $0[id] != nil }) {
      rejectMessage(.invalidRequest("id \(id) is already used by a request in flight", hint: "Use a fresh id for each request."), id: id, sink: sink)
      return
    }
    let box = LiveRequestBox()
    let entry = LiveRequest(
      responder: Responder(
        id: id, method: method, sink: sink, logger: logger,
        onClaim: { [weak self] in self?.release(id, box.entry) },
        onDone: { [weak self] in self?.inflight.decrement() }))
    box.entry = entry
    live.withLock { $0[id] = entry }
    inflight.increment()
    handleRequest(method, params: params, entry: entry)
  }

  /// Forgets a request that has been answered, unless its id already belongs to a newer one.
  func release(_ id: RequestID, _ entry: LiveRequest?) {
    live.withLock { live in
      if let current = live[id], current === entry { live[id] = nil }
    }
  }

  /// Lets the responder's closures name the entry that owns it.
  final class LiveRequestBox: @unchecked Sendable {
    weak var entry: LiveRequest?
  }

  // MARK: - Notifications

  func handleNotification(_ method: String, params: JSONObject) {
    switch method {
    case "notifications/cancelled":
      if let raw = params["requestId"], let id = RequestID(raw) { cancel(id, replyCancelled: false) }
    case "$/cancelRequest":
      if let raw = params["id"], let id = RequestID(raw) { cancel(id, replyCancelled: true) }
    case "notifications/initialized":
      logger.debug("client initialized")
    default:
      // Unknown notifications are dropped quietly, as JSON-RPC requires (no reply is possible).
      logger.debug("ignored notification \(method)")
    }
  }

  /// Marks a request cancelled. MCP wants no further message for it; LSP's `$/cancelRequest` is answered -32800.
  func cancel(_ id: RequestID, replyCancelled: Bool) {
    guard let entry = live.withLock({ $0[id] }) else { return }
    entry.cancelled.store(true, ordering: .releasing)
    entry.task.withLock { $0?.cancel() }
    entry.canceller.withLock { $0 }?()
    if replyCancelled {
      entry.responder.fail(RPCError(code: RPCError.requestCancelledCode, message: "Request cancelled"))
    } else {
      entry.responder.suppress()
    }
    logger.debug("cancelled request \(id)")
  }

  // MARK: - Requests

  func handleRequest(_ method: String, params rawParams: JSONValue?, entry: LiveRequest) {
    let responder = entry.responder
    var params = rawParams?.objectValue ?? JSONObject()
    if rawParams?.arrayValue != nil {
      responder.fail(
        RPCError(
          code: RPCError.invalidParamsCode, message: "Invalid params: \(method) takes named params (an object), not an array",
          data: ["hint": "Send params as a JSON object with the field names of the method's schema."]))
      return
    }
    let meta = params["_meta"]?.objectValue
    params["_meta"] = nil

    // The 2026-07-28 era: every request carries its protocol version.
    var modern = false
    if let version = meta?[MCPVersions.protocolVersionKey] {
      guard let requested = version.stringValue, MCPVersions.modern.contains(requested) else {
        responder.fail(
          RPCError(
            code: RPCError.unsupportedProtocolVersionCode,
            message: "Unsupported protocol version \(JSONWriter.string(version)); this server speaks \(MCPVersions.modern.joined(separator: ", ")) per request, or \(MCPVersions.legacy.joined(separator: ", ")) through initialize",
            data: ["supported": .array(MCPVersions.modern.map(JSONValue.string)), "requested": version]))
        return
      }
      guard meta?[MCPVersions.clientCapabilitiesKey]?.objectValue != nil else {
        responder.fail(
          RPCError(
            code: RPCError.invalidParamsCode,
            message: "Invalid params: a \(requested) request needs _meta[\"\(MCPVersions.clientCapabilitiesKey)\"] (an object) beside the protocol version",
            data: ["hint": "Send the client's capabilities in every request's _meta, as the 2026-07-28 revision requires ({} when it has none)."]))
        return
      }
      modern = true
    }
    let progressToken = meta?["progressToken"].flatMap { token -> JSONValue? in
      switch token {
      case .string, .int: return token
      default: return nil
      }
    }

    switch method {
    case "initialize":
      let requested = params["protocolVersion"]?.stringValue
      let version = requested.flatMap { MCPVersions.legacy.contains($0) ? $0 : nil } ?? MCPVersions.legacy.last!
      logger.info(
        "initialize from \(params["clientInfo"]?["name"]?.stringValue ?? "a client"): asked \(requested ?? "nothing"), speaking \(version)")
      responder.succeed([
        "protocolVersion": .string(version),
        "capabilities": capabilities,
        "serverInfo": ["name": .string(identity.name), "title": .string(identity.title), "version": .string(identity.version)],
        "instructions": .string(identity.instructions),
      ])
    case "server/discover":
      responder.succeed([
        "supportedVersions": .array(MCPVersions.all.map(JSONValue.string)),
        "capabilities": capabilities,
        "instructions": .string(identity.instructions),
        "ttlMs": 3_600_000,
        "cacheScope": "private",
        "resultType": "complete",
        "_meta": [MCPVersions.serverInfoKey: ["name": .string(identity.name), "version": .string(identity.version)]],
      ])
    case "ping":
      responder.succeed(modern ? ["resultType": "complete"] : [:])
    case "logging/setLevel":
      if let name = params["level"]?.stringValue, let level = Logger.Level(name: name) {
        logger.setLevel(level)
        responder.succeed(modern ? ["resultType": "complete"] : [:])
      } else {
        responder.fail(RPCError(code: RPCError.invalidParamsCode, message: "Invalid params: level must be an RFC 5424 level name such as \"info\""))
      }
    case "tools/list":
      listTools(params: params, modern: modern, responder: responder)
    case "tools/call":
      callTool(params: params, modern: modern, progressToken: progressToken, entry: entry)
    default:
      guard let operation = registry.operation(named: method) else {
        responder.fail(.methodNotFound(method, suggestions: registry.suggestions(for: method, tool: false)))
        return
      }
      if let violation = SchemaValidator.firstViolation(of: .object(params), against: operation.params) {
        responder.fail(.invalidParams(violation, method: method))
        return
      }
      execute(operation, args: Args(params), face: .native, progressToken: progressToken, entry: entry)
    }
  }

  var capabilities: JSONValue { ["tools": ["listChanged": false], "logging": [:]] }

  func listTools(params: JSONObject, modern: Bool, responder: Responder) {
    var offset = 0
    if let cursor = params["cursor"], !cursor.isNull {
      guard let text = cursor.stringValue, text.hasPrefix("t"), let value = Int(text.dropFirst()),
        value >= 0, value < registry.operations.count
      else {
        responder.fail(
          RPCError(
            code: RPCError.invalidParamsCode, message: "Invalid params: unknown cursor \(JSONWriter.string(cursor))",
            data: ["hint": "Pass the nextCursor of the previous tools/list page, or no cursor for the first page."]))
        return
      }
      offset = value
    }
    let end = min(offset + options.toolsPageSize, registry.operations.count)
    var tools: [JSONValue] = []
    for operation in registry.operations[offset..<end] {
      tools.append([
        "name": .string(operation.toolName),
        "title": .string(operation.title),
        "description": .string(operation.summary),
        "inputSchema": operation.params,
        "outputSchema": operation.publishedResultSchema,
        "annotations": operation.annotations.json(title: operation.title),
      ])
    }
    var result: JSONObject = ["tools": .array(tools)]
    if end < registry.operations.count { result["nextCursor"] = .string("t\(end)") }
    if modern {
      result["ttlMs"] = 3_600_000
      result["cacheScope"] = "private"
      result["resultType"] = "complete"
    }
    responder.succeed(.object(result))
  }

  func callTool(params: JSONObject, modern: Bool, progressToken: JSONValue?, entry: LiveRequest) {
    let responder = entry.responder
    guard let name = params["name"]?.stringValue else {
      responder.fail(RPCError(code: RPCError.invalidParamsCode, message: "Invalid params: tools/call needs \"name\" (a string)"))
      return
    }
    guard let operation = registry.operation(toolName: name) ?? registry.operation(named: name) else {
      let suggestions = registry.suggestions(for: name, tool: true)
      var data: JSONObject = ["tool": .string(name)]
      data["hint"] = .string(
        suggestions.isEmpty ? "Call tools/list for the available tools." : "Did you mean \(suggestions.joined(separator: " or "))?")
      responder.fail(RPCError(code: RPCError.invalidParamsCode, message: "Unknown tool: \(name)", data: .object(data)))
      return
    }
    let arguments = params["arguments"] ?? .object(JSONObject())
    if let violation = SchemaValidator.firstViolation(of: arguments, against: operation.params) {
      let error = ToolError.invalidArgument(violation, schemaName: operation.name)
      responder.succeed(toolResult(.failure(error), operation: operation, modern: modern))
      return
    }
    execute(operation, args: Args(arguments.objectValue ?? JSONObject()), face: .mcp(modern: modern), progressToken: progressToken, entry: entry)
  }

  enum Face {
    case native
    case mcp(modern: Bool)
  }

  func execute(_ operation: OperationSpec, args: Args, face: Face, progressToken: JSONValue?, entry: LiveRequest) {
    let responder = entry.responder
    let writer = self.writer
    let context = RequestContext(
      isCancelled: { entry.cancelled.load(ordering: .acquiring) },
      wantsProgress: progressToken != nil,
      progress: { value, total, message in
        guard let progressToken else { return }
        responder.progress(token: progressToken, writer: writer, value, total: total, message: message)
      })
    let started = ContinuousClock.now
    let finishCall: @Sendable (Result<JSONValue, ToolError>) -> Void = { [self] outcome in
      let elapsed = ContinuousClock.now - started
      logger.debug("\(operation.name) \(responder.id) \(outcomeLabel(outcome)) in \(elapsed)")
      reply(outcome, operation: operation, face: face, responder: responder)
    }
    // A quick request the reading thread may run itself, with nothing else admitted, needs no footprint: nothing
    // can be admitted beside it until it is done (only this thread admits), so the path resolution its footprint
    // would cost (a syscall or two) is skipped.
    if operation.isQuick, case .blocking(let handler) = operation.handler, scheduler.isIdle,
      inlineSlot.exchange(false, ordering: .relaxed)
    {
      finishCall(Result { () throws(ToolError) in try handler(args, context) })
      return
    }
    scheduler.admit(operation.footprint(args)) { [self] ticket in
      switch operation.handler {
      case .blocking(let handler):
        let job: @Sendable () -> Void = { [self] in
          if entry.cancelled.load(ordering: .acquiring) {
            scheduler.finish(ticket)
            return
          }
          let outcome = Result { () throws(ToolError) in try handler(args, context) }
          scheduler.finish(ticket)
          finishCall(outcome)
        }
        if operation.isQuick, inlineSlot.exchange(false, ordering: .relaxed) { job() } else { pool.submit(job) }
      case .async(let handler):
        let task = Task { [self] in
          let outcome: Result<JSONValue, ToolError>
          do throws(ToolError) {
            outcome = .success(try await handler(args, context))
          } catch {
            outcome = .failure(error)
          }
          scheduler.finish(ticket)
          finishCall(outcome)
        }
        entry.task.withLock { $0 = task }
      case .callback(let handler):
        let finished = Atomic(false)
        let cancel = handler(args, context) { [self] outcome in
          guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
          scheduler.finish(ticket)
          finishCall(outcome)
        }
        entry.canceller.withLock { $0 = cancel }
      }
    }
  }

  func outcomeLabel(_ outcome: Result<JSONValue, ToolError>) -> String {
    switch outcome {
    case .success: return "ok"
    case .failure(let error): return "failed (\(error.code.rawValue))"
    }
  }

  func reply(_ outcome: Result<JSONValue, ToolError>, operation: OperationSpec, face: Face, responder: Responder) {
    if options.validateResults, case .success(let value) = outcome,
      let violation = SchemaValidator.firstViolation(of: value, against: operation.result)
    {
      logger.error("\(operation.name) produced a result that breaks its own schema: \(violation)")
      responder.fail(.internalError("\(operation.name) result does not match its schema at \(violation)"))
      return
    }
    switch face {
    case .native:
      switch outcome {
      case .success(let value): responder.succeed(value)
      case .failure(let error) where error.code == .cancelled:
        responder.fail(RPCError(code: RPCError.requestCancelledCode, message: error.message, data: error.json))
      case .failure(let error):
        responder.fail(RPCError(code: Self.operationFailedCode, message: error.message, data: error.json))
      }
    case .mcp(let modern):
      responder.succeed(toolResult(outcome, operation: operation, modern: modern))
    }
  }

  /// Native replies to failed operations use this JSON-RPC code, with the error object as `data`.
  public static let operationFailedCode = -32000

  func toolResult(_ outcome: Result<JSONValue, ToolError>, operation: OperationSpec, modern: Bool) -> JSONValue {
    var result = JSONObject()
    result.reserveCapacity(4)
    switch outcome {
    case .success(let value):
      result["content"] = [["type": "text", "text": .string(operation.render(value))]]
      result["structuredContent"] = value
      result["isError"] = false
    case .failure(let error):
      result["content"] = [["type": "text", "text": .string(Self.renderError(error))]]
      result["structuredContent"] = ["error": error.json]
      result["isError"] = true
    }
    if modern { result["resultType"] = "complete" }
    return .object(result)
  }

  public static func renderError(_ error: ToolError) -> String {
    "error \(error.code.rawValue): \(error.message)\nhint: \(error.hint)"
  }
}

/// Counts requests in flight so end of input can wait for their replies.
final class InflightCounter: Sendable {
  final class Storage: @unchecked Sendable {
    let condition = NSCondition()
    var count = 0
  }
  let storage = Storage()

  func increment() {
    storage.condition.lock()
    storage.count += 1
    storage.condition.unlock()
  }

  func decrement() {
    storage.condition.lock()
    storage.count -= 1
    if storage.count == 0 { storage.condition.broadcast() }
    storage.condition.unlock()
  }

  func waitUntilZero() {
    storage.condition.lock()
    while storage.count > 0 { storage.condition.wait() }
    storage.condition.unlock()
  }
}
