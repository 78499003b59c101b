// Whitespace and punctuation normalisation for tolerant line matching.

/// `bytes` without trailing spaces, tabs and CRs.
func trimmedTrailingWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
  var end = bytes.endIndex
  while end > bytes.startIndex {
    let byte = bytes[end - 1]
    guard byte == 0x20 || byte == 0x09 || byte == 0x0D else { break }
    end -= 1
  }
  return bytes[bytes.startIndex..<end]
}

/// `bytes` trimmed, with typographic punctuation replaced by its ASCII look-alike.
///
/// Models often "improve" `--` into an en dash or straight quotes into curly ones when they retype context lines; the
/// last matching tolerance reads dashes, quotes and unusual spaces as their ASCII forms.
func normalizedPunctuation(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
  guard bytes.contains(where: { $0 >= 0x80 }) else { return Array(trimmedWhitespace(bytes)) }
  var result = String.UnicodeScalarView()
  for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
    switch scalar.value {
    case 0x2010...0x2015, 0x2212: result.append("-")
    case 0x2018...0x201B: result.append("'")
    case 0x201C...0x201F: result.append("\"")
    case 0x00A0, 0x2002...0x200A, 0x202F, 0x205F, 0x3000: result.append(" ")
    default: result.append(scalar)
    }
  }
  return Array(trimmedWhitespace(Array(String(result).utf8)[...]))
}
