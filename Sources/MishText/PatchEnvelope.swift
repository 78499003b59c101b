// Parsing the `*** Begin Patch` envelope format.

private let beginMarker = "*** Begin Patch"
private let endMarker = "*** End Patch"
private let addPrefix = "*** Add File:"
private let deletePrefix = "*** Delete File:"
private let updatePrefix = "*** Update File:"
private let movePrefix = "*** Move to:"
private let endOfFileMarker = "*** End of File"

/// Reads a `*** Begin Patch` … `*** End Patch` envelope into file patches.
///
/// Lines before `*** Begin Patch` may only be blank, a code fence or a heredoc opener (agents wrap patches in
/// `apply_patch <<'EOF'`); everything after `*** End Patch` is ignored. Header lines are compared trimmed.
struct EnvelopeParser {
  let text: PatchText
  var index = 0

  init(text: PatchText) {
    self.text = text
  }

  private var lines: [PatchTextLine] { text.lines }

  mutating func parse() throws(PatchError) -> [FilePatch] {
    try skipToBegin()
    var files: [FilePatch] = []
    while true {
      guard index < lines.count else {
        throw invalid(
          "The patch ends without '\(endMarker)'.",
          hint: "End the envelope with a '\(endMarker)' line; if the patch was cut off, send it again whole.",
          line: text.endLineNumber)
      }
      let line = lines[index]
      let trimmed = line.trimmedText
      if trimmed == endMarker { break }
      if line.isBlank {
        index += 1
      } else if trimmed.hasPrefix(addPrefix) {
        files.append(try parseAdd())
      } else if trimmed.hasPrefix(deletePrefix) {
        let path = try headerPath(line, prefix: deletePrefix)
        files.append(FilePatch(action: .delete, path: path, format: .envelope, patchLine: line.number))
        index += 1
      } else if trimmed.hasPrefix(updatePrefix) {
        files.append(try parseUpdate())
      } else {
        throw invalid(
          "Line \(line.number): expected '\(addPrefix) path', '\(updatePrefix) path', '\(deletePrefix) path' or "
            + "'\(endMarker)', found '\(clipped(line.text))'.",
          hint: "Start every file section with one of those headers; chunk lines belong under '\(updatePrefix)'.",
          line: line.number)
      }
    }
    guard !files.isEmpty else {
      throw invalid(
        "The patch changes no files: '\(beginMarker)' is followed directly by '\(endMarker)'.",
        hint: "Add a '\(addPrefix)', '\(updatePrefix)' or '\(deletePrefix)' section.", line: lines[index].number)
    }
    return files
  }

  private mutating func skipToBegin() throws(PatchError) {
    while index < lines.count {
      let line = lines[index]
      let trimmed = line.trimmedText
      if trimmed == beginMarker {
        index += 1
        return
      }
      guard line.isBlank || trimmed.hasPrefix("```") || trimmed.contains("<<") else {
        throw invalid(
          "Line \(line.number): expected '\(beginMarker)', found '\(clipped(line.text))'.",
          hint: "Start the patch with a '\(beginMarker)' line.", line: line.number)
      }
      index += 1
    }
  }

  private func headerPath(_ line: PatchTextLine, prefix: String) throws(PatchError) -> String {
    let trimmed = line.trimmedText
    let path = String(trimmed.dropFirst(prefix.count)).trimmingBlanks()
    guard !path.isEmpty else {
      throw invalid(
        "Line \(line.number): '\(prefix)' needs a path after it.",
        hint: "Write the file's path relative to the root, as in '\(prefix) src/main.swift'.", line: line.number)
    }
    return path
  }

  private func isHeader(_ line: PatchTextLine) -> Bool {
    let trimmed = line.trimmedText
    return trimmed == endMarker || trimmed.hasPrefix(addPrefix) || trimmed.hasPrefix(deletePrefix)
      || trimmed.hasPrefix(updatePrefix)
  }

  private mutating func parseAdd() throws(PatchError) -> FilePatch {
    let header = lines[index]
    let path = try headerPath(header, prefix: addPrefix)
    index += 1
    var added: [PatchLine] = []
    while index < lines.count {
      let line = lines[index]
      if isHeader(line) { break }
      if line.marker == UInt8(ascii: "+") {
        added.append(PatchLine(kind: .add, bytes: line.body, endsWithCRLF: line.hadCR && !text.usesCRLF))
        index += 1
      } else if line.isBlank {
        // A blank line between added lines is an added empty line whose '+' got lost; before a header it is noise.
        var next = index + 1
        while next < lines.count && lines[next].isBlank { next += 1 }
        if next < lines.count && lines[next].marker == UInt8(ascii: "+") && !isHeader(lines[next]) {
          for _ in index..<next { added.append(PatchLine(kind: .add, bytes: [])) }
        }
        index = next
      } else if line.trimmedText == endOfFileMarker {
        index += 1
      } else {
        throw invalid(
          "Line \(line.number): expected a '+' line of the file added by '\(addPrefix) \(path)' (line "
            + "\(header.number)) or the next '*** ' header, found '\(clipped(line.text))'.",
          hint: "Prefix every line of an added file with '+'.", line: line.number, path: path)
      }
    }
    let hunk = PatchHunk(lines: added, patchLine: header.number)
    return FilePatch(action: .add, path: path, format: .envelope, hunks: [hunk], patchLine: header.number)
  }

