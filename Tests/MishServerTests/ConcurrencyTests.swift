import Foundation
import MishJSON
import Testing

@Suite("Concurrency: one reply per request, ordered writes per path")
struct ConcurrencyTests {
  enum Kind: String { case read, write, stat, unknown }

  @Test("500 concurrent requests: each id answered exactly once, rightly; exit 0 at EOF", .timeLimit(.minutes(1)))
  func fiveHundredRequests() throws {
    let seed = TestSeed.value
    var rng = SplitMix64(seed: seed)
    let root = try TempDir("many")
    defer { root.remove() }
    for file in 0..<50 { try root.write("r/\(file).txt", "read me \(file)\n") }
    let server = try LiveServer(root: root.path)

    var expected: [String: (kind: Kind, detail: Int)] = [:]
    var messages: [[UInt8]] = []
    for index in 0..<500 {
      // Half the ids are integers, half strings, so both kinds of id are echoed back.
      let id: JSONValue = index.isMultiple(of: 2) ? .int(index) : .string("req-\(index)")
      let kind = [Kind.read, .write, .stat, .unknown][index % 4]
      let file = Int.random(in: 0..<50, using: &rng)
      let message: JSONValue
      switch kind {
      case .read: message = rpc(id, "fs/read", ["path": .string("r/\(file).txt")])
      case .write: message = rpc(id, "fs/write", ["path": .string("w/\(index).txt"), "content": .string("written by \(index)\n")])
      case .stat: message = rpc(id, "fs/stat", ["path": .string("r/\(file).txt")])
      case .unknown: message = rpc(id, "fs/frobnicate_\(index)", [:])
      }
      expected[JSONWriter.string(id)] = (kind, kind == .write ? index : file)
      messages.append(encode(message, Bool.random(using: &rng) ? .line : .contentLength))
    }
    messages.shuffle(using: &rng)
    server.send(raw: messages.flatMap { $0 })
    // EOF right away: everything in flight must still be answered before the process exits.
    let (status, frames) = try server.finish(timeout: 50)
    #expect(status == .exited(0), "seed \(seed)")

    var counts: [String: Int] = [:]
    for frame in frames {
      let key = JSONWriter.string(frame.id ?? "missing")
      counts[key, default: 0] += 1
      guard let (kind, detail) = expected[key] else {
        Issue.record("reply for an id never sent: \(frame) (seed \(seed))")
        continue
      }
      let reply = frame.json
      switch kind {
      case .read:
        #expect(reply["result"]?["content"] == .string("read me \(detail)\n"), "\(key): \(reply.compact)")
      case .write:
        #expect(reply["result"]?["bytes"] == .int("written by \(detail)\n".utf8.count), "\(key): \(reply.compact)")
      case .stat:
        #expect(reply["result"]?["type"] == "file" && reply["result"]?["size"] == .int("read me \(detail)\n".utf8.count), "\(key): \(reply.compact)")
      case .unknown:
        #expect(reply.errorCode == -32601, "\(key): \(reply.compact)")
      }
    }
    let wrong = expected.keys.filter { counts[$0] != 1 }.sorted()
    #expect(wrong.isEmpty, "ids not answered exactly once: \(wrong.prefix(20).map { "\($0)×\(counts[$0] ?? 0)" }) (seed \(seed))")
    #expect(frames.count == 500, "\(frames.count) frames for 500 requests (seed \(seed))")
    for index in stride(from: 1, to: 500, by: 4) {
      #expect(root.read("w/\(index).txt") == "written by \(index)\n", "w/\(index).txt")
    }
  }

