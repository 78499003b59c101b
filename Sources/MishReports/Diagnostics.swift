/// Compiler diagnostics read back out of build output, so `build/run` can answer "what broke, where" without the
/// agent scrolling through the log.
///
/// The input is whatever the build printed (stdout and stderr together); it may carry ANSI colours, CRLF line ends
/// and the bare carriage returns progress lines use to redraw themselves. Recognized shapes:
///
/// - gcc / clang / swiftc / javac: `path:line:col: error|warning|note|fatal error: message` (column optional), plus
///   rustc's `--error-format=short` (`path:line:col: error[E0308]: message`).
/// - swiftc's boxed excerpts (Swift 6 style): same-file notes exist only inside the box (`|  `- note: ...`), so the
///   box is read for them; the box's repeat of the headline itself is not reported twice.
/// - rustc / cargo: `error[E0308]: message` followed by ` --> path:line:col`. Headers with no ` --> ` line
///   (`error: could not compile ...`) are summaries and are skipped.
/// - tsc: `path(line,col): error TS2322: message` and the pretty `path:line:col - error TS2322: message`.
/// - go build / go vet: `path:line:col: message` with no severity word. go vet's findings make it exit 1, so both
///   are errors (vet's `vet: ` prefix is dropped). To keep ordinary log lines out, this form needs a column and a
///   path with a source-file extension.
/// - Linker errors that carry `path:line:` (gcc/ld.bfd with debug info: `main.c:2: undefined reference to ...`);
///   linker errors with only a section offset (`main.c:(.text+0x1a)`) carry no line and are skipped.
/// - Python: a traceback's last `File "path", line N` frame (or pytest's short `path.py:N: in name`) followed by an
///   exception line (`SyntaxError: ...`), as py_compile, compileall and pytest collection errors print it (pytest's
///   `E   ` prefix included); and warnings printed as `path.py:N: SomethingWarning: message`.
///
/// Entries with no line (or line 0, which tools use for "no location") are skipped: a diagnostic points somewhere.
/// Order of appearance is kept and exact duplicates (swift build prints a file's errors once for emit-module and
/// again for compile) are dropped.
public enum Diagnostics {
  public static func parse(_ text: String) -> [Diagnostic] {
    var scanner = DiagnosticScanner()
    let bytes = stripTerminalEscapes(Array(text.utf8))
    forEachLine(bytes) { scanner.feed($0) }
    return scanner.results
  }

  /// How many errors and warnings a list holds (notes are neither), for a one-line summary.
  public static func summary(_ diagnostics: [Diagnostic]) -> (errors: Int, warnings: Int) {
    var errors = 0
    var warnings = 0
    for diagnostic in diagnostics {
      switch diagnostic.severity {
      case .error: errors += 1
      case .warning: warnings += 1
      case .note: break
      }
    }
    return (errors, warnings)
  }
}

// MARK: - Lines

private let escape: UInt8 = 0x1B

/// Drops ANSI escape sequences (CSI colours and cursor moves, OSC hyperlinks gcc puts around `-W` flags, two-byte
/// escapes), so a coloured line reads the same as a plain one.
private func stripTerminalEscapes(_ bytes: [UInt8]) -> [UInt8] {
  guard bytes.contains(escape) else { return bytes }
  var out: [UInt8] = []
  out.reserveCapacity(bytes.count)
  var index = 0
  while index < bytes.count {
    let byte = bytes[index]
    guard byte == escape else {
      out.append(byte)
      index += 1
      continue
    }
    index += 1
    guard index < bytes.count else { break }
    switch bytes[index] {
    case UInt8(ascii: "["):
      // CSI: parameter and intermediate bytes, then one final byte.
      index += 1
      while index < bytes.count, (0x20...0x3F).contains(bytes[index]) { index += 1 }
      if index < bytes.count, (0x40...0x7E).contains(bytes[index]) { index += 1 }
    case UInt8(ascii: "]"):
      // OSC: up to BEL or ESC \ (a line end also stops it, so a cut-off sequence cannot eat the rest of the log).
      index += 1
      while index < bytes.count {
        let current = bytes[index]
        if current == 0x07 {
          index += 1
          break
        }
        if current == escape {
          index += 1
          if index < bytes.count, bytes[index] == UInt8(ascii: "\\") { index += 1 }
          break
        }
        if current == UInt8(ascii: "\n") || current == UInt8(ascii: "\r") { break }
        index += 1
      }
    default:
      // nF / Fp escapes: intermediates, then a final byte.
      while index < bytes.count, (0x20...0x2F).contains(bytes[index]) { index += 1 }
      if index < bytes.count, (0x30...0x7E).contains(bytes[index]) { index += 1 }
    }
  }
  return out
}

