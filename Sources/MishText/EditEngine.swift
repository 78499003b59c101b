// Exact-match text edits with the tolerances agents need: CRLF adaptation and pasted line-number prefixes.

/// One search-and-replace edit: `oldText` must occur exactly once (or at least once with `replaceAll`).
public struct TextEdit: Sendable, Equatable {
  /// The exact text to replace, matched byte for byte against the file's UTF-8.
  public var oldText: String
  /// The replacement.
  public var newText: String
  /// Replace every occurrence instead of requiring a unique one.
  public var replaceAll: Bool

  public init(oldText: String, newText: String, replaceAll: Bool = false) {
    self.oldText = oldText
    self.newText = newText
    self.replaceAll = replaceAll
  }
}

/// The content after all edits, with what was adapted along the way so the agent can learn from it.
public struct EditOutcome: Sendable, Equatable {
  /// The new file content.
  public var content: [UInt8]
  /// The total number of replacements made by all edits.
  public var replacements: Int
  /// The number of replacements made by each edit, in order.
  public var replacementsPerEdit: [Int]
  /// Adaptations made, one sentence each, such as "edit 2: matched after converting LF to the file's CRLF line
  /// endings".
  public var notes: [String]

  public init(content: [UInt8], replacements: Int, replacementsPerEdit: [Int], notes: [String]) {
    self.content = content
    self.replacements = replacements
    self.replacementsPerEdit = replacementsPerEdit
    self.notes = notes
  }
}

/// Why a list of edits was not applied; nothing is written when any edit fails.
public struct EditFailure: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kind of failure; raw values are the wire spelling.
  public enum Kind: String, Sendable, Equatable {
    /// `oldText` does not occur in the file.
    case noMatch = "no_match"
    /// `oldText` occurs more than once and `replaceAll` is off.
    case ambiguousMatch = "ambiguous_match"
    /// `oldText` does not occur but `newText` does, so the edit was most likely made before.
    case alreadyApplied = "already_applied"
    /// `oldText` is empty, so there is nothing to match.
    case emptyOldText = "empty_old_text"
    /// `oldText` equals `newText`, so the edit would change nothing.
    case noChange = "no_change"
  }

  public var kind: Kind
  /// The zero-based position of the failing edit in the list; messages count from 1 ("edit 1").
  public var editIndex: Int
  /// What happened, in one or two sentences.
  public var message: String
  /// What to do next.
  public var hint: String
  /// For `ambiguousMatch`: the 1-based line of every match.
  public var matchLines: [Int]
  /// For `noMatch`: the most similar region of the file, when anything is similar enough.
  public var nearMiss: NearMiss?
  /// For `alreadyApplied`: the 1-based line where `newText` already is.
  public var alreadyAppliedLine: Int?

  public init(
    kind: Kind, editIndex: Int, message: String, hint: String, matchLines: [Int] = [], nearMiss: NearMiss? = nil,
    alreadyAppliedLine: Int? = nil
  ) {
    self.kind = kind
    self.editIndex = editIndex
    self.message = message
    self.hint = hint
    self.matchLines = matchLines
    self.nearMiss = nearMiss
    self.alreadyAppliedLine = alreadyAppliedLine
  }

  public var description: String { message }
}

/// Applies `edits` in order, each to the result of the previous ones, all or nothing.
///
/// Matching is byte-exact on the UTF-8 of `oldText`; bytes of the file outside the replaced ranges (invalid UTF-8
/// included) are preserved. When the exact text is absent, two tolerances are tried in turn: LF converted to the
/// file's CRLF, and line-number prefixes stripped. A file that ended with a newline still ends with one.
public func applyEdits(_ edits: [TextEdit], to content: [UInt8]) -> Result<EditOutcome, EditFailure> {
  var current = content
  var notes: [String] = []
  var perEdit: [Int] = []
  for (index, edit) in edits.enumerated() {
    var editor = SingleEdit(edit: edit, index: index, editCount: edits.count)
    switch editor.apply(to: current) {
    case .success(let replaced):
      current = replaced
      notes += editor.notes
      perEdit.append(editor.replacements)
    case .failure(var failure):
      if failure.kind == .noMatch || failure.kind == .alreadyApplied,
        let culprit = earlierEditThatRemoved(edit.oldText, edits: edits[..<index], from: content)
      {
        failure.kind = .noMatch
        failure.nearMiss = nil
        failure.alreadyAppliedLine = nil
        failure.message =
          "edit \(index + 1): old_text is in the file, but edit \(culprit + 1) changes that text first (edits apply in "
          + "order, each to the text the ones before it leave). No edit was applied."
        failure.hint = "Merge the two edits into one, or write edit \(index + 1)'s old_text as edit \(culprit + 1) left it."
      }
      return .failure(failure)
    }
  }
  if content.last == newlineByte, !current.isEmpty, current.last != newlineByte {
    current += detectEOL(content).lineEnding
    notes.append("kept the file's final newline")
    if current == content {
      return .failure(
        EditFailure(
          kind: .noChange, editIndex: edits.count - 1,
          message: "The edits would only remove the file's final newline, which fs_edit keeps; nothing was changed.",
          hint: "To drop the final newline, write the whole file with fs_write."))
    }
  }
  return .success(
    EditOutcome(content: current, replacements: perEdit.reduce(0, +), replacementsPerEdit: perEdit, notes: notes))
}

