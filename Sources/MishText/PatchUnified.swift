// Parsing unified diffs, git-style or plain.

/// The numbers of a unified hunk header, `@@ -oldStart[,oldCount] +newStart[,newCount] @@ [text]`.
struct UnifiedHunkHeader {
  var oldStart: Int
  var oldCount: Int
  var newStart: Int
  var newCount: Int
  /// Text after the closing `@@` (git puts the enclosing function there).
  var trailingText: String

  /// Parses the text that follows the opening `@@`; nil when it does not start with `-number`.
  init?(afterAtSigns text: String) {
    var scalars = Substring(text).unicodeScalars[...]
    func skipBlanks() {
      while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
    }
    func number() -> Int? {
      var digits = ""
      while let first = scalars.first, first.properties.numericType != nil, first.isASCII {
        digits.unicodeScalars.append(first)
        scalars.removeFirst()
      }
      guard let value = Int(digits), value <= 1_000_000_000 else { return nil }
      return value
    }
    func range() -> (Int, Int)? {
      guard let start = number() else { return nil }
      guard scalars.first == "," else { return (start, 1) }
      scalars.removeFirst()
      guard let count = number() else { return nil }
      return (start, count)
    }
    skipBlanks()
    guard scalars.first == "-" else { return nil }
    scalars.removeFirst()
    guard let old = range() else { return nil }
    skipBlanks()
    guard scalars.first == "+" else { return nil }
    scalars.removeFirst()
    guard let new = range() else { return nil }
    skipBlanks()
    if scalars.starts(with: "@@".unicodeScalars) { scalars.removeFirst(2) }
    (oldStart, oldCount) = old
    (newStart, newCount) = new
    trailingText = String(String.UnicodeScalarView(scalars)).trimmingBlanks()
  }
}

/// What a `diff --git` header and its extended lines say about a file.
private struct GitHeader {
  var oldPath: String?
  var newPath: String?
  var isNew = false
  var isDeleted = false
  var renameFrom: String?
  var renameTo: String?
  var isCopy = false
  var line: Int
}

/// Reads a unified diff into file patches.
///
/// Text outside file sections (commit messages, `index` lines, `diff -ru` command lines) is skipped. Hunk line counts
/// are trusted to end a hunk, but a hunk that stops early at the next header is accepted, because hand-written diffs
/// often miscount.
struct UnifiedPatchParser {
  let text: PatchText
  var index = 0

  init(text: PatchText) {
    self.text = text
  }

  private var lines: [PatchTextLine] { text.lines }

  mutating func parse() throws(PatchError) -> [FilePatch] {
    var files: [FilePatch] = []
    var git: GitHeader?
    while index < lines.count {
      let line = lines[index]
      if line.hasPrefix("diff --git ") {
        if let pending = git, let file = try fileFromHeaderOnly(pending) { files.append(file) }
        git = parseGitHeader(line)
        index += 1
      } else if git != nil, applyExtendedHeader(line, to: &git!) {
        index += 1
      } else if line.hasPrefix("Binary files ") || line.trimmedText == "GIT binary patch" {
        throw invalid(
          "Line \(line.number): binary patches are not supported.",
          hint: "Change binary files with a write operation instead of a patch.", line: line.number)
      } else if isFileHeader(at: index) {
        files.append(try parseFileSection(git: git))
        git = nil
      } else if line.hasPrefix("@@") && UnifiedHunkHeader(afterAtSigns: afterAtSigns(line)) != nil {
        throw invalid(
          "Line \(line.number): this hunk has no file headers; expected '--- a/path' and '+++ b/path' before it.",
          hint: "Put '--- a/path' and '+++ b/path' lines before the first '@@' hunk of each file.", line: line.number)
      } else {
        index += 1
      }
    }
    if let pending = git, let file = try fileFromHeaderOnly(pending) { files.append(file) }
    guard !files.isEmpty else {
      throw invalid(
        "The patch is neither a '*** Begin Patch' envelope nor a unified diff: no '--- a/path' and '+++ b/path' "
          + "header lines were found.",
        hint: "Send a unified diff ('--- a/path', '+++ b/path', '@@ -l,n +l,n @@' hunks) or a '*** Begin Patch' "
          + "envelope.",
        line: 1)
    }
    return files
  }

