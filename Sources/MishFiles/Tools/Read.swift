import Glibc
import MishJSON
import MishRPC
import MishText

extension FileTools {
  static let defaultReadLines = 2000
  static let defaultReadBytes = 100_000

  static let readParams = Schema.object(
    nil,
    [
      "path": .required(pathSchema),
      "start_line": .optional(Schema.integer("First line to return, 1-based.", minimum: 1, default: 1)),
      "limit_lines": .optional(Schema.integer("Most lines to return.", minimum: 1, default: defaultReadLines)),
      "max_bytes": .optional(Schema.integer("Most bytes of content to return; the cut falls on a line boundary.", minimum: 1, default: defaultReadBytes)),
    ])

  static let readResultSchema = Schema.object(
    nil,
    [
      "path": .required(Schema.string("The path as resolved inside the root.")),
      "content": .required(Schema.string("The requested lines, with their original line endings; empty for binary files.")),
      "sha256": .required(sha256Schema),
      "size": .required(Schema.integer("File size in bytes.", minimum: 0)),
      "total_lines": .required(Schema.integer("Lines in the whole file.", minimum: 0)),
      "start_line": .required(Schema.integer("First line returned.", minimum: 1)),
      "end_line": .required(Schema.integer("Last line returned (start_line - 1 when none).", minimum: 0)),
      "truncated": .required(Schema.boolean("True when the file goes on past what was returned: lines after end_line, or the rest of a line cut at max_bytes.")),
      "cut_line_bytes": .optional(Schema.integer("Only when end_line was cut at max_bytes (one line longer than it): that line's length in bytes; read it whole with max_bytes at least this.", minimum: 1)),
      "eol": .required(Schema.string("Line endings of the whole file.", enum: ["lf", "crlf", "mixed", "none"])),
      "binary": .required(Schema.boolean("True when the file looks binary (a NUL byte early on); content is then empty.")),
      "invalid_utf8": .required(Schema.boolean("True when the returned lines held bytes that are not UTF-8 (shown as U+FFFD).")),
    ])

  static func read(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/read", title: "Read file",
      summary: "Read a text file (or a range of its lines) with its SHA-256, line count and line-ending kind. Binary files are detected and not dumped.",
      params: readParams, result: readResultSchema, annotations: .readOnly,
      footprint: reads(workspace, "path"), isQuick: true,
      render: renderRead,
      handler: .blocking { args, _ throws(ToolError) in
        try readResult(
          workspace, path: try args.require("path"), startLine: args.int("start_line") ?? 1,
          limitLines: args.int("limit_lines") ?? defaultReadLines, maxBytes: args.int("max_bytes") ?? defaultReadBytes)
      })
  }

  static func readResult(_ workspace: Workspace, path: String, startLine: Int, limitLines: Int, maxBytes: Int) throws(ToolError) -> JSONValue {
    let file = try workspace.readFile(path)
    let bytes = file.bytes
    let binary = TextFacts.isBinary(bytes)
    let window = binary ? LineWindow(start: 0, end: 0, firstLine: 1, lastLine: 0, totalLines: 0, truncated: false) : LineWindow.select(bytes, startLine: startLine, limitLines: limitLines, maxBytes: maxBytes)
    if !binary, window.totalLines > 0, startLine > window.totalLines {
      throw ToolError(
        .invalidArgument, "start_line \(startLine) is past the end of \(file.resolved) (\(window.totalLines) line\(window.totalLines == 1 ? "" : "s"))",
        hint: "Use a start_line between 1 and \(window.totalLines).", details: ["total_lines": .int(window.totalLines)])
    }
    let (text, valid) = TextFacts.decode(bytes[window.start..<window.end])
    var result: JSONObject = [
      "path": .string(file.resolved),
      "content": .string(text),
      "sha256": .string(SHA256.hex(bytes)),
      "size": .int(bytes.count),
      "total_lines": .int(binary ? 0 : window.totalLines),
      "start_line": .int(window.firstLine),
      "end_line": .int(window.lastLine),
      "truncated": .bool(window.truncated),
      "eol": .string(binary ? "none" : detectEOL(bytes).rawValue),
      "binary": .bool(binary),
      "invalid_utf8": .bool(!binary && !valid),
    ]
    if let cut = window.cutLineBytes { result["cut_line_bytes"] = .int(cut) }
    return .object(result)
  }

  /// A numbered view, like `cat -n`, then one status line: what an agent needs to edit and to read on.
  static func renderRead(_ result: JSONValue) -> String {
    let path = result["path"]?.stringValue ?? ""
    let sha = result["sha256"]?.stringValue ?? ""
    let total = result["total_lines"]?.intValue ?? 0
    if result["binary"]?.boolValue == true {
      return "\(path): binary file, \(result["size"]?.intValue ?? 0) bytes, sha256 \(sha); content not shown"
    }
    let first = result["start_line"]?.intValue ?? 1
    let last = result["end_line"]?.intValue ?? 0
    var status = "[\(path): lines \(first)-\(last) of \(total), sha256 \(sha), \(result["eol"]?.stringValue ?? "")"
    if result["invalid_utf8"]?.boolValue == true { status += ", invalid UTF-8 shown as U+FFFD" }
    let content = result["content"]?.stringValue ?? ""
    if let cut = result["cut_line_bytes"]?.intValue {
      status += "; line \(last) is cut: it is \(cut) bytes, read it whole with max_bytes=\(cut)"
    } else if last == total, !content.isEmpty, content.utf8.last != 0x0A {
      status += ", no newline at end of file"
    }
    if last < total, result["truncated"]?.boolValue == true { status += "; more follows: start_line=\(last + 1)" }
    if total == 0 { status = "[\(path): empty file, sha256 \(sha)" }
    status += "]"
    var text = content
    return text.withUTF8 { text in
      let lines = lineCount(text)
      let width = max(6, String(first + lines - 1).utf8.count)
      // Each line gains its number and a tab, and the last one perhaps a newline.
      return String(unsafeUninitializedCapacity: text.count + lines * (width + 2) + status.utf8.count) { out in
        let body = numberLines(text, from: first, width: width, into: out.baseAddress!)
        _ = UnsafeMutableBufferPointer(rebasing: out[body...]).initialize(from: status.utf8)
        return body + status.utf8.count
      }
    }
  }
}