/// Which of `earlier` (applied in order to `content`) first makes `oldText` disappear, when the original file has it.
private func earlierEditThatRemoved(_ oldText: String, edits earlier: ArraySlice<TextEdit>, from content: [UInt8]) -> Int? {
  let old = Array(oldText.utf8)
  guard !old.isEmpty, firstOccurrence(of: old, in: content) != nil else { return nil }
  var state = content
  for (index, edit) in zip(earlier.indices, earlier) {
    var editor = SingleEdit(edit: edit, index: index, editCount: earlier.count)
    guard case .success(let next) = editor.apply(to: state) else { return nil }
    state = next
    if firstOccurrence(of: old, in: state) == nil { return index }
  }
  return nil
}

/// Whether every line of `bytes` ends with CRLF, decided by the first newline when it is a bare LF, so LF files cost
/// one short scan.
private func isPureCRLF(_ bytes: [UInt8]) -> Bool {
  let first: Int? = bytes.withUnsafeBufferPointer { nextIndex(of: newlineByte, in: $0, from: 0, to: $0.count) }
  guard let first, first > 0, bytes[first - 1] == carriageReturnByte else { return false }
  return detectEOL(bytes) == .crlf
}

/// One way of reading an edit's texts: as written, or adapted by one or more tolerances.
private struct MatchAttempt {
  var old: [UInt8]
  var new: [UInt8]
  var notes: [String]
  var convertedToCRLF = false
  var strippedPrefixes = false
  /// Only a match that ends the file counts: old_text's final newline, which the file lacks, was dropped.
  var atEndOnly = false
  /// How a failure message lists this reading among those searched ("with LF converted to the file's CRLF").
  var searched = ""
}

/// The matching and reporting for one edit of the list.
private struct SingleEdit {
  let edit: TextEdit
  let index: Int
  let editCount: Int
  var notes: [String] = []
  var replacements = 0

  init(edit: TextEdit, index: Int, editCount: Int) {
    self.edit = edit
    self.index = index
    self.editCount = editCount
  }

  var number: Int { index + 1 }

  mutating func apply(to content: [UInt8]) -> Result<[UInt8], EditFailure> {
    guard !edit.oldText.isEmpty else {
      return .failure(
        failure(
          .emptyOldText, "edit \(number) has an empty old_text, so there is nothing to match.",
          hint: "Set old_text to the exact text to replace; to insert, use a neighbouring unique line as old_text "
            + "and repeat it in new_text. To create a file, write it instead."))
    }
    guard edit.oldText != edit.newText else {
      return .failure(
        failure(
          .noChange, "edit \(number) has identical old_text and new_text, so it would change nothing.",
          hint: "Put the intended replacement in new_text, or drop this edit."))
    }
    let literal = MatchAttempt(old: Array(edit.oldText.utf8), new: Array(edit.newText.utf8), notes: [])
    var chosen = literal
    var matches = occurrences(of: literal.old, in: content)
    var fallbacks: [MatchAttempt] = []
    if matches.isEmpty {
      fallbacks = fallbackAttempts(literal, content: content)
      for attempt in fallbacks {
        matches = occurrences(of: attempt.old, in: content)
        if attempt.atEndOnly { matches = matches.filter { $0 + attempt.old.count == content.count } }
        if !matches.isEmpty {
          chosen = attempt
          break
        }
      }
    }
    guard !matches.isEmpty else {
      return .failure(noMatchFailure(literal: literal, fallbacks: fallbacks, content: content))
    }
    if !edit.replaceAll {
      // Uniqueness counts overlapping matches too: "aba" occurs twice in "ababa" as far as the agent can tell.
      // A lone match can only be overlapped by one starting inside it, so only that stretch is searched again.
      var everyMatch = matches
      if matches.count == 1, !chosen.atEndOnly, let second = overlappingMatch(of: chosen.old, after: matches[0], in: content) {
        everyMatch.append(second)
      }
      if everyMatch.count > 1 {
        return .failure(ambiguousFailure(matches: everyMatch, replaceAllCount: matches.count, content: content))
      }
    }

    var replacement = chosen.new
    notes = chosen.notes
    if !chosen.convertedToCRLF && containsBareLF(replacement) && isPureCRLF(content) {
      replacement = convertingBareLFToCRLF(replacement, keepLeadingLF: chosen.old.first == newlineByte)
      notes.append("edit \(number): wrote new_text's LF line endings as the file's CRLF")
    }
    replacements = matches.count
    let oldLength = chosen.old.count
    var result: [UInt8] = []
    result.reserveCapacity(max(0, content.count + matches.count * (replacement.count - oldLength)))
    var copied = 0
    for match in matches {
      result += content[copied..<match]
      result += replacement
      copied = match + oldLength
    }
    result += content[copied...]
    return .success(result)
  }

