// The end-to-end harness: spawns the real `mish` binary over real pipes, writes raw bytes to it, and reads frames
// back with deadlines so a server bug can fail a test but never hang the suite. Everything the tests share lives here.
import Foundation
import Glibc
import MishJSON
import Testing
@_exported import MishTestSupport

// MARK: - Errors, seeds, randomness

struct HarnessError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// The seed of every seeded test in this run: `MISH_TEST_SEED` to replay one, otherwise fresh per run.
enum TestSeed {
  static let value: UInt64 = {
    if let text = ProcessInfo.processInfo.environment["MISH_TEST_SEED"], let seed = UInt64(text) { return seed }
    return UInt64.random(in: 1...UInt64.max)
  }()
}

// MARK: - The binary under test

enum MishBinary {
  /// `MISH_BIN`, or `mish` in the build products directory that holds this test bundle.
  static let located: Result<String, HarnessError> = {
    if let path = ProcessInfo.processInfo.environment["MISH_BIN"] {
      return access(path, X_OK) == 0 ? .success(path) : .failure(HarnessError("MISH_BIN=\(path) is not executable"))
    }
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
    var tried: [String] = []
    for _ in 0..<4 {  // a Linux test bundle is a file in the products dir; a macOS one nests three levels deeper
      let candidate = directory.appendingPathComponent("mish").path
      tried.append(candidate)
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
        access(candidate, X_OK) == 0
      {
        return .success(candidate)
      }
      directory.deleteLastPathComponent()
    }
    return .failure(
      HarnessError(
        "the mish binary is missing next to the test bundle (looked at \(tried.joined(separator: ", "))); "
          + "run `swift build` with the same --scratch-path first, or set MISH_BIN"))
  }()

  static func path() throws -> String { try located.get() }
}

// MARK: - Temp directories

/// A fresh directory under the system temp dir, by its canonical path (the server reports canonical paths).
final class TempDir {
  let path: String

  init(_ label: String = "e2e") throws {
    var template = Array("\(NSTemporaryDirectory())/mish-\(label)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed: \(String(cString: strerror(errno)))") }
    guard let real = realpath(made, nil) else { throw HarnessError("realpath failed") }
    path = String(cString: real)
    free(real)
  }

  func remove() { try? FileManager.default.removeItem(atPath: path) }

  func at(_ relative: String) -> String { relative.isEmpty ? path : path + "/" + relative }

  @discardableResult
  func subdirectory(_ relative: String) throws -> String {
    try FileManager.default.createDirectory(atPath: at(relative), withIntermediateDirectories: true)
    return at(relative)
  }

  func write(_ relative: String, _ content: String) throws {
    let url = URL(fileURLWithPath: at(relative))
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(content.utf8).write(to: url)
  }

  func read(_ relative: String) -> String? {
    FileManager.default.contents(atPath: at(relative)).map { String(decoding: $0, as: UTF8.self) }
  }

  func exists(_ relative: String) -> Bool {
    var info = stat()
    return lstat(at(relative), &info) == 0
  }

  func symlink(_ relative: String, to target: String) throws {
    guard Glibc.symlink(target, at(relative)) == 0 else {
      throw HarnessError("symlink \(relative) -> \(target): \(String(cString: strerror(errno)))")
    }
  }

  /// Every entry beneath `relative` (not following symlinks), with a content fingerprint: for comparing trees.
  func snapshot(_ relative: String = "") -> [String: String] {
    var result: [String: String] = [:]
    func walk(_ sub: String) {
      let full = at(sub)
      guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return }
      for name in names {
        let child = sub.isEmpty ? name : sub + "/" + name
        var info = stat()
        guard lstat(at(child), &info) == 0 else { continue }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
          result[child] = "dir"
          walk(child)
        case S_IFLNK:
          result[child] = "link -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: at(child))) ?? "?")
        default:
          let data = FileManager.default.contents(atPath: at(child)) ?? Data()
          result[child] = "file \(data.count) bytes, mtime \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec): \(data.prefix(40).hashValue)"
        }
      }
    }
    walk(relative)
    return result
  }
}

// MARK: - Child processes

enum ExitStatus: Equatable, CustomStringConvertible {
  case exited(Int32)
  case signaled(Int32)

  init(waitStatus status: Int32) {
    self = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
  }

  var description: String {
    switch self {
    case .exited(let code): return "exit \(code)"
    case .signaled(let signal): return "killed by signal \(signal)"
    }
  }
}