/// Calls `body` with each line. CRLF is one break; a bare CR is a break too, because progress output redraws a line
/// with `\r` and the diagnostic that follows belongs on a line of its own.
private func forEachLine(_ bytes: [UInt8], _ body: ([UInt8]) -> Void) {
  var start = 0
  var index = 0
  while index < bytes.count {
    let byte = bytes[index]
    if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
      body(Array(bytes[start..<index]))
      if byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
      start = index + 1
    }
    index += 1
  }
  if start < bytes.count { body(Array(bytes[start...])) }
}

// MARK: - The scanner

/// One pass over the lines; the state is what an earlier line promised (a rust header waiting for its ` --> `,
/// a swift box being read, a python traceback waiting for its exception line).
private struct DiagnosticScanner {
  private struct Key: Hashable {
    var file: String
    var line: Int
    var column: Int?
    var severity: String
    var message: String
    var code: String?
  }

  /// A rustc header (`error[E0308]: mismatched types`) whose location is on the next line.
  private struct RustHeader {
    var severity: Diagnostic.Severity
    var code: String?
    var message: String
  }

  /// The excerpt box under a `path:line:col: severity: message` headline.
  private struct Box {
    var headline: Diagnostic
    /// The last excerpt line seen (`  3 | source`): its number and the source text after `| `.
    var excerptLine: Int?
    var excerptSource: [UInt8] = []
  }

  /// The innermost traceback frame with a real file (`<frozen ...>` and `<string>` frames are skipped).
  private struct Frame {
    var file: String
    var line: Int
  }

  private(set) var results: [Diagnostic] = []
  private var seen: Set<Key> = []
  private var rustHeader: RustHeader?
  private var box: Box?
  private var frame: Frame?
  private var inTraceback = false

  mutating func feed(_ line: [UInt8]) {
    if let header = rustHeader {
      rustHeader = nil
      if let location = rustLocation(line) {
        emit(
          Diagnostic(
            file: location.file, line: location.line, column: location.column, severity: header.severity,
            message: header.message, code: header.code))
        return
      }
    }
    if feedPython(line) { return }
    if box != nil {
      if feedBox(line) { return }
      box = nil
    }
    if let header = parseRustHeader(line) {
      rustHeader = header
      return
    }
    if let diagnostic = parseColonForm(line) ?? parseParenForm(line) {
      emit(diagnostic)
      box = Box(headline: diagnostic)
    }
  }

  private mutating func emit(_ diagnostic: Diagnostic) {
    guard diagnostic.line >= 1, !diagnostic.file.isEmpty, !diagnostic.message.isEmpty else { return }
    let key = Key(
      file: diagnostic.file, line: diagnostic.line, column: diagnostic.column,
      severity: diagnostic.severity.rawValue, message: diagnostic.message, code: diagnostic.code)
    guard seen.insert(key).inserted else { return }
    results.append(diagnostic)
  }

  // MARK: Python tracebacks

  /// Returns true when the line belonged to a traceback (a frame, its indented excerpt, or the exception line).
  private mutating func feedPython(_ line: [UInt8]) -> Bool {
    // pytest quotes the traceback of a collection error with an `E   ` prefix.
    let body = line.starts(with: Array("E   ".utf8)) ? Array(line.dropFirst(4)) : line
    if let parsed = pythonFrame(body) ?? pytestFrame(line) {
      if !parsed.file.hasPrefix("<") { frame = parsed }
      inTraceback = true
      return true
    }
    guard inTraceback else { return false }
    if let first = body.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { return true }
    inTraceback = false
    defer { frame = nil }
    if let last = frame, let message = pythonExceptionLine(body) {
      emit(Diagnostic(file: last.file, line: last.line, column: nil, severity: .error, message: message))
      return true
    }
    return false
  }

