import Foundation
import MishFiles
import MishJSON
import MishRPC
import Synchronization
import Testing

@Suite struct ReadTests {
  @Test func readsRangesWithWholeFileFacts() throws {
    let s = try Scratch()
    try s.put("a.txt", "one\ntwo\nthree\nfour\n")
    let r = try s.ok("fs/read", ["path": "a.txt", "start_line": 2, "limit_lines": 2])
    #expect(r["content"] == "two\nthree\n")
    #expect(r["total_lines"] == 4)
    #expect(r["start_line"] == 2)
    #expect(r["end_line"] == 3)
    #expect(r["truncated"] == true)
    #expect(r["eol"] == "lf")
    #expect(r["sha256"] == "c45d3a272228cc542168164ba961fa622e95260bfd107eb1276940cb5209433e")
  }

  /// The MCP text item: `cat -n` numbering (CR dropped), then one status line saying where to read on.
  @Test func rendersNumberedLinesAndStatus() throws {
    let s = try Scratch()
    let render = try #require(s.registry.operation(named: "fs/read")).render
    try s.put("a.txt", "one\r\ntwo\r\nthree")
    let whole = render(try s.ok("fs/read", ["path": "a.txt"]))
    #expect(whole.hasPrefix("     1\tone\n     2\ttwo\n     3\tthree\n[a.txt: lines 1-3 of 3, sha256 "))
    #expect(whole.hasSuffix(", crlf, no newline at end of file]"))
    let lines = (1...1_000_002).map { "l\($0)" }.joined(separator: "\n") + "\n"
    try s.put("big.txt", lines)
    let tail = render(try s.ok("fs/read", ["path": "big.txt", "start_line": 999_999, "limit_lines": 2]))
    #expect(tail.hasPrefix(" 999999\tl999999\n1000000\tl1000000\n[big.txt: lines 999999-1000000 of 1000002, sha256 "))
    #expect(tail.hasSuffix(", lf; more follows: start_line=1000001]"))
    try s.put("empty.txt", "")
    #expect(render(try s.ok("fs/read", ["path": "empty.txt"])).hasPrefix("[empty.txt: empty file, sha256 e3b0c442"))
  }

  @Test func shaIsOfTheWholeFile() throws {
    let s = try Scratch()
    try s.put("a.txt", "abc")
    let r = try s.ok("fs/read", ["path": "a.txt", "limit_lines": 1])
    #expect(r["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(r["total_lines"] == 1)
    #expect(r["eol"] == "none")
  }

  @Test func byteCapCutsOnLineBoundaryAndLongLinesOnUTF8Boundary() throws {
    let s = try Scratch()
    try s.put("a.txt", "aaaa\nbbbb\ncccc\n")
    let r = try s.ok("fs/read", ["path": "a.txt", "max_bytes": 11])
    #expect(r["content"] == "aaaa\nbbbb\n")
    #expect(r["truncated"] == true)
    try s.put("b.txt", "ééééé\n")
    let long = try s.ok("fs/read", ["path": "b.txt", "max_bytes": 5])
    #expect(long["content"] == "éé")
    #expect(long["truncated"] == true)
    #expect(long["cut_line_bytes"] == 11)
    #expect(r["cut_line_bytes"] == nil)
  }

  /// A line longer than max_bytes is cut, and the text says how to read it whole (not a start_line past the end).
  @Test func cutLineSaysHowToReadItWhole() throws {
    let s = try Scratch()
    let render = try #require(s.registry.operation(named: "fs/read")).render
    try s.put("min.js", String(repeating: "x", count: 300))
    let only = render(try s.ok("fs/read", ["path": "min.js", "max_bytes": 100]))
    #expect(only.hasSuffix("; line 1 is cut: it is 300 bytes, read it whole with max_bytes=300]"))
    #expect(!only.contains("more follows"))
    try s.put("two.js", String(repeating: "y", count: 300) + "\nend\n")
    let first = render(try s.ok("fs/read", ["path": "two.js", "max_bytes": 100]))
    #expect(first.hasSuffix("; line 1 is cut: it is 301 bytes, read it whole with max_bytes=301; more follows: start_line=2]"))
    let whole = try s.ok("fs/read", ["path": "two.js", "max_bytes": 301, "limit_lines": 1])
    #expect(whole["content"]?.stringValue == String(repeating: "y", count: 300) + "\n")
    #expect(whole["cut_line_bytes"] == nil)
  }

  @Test(arguments: [("a\r\nb\r\n", "crlf"), ("a\nb\r\n", "mixed"), ("a\nb", "lf"), ("", "none")])
  func reportsLineEndings(content: String, eol: String) throws {
    let s = try Scratch()
    try s.put("a.txt", content)
    #expect(try s.ok("fs/read", ["path": "a.txt"])["eol"] == .string(eol))
  }