/// Drains one fd on a thread of its own, so a child blocked on a full pipe never deadlocks the test.
final class OutputCollector: @unchecked Sendable {
  let condition = NSCondition()
  var bytes: [UInt8] = []
  var atEOF = false

  init(fd: Int32, name: String) {
    let thread = Thread { [self] in
      var chunk = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        condition.lock()
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) } else { atEOF = true }
        condition.broadcast()
        condition.unlock()
        if n <= 0 { break }
      }
      close(fd)
    }
    thread.name = name
    thread.start()
  }

  /// Waits until `check` returns non-nil for the bytes so far (and whether the stream ended), or the deadline passes.
  func wait<T>(until deadline: Date, _ check: ([UInt8], Bool) -> T?) -> T? {
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let found = check(bytes, atEOF) { return found }
      if atEOF || Date() >= deadline { return check(bytes, atEOF) }
      _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.5)))
    }
  }

  func waitForEOF(until deadline: Date) -> Bool { wait(until: deadline) { _, eof in eof ? true : nil } ?? false }

  var snapshot: [UInt8] {
    condition.lock()
    defer { condition.unlock() }
    return bytes
  }
}

/// A child process with three pipes. Every pipe fd is close-on-exec, and pipes are made and children spawned under
/// one lock, so tests running in parallel never leak one server's stdin into another's child (which would hold off
/// its EOF). (Glibc's `pipe2` is hidden from Swift without _GNU_SOURCE.)
final class Child: @unchecked Sendable {
  let pid: pid_t
  let arguments: [String]
  private(set) var stdinFD: Int32
  let stdout: OutputCollector
  let stderr: OutputCollector
  private(set) var status: ExitStatus?

  static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()
  static let spawnLock = NSLock()

  static func makePipe() throws -> [Int32] {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw HarnessError("pipe failed: \(String(cString: strerror(errno)))") }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return fds
  }

  /// `environment` adds to (or, with nil values, removes from) the test's own; `user` runs mish under that uid and
  /// gid (through setpriv, with no supplementary groups and no capabilities), for the unprivileged half of a suite.
  init(_ arguments: [String], environment: [String: String?] = [:], user: uid_t? = nil) throws {
    _ = Self.ignoreSIGPIPE
    let mish = try MishBinary.path()
    var arguments = arguments
    var executable = mish
    if let user {
      executable = "/usr/bin/setpriv"
      arguments = ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--", mish] + arguments
    }
    self.arguments = arguments
    Self.spawnLock.lock()
    defer { Self.spawnLock.unlock() }
    let input = try Self.makePipe()
    let output = try Self.makePipe()
    let errors = try Self.makePipe()
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    var variables = ProcessInfo.processInfo.environment
    for (name, value) in environment { variables[name] = value }
    let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in envp { free(pointer) } }
    let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    close(input[0])
    close(output[1])
    close(errors[1])
    guard result == 0 else {
      close(input[1])
      close(output[0])
      close(errors[0])
      throw HarnessError("posix_spawn \(executable) failed: \(String(cString: strerror(result)))")
    }
    self.pid = pid
    stdinFD = input[1]
    stdout = OutputCollector(fd: output[0], name: "mish.stdout.\(pid)")
    stderr = OutputCollector(fd: errors[0], name: "mish.stderr.\(pid)")
  }

  /// Writes all bytes; false when the child has closed its stdin (it died, or it stopped reading).
  @discardableResult
  func write(_ bytes: [UInt8]) -> Bool {
    guard stdinFD >= 0 else { return false }
    return bytes.withUnsafeBytes { raw -> Bool in
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(stdinFD, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return false
        }
        offset += n
      }
      return true
    }
  }

  func closeInput() {
    if stdinFD >= 0 {
      close(stdinFD)
      stdinFD = -1
    }
  }

  func kill(_ signal: Int32 = SIGKILL) {
    if status == nil { _ = Glibc.kill(pid, signal) }
  }

  /// Reaps the child; nil if it is still running at the deadline.
  func wait(timeout: TimeInterval) -> ExitStatus? {
    if let status { return status }
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      var raw: Int32 = 0
      let result = waitpid(pid, &raw, WNOHANG)
      if result == pid {
        status = ExitStatus(waitStatus: raw)
        return status
      }
      if result < 0, errno != EINTR { return nil }
      if Date() >= deadline { return nil }
      usleep(5_000)
    }
  }

  var stderrText: String { String(decoding: stderr.snapshot, as: UTF8.self) }

  deinit {
    closeInput()
    if status == nil {
      _ = Glibc.kill(pid, SIGKILL)
      _ = wait(timeout: 10)
    }
  }
}

