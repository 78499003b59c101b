import Foundation
import Glibc
import MishJSON
import MishRPC

/// The hub's unix socket (`.mish/hub.sock`), through which `mish connect --session ID` makes any MCP client one
/// of the hub's agents. A connection starts with one line, `{"connect": "<session_id>"}`, answered with
/// `{"connected": ...}` or `{"error": ...}`; after it, the connection speaks JSON-RPC (newline-delimited) with the
/// session's server, through the hub's router: ids are the client's own, leases are enforced, every call is an
/// event, progress is relayed and `notifications/cancelled` reaches the call it names.
final class HubSocket: @unchecked Sendable {
  let hub: Hub
  let path: String
  let listener: Int32

  /// `.mish/hub.sock`, or a short path in /tmp when that one is too long for a socket address (108 bytes).
  static func path(stateDirectory: String) -> String {
    let preferred = stateDirectory + "/hub.sock"
    if preferred.utf8.count < 100 { return preferred }
    return "/tmp/mish-hub-\(Hub.digest(.string(stateDirectory))).sock"
  }

  init(hub: Hub) throws(Hub.Failure) {
    self.hub = hub
    path = Self.path(stateDirectory: hub.stateDirectory)
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw Hub.Failure(description: "socket: \(String(cString: strerror(errno)))") }
    unlink(path)
    var address = Self.address(path)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0, chmod(path, 0o600) == 0, listen(fd, 64) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw Hub.Failure(description: "Cannot listen on \(path): \(reason)")
    }
    listener = fd
  }

  static func address(_ path: String) -> sockaddr_un {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      let bytes = Array(path.utf8.prefix(raw.count - 1))
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    return address
  }

  func start() {
    let thread = Thread { [self] in
      while true {
        let connection = accept(listener, nil, nil)
        if connection < 0 {
          if errno == EINTR || errno == ECONNABORTED { continue }
          return
        }
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        let worker = Thread { [self] in serve(connection) }
        worker.name = "mish.hub.connection"
        worker.start()
      }
    }
    thread.name = "mish.hub.socket"
    thread.start()
  }

  func stop() {
    close(listener)
    unlink(path)
  }

  // MARK: - One connection

  final class Connection: @unchecked Sendable {
    let fd: Int32
    let lock = NSLock()
    var tasks: [String: Task<Void, Never>] = [:]
    init(fd: Int32) { self.fd = fd }

    func send(_ message: JSONValue) {
      let bytes = JSONWriter.encode(message) + [0x0A]
      lock.withLock {
        var offset = 0
        bytes.withUnsafeBytes { raw in
          while offset < raw.count {
            let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
          }
        }
      }
    }
  }

  func serve(_ fd: Int32) {
    defer { close(fd) }
    let connection = Connection(fd: fd)
    var buffer: [UInt8] = []
    guard let hello = readLine(fd, &buffer), let session = (try? JSONParser.parse(hello))?["connect"]?.stringValue else {
      connection.send(["error": ["code": "invalid_request", "message": "The first line must be {\"connect\": \"<session_id>\"}"]])
      return
    }
    do throws(ToolError) {
      let known = try hub.session(session)
      guard hub.lock.withLock({ known.state.isLive }) else {
        throw ToolError(.init(rawValue: "session_ended"), "Session \(session) is \(known.state.rawValue)", hint: "hub_sessions lists the live ones.")
      }
      connection.send(["connected": .string(session), "session": hub.json(known)])
      hub.record("session.connected", session: session)
    } catch {
      connection.send(["error": error.json])
      return
    }
    while let line = readLine(fd, &buffer) {
      guard let message = try? JSONParser.parse(line), let method = message["method"]?.stringValue else { continue }
      if let id = message["id"], id != .null {
        handleRequest(connection, session: session, id: id, method: method, params: message["params"] ?? .null)
      } else if method == "notifications/cancelled" || method == "$/cancelRequest" {
        let target = message["params"]?["requestId"] ?? message["params"]?["id"] ?? .null
        connection.lock.withLock { connection.tasks[JSONWriter.string(target)] }?.cancel()
      } else if let child = hub.lock.withLock({ hub.sessions[session]?.child }) {
        child.notify(message)
      }
    }
    // The client closed its side: let the calls it made finish and answer, then close.
    let running = connection.lock.withLock { Array(connection.tasks.values) }
    let done = DispatchSemaphore(value: 0)
    Task {
      for task in running { await task.value }
      done.signal()
    }
    done.wait()
  }

  func handleRequest(_ connection: Connection, session: String, id: JSONValue, method: String, params: JSONValue) {
    let key = JSONWriter.string(id)
    let token = params["_meta"]?["progressToken"]
    let task = Task { [hub] in
      var progress: (@Sendable (JSONValue) -> Void)?
      if let token {
        progress = { update in
          var relayed = update.objectValue ?? [:]
          relayed["progressToken"] = token
          connection.send(["jsonrpc": "2.0", "method": "notifications/progress", "params": .object(relayed)])
        }
      }
      var reply: JSONObject
      do throws(ToolError) {
        reply = try await hub.route(session, method: method, params: params, progress: progress).objectValue ?? [:]
      } catch {
        reply = ["jsonrpc": "2.0"]
        if method == "tools/call" {
          // An operation failure is a tool result on the MCP face, shaped as the session's own would be.
          var result: JSONObject = [
            "content": [["type": "text", "text": .string("error \(error.code.rawValue): \(error.message)\nhint: \(error.hint)")]],
            "structuredContent": ["error": error.json], "isError": true,
          ]
          if params["_meta"]?["io.modelcontextprotocol/protocolVersion"] != nil { result["resultType"] = "complete" }
          reply["result"] = .object(result)
        } else {
          reply["error"] = ["code": -32000, "message": .string(error.message), "data": error.json]
        }
      }
      reply["id"] = id
      connection.send(.object(reply))
      _ = connection.lock.withLock { connection.tasks.removeValue(forKey: key) }
    }
    connection.lock.withLock { connection.tasks[key] = task }
  }

  /// One line from the socket (without its newline), reading into `buffer`; nil at end of input.
  func readLine(_ fd: Int32, _ buffer: inout [UInt8]) -> [UInt8]? {
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      if let newline = buffer.firstIndex(of: 0x0A) {
        let line = Array(buffer[..<newline])
        buffer.removeSubrange(...newline)
        return line
      }
      let n = recv(fd, &chunk, chunk.count, 0)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return nil }
      buffer.append(contentsOf: chunk[0..<n])
    }
  }
}

extension Hub {
  /// Listens on the hub's socket for `mish connect` (see `HubSocket`); returns its path.
  public func listen() throws(Failure) -> String {
    let socket = try HubSocket(hub: self)
    socket.start()
    lock.withLock { self.socket = socket }
    return socket.path
  }

  /// The socket path of the hub of a repository (for `mish connect`).
  public static func socketPath(repository: String) -> String {
    let top = (try? GitCLI(repository: repository).run(["rev-parse", "--show-toplevel"])) ?? repository
    return HubSocket.path(stateDirectory: top + "/.mish")
  }

  /// A connection to the hub socket at `path`, or -1 (errno set) when no hub listens there.
  public static func dial(_ path: String) -> Int32 {
    let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var address = HubSocket.address(path)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else {
      let saved = errno
      close(fd)
      errno = saved
      return -1
    }
    return fd
  }
}