  @Test func binaryFilesAreNotDumped() throws {
    let s = try Scratch()
    try s.put("b.bin", [0x89, 0x50, 0x4E, 0x47, 0x00, 0x01, 0x02])
    let r = try s.ok("fs/read", ["path": "b.bin"])
    #expect(r["binary"] == true)
    #expect(r["content"] == "")
  }

  @Test func invalidUTF8NeverCrashesAndIsFlagged() throws {
    let s = try Scratch()
    try s.put("u.txt", [0x61, 0xFF, 0xFE, 0x62, 0x0A])
    let r = try s.ok("fs/read", ["path": "u.txt"])
    #expect(r["invalid_utf8"] == true)
    #expect(r["content"] == "a\u{FFFD}\u{FFFD}b\n")
  }

  @Test func errorsSayWhatToDo() throws {
    let s = try Scratch()
    try s.put("d/x", "")
    #expect(s.failure("fs/read", ["path": "missing.txt"])?.code == .notFound)
    #expect(s.failure("fs/read", ["path": "d"])?.code == .isADirectory)
    #expect(s.failure("fs/read", ["path": 5])?.code == .invalidArgument)
    try s.put("short.txt", "a\n")
    #expect(s.failure("fs/read", ["path": "short.txt", "start_line": 5])?.code == .invalidArgument)
  }

  @Test func readManyKeepsGoingPastFailures() throws {
    let s = try Scratch()
    try s.put("a", "A\n")
    let r = try s.ok("fs/read_many", ["paths": ["a", "nope", "../x"]])
    let files = r["files"]?.arrayValue ?? []
    #expect(files.count == 3)
    #expect(files[0]["content"] == "A\n")
    #expect(files[1]["error"]?["code"] == "not_found")
    #expect(files[2]["error"]?["code"] == "outside_root")
    // The text an agent reads carries each failure's hint, not only its code and message.
    let text = s.registry.operation(named: "fs/read_many")?.render(r) ?? ""
    #expect(text.contains("nope: error not_found: "))
    #expect(text.contains("hint: \(files[1]["error"]?["hint"]?.stringValue ?? "?")"))
  }
}

@Suite struct WriteTests {
  @Test func createsReplacesAndKeepsMode() throws {
    let s = try Scratch()
    let created = try s.ok("fs/write", ["path": "new/dir/f.sh", "content": "#!/bin/sh\n"])
    #expect(created["created"] == true)
    #expect(try s.text("new/dir/f.sh") == "#!/bin/sh\n")
    chmod(s.url("new/dir/f.sh").path, 0o751)
    let replaced = try s.ok("fs/write", ["path": "new/dir/f.sh", "content": "echo hi\n"])
    #expect(replaced["created"] == false)
    var info = stat()
    stat(s.url("new/dir/f.sh").path, &info)
    #expect(info.st_mode & 0o7777 == 0o751)
    #expect(try s.text("new/dir/f.sh") == "echo hi\n")
  }

  @Test func staleAndExistsGuards() throws {
    let s = try Scratch()
    try s.put("f", "v1\n")
    let sha = try s.ok("fs/read", ["path": "f"])["sha256"]!
    try s.put("f", "v2 written by someone else\n")
    let stale = s.failure("fs/write", ["path": "f", "content": "mine\n", "expected_sha256": sha])
    #expect(stale?.code == .stale)
    #expect(stale?.details["current_sha256"]?.stringValue?.count == 64)
    #expect(try s.text("f") == "v2 written by someone else\n")
    #expect(s.failure("fs/write", ["path": "f", "content": "x", "create_only": true])?.code == .exists)
    let current = try s.ok("fs/read", ["path": "f"])["sha256"]!
    #expect(try s.ok("fs/write", ["path": "f", "content": "mine\n", "expected_sha256": current])["created"] == false)
  }

  @Test func refusesGitDirAndHardLinksAndEscapes() throws {
    let s = try Scratch()
    try s.put(".git/config", "[core]\n")
    #expect(s.failure("fs/write", ["path": ".git/config", "content": "x"])?.code == .denied)
    #expect(s.failure("fs/write", ["path": ".git/hooks/new", "content": "x"])?.code == .denied)
    try s.put("a", "a\n")
    link(s.url("a").path, s.url("b").path)
    #expect(s.failure("fs/write", ["path": "a", "content": "x"])?.code == .denied)
    #expect(s.failure("fs/write", ["path": "../escape.txt", "content": "x"])?.code == .outsideRoot)
    symlink("/tmp", s.url("out").path)
    #expect(s.failure("fs/write", ["path": "out/mish-escape-test.txt", "content": "x"])?.code == .outsideRoot)
    #expect(!FileManager.default.fileExists(atPath: "/tmp/mish-escape-test.txt"))
  }

