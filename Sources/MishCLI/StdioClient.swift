import Foundation
import MishJSON
import MishRPC

/// A client of a `mish serve` or `mish hub` child over its stdio: what `mish call` and `mish demo` use.
public final class StdioClient: @unchecked Sendable {
  let process = Process()
  let input = Pipe()
  let output = Pipe()
  var buffer: [UInt8] = []
  var nextID = 1

  /// Starts `executable serve --root root` with extra arguments.
  public convenience init(executable: String, root: String, extraArguments: [String] = ["--log-level", "warning"]) throws {
    try self.init(executable: executable, arguments: ["serve", "--root", root] + extraArguments)
  }

  /// Starts `executable arguments...` (`mish hub --repo DIR`, say).
  public init(executable: String, arguments: [String]) throws {
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = input
    process.standardOutput = output
    try process.run()
  }

  /// The path of the running mish binary.
  public static var currentExecutable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  public func send(raw line: String) {
    input.fileHandleForWriting.write(Data((line + "\n").utf8))
  }

  /// Sends one request and waits for the reply with the same id (notifications in between are skipped).
  public func request(_ method: String, _ params: JSONValue = [:]) throws -> JSONValue {
    let id = nextID
    nextID += 1
    let message: JSONValue = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
    send(raw: JSONWriter.string(message))
    while true {
      let reply = try readMessage()
      if reply["id"] == .int(id) { return reply }
    }
  }

  public func readMessage() throws -> JSONValue {
    while true {
      if let newline = buffer.firstIndex(of: 0x0A) {
        let line = Array(buffer[..<newline])
        buffer.removeSubrange(...newline)
        return try JSONParser.parse(line)
      }
      let chunk = output.fileHandleForReading.availableData
      if chunk.isEmpty { throw ClientError("the server closed its output (exit status \(exitStatusText))") }
      buffer.append(contentsOf: chunk)
    }
  }

  var exitStatusText: String {
    process.isRunning ? "still running" : String(process.terminationStatus)
  }

  /// Closes stdin (the MCP way to shut a server down) and waits for it to exit.
  public func close() -> Int32 {
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
    return process.terminationStatus
  }

  public struct ClientError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
  }
}