  private func isFileHeader(at position: Int) -> Bool {
    position + 1 < lines.count && lines[position].hasPrefix("--- ") && lines[position + 1].hasPrefix("+++ ")
  }

  /// Whether the line at `position` ends a hunk: the next hunk, the next file, or the end.
  private func isBoundary(at position: Int) -> Bool {
    guard position < lines.count else { return true }
    let line = lines[position]
    return line.hasPrefix("@@") || line.hasPrefix("diff --git ") || isFileHeader(at: position)
  }

  private func afterAtSigns(_ line: PatchTextLine) -> String {
    String(decoding: line.bytes.dropFirst(2), as: UTF8.self)
  }

  // MARK: Headers

  private func parseGitHeader(_ line: PatchTextLine) -> GitHeader {
    var header = GitHeader(line: line.number)
    let rest = line.value(after: "diff --git ")
    if rest.hasPrefix("\"") {
      let (first, remainder) = unquotedPath(rest)
      let (second, _) = unquotedPath(remainder.trimmingBlanks())
      header.oldPath = first
      header.newPath = second
    } else if rest.hasPrefix("a/") {
      // "a/P b/P": split where both halves name the same path, else at the last " b/".
      let scalars = Array(rest.unicodeScalars)
      var split: Int?
      for candidate in stride(from: scalars.count - 3, through: 2, by: -1)
      where scalars[candidate] == " " && scalars[candidate + 1] == "b" && scalars[candidate + 2] == "/" {
        if split == nil { split = candidate }
        if scalars[2..<candidate].elementsEqual(scalars[(candidate + 3)...]) {
          split = candidate
          break
        }
      }
      if let split {
        header.oldPath = String(String.UnicodeScalarView(scalars[0..<split]))
        header.newPath = String(String.UnicodeScalarView(scalars[(split + 1)...]))
      }
    }
    return header
  }

  private func applyExtendedHeader(_ line: PatchTextLine, to header: inout GitHeader) -> Bool {
    let plain = [
      "old mode ", "new mode ", "similarity index ", "dissimilarity index ", "index ",
    ]
    if plain.contains(where: line.hasPrefix) { return true }
    if line.hasPrefix("new file mode ") {
      header.isNew = true
    } else if line.hasPrefix("deleted file mode ") {
      header.isDeleted = true
    } else if line.hasPrefix("rename from ") {
      header.renameFrom = headerPathValue(line.value(after: "rename from "))
    } else if line.hasPrefix("rename to ") {
      header.renameTo = headerPathValue(line.value(after: "rename to "))
    } else if line.hasPrefix("copy from ") || line.hasPrefix("copy to ") {
      header.isCopy = true
    } else {
      return false
    }
    return true
  }

  /// A file patch for a `diff --git` section without `---`/`+++` lines: a pure rename, or an empty file added or
  /// deleted. A mode-only change yields nil.
  private func fileFromHeaderOnly(_ header: GitHeader) throws(PatchError) -> FilePatch? {
    try checkNotCopy(header)
    if let from = header.renameFrom, let to = header.renameTo {
      return FilePatch(action: .move, path: from, movePath: to, format: .unified, patchLine: header.line)
    }
    let oldPath = header.oldPath.map { stripPrefix($0, "a/") }
    let newPath = header.newPath.map { stripPrefix($0, "b/") }
    if header.isNew, let path = newPath ?? oldPath {
      return FilePatch(action: .add, path: path, format: .unified, patchLine: header.line)
    }
    if header.isDeleted, let path = oldPath ?? newPath {
      return FilePatch(action: .delete, path: path, format: .unified, patchLine: header.line)
    }
    return nil
  }

  private func checkNotCopy(_ header: GitHeader) throws(PatchError) {
    guard header.isCopy else { return }
    throw invalid(
      "Line \(header.line): copies ('copy from'/'copy to') are not supported.",
      hint: "Add the copied file as a new file instead.", line: header.line)
  }