  @Test func writesThroughAnInRootSymlinkReachTheTarget() throws {
    let s = try Scratch()
    try s.put("real.txt", "old\n")
    symlink("real.txt", s.url("link.txt").path)
    let r = try s.ok("fs/write", ["path": "link.txt", "content": "new\n"])
    #expect(r["path"] == "real.txt")
    #expect(try s.text("real.txt") == "new\n")
    var info = stat()
    lstat(s.url("link.txt").path, &info)
    #expect(info.st_mode & S_IFMT == S_IFLNK)
  }

  @Test func absolutePathInsideTheRootWorks() throws {
    let s = try Scratch()
    try s.put("a.txt", "x\n")
    #expect(try s.ok("fs/read", ["path": .string(s.workspace.rootPath + "/a.txt")])["content"] == "x\n")
  }
}

@Suite struct FileSystemTests {
  @Test func statMoveRemoveMkdir() throws {
    let s = try Scratch()
    try s.put("a/b.txt", "hello\n")
    let st = try s.ok("fs/stat", ["path": "a/b.txt"])
    #expect(st["type"] == "file")
    #expect(st["size"] == 6)
    #expect(st["mode"] == "0644" || st["mode"]?.stringValue?.hasPrefix("0") == true)
    #expect(try s.ok("fs/stat", ["path": ""])["type"] == "dir")
    try s.put("c.txt", "c\n")
    #expect(s.failure("fs/move", ["from": "a/b.txt", "to": "c.txt"])?.code == .exists)
    _ = try s.ok("fs/move", ["from": "a/b.txt", "to": "x/y/moved.txt"])
    #expect(try s.text("x/y/moved.txt") == "hello\n")
    #expect(!s.exists("a/b.txt"))
    _ = try s.ok("fs/move", ["from": "c.txt", "to": "x/y/moved.txt", "overwrite": true])
    #expect(try s.text("x/y/moved.txt") == "c\n")
    #expect(s.failure("fs/remove", ["path": "x"])?.code == .invalidArgument)
    #expect(try s.ok("fs/remove", ["path": "x", "recursive": true])["removed"] == 3)
    #expect(!s.exists("x"))
    #expect(try s.ok("fs/mkdir", ["path": "p/q/r"])["created"] == true)
    #expect(try s.ok("fs/mkdir", ["path": "p/q/r"])["created"] == false)
    #expect(s.failure("fs/mkdir", ["path": "p/q/r", "parents": false])?.code == .exists)
    #expect(s.failure("fs/remove", ["path": "."])?.code == .denied)
    #expect(s.failure("fs/remove", ["path": "nope"])?.code == .notFound)
  }

  @Test func removeDoesNotFollowSymlinksOut() throws {
    let s = try Scratch()
    let outside = FileManager.default.temporaryDirectory.appendingPathComponent("mish-outside-\(getpid())")
    try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: outside) }
    try Data("keep".utf8).write(to: outside.appendingPathComponent("keep.txt"))
    try s.put("d/file", "x")
    symlink(outside.path, s.url("d/link").path)
    _ = try s.ok("fs/remove", ["path": "d", "recursive": true])
    #expect(FileManager.default.fileExists(atPath: outside.appendingPathComponent("keep.txt").path))
    #expect(s.failure("fs/remove", ["path": "d/link/keep.txt"])?.code == .outsideRoot || !s.exists("d"))
  }

  @Test func statDescribesSymlinksThemselves() throws {
    let s = try Scratch()
    symlink("/etc/passwd", s.url("l").path)
    let st = try s.ok("fs/stat", ["path": "l"])
    #expect(st["type"] == "symlink")
    #expect(st["link_target"] == "/etc/passwd")
    #expect(s.failure("fs/read", ["path": "l"])?.code == .outsideRoot)
  }
}

