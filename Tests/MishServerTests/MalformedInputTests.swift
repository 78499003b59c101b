import Foundation
import MishJSON
import Testing

/// One malformed message and the JSON-RPC error it must get.
struct MalformedCase: CustomTestStringConvertible, Sendable {
  var name: String
  var raw: String
  var code: Int
  var id: JSONValue
  /// `error.data.field`, when the error is about one params field.
  var field: String? = nil
  /// A fragment the error's `data.hint` must contain.
  var hint: String? = nil

  var testDescription: String { name }
}

@Suite("Malformed input over real pipes")
struct MalformedInputTests {
  static let cases: [MalformedCase] = [
    MalformedCase(name: "truncated JSON", raw: #"{"jsonrpc":"2.0","id":1,"method":"#, code: -32700, id: .null),
    MalformedCase(name: "not JSON at all", raw: "hello there", code: -32700, id: .null),
    MalformedCase(name: "trailing garbage", raw: #"{"jsonrpc":"2.0","id":1,"method":"ping"} x"#, code: -32700, id: .null),
    MalformedCase(name: "a number", raw: "42", code: -32600, id: .null),
    MalformedCase(name: "a string", raw: #""ping""#, code: -32600, id: .null),
    MalformedCase(name: "null", raw: "null", code: -32600, id: .null),
    MalformedCase(name: "missing jsonrpc", raw: #"{"id":1,"method":"ping"}"#, code: -32600, id: 1),
    MalformedCase(name: "jsonrpc 1.0", raw: #"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, code: -32600, id: 1),
    MalformedCase(name: "jsonrpc as a number", raw: #"{"jsonrpc":2.0,"id":1,"method":"ping"}"#, code: -32600, id: 1),
    MalformedCase(name: "id null", raw: #"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, code: -32600, id: .null),
    MalformedCase(name: "id float", raw: #"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, code: -32600, id: .null),
    MalformedCase(name: "id object", raw: #"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#, code: -32600, id: .null),
    MalformedCase(name: "id array", raw: #"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#, code: -32600, id: .null),
    MalformedCase(name: "id boolean", raw: #"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, code: -32600, id: .null),
    MalformedCase(name: "missing method", raw: #"{"jsonrpc":"2.0","id":1}"#, code: -32600, id: 1),
    MalformedCase(name: "method not a string", raw: #"{"jsonrpc":"2.0","id":1,"method":7}"#, code: -32600, id: 1),
    MalformedCase(name: "params a string", raw: #"{"jsonrpc":"2.0","id":1,"method":"fs/read","params":"a.txt"}"#, code: -32600, id: 1),
    MalformedCase(name: "params a number", raw: #"{"jsonrpc":"2.0","id":"s","method":"ping","params":3}"#, code: -32600, id: "s"),
    MalformedCase(name: "positional params", raw: #"{"jsonrpc":"2.0","id":1,"method":"fs/read","params":["a.txt"]}"#, code: -32602, id: 1),
    MalformedCase(
      name: "unknown method", raw: #"{"jsonrpc":"2.0","id":1,"method":"fs/raed","params":{"path":"a.txt"}}"#, code: -32601, id: 1,
      hint: #"Did you mean "fs/read""#),
    MalformedCase(
      name: "param of the wrong type", raw: #"{"jsonrpc":"2.0","id":1,"method":"fs/read","params":{"path":5}}"#, code: -32602, id: 1,
      field: "$.path"),
    MalformedCase(name: "missing param", raw: #"{"jsonrpc":"2.0","id":1,"method":"fs/read","params":{}}"#, code: -32602, id: 1, field: "$.path"),
    MalformedCase(
      name: "unknown param", raw: #"{"jsonrpc":"2.0","id":1,"method":"fs/read","params":{"path":"a.txt","bogus":true}}"#, code: -32602,
      id: 1, field: "$.bogus"),
    MalformedCase(
      name: "param below its minimum", raw: #"{"jsonrpc":"2.0","id":1,"method":"fs/read","params":{"path":"a.txt","start_line":0}}"#,
      code: -32602, id: 1, field: "$.start_line"),
    MalformedCase(
      name: "array element of the wrong type", raw: #"{"jsonrpc":"2.0","id":1,"method":"fs/read_many","params":{"paths":["a.txt",3]}}"#,
      code: -32602, id: 1, field: "$.paths[1]"),
  ]

  @Test("malformed input gets the right error and the server keeps serving", .timeLimit(.minutes(1)), arguments: cases)
  func malformed(_ testCase: MalformedCase) throws {
    let root = try TempDir("malformed")
    defer { root.remove() }
    try root.write("a.txt", "a\n")
    let server = try LiveServer(root: root.path)
    for wire in [Wire.line, .contentLength] {
      switch wire {
      case .line: server.send(raw: testCase.raw + "\n")
      case .contentLength: server.send(raw: "Content-Length: \(testCase.raw.utf8.count)\r\n\r\n" + testCase.raw)
      }
      let frame = try server.nextFrame()
      let reply = frame.json
      #expect(frame.wire == wire, "\(testCase.name): replied in \(frame.wire)")
      #expect(reply["jsonrpc"] == "2.0" && reply["result"] == nil, "\(testCase.name): \(reply.compact)")
      #expect(reply.errorCode == testCase.code, "\(testCase.name): \(reply.compact)")
      #expect(reply["id"] == testCase.id, "\(testCase.name): \(reply.compact)")
      #expect(reply["error"]?["message"]?.stringValue?.isEmpty == false, "\(testCase.name): no message")
      if let field = testCase.field {
        #expect(reply["error"]?["data"]?["field"] == .string(field), "\(testCase.name): \(reply.compact)")
      }
      if let hint = testCase.hint {
        #expect(reply["error"]?["data"]?["hint"]?.stringValue?.contains(hint) == true, "\(testCase.name): \(reply.compact)")
      }
      // Still serving, and nothing else was owed for the malformed message.
      server.send(rpc("after", "ping"), wire)
      let next = try server.nextFrame()
      #expect(next.id == "after", "\(testCase.name): expected the ping reply next, got \(next)")
    }
    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "\(testCase.name): \(rest)")
  }

  @Test("an empty batch is one invalid-request error, not an array", .timeLimit(.minutes(1)))
  func emptyBatch() throws {
    let root = try TempDir("batch")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    server.send(raw: "[]\n")
    let reply = try server.nextFrame().json
    #expect(reply.errorCode == -32600 && reply["id"] == .null, "\(reply.compact)")
    server.send(raw: "[ ]\n")
    #expect(try server.nextFrame().json.errorCode == -32600)
    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "\(rest)")
  }

  @Test("a mixed batch gets one array holding exactly the replies owed", .timeLimit(.minutes(1)), arguments: [Wire.line, .contentLength])
  func mixedBatch(_ wire: Wire) throws {
    let root = try TempDir("batch")
    defer { root.remove() }
    try root.write("a.txt", "a\n")
    let server = try LiveServer(root: root.path)
    let batch: JSONValue = [
      rpc(1, "fs/read", ["path": "a.txt"]),
      rpc(nil, "notifications/initialized"),
      42,
      rpc(2, "no/such"),
      ["foo": 1],
      rpc(nil, "ping"),
      ["jsonrpc": "2.0", "id": 99, "result": [:]],  // a response from the client: no reply owed
      rpc(3, "fs/read", ["path": 5]),
      ["jsonrpc": "2.0", "id": 4.5, "method": "ping"],
      rpc("s", "ping"),
      rpc(nil, "fs/read", ["path": "a.txt"]),
    ]
    server.send(batch, wire)
    let frame = try server.nextFrame()
    #expect(frame.wire == wire)
    let replies = try #require(frame.json.arrayValue, "a batch reply must be an array: \(frame)")
    let byID = Dictionary(grouping: replies, by: { JSONWriter.string($0["id"] ?? "missing") })
    #expect(replies.count == 7, "expected 7 replies (ids 1, 2, 3, \"s\" and three nulls), got \(frame)")
    #expect(byID["1"]?.count == 1 && byID["1"]?.first?["result"]?["content"] == "a\n")
    #expect(byID["2"]?.count == 1 && byID["2"]?.first?.errorCode == -32601)
    #expect(byID["3"]?.count == 1 && byID["3"]?.first?.errorCode == -32602)
    #expect(byID["\"s\""]?.count == 1 && byID["\"s\""]?.first?["result"] == [:])
    #expect(byID["null"]?.count == 3 && byID["null"]?.allSatisfy { $0.errorCode == -32600 } == true, "42, {foo}, id 4.5: \(frame)")
    #expect(byID["99"] == nil, "a client response must not be answered")
    // Nothing else arrives for that batch.
    server.send(rpc("after", "ping"), wire)
    #expect(try server.nextFrame().id == "after")
    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "\(rest)")
  }

  @Test("a batch of only notifications gets no reply at all", .timeLimit(.minutes(1)))
  func notificationOnlyBatch() throws {
    let root = try TempDir("batch")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    server.send([rpc(nil, "notifications/initialized"), rpc(nil, "ping"), rpc(nil, "no/such/notification", ["x": 1])])
    server.send(rpc(nil, "notifications/cancelled", ["requestId": 12345]))
    server.send(rpc(nil, "no/such/notification"))
    server.send(rpc("after", "ping"))
    let next = try server.nextFrame()
    #expect(next.id == "after", "a notification was answered: \(next)")
    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "\(rest)")
  }

  /// A notification for an operation is carried out, only not answered (JSON-RPC 2.0 §4.1), alone or in a batch.
  @Test("notifications for operations run without a reply", .timeLimit(.minutes(1)))
  func operationNotificationsRun() throws {
    let root = try TempDir("notify")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    server.send(rpc(nil, "fs/write", ["path": "n.txt", "content": "x"]))
    server.send([rpc(nil, "fs/mkdir", ["path": "made"]), rpc(nil, "fs/read", ["path": "missing.txt"])])
    server.send(rpc(nil, "tools/call", ["name": "fs_write", "arguments": ["path": "m.txt", "content": "y"]]))
    let read = try server.request("fs/read", ["path": "n.txt"])
    #expect(read["result"]?["content"] == "x", "\(read)")
    #expect(try server.request("fs/read", ["path": "m.txt"])["result"]?["content"] == "y")
    #expect(try server.request("fs/stat", ["path": "made"])["result"]?["type"] == "dir")
    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "a notification was answered: \(rest)")
  }

  /// Request 1 waits behind a chain of big writes to the same file; three more requests with id 1 arrive while it
  /// is in flight (a client retrying). Each duplicate gets -32600; the original still gets its own reply, and so
  /// does every write of the chain, even though stdin closes right away.
  @Test("a duplicate in-flight id is refused and the original is still answered", .timeLimit(.minutes(1)))
  func duplicateInFlightID() throws {
    let root = try TempDir("dup")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    let chain = stall(server, path: "slow.bin", firstID: 100)
    var wire = encode(rpc(1, "fs/read", ["path": "slow.bin", "max_bytes": 10]))
    for _ in 0..<3 { wire += encode(rpc(1, "ping")) }
    server.send(raw: wire)
    let (status, frames) = try server.finish()
    #expect(status == .exited(0))
    let forOne = frames.filter { $0.id == 1 }
    #expect(forOne.filter { $0.json.errorCode == -32600 }.count == 3, "each duplicate needs its -32600: \(forOne)")
    #expect(forOne.filter { $0.json["result"]?["path"] == "slow.bin" }.count == 1, "the original request 1 was never answered: \(forOne)")
    #expect(forOne.count == 4, "\(forOne)")
    let chainAnswered = Set(frames.compactMap { $0.id?.intValue }.filter { $0 >= 100 })
    #expect(chainAnswered == Set(chain), "writes never answered before exit: \(Set(chain).subtracting(chainAnswered).sorted())")
  }

  @Test("a duplicate id inside one batch gets exactly one error in the batch reply", .timeLimit(.minutes(1)))
  func duplicateIDInBatch() throws {
    let root = try TempDir("dup")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    stall(server, path: "slow.bin", firstID: 100)
    server.send([rpc(7, "fs/read", ["path": "slow.bin", "max_bytes": 10]), rpc(7, "ping")])
    var batchReply: [JSONValue]?
    for _ in 0..<20 {
      let frame = try server.nextFrame()
      if let array = frame.json.arrayValue {
        batchReply = array
        break
      }
    }
    let replies = try #require(batchReply, "no batch reply")
    #expect(replies.count == 2, "one reply per batch element (the read's result, the duplicate's -32600); got \(JSONValue.array(replies).compact)")
    #expect(replies.filter { $0.errorCode == -32600 }.count == 1, "\(JSONValue.array(replies).compact)")
    #expect(replies.filter { $0.errorCode == -32800 }.isEmpty, "the duplicate was answered as 'cancelled' too: \(JSONValue.array(replies).compact)")
    #expect(replies.filter { $0["result"]?["path"] == "slow.bin" }.count == 1, "\(JSONValue.array(replies).compact)")
    let (status, _) = try server.finish()
    #expect(status == .exited(0))
  }
}