  // MARK: File sections

  private mutating func parseFileSection(git: GitHeader?) throws(PatchError) -> FilePatch {
    let minus = lines[index]
    let plus = lines[index + 1]
    let oldRaw = pathField(minus, prefix: "--- ")
    let newRaw = pathField(plus, prefix: "+++ ")
    index += 2
    var hunks: [PatchHunk] = []
    while index < lines.count {
      let line = lines[index]
      if line.hasPrefix("@@") {
        hunks.append(try parseHunk())
        continue
      }
      if line.hasPrefix("diff ") || isFileHeader(at: index) { break }
      if line.isBlank {
        index += 1
        continue
      }
      // git format-patch ends with a "-- " signature line.
      if line.text == "-- " || line.text == "--" { break }
      if let marker = line.marker, [UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "+")].contains(marker) {
        if let previous = hunks.last {
          throw invalid(
            "Line \(line.number): this line follows the hunk at line \(previous.patchLine), whose header counted "
              + "only \(previous.oldCount ?? 0) old and \(previous.newCount ?? 0) new lines.",
            hint: "Fix the counts in the '@@ -start,count +start,count @@' header so that they cover every line.",
            line: line.number, path: newRaw ?? oldRaw)
        }
        throw invalid(
          "Line \(line.number): expected a '@@ -start,count +start,count @@' hunk header after "
            + "'\(clipped(plus.text))'.",
          hint: "Start each hunk with a '@@' header line.", line: line.number, path: newRaw ?? oldRaw)
      }
      break
    }
    let file = try makeFilePatch(oldRaw: oldRaw, newRaw: newRaw, git: git, hunks: hunks, line: minus.number)
    if hunks.isEmpty && (file.action == .update || (file.action == .move && git?.renameFrom == nil)) {
      throw invalid(
        "Line \(plus.number): expected a '@@ -start,count +start,count @@' hunk after '\(clipped(plus.text))'.",
        hint: "Follow the '+++' line with the file's hunks; a patch that changes nothing needs no section.",
        line: plus.number, path: file.path)
    }
    return file
  }

  private func makeFilePatch(
    oldRaw: String?, newRaw: String?, git: GitHeader?, hunks: [PatchHunk], line: Int
  ) throws(PatchError) -> FilePatch {
    if let git { try checkNotCopy(git) }
    let strip = (oldRaw?.hasPrefix("a/") ?? true) && (newRaw?.hasPrefix("b/") ?? true)
    let oldPath = oldRaw.map { strip ? stripPrefix($0, "a/") : $0 }
    let newPath = newRaw.map { strip ? stripPrefix($0, "b/") : $0 }
    let patchLine = git?.line ?? line
    for path in [oldPath, newPath] where path?.isEmpty == true {
      throw invalid(
        "Line \(line): the '---'/'+++' header names an empty path.",
        hint: "Write '--- a/path' and '+++ b/path' with the file's path.", line: line)
    }
    guard oldPath != nil || newPath != nil else {
      throw invalid(
        "Line \(line): both '---' and '+++' are /dev/null.",
        hint: "Name the file on '+++' to add it, or on '---' to delete it.", line: line)
    }
    if oldPath == nil || git?.isNew == true {
      return FilePatch(action: .add, path: newPath ?? oldPath!, format: .unified, hunks: hunks, patchLine: patchLine)
    }
    if newPath == nil || git?.isDeleted == true {
      return FilePatch(action: .delete, path: oldPath ?? newPath!, format: .unified, hunks: hunks, patchLine: patchLine)
    }
    if let from = git?.renameFrom, let to = git?.renameTo {
      return FilePatch(action: .move, path: from, movePath: to, format: .unified, hunks: hunks, patchLine: patchLine)
    }
    if git != nil, let oldPath, let newPath, oldPath != newPath {
      return FilePatch(
        action: .move, path: oldPath, movePath: newPath, format: .unified, hunks: hunks, patchLine: patchLine)
    }
    return FilePatch(action: .update, path: newPath!, format: .unified, hunks: hunks, patchLine: patchLine)
  }

  // MARK: Hunks

  private mutating func parseHunk() throws(PatchError) -> PatchHunk {
    let headerLine = lines[index]
    let rest = afterAtSigns(headerLine)
    let numbers = UnifiedHunkHeader(afterAtSigns: rest)
    var hunk = PatchHunk(patchLine: headerLine.number)
    if let numbers {
      hunk.oldStart = numbers.oldStart
      hunk.oldCount = numbers.oldCount
      hunk.newStart = numbers.newStart
      hunk.newCount = numbers.newCount
    } else {
      var anchor = rest.trimmingBlanks()
      if anchor.hasPrefix("-"), anchor.dropFirst().first?.isNumber == true || anchor.contains(" +") {
        throw invalid(
          "Line \(headerLine.number): malformed hunk header '\(clipped(headerLine.text))'; expected "
            + "'@@ -start,count +start,count @@'.",
          hint: "Write the header as '@@ -12,5 +12,6 @@', or a bare '@@' to have the hunk found by its context.",
          line: headerLine.number)
      }
      if anchor.hasSuffix("@@") { anchor = String(anchor.dropLast(2)).trimmingBlanks() }
      if !anchor.isEmpty { hunk.anchors = [anchor] }
    }
    index += 1
    var oldLeft = numbers?.oldCount ?? 0
    var newLeft = numbers?.newCount ?? 0
    let counted = numbers != nil
    scan: while index < lines.count {
      if counted && oldLeft <= 0 && newLeft <= 0 {
        // The header's counts are used up. Models often count short, so lines that can only belong to this hunk
        // (' ', '-' or '+' before the next header; not git's "-- " signature) are taken as its own, as a header
        // that counts long is.
        let line = lines[index]
        guard line.isBlank || isBodyLine(line), line.marker != UInt8(ascii: "\\"), line.text != "-- ", line.text != "--",
          !isBoundary(at: index)
        else { break }
      }
      let line = lines[index]
      if line.hasPrefix("@@") || line.hasPrefix("diff --git ") { break }
      if isFileHeader(at: index) && !(counted && headerPairIsContent(at: index, oldLeft: oldLeft, newLeft: newLeft)) {
        break
      }
      switch line.marker {
      case nil:
        // A blank line is an empty context line whose space was stripped, unless no hunk line follows it.
        var next = index + 1
        while next < lines.count && lines[next].isBlank { next += 1 }
        if next >= lines.count || isBoundary(at: next) || !isBodyLine(lines[next]) { break scan }
        hunk.lines.append(PatchLine(kind: .context, bytes: []))
        oldLeft -= 1
        newLeft -= 1
      case UInt8(ascii: " "):
        hunk.lines.append(PatchLine(kind: .context, bytes: line.body))
        oldLeft -= 1
        newLeft -= 1
      case UInt8(ascii: "-"):
        hunk.lines.append(PatchLine(kind: .remove, bytes: line.body))
        oldLeft -= 1
      case UInt8(ascii: "+"):
        hunk.lines.append(PatchLine(kind: .add, bytes: line.body, endsWithCRLF: line.hadCR && !text.usesCRLF))
        newLeft -= 1
      case UInt8(ascii: "\\"):
        markNoNewline(&hunk)
      default:
        if !counted { break scan }
        throw invalid(
          "Line \(line.number): expected a line of the hunk at line \(headerLine.number) starting with ' ', '-', "
            + "'+' or '\\' (its header promises \(max(0, oldLeft)) more old and \(max(0, newLeft)) more new lines), "
            + "found '\(clipped(line.text))'.",
          hint: "Prefix unchanged lines with a space, removed lines with '-' and added lines with '+', and make the "
            + "header's counts match.",
          line: line.number)
      }
      index += 1
    }
    if index < lines.count && lines[index].marker == UInt8(ascii: "\\") {
      markNoNewline(&hunk)
      index += 1
    }
    guard !hunk.lines.isEmpty else {
      throw invalid(
        "Line \(headerLine.number): the hunk that starts here has no lines.",
        hint: "Follow the '@@' header with ' ', '-' and '+' lines, or remove it.", line: headerLine.number)
    }
    return hunk
  }

  /// Whether a `--- `/`+++ ` pair inside a hunk is a removed and an added line rather than the next file's header:
  /// the counts must leave room for both, and a header is normally followed by `@@`, unless the counts say exactly
  /// these two lines remain.
  private func headerPairIsContent(at position: Int, oldLeft: Int, newLeft: Int) -> Bool {
    guard oldLeft >= 1 && newLeft >= 1 else { return false }
    if oldLeft == 1 && newLeft == 1 { return true }
    return !(position + 2 < lines.count && lines[position + 2].hasPrefix("@@"))
  }

  private func isBodyMarker(_ marker: UInt8) -> Bool {
    marker == UInt8(ascii: " ") || marker == UInt8(ascii: "-") || marker == UInt8(ascii: "+")
      || marker == UInt8(ascii: "\\")
  }

  private func isBodyLine(_ line: PatchTextLine) -> Bool {
    guard let marker = line.marker else { return false }
    return isBodyMarker(marker)
  }

  private func markNoNewline(_ hunk: inout PatchHunk) {
    guard !hunk.lines.isEmpty else { return }
    hunk.lines[hunk.lines.count - 1].noNewlineAtEnd = true
    hunk.lines[hunk.lines.count - 1].endsWithCRLF = false
  }

  // MARK: Paths

  /// The path on a `---`/`+++` line, without a trailing timestamp; nil for /dev/null.
  private func pathField(_ line: PatchTextLine, prefix: String) -> String? {
    var value = String(decoding: line.bytes.dropFirst(prefix.utf8.count), as: UTF8.self)
    if value.hasPrefix("\"") {
      value = unquotedPath(value).path
    } else if let tab = value.firstIndex(of: "\t") {
      value = String(value[..<tab])
    }
    value = value.trimmingBlanks()
    return value == "/dev/null" ? nil : value
  }

  /// The path after `rename from` or `rename to`: the whole value, unless git quoted it.
  private func headerPathValue(_ value: String) -> String {
    value.hasPrefix("\"") ? unquotedPath(value).path : value
  }

  private func stripPrefix(_ path: String, _ prefix: String) -> String {
    path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
  }

  /// Reads a path that git may have C-quoted (`"a/sp ace\t.txt"`), returning it and the text after it.
  private func unquotedPath(_ text: String) -> (path: String, rest: String) {
    let bytes = Array(text.utf8)
    guard bytes.first == UInt8(ascii: "\"") else {
      if let space = text.firstIndex(of: " ") { return (String(text[..<space]), String(text[space...])) }
      return (text, "")
    }
    var result: [UInt8] = []
    var position = 1
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        break
      }
      if byte == UInt8(ascii: "\\"), position + 1 < bytes.count {
        let escaped = bytes[position + 1]
        position += 2
        switch escaped {
        case UInt8(ascii: "n"): result.append(0x0A)
        case UInt8(ascii: "t"): result.append(0x09)
        case UInt8(ascii: "r"): result.append(0x0D)
        case UInt8(ascii: "a"): result.append(0x07)
        case UInt8(ascii: "b"): result.append(0x08)
        case UInt8(ascii: "f"): result.append(0x0C)
        case UInt8(ascii: "v"): result.append(0x0B)
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
          var value = Int(escaped - UInt8(ascii: "0"))
          var digits = 1
          while digits < 3, position < bytes.count, bytes[position] >= UInt8(ascii: "0"),
            bytes[position] <= UInt8(ascii: "7")
          {
            value = value * 8 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
            digits += 1
          }
          result.append(UInt8(truncatingIfNeeded: value))
        default: result.append(escaped)
        }
        continue
      }
      result.append(byte)
      position += 1
    }
    return (
      String(decoding: result, as: UTF8.self), String(decoding: bytes[min(position, bytes.count)...], as: UTF8.self)
    )
  }

  private func invalid(_ message: String, hint: String, line: Int, path: String? = nil) -> PatchError {
    PatchError(code: PatchError.invalidPatch, message: message, hint: hint, path: path, patchLine: line)
  }
}