/// Runs `mish ARGS` to completion: what the CLI tests need.
func runMish(_ arguments: [String], timeout: TimeInterval = 30) throws -> (status: ExitStatus, stdout: String, stderr: String) {
  let child = try Child(arguments)
  child.closeInput()
  guard let status = child.wait(timeout: timeout) else {
    child.kill()
    throw HarnessError("mish \(arguments.joined(separator: " ")) did not exit within \(timeout)s")
  }
  let deadline = Date().addingTimeInterval(5)
  _ = child.stdout.waitForEOF(until: deadline)
  _ = child.stderr.waitForEOF(until: deadline)
  return (status, String(decoding: child.stdout.snapshot, as: UTF8.self), child.stderrText)
}

// MARK: - Frames

/// How a frame was delimited on the wire.
enum Wire: Equatable, Sendable, CustomStringConvertible {
  case line
  case contentLength
  var description: String { self == .line ? "newline" : "Content-Length" }
}

struct Frame: CustomStringConvertible {
  var body: [UInt8]
  var wire: Wire
  var json: JSONValue

  var id: JSONValue? { json["id"] }
  var description: String { "\(wire) frame \(String(decoding: body.prefix(600), as: UTF8.self))" }
}

/// Splits server output into frames, starting at `offset`. Returns nil when no whole frame is there yet.
func splitFrame(_ bytes: [UInt8], from offset: Int) -> (body: [UInt8], wire: Wire, next: Int)? {
  guard offset < bytes.count else { return nil }
  let header = Array("Content-Length:".utf8)
  let available = bytes.count - offset
  if available < header.count, Array(bytes[offset...]) == Array(header.prefix(available)) { return nil }
  if available >= header.count, Array(bytes[offset..<offset + header.count]) == header {
    // "Content-Length: N\r\n\r\n" then N bytes.
    var end = offset
    while end + 3 < bytes.count {
      if bytes[end] == 0x0D, bytes[end + 1] == 0x0A, bytes[end + 2] == 0x0D, bytes[end + 3] == 0x0A { break }
      end += 1
    }
    guard end + 3 < bytes.count else { return nil }
    let text = String(decoding: bytes[(offset + header.count)..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
    guard let length = Int(text) else { return ([], .contentLength, -1) }  // -1: unparseable header
    let start = end + 4
    guard bytes.count - start >= length else { return nil }
    return (Array(bytes[start..<start + length]), .contentLength, start + length)
  }
  guard let newline = bytes[offset...].firstIndex(of: 0x0A) else { return nil }
  return (Array(bytes[offset..<newline]), .line, newline + 1)
}

/// Checks a whole stdout transcript: nothing but JSON-RPC frames, each parsing as JSON (with Foundation's parser,
/// independent of mish's). Returns one line per problem.
func auditStdout(_ bytes: [UInt8], allowTruncatedTail: Bool) -> [String] {
  var problems: [String] = []
  var offset = 0
  while offset < bytes.count {
    guard let frame = splitFrame(bytes, from: offset) else {
      if !allowTruncatedTail {
        problems.append("stdout ends with an unterminated fragment: \(String(decoding: bytes[offset...].prefix(200), as: UTF8.self))")
      }
      break
    }
    let (body, wire, next) = frame
    if next < 0 {
      problems.append("unparseable Content-Length header at byte \(offset)")
      break
    }
    let text = String(decoding: body.prefix(200), as: UTF8.self)
    if let value = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) {
      let messages: [Any] = (value as? [Any]) ?? [value]
      for message in messages {
        guard let object = message as? [String: Any], object["jsonrpc"] as? String == "2.0" else {
          problems.append("\(wire) frame at byte \(offset) is JSON but not a JSON-RPC message: \(text)")
          break
        }
      }
    } else {
      problems.append("\(wire) frame at byte \(offset) is not JSON: \(text)")
    }
    offset = next
  }
  return problems
}

// MARK: - A live server

func rpc(_ id: JSONValue?, _ method: String, _ params: JSONValue? = nil) -> JSONValue {
  var object: JSONObject = ["jsonrpc": "2.0"]
  if let id { object["id"] = id }
  object["method"] = .string(method)
  if let params { object["params"] = params }
  return .object(object)
}

func encode(_ message: JSONValue, _ wire: Wire = .line) -> [UInt8] {
  let body = JSONWriter.encode(message)
  switch wire {
  case .line: return body + [0x0A]
  case .contentLength: return Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
  }
}

/// `mish serve --root ROOT` driven over pipes. Replies are read with deadlines; frames not yet asked for are kept
/// so replies can be claimed by id in any order. `finish` (or deinit) audits stdout: only JSON frames, ever.
final class LiveServer {
  let child: Child
  let root: String
  private var consumed = 0
  private var stash: [Frame] = []
  private var nextID = 1_000_000
  private var audited = false
  var allowTruncatedTail = false
  static let defaultTimeout: TimeInterval = 30

  init(root: String, _ extraArguments: [String] = [], environment: [String: String?] = [:], user: uid_t? = nil) throws {
    self.root = root
    child = try Child(["serve", "--root", root] + extraArguments, environment: environment, user: user)
  }

  /// Any mish command that serves JSON-RPC on stdio (`hub --repo DIR`, ...).
  init(arguments: [String], root: String) throws {
    self.root = root
    child = try Child(arguments)
  }

  // Sending

  func send(_ message: JSONValue, _ wire: Wire = .line) { child.write(encode(message, wire)) }
  func send(raw: String) { child.write(Array(raw.utf8)) }
  func send(raw: [UInt8]) { child.write(raw) }

  /// Writes `bytes` in pieces of the given sizes, one write(2) each, pausing between them so the server sees them apart.
  func sendChunked(_ bytes: [UInt8], sizes: [Int], pauseMicroseconds: UInt32 = 150) {
    var offset = 0
    var index = 0
    while offset < bytes.count {
      let size = max(1, sizes.isEmpty ? 1 : sizes[index % sizes.count])
      index += 1
      let end = min(bytes.count, offset + size)
      child.write(Array(bytes[offset..<end]))
      offset = end
      if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
    }
  }

  func closeInput() { child.closeInput() }

  // Receiving

  /// The next frame off the wire (ignoring the stash); throws on timeout or end of output.
  func nextFrame(timeout: TimeInterval = LiveServer.defaultTimeout) throws -> Frame {
    enum Peek {
      case frame(body: [UInt8], wire: Wire, next: Int)
      case closed
    }
    let start = consumed
    let peek = child.stdout.wait(until: Date().addingTimeInterval(timeout)) { bytes, eof -> Peek? in
      if let frame = splitFrame(bytes, from: start) { return .frame(body: frame.body, wire: frame.wire, next: frame.next) }
      return eof ? .closed : nil
    }
    switch peek {
    case nil:
      throw HarnessError("no frame from the server within \(timeout)s; stderr tail: \(stderrTail)")
    case .closed?:
      throw HarnessError("the server closed stdout (\(child.wait(timeout: 2)?.description ?? "still running")); stderr tail: \(stderrTail)")
    case .frame(let body, let wire, let next)?:
      guard next >= 0 else { throw HarnessError("unparseable Content-Length header from the server") }
      consumed = next
      do {
        return Frame(body: body, wire: wire, json: try JSONParser.parse(body))
      } catch {
        throw HarnessError("the server wrote a frame that is not JSON (\(error)): \(String(decoding: body.prefix(300), as: UTF8.self))")
      }
    }
  }

  /// Every frame that arrives within `seconds` (used to show that nothing does).
  func frames(arrivingWithin seconds: TimeInterval) -> [Frame] {
    var frames: [Frame] = []
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline, let frame = try? nextFrame(timeout: deadline.timeIntervalSinceNow) { frames.append(frame) }
    return frames
  }

  /// The reply whose id is `id`, whenever it comes; other frames wait in the stash.
  func reply(to id: JSONValue, timeout: TimeInterval = LiveServer.defaultTimeout) throws -> JSONValue {
    if let index = stash.firstIndex(where: { $0.id == id }) { return stash.remove(at: index).json }
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      let frame: Frame
      do {
        frame = try nextFrame(timeout: max(0.01, deadline.timeIntervalSinceNow))
      } catch {
        throw HarnessError("waiting for the reply to id \(JSONWriter.string(id)): \(error)")
      }
      if frame.id == id { return frame.json }
      stash.append(frame)
    }
  }

  /// The frames that arrived before the replies claimed so far (notifications, mostly), emptied.
  func takeStashed() -> [Frame] {
    defer { stash = [] }
    return stash
  }

  /// Sends a request with a fresh id and returns its whole reply.
  func request(_ method: String, _ params: JSONValue? = nil, _ wire: Wire = .line, timeout: TimeInterval = LiveServer.defaultTimeout) throws -> JSONValue {
    nextID += 1
    let id = JSONValue.int(nextID)
    send(rpc(id, method, params), wire)
    return try reply(to: id, timeout: timeout)
  }

  /// `tools/call` of one tool; returns the `result` (throws if the reply is a JSON-RPC error).
  func callTool(_ name: String, _ arguments: JSONValue, meta: JSONValue? = nil, timeout: TimeInterval = LiveServer.defaultTimeout) throws -> JSONValue {
    var params: JSONObject = ["name": .string(name), "arguments": arguments]
    if let meta { params["_meta"] = meta }
    let reply = try request("tools/call", .object(params), timeout: timeout)
    guard let result = reply["result"] else { throw HarnessError("tools/call \(name) answered an error: \(JSONWriter.string(reply))") }
    return result
  }

  // Ending

  /// Closes stdin, collects every remaining frame until stdout closes, reaps the process, and audits stdout.
  func finish(timeout: TimeInterval = LiveServer.defaultTimeout) throws -> (status: ExitStatus, frames: [Frame]) {
    closeInput()
    var frames = stash
    stash = []
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      do {
        frames.append(try nextFrame(timeout: max(0.01, deadline.timeIntervalSinceNow)))
      } catch {
        if child.stdout.waitForEOF(until: Date()) { break }
        child.kill()
        throw HarnessError("the server did not close stdout within \(timeout)s after stdin closed: \(error)")
      }
    }
    guard let status = child.wait(timeout: max(1, deadline.timeIntervalSinceNow)) else {
      child.kill()
      throw HarnessError("the server did not exit within \(timeout)s after stdin closed")
    }
    audit()
    return (status, frames)
  }

  /// SIGKILLs the server and reaps it.
  func kill() {
    child.kill(SIGKILL)
    _ = child.wait(timeout: 10)
    _ = child.stdout.waitForEOF(until: Date().addingTimeInterval(5))
  }

  /// Nothing but JSON frames may ever appear on stdout.
  func audit(sourceLocation: SourceLocation = #_sourceLocation) {
    guard !audited else { return }
    audited = true
    _ = child.stdout.waitForEOF(until: Date().addingTimeInterval(child.status == nil ? 0 : 5))
    for problem in auditStdout(child.stdout.snapshot, allowTruncatedTail: allowTruncatedTail || child.status == nil) {
      Issue.record("stray bytes on stdout of mish \(child.arguments.joined(separator: " ")): \(problem)", sourceLocation: sourceLocation)
    }
  }

  var stderrTail: String { String(child.stderrText.suffix(800)) }

  deinit {
    if child.status == nil {
      child.kill(SIGKILL)
      _ = child.wait(timeout: 10)
    }
    audit()
  }
}

// MARK: - Reply helpers

extension JSONValue {
  var errorCode: Int? { self["error"]?["code"]?.intValue }
  /// The mish error code of a native failure (`error.data.code`) or an MCP tool failure (`structuredContent.error.code`).
  var mishErrorCode: String? {
    self["error"]?["data"]?["code"]?.stringValue ?? self["result"]?["structuredContent"]?["error"]?["code"]?.stringValue
      ?? self["structuredContent"]?["error"]?["code"]?.stringValue
  }
  var compact: String { String(JSONWriter.string(self).prefix(700)) }
}

/// A long chain of large writes to one path; a request on that path queued after it stays in flight for a while,
/// which is what the cancellation and duplicate-id tests need. Returns the ids used.
@discardableResult
func stall(_ server: LiveServer, path: String, writes: Int = 8, bytes: Int = 2 << 20, firstID: Int) -> [Int] {
  let filler = String(repeating: "stall ", count: bytes / 6)
  var ids: [Int] = []
  var wire: [UInt8] = []
  for index in 0..<writes {
    let id = firstID + index
    ids.append(id)
    wire += encode(rpc(.int(id), "fs/write", ["path": .string(path), "content": .string("\(index) " + filler)]))
  }
  server.send(raw: wire)
  return ids
}
