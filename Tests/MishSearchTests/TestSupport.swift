import Foundation
import Glibc
import Testing

@testable import MishSearch
@_exported import MishTestSupport

/// A real directory under /tmp, removed when released, with helpers to populate it.
final class TempTree {
  let path: String
  /// An O_RDONLY|O_DIRECTORY fd of the tree, as the server holds for its root.
  let fd: Int32

  init() {
    var template = Array("/tmp/mishsearch-test-XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(created != nil, "mkdtemp failed")
    path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    precondition(fd >= 0)
  }

  deinit {
    close(fd)
    try? FileManager.default.removeItem(atPath: path)
  }

  var root: SearchRoot { SearchRoot(fd: fd) }

  func url(_ relative: String) -> URL { URL(fileURLWithPath: path).appendingPathComponent(relative) }

  func write(_ relative: String, _ content: String) {
    write(relative, Data(content.utf8))
  }

  func write(_ relative: String, _ data: Data) {
    let url = url(relative)
    try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try! data.write(to: url)
  }

  func mkdir(_ relative: String) {
    try! FileManager.default.createDirectory(at: url(relative), withIntermediateDirectories: true)
  }

  func symlink(_ relative: String, to target: String) {
    let url = url(relative)
    try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    precondition(Glibc.symlink(target, url.path) == 0)
  }

  func remove(_ relative: String) {
    try! FileManager.default.removeItem(at: url(relative))
  }

  /// Runs a program in the tree with a clean git environment; returns exit status and stdout.
  @discardableResult
  func run(_ arguments: [String], stdin: Data? = nil) -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: path)
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = path + "/.git"
    environment["XDG_CONFIG_HOME"] = path + "/.git"
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    let input = Pipe()
    process.standardInput = input
    try! process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try! input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
  }
}

/// NUL-separated fields of a `-z` output.
func nulFields(_ data: Data) -> [String] {
  var fields = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
  if fields.last == "" { fields.removeLast() }
  return fields
}