  /// `  File "pkg/mod.py", line 3` (optionally `, in func`).
  private func pythonFrame(_ line: [UInt8]) -> Frame? {
    let start = skipBlanks(line, from: 0)
    let prefix = Array("File \"".utf8)
    guard start > 0, line[start...].starts(with: prefix) else { return nil }
    let fileStart = start + prefix.count
    let marker = Array("\", line ".utf8)
    guard let markerAt = find(marker, in: line, from: fileStart), markerAt > fileStart else { return nil }
    guard let (number, end) = parseNumber(line, at: markerAt + marker.count) else { return nil }
    guard end == line.count || line[end] == UInt8(ascii: ",") else { return nil }
    return Frame(file: text(line[fileStart..<markerAt]), line: number)
  }

  /// pytest's short frame, as it prints the traceback of a module that failed to import:
  /// `tests/test_x.py:1: in <module>` (or `<frozen importlib._bootstrap>:1204: in _gcd_import`).
  private func pytestFrame(_ line: [UInt8]) -> Frame? {
    guard let markerAt = find(Array(": in ".utf8), in: line, from: 0) else { return nil }
    var digitsStart = markerAt
    while digitsStart > 0, isDigit(line[digitsStart - 1]) { digitsStart -= 1 }
    guard digitsStart < markerAt, digitsStart > 1, line[digitsStart - 1] == UInt8(ascii: ":"),
      let (number, _) = parseNumber(line, at: digitsStart)
    else { return nil }
    let file = line[..<(digitsStart - 1)]
    guard file.first == UInt8(ascii: "<") || (file.count > 3 && file.suffix(3).elementsEqual(".py".utf8)) else { return nil }
    return Frame(file: text(file), line: number)
  }

  /// `SyntaxError: invalid syntax`, `pkg.errors.Failure: why`, a bare `KeyboardInterrupt`: a dotted name whose last
  /// part is capitalized, at the start of the line.
  private func pythonExceptionLine(_ line: [UInt8]) -> String? {
    var index = 0
    var partStart = 0
    while index < line.count, isIdentifierByte(line[index]) || line[index] == UInt8(ascii: ".") {
      if line[index] == UInt8(ascii: ".") { partStart = index + 1 }
      index += 1
    }
    guard index > 0, partStart < index, isUppercase(line[partStart]), line[0] != UInt8(ascii: ".") else {
      return nil
    }
    guard index == line.count || line[index] == UInt8(ascii: ":") else { return nil }
    return trimmed(line[...])
  }

  // MARK: Swift excerpt boxes

  /// Returns true when the line is part of the excerpt box under the current headline; reads notes out of it.
  private mutating func feedBox(_ line: [UInt8]) -> Bool {
    guard var current = box else { return false }
    let start = skipBlanks(line, from: 0)
    guard start < line.count else { return false }
    if let (number, end) = parseNumber(line, at: start) {
      // `  3 | source` (the source part may be missing for an empty line).
      guard end + 1 < line.count, line[end] == UInt8(ascii: " "), line[end + 1] == UInt8(ascii: "|") else {
        return false
      }
      current.excerptLine = number
      current.excerptSource = end + 3 <= line.count ? Array(line[(end + 3)...]) : []
      box = current
      return true
    }
    guard line[start] == UInt8(ascii: "|") else { return false }
    if let number = current.excerptLine, let note = boxMarker(line, pipe: start, box: current, excerptLine: number) {
      let isHeadline =
        note.severity == current.headline.severity && note.message == current.headline.message
        && number == current.headline.line
      if !isHeadline { emit(note) }
    }
    return true
  }

