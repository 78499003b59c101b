import Foundation
import MishJSON
import Testing

@Suite("MCP face over real pipes")
struct MCPTests {
  static let modernMeta: JSONValue = [
    "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": [:],
  ]

  @Test("tools/call of an unknown tool is JSON-RPC error -32602 with a hint", .timeLimit(.minutes(1)))
  func unknownTool() throws {
    let root = try TempDir("mcp")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    let reply = try server.request("tools/call", ["name": "fs_raed", "arguments": ["path": "a"]])
    #expect(reply.errorCode == -32602 && reply["result"] == nil, "\(reply.compact)")
    #expect(reply["error"]?["data"]?["hint"]?.stringValue?.contains("fs_read") == true, "\(reply.compact)")
    let nameless = try server.request("tools/call", ["arguments": [:]])
    #expect(nameless.errorCode == -32602, "\(nameless.compact)")
    _ = try server.finish()
  }

  @Test("a bad argument is an isError result with invalid_argument and the field", .timeLimit(.minutes(1)))
  func badArgument() throws {
    let root = try TempDir("mcp")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    for (arguments, field) in [(["path": 5] as JSONValue, "$.path"), ([:], "$.path"), (["path": "a", "limit_lines": "ten"], "$.limit_lines")] {
      let result = try server.callTool("fs_read", arguments)
      #expect(result["isError"] == true, "\(result.compact)")
      #expect(result["structuredContent"]?["error"]?["code"] == "invalid_argument", "\(result.compact)")
      #expect(result["structuredContent"]?["error"]?["field"] == .string(field), "\(result.compact)")
      #expect(result["structuredContent"]?["error"]?["hint"]?.stringValue?.isEmpty == false)
      #expect(result["content"]?.arrayValue?.count == 1, "\(result.compact)")
    }
    _ = try server.finish()
  }

  @Test("a successful call has exactly one text item and structuredContent; failures are isError results", .timeLimit(.minutes(1)))
  func successfulCall() throws {
    let root = try TempDir("mcp")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    let wrote = try server.callTool("fs_write", ["path": "notes/a.txt", "content": "one\ntwo\n"])
    #expect(wrote["isError"] == false && wrote["structuredContent"]?["created"] == true, "\(wrote.compact)")
    let read = try server.callTool("fs_read", ["path": "notes/a.txt"])
    let content = try #require(read["content"]?.arrayValue, "\(read.compact)")
    #expect(content.count == 1, "\(read.compact)")
    #expect(content.first?["type"] == "text" && content.first?["text"]?.stringValue?.contains("two") == true, "\(read.compact)")
    #expect(read["structuredContent"]?["content"] == "one\ntwo\n" && read["structuredContent"]?["total_lines"] == 2, "\(read.compact)")
    #expect(read["isError"] == false)
    #expect(read["resultType"] == nil, "legacy-era results carry no resultType")

    let missing = try server.callTool("fs_read", ["path": "nope.txt"])
    #expect(missing["isError"] == true && missing["structuredContent"]?["error"]?["code"] == "not_found", "\(missing.compact)")
    #expect(missing["content"]?.arrayValue?.count == 1)
    for key in ["message", "hint"] {
      #expect(missing["structuredContent"]?["error"]?[key]?.stringValue?.isEmpty == false, "error.\(key) missing: \(missing.compact)")
    }
    _ = try server.finish()
  }

