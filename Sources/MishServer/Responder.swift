import MishJSON
import MishRPC
import Synchronization

/// Where a reply goes: straight to the wire, into the batch it belongs to, or nowhere (a notification's).
enum ReplySink: Sendable {
  case direct(FrameWriter, Framing)
  case batch(BatchCollector)
  case discard
}

/// Collects the replies of one batch and sends them as one array once every request in it has answered.
final class BatchCollector: Sendable {
  let writer: FrameWriter
  let framing: Framing
  let state: Mutex<(expected: Int, replies: [JSONValue], sealed: Bool)>

  init(writer: FrameWriter, framing: Framing) {
    self.writer = writer
    self.framing = framing
    state = Mutex((0, [], false))
  }

  func expectOne() { state.withLock { $0.expected += 1 } }

  func add(_ reply: JSONValue) {
    let ready = state.withLock { s -> [JSONValue]? in
      s.replies.append(reply)
      return s.sealed && s.replies.count == s.expected ? s.replies : nil
    }
    if let ready { writer.send(JSONWriter.encode(.array(ready)), framing: framing) }
  }

  /// Called once every element has been admitted; a batch of only notifications sends nothing.
  func seal() {
    let ready = state.withLock { s -> [JSONValue]? in
      s.sealed = true
      return s.expected > 0 && s.replies.count == s.expected ? s.replies : nil
    }
    if let ready { writer.send(JSONWriter.encode(.array(ready)), framing: framing) }
  }
}

/// The one reply a request is owed. Sending twice is impossible (the second is dropped and logged); a responder
/// released without replying sends an internal error from `deinit`, so a request can never go unanswered.
final class Responder: Sendable {
  let id: RequestID
  let method: String
  let sink: ReplySink
  let framing: Framing
  let logger: Logger
  /// Runs once the reply is claimed, before it is written (so the id is free again when the client sees it).
  let onClaim: @Sendable () -> Void
  /// Runs after the reply is written.
  let onDone: @Sendable () -> Void
  /// true once replied or suppressed.
  let done = Atomic(false)
  let lastProgress = Mutex<Double?>(nil)

  init(
    id: RequestID, method: String, sink: ReplySink, logger: Logger,
    onClaim: @escaping @Sendable () -> Void = {}, onDone: @escaping @Sendable () -> Void = {}
  ) {
    self.id = id
    self.method = method
    self.sink = sink
    self.logger = logger
    self.onClaim = onClaim
    self.onDone = onDone
    switch sink {
    case .direct(_, let framing): self.framing = framing
    case .discard: self.framing = .newline
    case .batch(let batch):
      self.framing = batch.framing
      batch.expectOne()
    }
  }

  var isDone: Bool { done.load(ordering: .acquiring) }

  func succeed(_ result: JSONValue) { send(result: result, error: nil) }
  func fail(_ error: RPCError) { send(result: nil, error: error) }

  /// MCP cancellation: the client wants nothing more for this id.
  func suppress() {
    guard claim() else { return }
    if case .batch(let batch) = sink {
      batch.add(Self.envelope(id: id, result: nil, error: RPCError(code: RPCError.requestCancelledCode, message: "Request cancelled")))
    }
    onDone()
  }

  /// Sends `notifications/progress` while the request is live, keeping `progress` strictly increasing.
  func progress(token: JSONValue, writer: FrameWriter, _ value: Double, total: Double?, message: String?) {
    guard !isDone else { return }
    let accepted = lastProgress.withLock { last -> Bool in
      if let previous = last, value <= previous { return false }
      last = value
      return true
    }
    guard accepted else { return }
    var params = JSONObject()
    params["progressToken"] = token
    params["progress"] = .double(value)
    if let total { params["total"] = .double(total) }
    if let message { params["message"] = .string(message) }
    let note: JSONValue = ["jsonrpc": "2.0", "method": "notifications/progress", "params": .object(params)]
    writer.send(JSONWriter.encode(note), framing: framing)
  }

  private func claim() -> Bool {
    guard done.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return false }
    onClaim()
    return true
  }

  private func send(result: JSONValue?, error: RPCError?) {
    guard claim() else {
      logger.debug("dropped a second reply to \(id) (\(method)); the request was already answered or cancelled")
      return
    }
    let reply = Self.envelope(id: id, result: result, error: error)
    switch sink {
    case .direct(let writer, let framing): writer.send(JSONWriter.encode(reply), framing: framing)
    case .batch(let batch): batch.add(reply)
    case .discard:
      if let error { logger.debug("notification \(method) failed: \(error.message)") }
    }
    onDone()
  }

  static func envelope(id: RequestID?, result: JSONValue?, error: RPCError?) -> JSONValue {
    var object = JSONObject()
    object.reserveCapacity(3)
    object["jsonrpc"] = "2.0"
    object["id"] = id?.json ?? .null
    if let error { object["error"] = error.json } else { object["result"] = result ?? .object(JSONObject()) }
    return .object(object)
  }

  deinit {
    if !done.load(ordering: .acquiring) {
      logger.error("request \(id) (\(method)) finished without a reply; answering with an internal error")
      send(result: nil, error: .internalError("the request finished without producing a reply"))
    }
  }
}
