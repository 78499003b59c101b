import Foundation
import MishFiles
import MishJSON
import MishRPC
import MishServer
import MishSession
import Testing

/// The server driven in-process through `handle(_:)`, its replies read from a real pipe: for options the binary does
/// not expose (the tools/list page size).
@Suite("In-process server")
struct InProcessTests {
  final class PipeServer {
    let server: Server
    let readFD: Int32
    var buffer: [UInt8] = []
    let root: String

    init(pageSize: Int) throws {
      root = FileManager.default.temporaryDirectory.appendingPathComponent("mish-inproc-\(UInt32.random(in: 0...UInt32.max))").path
      try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
      var fds: [Int32] = [0, 0]
      guard pipe(&fds) == 0 else { throw CocoaError(.fileWriteUnknown) }
      readFD = fds[0]
      var options = ServerOptions()
      options.toolsPageSize = pageSize
      let workspace = try Workspace(root: root)
      server = Server(
        registry: SessionServer.registry(workspace: workspace, exec: SessionServer.idleExec(workspace)), identity: SessionServer.identity, options: options,
        logger: Logger(level: .error), outputFD: fds[1])
    }

    deinit {
      close(readFD)
      try? FileManager.default.removeItem(atPath: root)
    }

    func request(_ id: Int, _ method: String, _ params: JSONValue) throws -> JSONValue {
      let message: JSONValue = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
      server.handle(.message(JSONWriter.encode(message), .newline))
      while true {
        if let newline = buffer.firstIndex(of: 0x0A) {
          let line = Array(buffer[..<newline])
          buffer.removeSubrange(...newline)
          return try JSONParser.parse(line)
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = read(readFD, &chunk, chunk.count)
        guard n > 0 else { throw CocoaError(.fileReadUnknown) }
        buffer.append(contentsOf: chunk[0..<n])
      }
    }
  }

  @Test("tools/list pages follow nextCursor to the end, in a stable order; a bad cursor is -32602", .timeLimit(.minutes(1)))
  func toolsListPagination() throws {
    let pipe = try PipeServer(pageSize: 3)
    var names: [String] = []
    var cursor: JSONValue? = nil
    var id = 1
    repeat {
      let params: JSONValue = cursor.map { ["cursor": $0] } ?? [:]
      let reply = try pipe.request(id, "tools/list", params)
      id += 1
      let page = reply["result"]?["tools"]?.arrayValue ?? []
      #expect(page.count <= 3)
      names += page.compactMap { $0["name"]?.stringValue }
      cursor = reply["result"]?["nextCursor"]
    } while cursor != nil
    let all = SessionServer.registry(workspace: try Workspace(root: pipe.root), exec: SessionServer.idleExec(try Workspace(root: pipe.root))).operations.map(\.toolName)
    #expect(names == all)
    let bad = try pipe.request(id, "tools/list", ["cursor": "nonsense"])
    #expect(bad["error"]?["code"] == -32602)
  }
}