@Suite struct MoveTests {
  /// A refused move names the destination and why, and leaves no directory it made behind.
  @Test func refusalsNameTheDestinationAndLeaveNothing() throws {
    let s = try Scratch()
    try s.put("d/inner.txt", "i\n")
    try s.put("b.txt", "b\n")
    try s.put("full/x.txt", "x\n")
    #expect(s.failure("fs/move", ["from": "d", "to": "d/sub/deeper/new"])?.code == .invalidArgument)
    #expect(!s.exists("d/sub"))
    let ontoFile = try #require(s.failure("fs/move", ["from": "d", "to": "b.txt", "overwrite": true]))
    #expect(ontoFile.message == "b.txt is a file; a directory cannot replace it")
    let ontoDir = try #require(s.failure("fs/move", ["from": "b.txt", "to": "full", "overwrite": true]))
    #expect(ontoDir.message.hasPrefix("full is a directory"), "\(ontoDir.message)")
    try s.put("e/y.txt", "y\n")
    let nonEmpty = try #require(s.failure("fs/move", ["from": "e", "to": "full", "overwrite": true]))
    #expect(nonEmpty.message.contains("not empty") && !nonEmpty.hint.contains("overwrite: true"), "\(nonEmpty.hint)")
    _ = try s.ok("fs/move", ["from": "b.txt", "to": "new/dir/full"])
    #expect(try s.text("new/dir/full") == "b\n")
  }
}

@Suite struct NulPathTests {
  /// A C path ends at its first NUL, so "keep.txt\0.bak" would reach keep.txt: every tool refuses such a path.
  @Test(arguments: ["fs/write", "fs/read", "fs/stat", "fs/remove", "fs/edit"])
  func pathsWithNulAreRefused(method: String) throws {
    let s = try Scratch()
    try s.put("keep.txt", "keep\n")
    var params: JSONObject = ["path": "keep.txt\u{0}.bak"]
    if method == "fs/write" { params["content"] = "CLOBBERED\n" }
    if method == "fs/edit" { params["edits"] = [["old_text": "keep", "new_text": "gone"]] }
    #expect(s.failure(method, .object(params))?.code == .invalidArgument)
    #expect(try s.text("keep.txt") == "keep\n")
  }
}

@Suite struct MkdirTests {
  /// An existing symlink is looked up like any path: to a directory inside, done; leading outside, refused.
  @Test func existingSymlinksAreResolvedBeneathTheRoot() throws {
    let s = try Scratch()
    let outside = FileManager.default.temporaryDirectory.appendingPathComponent("mish-outside-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: outside) }
    try FileManager.default.createSymbolicLink(atPath: s.url("out").path, withDestinationPath: outside.path)
    #expect(s.failure("fs/mkdir", ["path": "out"])?.code == .outsideRoot)
    try FileManager.default.createDirectory(atPath: s.url("in").path, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: s.url("link").path, withDestinationPath: "in")
    #expect(try s.ok("fs/mkdir", ["path": "link"])["created"] == false)
    try s.put("file", "x")
    #expect(s.failure("fs/mkdir", ["path": "file"])?.code == .exists)
  }
}

@Suite struct StatTests {
  @Test(arguments: [("in", "dir"), ("f", "file"), ("nope", "missing"), ("/etc", "outside_root")])
  func symlinksSayWhatTheyLeadTo(target: String, type: String) throws {
    let s = try Scratch()
    try FileManager.default.createDirectory(atPath: s.url("in").path, withIntermediateDirectories: true)
    try s.put("f", "x")
    try FileManager.default.createSymbolicLink(atPath: s.url("link").path, withDestinationPath: target)
    let r = try s.ok("fs/stat", ["path": "link"])
    #expect(r["type"] == "symlink" && r["link_target"] == .string(target) && r["target_type"] == .string(type))
  }
}

@Suite struct OrderingKeyTests {
  /// A symlink's key names its target even while writes replace the target by rename: the kernel names a replaced
  /// file "… (deleted)", and a key spelt so would let writes through the link run beside writes to the file.
  @Test func symlinkKeyHoldsWhileTheTargetIsReplaced() throws {
    let s = try Scratch()
    try s.put("same.txt", "0")
    try FileManager.default.createSymbolicLink(atPath: s.url("alias.txt").path, withDestinationPath: "same.txt")
    final class Flag: Sendable { let raised = Atomic(false) }
    let stop = Flag()
    let root = s.root
    let writer = Thread {
      var round = 0
      while !stop.raised.load(ordering: .relaxed) {
        let temp = root + "/.tmp-\(round % 4)"
        _ = FileManager.default.createFile(atPath: temp, contents: Data("\(round)".utf8))
        rename(temp, root + "/same.txt")
        round += 1
      }
    }
    writer.start()
    defer { stop.raised.store(true, ordering: .relaxed) }
    var wrong: [String: Int] = [:]
    for _ in 0..<20_000 {
      let key = footprintKey("alias.txt", in: s.workspace)
      if key != "same.txt" { wrong[key, default: 0] += 1 }
    }
    #expect(wrong.isEmpty, "keys for alias.txt: \(wrong)")
  }
}