/// Lines in `text`: one per newline, plus a last one without.
private func lineCount(_ text: UnsafeBufferPointer<UInt8>) -> Int {
  guard let base = text.baseAddress else { return 0 }
  var count = 0
  var offset = 0
  while offset < text.count {
    guard let hit = memchr(base + offset, 0x0A, text.count - offset) else { return count + 1 }
    offset = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
    count += 1
  }
  return count
}

/// Writes `text` as `cat -n` does (each line's number right-aligned in `width` columns, a tab, the line without its
/// CR, a newline) into `out`, which has room for `width + 2` more bytes per line, and returns the bytes written.
private func numberLines(_ text: UnsafeBufferPointer<UInt8>, from first: Int, width: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
  guard let base = text.baseAddress else { return 0 }
  var written = 0
  var number = first
  var lineStart = 0
  while lineStart < text.count {
    let end = memchr(base + lineStart, 0x0A, text.count - lineStart).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? text.count
    let stop = end > lineStart && base[end - 1] == 0x0D ? end - 1 : end
    var digits = number
    var column = width
    while column > 0 {
      column -= 1
      out[written + column] = digits > 0 || column == width - 1 ? UInt8(ascii: "0") + UInt8(digits % 10) : 0x20
      digits /= 10
    }
    out[written + width] = 0x09
    (out + written + width + 1).initialize(from: base + lineStart, count: stop - lineStart)
    out[written + width + 1 + stop - lineStart] = 0x0A
    written += width + 2 + stop - lineStart
    number += 1
    lineStart = end + 1
  }
  return written
}

/// The byte range of the lines a read returns. Lines end at "\n"; a final line without one still counts.
struct LineWindow {
  var start: Int
  var end: Int
  var firstLine: Int
  var lastLine: Int
  var totalLines: Int
  var truncated: Bool
  /// The whole length of the one line that was cut at max_bytes, if it was.
  var cutLineBytes: Int? = nil

  static func select(_ bytes: [UInt8], startLine: Int, limitLines: Int, maxBytes: Int) -> LineWindow {
    bytes.withUnsafeBufferPointer { buffer -> LineWindow in
      let count = buffer.count
      guard let base = buffer.baseAddress, count > 0 else {
        return LineWindow(start: 0, end: 0, firstLine: 1, lastLine: 0, totalLines: 0, truncated: false)
      }
      var line = 1
      var offset = 0
      var start = count
      var end = count
      var lastLine = startLine - 1
      var truncated = false
      var cutLineBytes: Int?
      var total = 0
      if startLine == 1 { start = 0 }
      while offset < count {
        let remaining = count - offset
        let next: Int
        if let hit = memchr(base + offset, 0x0A, remaining) {
          next = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
        } else {
          next = count
        }
        total += 1
        if line == startLine { start = offset }
        if line >= startLine, start < count, end == count, !truncated {
          let taken = line - startLine + 1
          if taken > limitLines {
            end = offset
            truncated = true
          } else if next - start > maxBytes {
            if line == startLine {
              // One line longer than max_bytes: cut it at a UTF-8 boundary.
              var cut = start + maxBytes
              while cut > start, buffer[cut] & 0xC0 == 0x80 { cut -= 1 }
              end = cut
              lastLine = line
              cutLineBytes = next - start
            } else {
              end = offset
            }
            truncated = true
          } else {
            lastLine = line
          }
        }
        offset = next
        line += 1
      }
      if start == count {
        return LineWindow(start: count, end: count, firstLine: startLine, lastLine: startLine - 1, totalLines: total, truncated: false)
      }
      return LineWindow(
        start: start, end: end, firstLine: startLine, lastLine: lastLine, totalLines: total, truncated: truncated, cutLineBytes: cutLineBytes)
    }
  }
}