  /// The adapted readings to try when the literal text is absent, in order of preference.
  private func fallbackAttempts(_ literal: MatchAttempt, content: [UInt8]) -> [MatchAttempt] {
    let eol = detectEOL(content)
    let fileHasCRLF = eol == .crlf || eol == .mixed
    func crlfAdapted(_ attempt: MatchAttempt) -> MatchAttempt? {
      guard fileHasCRLF, attempt.old.contains(newlineByte), !containsCRLF(attempt.old) else { return nil }
      var adapted = attempt
      adapted.old = convertingBareLFToCRLF(attempt.old)
      adapted.new = convertingBareLFToCRLF(attempt.new)
      adapted.notes.append("edit \(number): matched after converting LF to the file's CRLF line endings")
      adapted.convertedToCRLF = true
      adapted.searched = "with LF converted to the file's CRLF"
      return adapted
    }
    var attempts: [MatchAttempt] = []
    if let adapted = crlfAdapted(literal) { attempts.append(adapted) }
    if eol != .crlf, containsCRLF(literal.old) {
      attempts.append(
        MatchAttempt(
          old: convertingCRLFToLF(literal.old), new: convertingCRLFToLF(literal.new),
          notes: ["edit \(number): matched after converting CRLF to the file's LF line endings"],
          searched: "with CRLF converted to the file's LF"))
    }
    if let strippedOld = strippingLineNumberPrefixes(literal.old) {
      let strippedNew = strippingLineNumberPrefixes(literal.new)
      let note =
        strippedNew == nil
        ? "edit \(number): stripped line-number prefixes from old_text"
        : "edit \(number): stripped line-number prefixes from old_text and new_text"
      let stripped = MatchAttempt(
        old: strippedOld, new: strippedNew ?? literal.new, notes: [note], strippedPrefixes: true,
        searched: "without line-number prefixes")
      attempts.append(stripped)
      if let both = crlfAdapted(stripped) { attempts.append(both) }
    }
    // The file's last line has no newline, but old_text ends with one (copied as a whole line): its end matches the
    // file's end, and new_text keeps the file without a final newline.
    if content.last != newlineByte, !content.isEmpty {
      for attempt in [literal] + attempts where attempt.old.last == newlineByte {
        var atEnd = attempt
        atEnd.old = Array(attempt.old.dropLast(attempt.old.suffix(2) == [carriageReturnByte, newlineByte] ? 2 : 1))
        if atEnd.old.isEmpty { continue }
        if atEnd.new.last == newlineByte {
          atEnd.new = Array(atEnd.new.dropLast(atEnd.new.suffix(2) == [carriageReturnByte, newlineByte] ? 2 : 1))
        }
        atEnd.atEndOnly = true
        atEnd.notes.append("edit \(number): matched the file's last line, which has no final newline (none was added)")
        atEnd.searched = "at the end of the file without old_text's final newline"
        attempts.append(atEnd)
      }
    }
    return attempts
  }