  @Test("the initialize handshake and tools/list work in the legacy era", .timeLimit(.minutes(1)))
  func legacyHandshake() throws {
    let root = try TempDir("mcp")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    let initialized = try server.request(
      "initialize", ["protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "e2e", "version": "1"]])
    #expect(initialized["result"]?["protocolVersion"] == "2025-06-18", "\(initialized.compact)")
    #expect(initialized["result"]?["serverInfo"]?["name"] == "mish")
    server.send(rpc(nil, "notifications/initialized"))
    #expect(try server.request("ping")["result"] == [:])
    let list = try server.request("tools/list")
    let names = list["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    for tool in ["fs_read", "fs_write", "fs_stat", "fs_move", "fs_remove", "fs_mkdir"] {
      #expect(names.contains(tool), "tools/list lacks \(tool): \(names)")
    }
    _ = try server.finish()
  }

  @Test("modern-era results carry resultType complete", .timeLimit(.minutes(1)))
  func modernResultType() throws {
    let root = try TempDir("mcp")
    defer { root.remove() }
    try root.write("a.txt", "a\n")
    let server = try LiveServer(root: root.path)
    let ok = try server.callTool("fs_read", ["path": "a.txt"], meta: Self.modernMeta)
    #expect(ok["resultType"] == "complete" && ok["isError"] == false, "\(ok.compact)")
    let failed = try server.callTool("fs_read", ["path": "missing.txt"], meta: Self.modernMeta)
    #expect(failed["resultType"] == "complete" && failed["isError"] == true, "\(failed.compact)")
    let invalid = try server.callTool("fs_read", ["path": 1], meta: Self.modernMeta)
    #expect(invalid["resultType"] == "complete" && invalid["isError"] == true, "\(invalid.compact)")
    let list = try server.request("tools/list", ["_meta": Self.modernMeta])
    #expect(list["result"]?["resultType"] == "complete", "\(list.compact)")
    let ping = try server.request("ping", ["_meta": Self.modernMeta])
    #expect(ping["result"] == ["resultType": "complete"], "\(ping.compact)")
    let discover = try server.request("server/discover", ["_meta": Self.modernMeta])
    #expect(discover["result"]?["supportedVersions"]?.arrayValue?.contains("2026-07-28") == true, "\(discover.compact)")
    _ = try server.finish()
  }

  @Test("an unknown protocol version is -32022 with supported and requested", .timeLimit(.minutes(1)))
  func unknownVersion() throws {
    let root = try TempDir("mcp")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    for version in ["1999-01-01", "2026-07-29"] as [JSONValue] {
      let reply = try server.request(
        "tools/call", ["name": "fs_read", "arguments": ["path": "a"], "_meta": ["io.modelcontextprotocol/protocolVersion": version]])
      #expect(reply.errorCode == -32022, "\(reply.compact)")
      #expect(reply["error"]?["data"]?["requested"] == version, "\(reply.compact)")
      let supported = reply["error"]?["data"]?["supported"]?.arrayValue ?? []
      #expect(supported.contains("2026-07-28"), "\(reply.compact)")
    }
    let onPing = try server.request("ping", ["_meta": ["io.modelcontextprotocol/protocolVersion": 20_260_728]])
    #expect(onPing.errorCode == -32022, "\(onPing.compact)")
    _ = try server.finish()
  }

  /// The request waits behind a chain of big writes to its path, so it is certainly in flight when the
  /// cancellation arrives (in the same write).
  @Test("notifications/cancelled: the cancelled request is never answered", .timeLimit(.minutes(1)), arguments: ["native", "mcp"])
  func cancelledNotification(_ face: String) throws {
    let root = try TempDir("cancel")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    let chain = stall(server, path: "slow.bin", firstID: 100)
    let request =
      face == "native"
      ? rpc(1, "fs/read", ["path": "slow.bin", "max_bytes": 10])
      : rpc(1, "tools/call", ["name": "fs_read", "arguments": ["path": "slow.bin", "max_bytes": 10]])
    server.send(raw: encode(request) + encode(rpc(nil, "notifications/cancelled", ["requestId": 1, "reason": "test"])))
    #expect(try server.request("ping")["result"] == [:])
    for id in chain { _ = try server.reply(to: .int(id)) }
    // Give a wrongly surviving reply time to show up, then end the session.
    let late = server.frames(arrivingWithin: 1.0)
    let (status, frames) = try server.finish()
    let forOne = (late + frames).filter { $0.id == 1 }
    #expect(forOne.isEmpty, "a cancelled request was answered: \(forOne)")
    #expect(status == .exited(0))
  }

  @Test("$/cancelRequest: the request is answered once, with -32800", .timeLimit(.minutes(1)))
  func cancelRequest() throws {
    let root = try TempDir("cancel")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    let chain = stall(server, path: "slow.bin", firstID: 100)
    server.send(raw: encode(rpc("c-1", "fs/read", ["path": "slow.bin", "max_bytes": 10])) + encode(rpc(nil, "$/cancelRequest", ["id": "c-1"])))
    let reply = try server.reply(to: "c-1")
    #expect(reply.errorCode == -32800 && reply["result"] == nil, "\(reply.compact)")
    for id in chain { _ = try server.reply(to: .int(id)) }
    let late = server.frames(arrivingWithin: 1.0)
    let (status, frames) = try server.finish()
    let again = (late + frames).filter { $0.id == "c-1" }
    #expect(again.isEmpty, "answered twice: \(again)")
    #expect(status == .exited(0))
  }

  @Test("cancelling an unknown or finished id does nothing", .timeLimit(.minutes(1)))
  func cancelUnknown() throws {
    let root = try TempDir("cancel")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    #expect(try server.request("ping")["result"] == [:])
    server.send(rpc(nil, "$/cancelRequest", ["id": 1_000_001]))
    server.send(rpc(nil, "notifications/cancelled", ["requestId": "never-sent"]))
    server.send(rpc(nil, "$/cancelRequest", [:]))
    server.send(rpc("after", "ping"))
    #expect(try server.nextFrame().id == "after")
    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "\(rest)")
  }
}