  /// A marker line `   |        `- note: message` (or `|- note:` when several share a column): the marker's
  /// position under the excerpt gives the column, counted in UTF-8 bytes as swiftc counts its own columns.
  private func boxMarker(_ line: [UInt8], pipe: Int, box: Box, excerptLine: Int) -> Diagnostic? {
    var index = pipe + 1
    while index < line.count, line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: "|") {
      if line[index] == UInt8(ascii: "|"), index + 2 < line.count, line[index + 1] == UInt8(ascii: "-"),
        line[index + 2] == UInt8(ascii: " ")
      {
        break
      }
      index += 1
    }
    guard index + 2 < line.count, line[index] == UInt8(ascii: "`") || line[index] == UInt8(ascii: "|"),
      line[index + 1] == UInt8(ascii: "-"), line[index + 2] == UInt8(ascii: " ")
    else { return nil }
    guard let parsed = parseSeverity(line, at: index + 3), let severity = parsed.severity else { return nil }
    let characters = index - (pipe + 2)
    guard characters >= 0 else { return nil }
    var column = 1
    var counted = 0
    for character in text(box.excerptSource[...]) {
      if counted == characters { break }
      column += character.utf8.count
      counted += 1
    }
    column += characters - counted
    return Diagnostic(
      file: box.headline.file, line: excerptLine, column: column, severity: severity, message: parsed.message,
      code: parsed.code)
  }

  // MARK: rustc

  /// `error[E0308]: mismatched types`, `warning: unused variable: `x``, `note: function defined here` at the start
  /// of a line; whether it is a diagnostic depends on the next line being ` --> path:line:col`.
  private func parseRustHeader(_ line: [UInt8]) -> RustHeader? {
    guard let first = line.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "w") || first == UInt8(ascii: "n"),
      let parsed = parseSeverity(line, at: 0), let severity = parsed.severity
    else { return nil }
    return RustHeader(severity: severity, code: parsed.code, message: parsed.message)
  }

  /// ` --> src/main.rs:4:18` (any indentation; the path may itself hold colons, so the numbers are read from the end).
  private func rustLocation(_ line: [UInt8]) -> (file: String, line: Int, column: Int?)? {
    let start = skipBlanks(line, from: 0)
    let arrow = Array("--> ".utf8)
    guard line[start...].starts(with: arrow) else { return nil }
    let rest = Array(line[(start + arrow.count)...])
    var end = rest.count
    while end > 0, rest[end - 1] == UInt8(ascii: " ") { end -= 1 }
    guard let (column, columnStart) = trailingNumber(rest, end: end), columnStart > 0,
      rest[columnStart - 1] == UInt8(ascii: ":"),
      let (lineNumber, lineStart) = trailingNumber(rest, end: columnStart - 1), lineStart > 0,
      rest[lineStart - 1] == UInt8(ascii: ":")
    else { return nil }
    let file = Array(rest[..<(lineStart - 1)])
    guard plausibleFile(file, needsSourceExtension: false) else { return nil }
    return (text(file[...]), lineNumber, column == 0 ? nil : column)
  }

  // MARK: path:line:col forms

  /// `path:line[:col]: severity: message`, tsc's `path:line:col - error TS2322: message`, and the forms without a
  /// severity word (go, ld with debug info, python warnings), which need a source-file extension.
  private func parseColonForm(_ line: [UInt8]) -> Diagnostic? {
    // go vet prefixes the type errors that stop it with `vet: `.
    let vetPrefix = Array("vet: ".utf8)
    let line = line.starts(with: vetPrefix) ? Array(line.dropFirst(vetPrefix.count)) : line
    guard let (fileEnd, lineNumber, afterLine) = firstLocation(line) else { return nil }
    let file = Array(line[..<fileEnd])
    var column: Int?
    var index = afterLine
    var prettyTSC = false
    if let (number, end) = parseNumber(line, at: index) {
      if end < line.count, line[end] == UInt8(ascii: ":") {
        column = number
        index = end + 1
      } else if line[end...].starts(with: Array(" - ".utf8)) {
        column = number
        index = end + 3
        prettyTSC = true
      } else {
        return nil
      }
    }
    if column == 0 { column = nil }
    guard prettyTSC || (index < line.count && line[index] == UInt8(ascii: " ")) else { return nil }
    let restStart = skipBlanks(line, from: index)
    if let parsed = parseSeverity(line, at: restStart) {
      guard let severity = parsed.severity, plausibleFile(file, needsSourceExtension: false) else { return nil }
      return Diagnostic(
        file: text(file[...]), line: lineNumber, column: column, severity: severity, message: parsed.message,
        code: parsed.code)
    }
    guard !prettyTSC, plausibleFile(file, needsSourceExtension: true) else { return nil }
    let message = trimmed(line[restStart...])
    if column != nil {
      // go build / go vet: no severity word; both make the command fail.
      return Diagnostic(file: text(file[...]), line: lineNumber, column: column, severity: .error, message: message)
    }
    if isPythonWarning(line, at: restStart) {
      return Diagnostic(file: text(file[...]), line: lineNumber, column: nil, severity: .warning, message: message)
    }
    if message.hasPrefix("undefined reference to") || message.hasPrefix("multiple definition of") {
      return Diagnostic(file: text(file[...]), line: lineNumber, column: nil, severity: .error, message: message)
    }
    return nil
  }

  /// The first `:digits:` in the line: where the file ends, the line number, and the index after its colon.
  /// Only the first is tried, so a timestamp or URL earlier in the line makes the whole line not a location.
  private func firstLocation(_ line: [UInt8]) -> (fileEnd: Int, line: Int, after: Int)? {
    var index = 0
    while index < line.count {
      if line[index] == UInt8(ascii: ":"), let (number, end) = parseNumber(line, at: index + 1), end < line.count,
        line[end] == UInt8(ascii: ":")
      {
        return (index, number, end + 1)
      }
      index += 1
    }
    return nil
  }

  /// tsc's `path(line,col): error TS2322: message` (and MSVC's `path(line): error C2065: message`).
  private func parseParenForm(_ line: [UInt8]) -> Diagnostic? {
    guard let open = line.firstIndex(of: UInt8(ascii: "(")), open > 0,
      let (lineNumber, afterLine) = parseNumber(line, at: open + 1), afterLine < line.count
    else { return nil }
    var column: Int?
    var index = afterLine
    if line[index] == UInt8(ascii: ",") {
      guard let (number, end) = parseNumber(line, at: index + 1) else { return nil }
      column = number == 0 ? nil : number
      index = end
    }
    guard line[index...].starts(with: Array("): ".utf8)) else { return nil }
    let file = Array(line[..<open])
    guard let parsed = parseSeverity(line, at: index + 3), let severity = parsed.severity,
      plausibleFile(file, needsSourceExtension: false)
    else { return nil }
    return Diagnostic(
      file: text(file[...]), line: lineNumber, column: column, severity: severity, message: parsed.message,
      code: parsed.code)
  }

  /// `DeprecationWarning: ...`, `SyntaxWarning: ...`: a capitalized name ending in `Warning`, then a colon.
  private func isPythonWarning(_ line: [UInt8], at start: Int) -> Bool {
    guard start < line.count, isUppercase(line[start]) else { return false }
    var index = start
    while index < line.count, isIdentifierByte(line[index]) { index += 1 }
    return index < line.count && line[index] == UInt8(ascii: ":") && line[start..<index].suffix(7).elementsEqual("Warning".utf8)
  }
}