  private mutating func parseUpdate() throws(PatchError) -> FilePatch {
    let header = lines[index]
    let path = try headerPath(header, prefix: updatePrefix)
    index += 1
    var movePath: String?
    if index < lines.count && lines[index].trimmedText.hasPrefix(movePrefix) {
      movePath = try headerPath(lines[index], prefix: movePrefix)
      index += 1
    }
    var hunks: [PatchHunk] = []
    var current: PatchHunk?
    // Blank patch lines (no marker at all) count as empty context lines, except at the end of a chunk, where they
    // separate it from the next '@@' or header.
    var blankTail = 0
    func finish(_ hunk: inout PatchHunk?, into hunks: inout [PatchHunk]) throws(PatchError) {
      guard var finished = hunk else { return }
      hunk = nil
      finished.lines.removeLast(min(blankTail, finished.lines.count))
      blankTail = 0
      guard !finished.lines.isEmpty else {
        throw invalid(
          "Line \(finished.patchLine): the chunk of '\(updatePrefix) \(path)' that starts here has no lines.",
          hint: "Follow '@@' with context (' '), removed ('-') and added ('+') lines, or delete the '@@' line.",
          line: finished.patchLine, path: path)
      }
      hunks.append(finished)
    }
    while index < lines.count {
      let line = lines[index]
      if isHeader(line) { break }
      if line.hasPrefix("@@") {
        if current == nil || !(current!.lines.isEmpty) {
          try finish(&current, into: &hunks)
          current = PatchHunk(patchLine: line.number)
        }
        if let anchor = anchorText(line) { current!.anchors.append(anchor) }
        index += 1
        continue
      }
      if line.trimmedText == endOfFileMarker {
        guard current != nil else {
          throw invalid(
            "Line \(line.number): '\(endOfFileMarker)' must close a chunk, but no chunk is open.",
            hint: "Put '\(endOfFileMarker)' right after the last line of the chunk that ends the file.",
            line: line.number, path: path)
        }
        current!.isEndOfFile = true
        try finish(&current, into: &hunks)
        index += 1
        continue
      }
      let kind: PatchLine.Kind
      switch line.marker {
      case nil: kind = .context
      case UInt8(ascii: " "): kind = .context
      case UInt8(ascii: "-"): kind = .remove
      case UInt8(ascii: "+"): kind = .add
      default:
        throw invalid(
          "Line \(line.number): expected a chunk line of '\(updatePrefix) \(path)' starting with ' ' (context), "
            + "'-' (remove), '+' (add) or '@@', found '\(clipped(line.text))'.",
          hint: "Prefix unchanged lines with a space, removed lines with '-' and added lines with '+'.",
          line: line.number, path: path)
      }
      if current == nil { current = PatchHunk(patchLine: line.number) }
      blankTail = line.bytes.isEmpty ? blankTail + 1 : 0
      current!.lines.append(
        PatchLine(kind: kind, bytes: line.body, endsWithCRLF: kind == .add && line.hadCR && !text.usesCRLF))
      index += 1
    }
    try finish(&current, into: &hunks)
    guard !hunks.isEmpty || movePath != nil else {
      throw invalid(
        "Line \(header.number): '\(updatePrefix) \(path)' has no chunks.",
        hint: "Follow it with '@@' chunks of ' ', '-' and '+' lines, or '\(movePrefix) new/path' to rename the file.",
        line: header.number, path: path)
    }
    return FilePatch(
      action: movePath == nil ? .update : .move, path: path, movePath: movePath, format: .envelope, hunks: hunks,
      patchLine: header.number)
  }

  /// The anchor of an `@@` line, or nil for a bare `@@`; a unified-style `@@ -1,2 +1,3 @@ text` header keeps only
  /// its trailing text.
  private func anchorText(_ line: PatchTextLine) -> String? {
    var rest = String(decoding: line.bytes.dropFirst(2), as: UTF8.self).trimmingBlanks()
    if let numbers = UnifiedHunkHeader(afterAtSigns: rest) {
      rest = numbers.trailingText
    }
    if rest.hasSuffix("@@") && rest.count >= 2 { rest = String(rest.dropLast(2)).trimmingBlanks() }
    return rest.isEmpty ? nil : rest
  }

  private func invalid(_ message: String, hint: String, line: Int, path: String? = nil) -> PatchError {
    PatchError(code: PatchError.invalidPatch, message: message, hint: hint, path: path, patchLine: line)
  }
}

/// `text`, clipped to 120 characters for quoting in a message.
func clipped(_ text: String) -> String {
  text.count > 120 ? String(text.prefix(117)) + "…" : text
}

extension String {
  /// The string without leading and trailing spaces and tabs.
  func trimmingBlanks() -> String {
    let scalars = unicodeScalars
    var start = scalars.startIndex
    var end = scalars.endIndex
    while start < end && (scalars[start] == " " || scalars[start] == "\t") { start = scalars.index(after: start) }
    while end > start {
      let before = scalars.index(before: end)
      guard scalars[before] == " " || scalars[before] == "\t" else { break }
      end = before
    }
    return String(scalars[start..<end])
  }
}
