// Splitting patch text into numbered lines, and format detection.

/// One line of patch text without its terminator, numbered from 1 for error messages.
struct PatchTextLine {
  var bytes: ArraySlice<UInt8>
  var hadCR: Bool
  var number: Int

  /// The line as a String, for messages.
  var text: String { String(decoding: bytes, as: UTF8.self) }

  /// The line without surrounding whitespace, as a String, for header comparisons.
  var trimmedText: String { String(decoding: trimmedWhitespace(bytes), as: UTF8.self) }

  func hasPrefix(_ prefix: String) -> Bool {
    let utf8 = prefix.utf8
    return bytes.count >= utf8.count && bytes.prefix(utf8.count).elementsEqual(utf8)
  }

  var isBlank: Bool { trimmedWhitespace(bytes).isEmpty }

  /// The first byte, or nil for an empty line.
  var marker: UInt8? { bytes.first }

  /// The line after its first byte.
  var body: [UInt8] { Array(bytes.dropFirst()) }

  /// The line after `prefix`, trimmed, as a String.
  func value(after prefix: String) -> String {
    String(decoding: trimmedWhitespace(bytes.dropFirst(prefix.utf8.count)), as: UTF8.self)
  }
}

/// The lines of a patch text, and whether the text as a whole ends its lines with CRLF (then a CR is transport, not
/// content).
struct PatchText {
  var lines: [PatchTextLine]
  var usesCRLF: Bool

  init(_ text: String) {
    let bytes = Array(text.utf8)
    var lines: [PatchTextLine] = []
    var start = 0
    var number = 1
    while start < bytes.count {
      var end = start
      while end < bytes.count && bytes[end] != newlineByte { end += 1 }
      var contentEnd = end
      let hadCR = contentEnd > start && bytes[contentEnd - 1] == carriageReturnByte
      if hadCR { contentEnd -= 1 }
      lines.append(PatchTextLine(bytes: bytes[start..<contentEnd], hadCR: hadCR, number: number))
      number += 1
      start = end + 1
    }
    self.lines = lines
    usesCRLF = lines.first(where: { !$0.isBlank })?.hadCR ?? false
  }

  /// The number to report for a problem at the end of the text.
  var endLineNumber: Int { max(1, lines.count) }
}

/// Parses a patch in either supported format, detected from the text: a `*** Begin Patch` envelope or a unified diff
/// (git-style or plain).
///
/// Parsing never touches files; it only checks structure. Malformed text throws `invalid_patch` with the 1-based line
/// of the problem and what was expected there.
public func parsePatch(_ text: String) throws(PatchError) -> [FilePatch] {
  let patchText = PatchText(text)
  guard patchText.lines.contains(where: { !$0.isBlank }) else {
    throw PatchError(
      code: PatchError.invalidPatch, message: "The patch is empty.",
      hint: "Send a '*** Begin Patch' … '*** End Patch' envelope or a unified diff.", patchLine: 1)
  }
  // Whichever comes first decides: an envelope opener, or a unified-diff header (whose content lines may quote an
  // envelope).
  for line in patchText.lines {
    if line.trimmedText == "*** Begin Patch" {
      var parser = EnvelopeParser(text: patchText)
      return try parser.parse()
    }
    if line.hasPrefix("--- ") || line.hasPrefix("diff ") || line.hasPrefix("@@") { break }
  }
  var parser = UnifiedPatchParser(text: patchText)
  return try parser.parse()
}