// MARK: - Severity words

private struct SeverityWord {
  /// nil for words that are recognized but not reported (`remark`).
  var severity: Diagnostic.Severity?
  var code: String?
  var message: String
}

private let severityWords: [(word: [UInt8], severity: Diagnostic.Severity?)] = [
  (Array("fatal error".utf8), .error),
  (Array("internal compiler error".utf8), .error),
  (Array("error".utf8), .error),
  (Array("warning".utf8), .warning),
  (Array("note".utf8), .note),
  (Array("remark".utf8), nil),
]

/// `error: message`, `error[E0308]: message`, `error TS2322: message` starting at `start`.
private func parseSeverity(_ line: [UInt8], at start: Int) -> SeverityWord? {
  guard start < line.count else { return nil }
  for (word, severity) in severityWords where line[start...].starts(with: word) {
    var index = start + word.count
    var code: String?
    if index < line.count, line[index] == UInt8(ascii: "[") {
      // rustc: error[E0308]
      guard let close = line[index...].firstIndex(of: UInt8(ascii: "]")), close > index + 1,
        line[(index + 1)..<close].allSatisfy(isIdentifierByte)
      else { return nil }
      code = text(line[(index + 1)..<close])
      index = close + 1
    } else if index + 1 < line.count, line[index] == UInt8(ascii: " "), isLetter(line[index + 1]) {
      // tsc / MSVC: error TS2322 (letters, then digits)
      var end = index + 1
      while end < line.count, isLetter(line[end]) { end += 1 }
      let digitsStart = end
      while end < line.count, isDigit(line[end]) { end += 1 }
      guard end > digitsStart, end < line.count, line[end] == UInt8(ascii: ":") else { return nil }
      code = text(line[(index + 1)..<end])
      index = end
    }
    guard index < line.count, line[index] == UInt8(ascii: ":") else { return nil }
    return SeverityWord(severity: severity, code: code, message: trimmed(line[(index + 1)...]))
  }
  return nil
}

// MARK: - Paths

