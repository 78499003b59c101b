import Foundation
import MishJSON
import Testing

/// Transport framing as the real binary sees it: both framings, any chunking, oversized frames, CRLF.
@Suite("Framing over real pipes")
struct FramingTests {
  @Test("each reply uses the framing of its request", .timeLimit(.minutes(1)))
  func replyFramingFollowsRequest() throws {
    let root = try TempDir("framing")
    defer { root.remove() }
    try root.write("a.txt", "alpha\n")
    let server = try LiveServer(root: root.path)

    server.send(rpc(1, "ping"), .line)
    let first = try server.nextFrame()
    #expect(first.wire == .line && first.id == 1, "\(first)")

    server.send(rpc(2, "fs/read", ["path": "a.txt"]), .contentLength)
    let second = try server.nextFrame()
    #expect(second.wire == .contentLength && second.id == 2, "\(second)")
    #expect(second.json["result"]?["content"] == "alpha\n")

    // Mixed framings in one write, with an extra header line a real LSP client sends.
    let body = JSONWriter.encode(rpc(5, "fs/stat", ["path": "a.txt"]))
    var wire = encode(rpc(3, "ping"), .contentLength) + encode(rpc(4, "fs/read", ["path": "a.txt"]), .line)
    wire += Array("Content-Length: \(body.count)\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n".utf8) + body
    server.send(raw: wire)
    var seen: [Int: Wire] = [:]
    for _ in 0..<3 {
      let frame = try server.nextFrame()
      if let id = frame.id?.intValue { seen[id] = frame.wire }
    }
    #expect(seen == [3: .contentLength, 4: .line, 5: .contentLength])

    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "unexpected frames: \(rest)")
  }

  @Test("requests split into random chunks are answered exactly once", .timeLimit(.minutes(1)))
  func randomChunking() throws {
    let seed = TestSeed.value
    var rng = SplitMix64(seed: seed)
    let root = try TempDir("chunks")
    defer { root.remove() }
    try root.write("a.txt", "one\ntwo\n")
    let server = try LiveServer(root: root.path)

    var expected: [Int: Wire] = [:]
    var nextID = 1
    for trial in 0..<12 {
      var stream: [UInt8] = []
      for _ in 0..<Int.random(in: 3...8, using: &rng) {
        let id = nextID
        nextID += 1
        let wire: Wire = Bool.random(using: &rng) ? .line : .contentLength
        let message: JSONValue
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: message = rpc(.int(id), "ping")
        case 1: message = rpc(.int(id), "fs/read", ["path": "a.txt"])
        case 2: message = rpc(.int(id), "fs/stat", ["path": "a.txt"])
        default: message = rpc(.int(id), "no/such_method", ["x": .string(String(repeating: "é", count: Int.random(in: 0...40, using: &rng)))])
        }
        stream += encode(message, wire)
        expected[id] = wire
      }
      // Trial 0 goes byte by byte; the others in random pieces of 1...64 bytes.
      let sizes = trial == 0 ? [1] : (0..<64).map { _ in Int.random(in: 1...64, using: &rng) }
      server.sendChunked(stream, sizes: sizes, pauseMicroseconds: trial == 0 ? 50 : 200)
    }
    let (status, frames) = try server.finish()
    #expect(status == .exited(0), "seed \(seed)")
    var answered: [Int: Int] = [:]
    for frame in frames {
      guard let id = frame.id?.intValue else {
        Issue.record("reply without an integer id (seed \(seed)): \(frame)")
        continue
      }
      answered[id, default: 0] += 1
      #expect(frame.wire == expected[id], "id \(id) answered in \(frame.wire), asked in \(String(describing: expected[id])) (seed \(seed))")
    }
    for id in expected.keys.sorted() where answered[id] != 1 {
      Issue.record("id \(id) answered \(answered[id] ?? 0) times (seed \(seed); replay with MISH_TEST_SEED=\(seed))")
    }
    #expect(Set(answered.keys) == Set(expected.keys), "seed \(seed)")
  }

  @Test("a request written one byte per write is answered once, in both framings", .timeLimit(.minutes(1)))
  func byteByByte() throws {
    let root = try TempDir("bytes")
    defer { root.remove() }
    try root.write("a.txt", "x\n")
    let server = try LiveServer(root: root.path)
    server.sendChunked(encode(rpc("line-1", "fs/read", ["path": "a.txt"]), .line), sizes: [1], pauseMicroseconds: 100)
    let line = try server.nextFrame()
    #expect(line.id == "line-1" && line.wire == .line && line.json["result"]?["content"] == "x\n", "\(line)")
    server.sendChunked(encode(rpc("cl-1", "fs/read", ["path": "a.txt"]), .contentLength), sizes: [1], pauseMicroseconds: 100)
    let framed = try server.nextFrame()
    #expect(framed.id == "cl-1" && framed.wire == .contentLength, "\(framed)")
    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "\(rest)")
  }

  @Test("a frame over --max-frame-bytes is refused with id null and the server keeps serving", .timeLimit(.minutes(1)))
  func oversizedFrames() throws {
    let root = try TempDir("oversize")
    defer { root.remove() }
    let server = try LiveServer(root: root.path, ["--max-frame-bytes", "1024"])
    let big = String(repeating: "z", count: 5000)

    // A newline-framed message, sent whole.
    server.send(rpc(1, "fs/write", ["path": "big1.txt", "content": .string(big)]))
    server.send(rpc(2, "ping"))
    let refused = try server.nextFrame()
    #expect(refused.json.errorCode == -32600 && refused.id == .null && refused.wire == .line, "\(refused)")
    #expect(try server.nextFrame().json == ["jsonrpc": "2.0", "id": 2, "result": [:]])

    // The same, streamed in pieces so the server has to skip it as it passes.
    server.sendChunked(encode(rpc(3, "fs/write", ["path": "big2.txt", "content": .string(big)])), sizes: [300], pauseMicroseconds: 2000)
    server.send(rpc(4, "ping"))
    let refusedStreamed = try server.nextFrame()
    #expect(refusedStreamed.json.errorCode == -32600 && refusedStreamed.id == .null, "\(refusedStreamed)")
    #expect(try server.nextFrame().id == 4)

    // Content-Length framing: the body is skipped by its declared length.
    server.send(rpc(5, "fs/write", ["path": "big3.txt", "content": .string(big)]), .contentLength)
    server.send(rpc(6, "ping"), .contentLength)
    let refusedFramed = try server.nextFrame()
    #expect(refusedFramed.json.errorCode == -32600 && refusedFramed.id == .null && refusedFramed.wire == .contentLength, "\(refusedFramed)")
    let after = try server.nextFrame()
    #expect(after.id == 6 && after.wire == .contentLength, "\(after)")

    // Just under the limit is fine.
    let fits = try server.request("fs/write", ["path": "small.txt", "content": .string(String(repeating: "s", count: 900))])
    #expect(fits["result"]?["bytes"] == 900, "\(fits.compact)")

    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "\(rest)")
    #expect(!root.exists("big1.txt") && !root.exists("big2.txt") && !root.exists("big3.txt"), "an oversized request was executed")
  }

  @Test("CRLF line endings, blank lines, and a last line without a newline", .timeLimit(.minutes(1)))
  func lineEndings() throws {
    let root = try TempDir("crlf")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    server.send(raw: JSONWriter.string(rpc(1, "ping")) + "\r\n")
    let first = try server.nextFrame()
    #expect(first.json == ["jsonrpc": "2.0", "id": 1, "result": [:]], "\(first)")
    // Blank lines between messages are not messages.
    server.send(raw: "\r\n\n  \r\n" + JSONWriter.string(rpc(2, "ping")) + "\n")
    #expect(try server.nextFrame().id == 2)
    // At end of input a final line without its newline is still a message.
    server.send(raw: JSONWriter.string(rpc(3, "ping")))
    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.map(\.id) == [3], "\(rest)")
  }

  @Test("a bad Content-Length header is a parse error and the stream resynchronises", .timeLimit(.minutes(1)))
  func badHeader() throws {
    let root = try TempDir("header")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    server.send(raw: "Content-Length: twelve\r\n\r\n")
    let bad = try server.nextFrame()
    #expect(bad.json.errorCode == -32700 && bad.id == .null && bad.wire == .contentLength, "\(bad)")
    server.send(rpc(7, "ping"), .contentLength)
    #expect(try server.nextFrame().id == 7)
    let (status, rest) = try server.finish()
    #expect(status == .exited(0))
    #expect(rest.isEmpty, "\(rest)")
  }
}
