import Foundation
import MishJSON
import Testing

@Suite("Progress notifications")
struct ProgressTests {
  @Test("a request with a progress token gets increasing notifications/progress before its reply, and one without gets none", .timeLimit(.minutes(1)))
  func progressBeforeReply() throws {
    let root = try TempDir("progress")
    defer { root.remove() }
    for i in 0..<5 { try root.write("f\(i).txt", "file \(i)\n") }
    let server = try LiveServer(root: root.path)
    let paths: JSONValue = .array((0..<5).map { .string("f\($0).txt") })
    server.send(rpc(1, "tools/call", ["name": "fs_read_many", "arguments": ["paths": paths], "_meta": ["progressToken": "tok-1"]]))
    var progress: [Double] = []
    while true {
      let frame = try server.nextFrame()
      if frame.json["method"] == "notifications/progress" {
        #expect(frame.json["params"]?["progressToken"] == "tok-1")
        #expect(frame.json["params"]?["total"]?.doubleValue == 5)
        progress.append(frame.json["params"]?["progress"]?.doubleValue ?? -1)
        continue
      }
      #expect(frame.json["id"] == 1)
      break
    }
    #expect(progress == [1, 2, 3, 4, 5])
    server.send(rpc(2, "fs/read_many", ["paths": paths]))
    let next = try server.nextFrame()
    #expect(next.json["id"] == 2, "no progress without a token: \(next.json)")
    _ = try server.finish()
  }
}