/// Extensions of files a compiler, linter or interpreter reports on; the forms without a severity word need one.
private let sourceExtensions: Set<String> = [
  "ada", "adb", "ads", "asm", "c", "c++", "cc", "cjs", "cl", "cpp", "cs", "cts", "cu", "cuh", "cxx", "d", "dart",
  "erl", "ex", "exs", "f", "f90", "f95", "for", "fs", "go", "h", "h++", "hh", "hpp", "hrl", "hs", "hxx", "inl", "ipp",
  "java", "js", "jsx", "kt", "kts", "lua", "m", "metal", "ml", "mli", "mjs", "mm", "mts", "nim", "pas", "php",
  "proto", "py", "pyi", "pyx", "rb", "rs", "s", "scala", "sol", "sv", "svelte", "swift", "tpp", "ts", "tsx", "v",
  "vhd", "vhdl", "vue", "zig",
]

/// Whether `file` reads as a path rather than the start of a log line (`12`, `2024-01-01T12`, `http://host`,
/// `make: *** [Makefile`). Spaces are allowed only in paths that are plainly paths (`/Users/A B/x.swift`).
private func plausibleFile(_ file: [UInt8], needsSourceExtension: Bool) -> Bool {
  guard let first = file.first, let last = file.last, file.count <= 4096 else { return false }
  guard !file.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return false }
  guard first != UInt8(ascii: " "), last != UInt8(ascii: " ") else { return false }
  guard find(Array("://".utf8), in: file, from: 0) == nil, find(Array(": ".utf8), in: file, from: 0) == nil else {
    return false
  }
  let hasSeparator = file.contains(UInt8(ascii: "/")) || file.contains(UInt8(ascii: "\\"))
  if file.contains(UInt8(ascii: " ")) {
    let rooted =
      first == UInt8(ascii: "/") || file.starts(with: Array("./".utf8)) || file.starts(with: Array("../".utf8))
      || file.starts(with: Array("~/".utf8))
      || (file.count > 2 && isLetter(file[0]) && file[1] == UInt8(ascii: ":")
        && (file[2] == UInt8(ascii: "\\") || file[2] == UInt8(ascii: "/")))
    guard rooted else { return false }
  }
  let nameStart = (file.lastIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }).map { $0 + 1 } ?? 0
  let name = file[nameStart...]
  var fileExtension: String?
  if let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > nameStart, dot + 1 < file.count,
    isLetter(file[dot + 1])
  {
    fileExtension = text(file[(dot + 1)...]).lowercased()
  }
  if needsSourceExtension {
    guard let fileExtension else { return false }
    return sourceExtensions.contains(fileExtension)
  }
  if first == UInt8(ascii: "<"), last == UInt8(ascii: ">") { return true }
  return fileExtension != nil || hasSeparator
}

// MARK: - Bytes

/// A decimal number of at most 9 digits at `start` (longer runs are not line numbers, and cannot overflow).
private func parseNumber(_ line: [UInt8], at start: Int) -> (value: Int, end: Int)? {
  var index = start
  var value = 0
  while index < line.count, isDigit(line[index]) {
    guard index - start < 9 else { return nil }
    value = value * 10 + Int(line[index] - UInt8(ascii: "0"))
    index += 1
  }
  return index > start ? (value, index) : nil
}

/// The number that ends at `end` (exclusive), read backwards: its value and where it starts.
private func trailingNumber(_ line: [UInt8], end: Int) -> (value: Int, start: Int)? {
  var start = end
  while start > 0, isDigit(line[start - 1]), end - start < 9 { start -= 1 }
  guard start < end, start == 0 || !isDigit(line[start - 1]) else { return nil }
  return parseNumber(line, at: start).map { ($0.value, start) }
}

private func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
  guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
  var index = start
  while index <= haystack.count - needle.count {
    if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
    index += 1
  }
  return nil
}

private func skipBlanks(_ line: [UInt8], from start: Int) -> Int {
  var index = start
  while index < line.count, line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: "\t") { index += 1 }
  return index
}

private func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
  var start = bytes.startIndex
  var end = bytes.endIndex
  while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
  while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
  return text(bytes[start..<end])
}

private func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
private func isUppercase(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
private func isLetter(_ byte: UInt8) -> Bool {
  isUppercase(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
}
private func isIdentifierByte(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") }
