import Foundation
import Glibc

/// A page of lines from a spilled log.
public struct LogSlice: Sendable, Equatable {
  public struct Line: Sendable, Equatable {
    public var number: Int
    public var text: String
  }
  public var lines: [Line]
  public var totalLines: Int
  /// Where the next page starts; nil when this page reached the end.
  public var nextStartLine: Int?
  public var truncated: Bool
}

public struct LogFileError: Error, Sendable {
  public var message: String
  public var hint: String
}

/// Reads line ranges of a command's log file, optionally only the lines matching a regular expression (ICU
/// syntax, as fs/grep), streaming the file in blocks so a log of any size costs one block of memory plus the page.
public enum LogFile {
  public static func readLines(path: String, startLine: Int, limitLines: Int, grep: String?, maxBytes: Int) throws -> LogSlice {
    let regex: NSRegularExpression?
    if let grep {
      do {
        regex = try NSRegularExpression(pattern: grep)
      } catch {
        throw LogFileError(
          message: "grep is not a valid regular expression: \(grep)",
          hint: "Use ICU syntax (as fs_grep), e.g. \"error|warning\"; escape metacharacters like ( [ . with a backslash.")
      }
    } else {
      regex = nil
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    // No file: the stream printed nothing (files are made on the first byte).
    if fd < 0 && errno == ENOENT { return LogSlice(lines: [], totalLines: 0, nextStartLine: nil, truncated: false) }
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    var page = LogPage(startLine: max(1, startLine), limitLines: max(1, limitLines), maxBytes: maxBytes, regex: regex)
    var pending: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      var lineStart = 0
      let newlines: [Int] = block.withUnsafeBytes { raw in
        var found: [Int] = []
        var at = 0
        while at < n, let hit = memchr(raw.baseAddress! + at, 0x0A, n - at) {
          let index = raw.baseAddress!.distance(to: UnsafeRawPointer(hit))
          found.append(index)
          at = index + 1
        }
        return found
      }
      for index in newlines {
        if pending.isEmpty {
          page.take(block[lineStart..<index])
        } else {
          pending += block[lineStart..<index]
          page.take(pending[...])
          pending.removeAll(keepingCapacity: true)
        }
        lineStart = index + 1
      }
      pending += block[lineStart..<n]
    }
    if !pending.isEmpty { page.take(pending[...]) }
    return page.slice
  }
}

/// The page being collected while every line is counted.
struct LogPage {
  let startLine: Int
  let limitLines: Int
  let maxBytes: Int
  let regex: NSRegularExpression?
  var lineNumber = 0
  var lines: [LogSlice.Line] = []
  var bytes = 0
  /// The first line (at or after startLine, matching) that did not fit, when one exists.
  var firstLeftOut: Int?
  /// A line longer than the whole page was cut to fit (the page then is truncated too).
  var cutLine = false

  mutating func take(_ raw: ArraySlice<UInt8>) {
    lineNumber += 1
    guard lineNumber >= startLine, firstLeftOut == nil else { return }
    var text = String(decoding: raw, as: UTF8.self)
    if text.hasSuffix("\r") { text.removeLast() }
    if let regex, regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil { return }
    if lines.count >= limitLines || (bytes + text.utf8.count > maxBytes && !lines.isEmpty) {
      firstLeftOut = lineNumber
      return
    }
    if text.utf8.count > maxBytes {
      // One line longer than the whole page: its start (whole characters), marked as cut.
      let start = Array(text.utf8.prefix(maxBytes))
      text = String(decoding: start[..<UTF8Boundary.completePrefix(start)], as: UTF8.self) + "…"
      cutLine = true
    }
    bytes += text.utf8.count
    lines.append(.init(number: lineNumber, text: text))
  }

  var slice: LogSlice {
    LogSlice(lines: lines, totalLines: lineNumber, nextStartLine: firstLeftOut, truncated: firstLeftOut != nil || cutLine)
  }
}
