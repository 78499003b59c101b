import Foundation
import Glibc
import MishJSON
import Synchronization
import Testing

/// SIGKILL the real server while it writes large files: every file must afterwards hold exactly one complete content
/// that was sent for it, never a mix or a prefix, and never older than a write already acknowledged.
@Suite("Torn writes under SIGKILL", .serialized)
struct TornWriteTests {
  static let files = ["f0.txt", "f1.txt", "f2.txt"]
  static let size = 200_000

  /// Content number `sequence` of `file`: a distinct marker repeated to exactly `size` bytes.
  static func content(file: Int, sequence: Int) -> String {
    let marker = "<file \(file) write \(sequence)>\n"
    let repeated = String(repeating: marker, count: size / marker.utf8.count + 1)
    return String(repeated.utf8.prefix(size))!
  }

  /// Which write of `file` these bytes are, if they are exactly one.
  static func identify(_ data: Data, file: Int) -> Int? {
    guard data.count == size, let newline = data.firstIndex(of: 0x0A) else { return nil }
    let marker = String(decoding: data[..<newline], as: UTF8.self)
    let prefix = "<file \(file) write "
    guard marker.hasPrefix(prefix), marker.hasSuffix(">"),
      let sequence = Int(marker.dropFirst(prefix.count).dropLast())
    else { return nil }
    return Data(content(file: file, sequence: sequence).utf8) == data ? sequence : nil
  }

  @Test("files are never torn when the writer is killed at random moments", .timeLimit(.minutes(1)))
  func killedWriter() throws {
    let seed = TestSeed.value
    var rng = SplitMix64(seed: seed)
    var strays: [String] = []
    var landed = 0  // files found holding a write the server made, not the initial content
    for trial in 0..<10 {
      let root = try TempDir("torn")
      defer { root.remove() }
      for (index, name) in Self.files.enumerated() { try root.write(name, Self.content(file: index, sequence: 0)) }
      let server = try LiveServer(root: root.path)
      server.allowTruncatedTail = true

      // Kill once the server has acknowledged `killAfter` writes, plus a random sliver of time.
      let killAfter = Int.random(in: 0...25, using: &rng)
      let extraMicroseconds = UInt32.random(in: 0...20_000, using: &rng)
      let stdout = server.child.stdout
      let pid = server.child.pid
      let killer = Thread {
        _ = stdout.wait(until: Date().addingTimeInterval(20)) { bytes, eof -> Bool? in
          eof || bytes.lazy.filter { $0 == 0x0A }.count >= killAfter ? true : nil
        }
        usleep(extraMicroseconds)
        kill(pid, SIGKILL)
      }
      killer.start()

      // Write until the pipe breaks (the server is dead), recording what each file may hold.
      var sent: [[Int]] = Self.files.map { _ in [0] }
      var sequence = 0
      while sequence < 400 {
        sequence += 1
        let file = Int.random(in: 0..<Self.files.count, using: &rng)
        let message = rpc(
          .int(sequence), "fs/write", ["path": .string(Self.files[file]), "content": .string(Self.content(file: file, sequence: sequence))])
        sent[file].append(sequence)
        if !server.child.write(encode(message)) { break }
      }
      guard let status = server.child.wait(timeout: 30) else {
        server.kill()
        Issue.record("trial \(trial): the server neither died nor finished (seed \(seed))")
        continue
      }
      _ = stdout.waitForEOF(until: Date().addingTimeInterval(5))

      // The writes the server acknowledged: a file can never be older than its last acknowledged write.
      var acknowledged: [Int: Int] = [:]
      let output = stdout.snapshot
      var offset = 0
      while let frame = splitFrame(output, from: offset), frame.next > 0 {
        offset = frame.next
        if let reply = try? JSONParser.parse(frame.body), let id = reply["id"]?.intValue, reply["result"] != nil,
          let path = reply["result"]?["path"]?.stringValue, let file = Self.files.firstIndex(of: path)
        {
          acknowledged[file] = max(acknowledged[file] ?? 0, id)
        }
      }

      for (file, name) in Self.files.enumerated() {
        guard let data = FileManager.default.contents(atPath: root.at(name)) else {
          Issue.record("trial \(trial): \(name) is gone after SIGKILL (seed \(seed))")
          continue
        }
        guard let found = Self.identify(data, file: file) else {
          let head = String(decoding: data.prefix(40), as: UTF8.self)
          Issue.record("trial \(trial): \(name) is torn: \(data.count) bytes starting \(head.debugDescription) (\(status), seed \(seed))")
          continue
        }
        if found > 0 { landed += 1 }
        #expect(sent[file].contains(found), "trial \(trial): \(name) holds write \(found), never sent for it (seed \(seed))")
        #expect(
          found >= acknowledged[file] ?? 0,
          "trial \(trial): \(name) holds write \(found), older than acknowledged write \(acknowledged[file] ?? 0) (seed \(seed))")
      }
      let entries = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
      for entry in entries where !Self.files.contains(entry) {
        if entry.hasPrefix("."), entry.contains(".mish-") {
          strays.append("trial \(trial): \(entry)")
        } else {
          Issue.record("trial \(trial): unexpected entry \(entry) in the root (seed \(seed))")
        }
      }
    }
    #expect(landed > 0, "no trial got past the initial contents, so nothing was tested (seed \(seed))")
    if !strays.isEmpty {
      // A kill between linking the temp file and renaming it over the target leaves it behind; worth knowing, not a tear.
      Issue.record("stray temp files left by SIGKILL: \(strays) (seed \(seed))", severity: .warning)
    }
  }
}
