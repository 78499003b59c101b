// Tolerating line-number prefixes that agents copy from numbered file views.

/// `text` with the line-number prefix removed from every line, or nil unless every non-empty line carries one.
///
/// Read views print lines as `"    12\tcode"`, `"12→code"`, `"12: code"` or `"12| code"`, and agents often paste those
/// prefixes into `old_text`; stripping them is only safe when all non-empty lines agree, so a single unprefixed line
/// (or no non-empty line at all) leaves the text alone.
func strippingLineNumberPrefixes(_ text: [UInt8]) -> [UInt8]? {
  var result: [UInt8] = []
  result.reserveCapacity(text.count)
  var sawPrefix = false
  var lineStart = 0
  while lineStart < text.count {
    var lineEnd = lineStart
    while lineEnd < text.count && text[lineEnd] != newlineByte { lineEnd += 1 }
    var contentEnd = lineEnd
    if contentEnd > lineStart && text[contentEnd - 1] == carriageReturnByte { contentEnd -= 1 }
    let terminatorEnd = lineEnd < text.count ? lineEnd + 1 : lineEnd
    if contentEnd > lineStart {
      guard let prefixLength = lineNumberPrefixLength(text[lineStart..<contentEnd]) else { return nil }
      sawPrefix = true
      result += text[(lineStart + prefixLength)..<terminatorEnd]
    } else {
      result += text[lineStart..<terminatorEnd]
    }
    lineStart = terminatorEnd
  }
  return sawPrefix ? result : nil
}

/// The length of a line-number prefix at the start of `line` (which has no terminator), or nil if there is none:
/// optional spaces, one or more digits, then a tab, "→", ": " or "| " (the space may be missing at the end of a line).
private func lineNumberPrefixLength(_ line: ArraySlice<UInt8>) -> Int? {
  var index = line.startIndex
  while index < line.endIndex && line[index] == 0x20 { index += 1 }
  let digitsStart = index
  while index < line.endIndex && line[index] >= UInt8(ascii: "0") && line[index] <= UInt8(ascii: "9") { index += 1 }
  guard index > digitsStart, index < line.endIndex else { return nil }
  let separator = line[index]
  let afterSeparator = index + 1
  switch separator {
  case 0x09:
    return afterSeparator - line.startIndex
  case 0xE2:
    guard line.endIndex - index >= 3, line[index + 1] == 0x86, line[index + 2] == 0x92 else { return nil }
    return index + 3 - line.startIndex
  case UInt8(ascii: ":"), UInt8(ascii: "|"):
    if afterSeparator == line.endIndex { return afterSeparator - line.startIndex }
    guard line[afterSeparator] == 0x20 else { return nil }
    return afterSeparator + 1 - line.startIndex
  default:
    return nil
  }
}