  /// Writes to one path, sent back to back without waiting, land in arrival order: a read queued after write k sees
  /// write k's content, and the last read sees the last write. Lexically equal spellings of the path are one path.
  @Test("writes to one path are ordered in arrival order", .timeLimit(.minutes(1)))
  func perPathOrdering() throws {
    let seed = TestSeed.value
    var rng = SplitMix64(seed: seed)
    let root = try TempDir("order")
    defer { root.remove() }
    let server = try LiveServer(root: root.path)
    let spellings = ["same.txt", "./same.txt", root.at("same.txt"), ".//same.txt"]
    var wire: [UInt8] = []
    var readExpectations: [(id: Int, content: String)] = []
    var last = ""
    for index in 1...240 {
      // Contents of very different sizes, so a later write is often quicker than an earlier one.
      let padding = String(repeating: "·", count: Int.random(in: 0...(index % 7 == 0 ? 400_000 : 2_000), using: &rng))
      last = "write #\(index)\n\(padding)"
      let path = spellings[Int.random(in: 0..<spellings.count, using: &rng)]
      wire += encode(rpc(.int(index), "fs/write", ["path": .string(path), "content": .string(last)]))
      if index.isMultiple(of: 20) {
        let id = 10_000 + index
        readExpectations.append((id, last))
        wire += encode(rpc(.int(id), "fs/read", ["path": .string(path), "max_bytes": 1_000_000]))
      }
    }
    server.send(raw: wire)
    for (id, content) in readExpectations {
      let reply = try server.reply(to: .int(id))
      let got = reply["result"]?["content"]?.stringValue ?? reply.compact
      #expect(got == content, "read \(id) saw \(got.prefix(30)) instead of \(content.prefix(30)) (seed \(seed))")
    }
    let final = try server.request("fs/read", ["path": "same.txt", "max_bytes": 1_000_000])
    #expect(
      final["result"]?["content"] == .string(last), "final content \(final["result"]?["content"]?.stringValue?.prefix(30) ?? "?") (seed \(seed))")
    let (status, frames) = try server.finish()
    #expect(status == .exited(0))
    let writeReplies = frames.filter { ($0.id?.intValue ?? 0) <= 240 }
    #expect(
      writeReplies.count == 240 && writeReplies.allSatisfy { $0.json["result"] != nil },
      "write failures: \(writeReplies.filter { $0.json["result"] == nil }.prefix(3))")
  }

  /// The same ordering promise when the path is spelled through `dir/..` or through an in-root symlink: it is still
  /// one file, so its writes must still land in arrival order.
  @Test("writes to one file through different spellings (dir/.., symlink) are ordered", .timeLimit(.minutes(1)))
  func aliasedPathOrdering() throws {
    let seed = TestSeed.value
    var rng = SplitMix64(seed: seed)
    let root = try TempDir("alias")
    defer { root.remove() }
    try root.subdirectory("sub")
    try root.write("same.txt", "initial\n")
    try root.symlink("alias.txt", to: "same.txt")
    let server = try LiveServer(root: root.path)
    let spellings = ["same.txt", "sub/../same.txt", "alias.txt"]
    var mismatches: [String] = []
    for round in 0..<6 {
      var wire: [UInt8] = []
      var last = ""
      for index in 1...60 {
        // Big writes first, small ones last: unordered execution lets a small late write finish before a big early one.
        let size = index < 50 ? 600_000 - index * 10_000 : Int.random(in: 0...100, using: &rng)
        last = "round \(round) write #\(index)\n" + String(repeating: "=", count: size)
        wire += encode(rpc(.int(round * 1000 + index), "fs/write", ["path": .string(spellings[index % spellings.count]), "content": .string(last)]))
      }
      server.send(raw: wire)
      // Every write answered first, so the read below sees the file as the writes left it.
      for index in 1...60 {
        let written = try server.reply(to: .int(round * 1000 + index))
        #expect(written["result"] != nil, "\(written.compact)")
      }
      let reply = try server.request("fs/read", ["path": "same.txt", "max_bytes": 2_000_000])
      let got = reply["result"]?["content"]?.stringValue ?? reply.compact
      if got != last { mismatches.append("round \(round): file holds \"\(got.prefix(24))…\", last write was \"\(last.prefix(24))…\"") }
    }
    #expect(mismatches.isEmpty, "writes to one file via different spellings were reordered: \(mismatches) (seed \(seed))")
    let (status, _) = try server.finish()
    #expect(status == .exited(0))
  }
}
