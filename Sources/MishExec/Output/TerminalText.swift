/// Terminal output made readable for an agent: colour and cursor escapes removed, carriage-return redraws
/// (progress bars) collapsed to what the line finally showed, other control characters dropped. Pure.
public enum TerminalText {
  public static func plain(_ text: String) -> String {
    // Fast path: nothing to do for the usual output.
    if !text.utf8.contains(where: { $0 < 0x20 && $0 != 0x0A && $0 != 0x09 || $0 == 0x7F }) { return text }
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    /// Where the current line starts in `out`, so a bare `\r` can rewind to it.
    var lineStart = 0
    let bytes = Array(text.utf8)
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case 0x1B:
        index = skipEscape(bytes, from: index)
        continue
      case 0x0D:
        if index + 1 < bytes.count && bytes[index + 1] == 0x0A {
          // CRLF: the line ends here; keep it as LF.
        } else if index + 1 < bytes.count {
          // A redraw: what follows overwrites the line.
          out.removeSubrange(lineStart...)
        }
      case 0x0A:
        out.append(byte)
        lineStart = out.count
      case 0x08:
        if out.count > lineStart { out.removeLast() }
      case 0x09:
        out.append(byte)
      case 0x00..<0x20, 0x7F:
        break
      default:
        out.append(byte)
      }
      index += 1
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The index just past the escape sequence starting at `start` (an ESC byte).
  static func skipEscape(_ bytes: [UInt8], from start: Int) -> Int {
    var index = start + 1
    guard index < bytes.count else { return index }
    let kind = bytes[index]
    index += 1
    switch kind {
    case UInt8(ascii: "["):
      // CSI: parameter and intermediate bytes, then one final byte in 0x40...0x7E.
      while index < bytes.count, !(0x40...0x7E).contains(bytes[index]) { index += 1 }
      return min(index + 1, bytes.count)
    case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "_"), UInt8(ascii: "^"):
      // OSC, DCS, APC, PM: up to BEL or ESC \.
      while index < bytes.count {
        if bytes[index] == 0x07 { return index + 1 }
        if bytes[index] == 0x1B && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\\") { return index + 2 }
        index += 1
      }
      return index
    case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "#"), UInt8(ascii: "%"):
      // Character-set designation: one more byte.
      return min(index + 1, bytes.count)
    default:
      return index
    }
  }
}