  private func noMatchFailure(literal: MatchAttempt, fallbacks: [MatchAttempt], content: [UInt8]) -> EditFailure {
    let lines = LineIndex(content)
    if !literal.new.isEmpty {
      // new_text already in the file suggests the edit was made before, unless new_text is part of old_text (a
      // deletion, a short common line like "}"): then its presence says nothing.
      for attempt in [literal] + fallbacks where !attempt.new.isEmpty && firstOccurrence(of: attempt.new, in: attempt.old) == nil {
        let new = attempt.new
        guard let offset = firstOccurrence(of: new, in: content) else { continue }
        let line = lines.line(containing: offset)
        return failure(
          .alreadyApplied,
          "edit \(number) looks already applied: its new_text is already at line \(line), and its old_text is "
            + "not in the file.",
          hint: "Re-read the file around line \(line); if the change is there, drop this edit.",
          alreadyAppliedLine: line)
      }
    }

    var searched = "searched all \(lines.lineCount) lines byte for byte"
    var listed: Set<String> = []
    for attempt in fallbacks where listed.insert(attempt.searched).inserted { searched += ", then \(attempt.searched)" }
    let expected = fallbacks.first(where: \.strippedPrefixes)?.old ?? literal.old
    var message = "edit \(number): old_text was not found in the file (\(searched))."
    guard let nearMiss = findNearMiss(of: expected, in: content, lines: lines) else {
      message += " Nothing in the file resembles it."
      return failure(
        .noMatch, message,
        hint: "Re-read the file and copy old_text from it exactly, including indentation and blank lines.")
    }
    let lastLine = nearMiss.line + nearMiss.lineCount - 1
    let place = nearMiss.lineCount > 1 ? "lines \(nearMiss.line)–\(lastLine)" : "line \(nearMiss.line)"
    if nearMiss.similarity >= 1 {
      message += " The text at \(place) is the same except for line endings (CRLF against LF)."
      return failure(
        .noMatch, message,
        hint: "Line endings differ within that stretch (fs_read's eol says which the file uses; its numbered view does not "
          + "show CRs): match a stretch within one line, or rewrite those lines with fs_write.", nearMiss: nearMiss)
    }
    message += " The most similar text is at \(place) (\(nearMiss.percent)% similar)"
    if nearMiss.diff.count <= 400 {
      message += "; as {-old_text-}{+file+}: \(nearMiss.diff)"
    } else {
      message += "."
    }
    return failure(
      .noMatch, message,
      hint: "Re-read the file around line \(nearMiss.line) and copy old_text from it exactly.", nearMiss: nearMiss)
  }

  /// `replaceAllCount` is how many replace_all would change: fewer than `matches` when matches overlap ("aba" in
  /// "ababa").
  private func ambiguousFailure(matches: [Int], replaceAllCount: Int, content: [UInt8]) -> EditFailure {
    var matchLines: [Int] = []
    matchLines.reserveCapacity(matches.count)
    content.withUnsafeBufferPointer { buffer in
      var line = 1
      var position = 0
      for match in matches {
        line += countNewlines(in: buffer, from: position, to: match)
        position = match
        matchLines.append(line)
      }
    }
    let shown = matchLines.prefix(20).map(String.init).joined(separator: ", ") + (matchLines.count > 20 ? ", …" : "")
    let overlapping = replaceAllCount < matches.count ? " (overlapping)" : ""
    let all =
      replaceAllCount < matches.count
      ? "set replace_all to replace \(replaceAllCount) of them (scanning from the start, a match that overlaps one already replaced is skipped)"
      : "set replace_all to replace all \(matches.count)"
    return failure(
      .ambiguousMatch,
      "edit \(number): old_text matches \(matches.count) places\(overlapping) (lines \(shown)); it must match exactly one.",
      hint: "Add surrounding lines to old_text so that it matches one place only, or \(all).",
      matchLines: matchLines)
  }

  /// A failure with the all-or-nothing explanation added when there are several edits.
  private func failure(
    _ kind: EditFailure.Kind, _ message: String, hint: String, matchLines: [Int] = [], nearMiss: NearMiss? = nil,
    alreadyAppliedLine: Int? = nil
  ) -> EditFailure {
    var message = message
    var hint = hint
    if index > 0 {
      let earlier = index == 1 ? "edit 1" : "edits 1–\(index)"
      if !message.hasSuffix(".") { message += "." }
      message += " No edit was applied: edits are all or nothing, so \(earlier) \(index == 1 ? "was" : "were") discarded too."
      if kind == .noMatch || kind == .ambiguousMatch || kind == .alreadyApplied {
        hint +=
          " Edits apply in order, so edit \(number) must match the text as \(earlier) left it; line numbers "
          + "count in that text."
      }
    } else if editCount > 1 {
      if !message.hasSuffix(".") { message += "." }
      message += " No edit was applied."
    }
    return EditFailure(
      kind: kind, editIndex: index, message: message, hint: hint, matchLines: matchLines, nearMiss: nearMiss,
      alreadyAppliedLine: alreadyAppliedLine)
  }
}
