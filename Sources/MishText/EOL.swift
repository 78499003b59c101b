// Line-ending detection and conversion.

/// How a file ends its lines; edits and patches write new lines the same way so that a CRLF file stays CRLF.
public enum EOLKind: String, Sendable, Equatable {
  /// Every line ends with a bare LF.
  case lf
  /// Every line ends with CRLF.
  case crlf
  /// Both CRLF and bare LF occur.
  case mixed
  /// There is no newline at all (empty or single-line files).
  case none

  /// The bytes that end a newly written line: CRLF only for files that use nothing else, LF otherwise.
  public var lineEnding: [UInt8] { self == .crlf ? [carriageReturnByte, newlineByte] : [newlineByte] }
}

/// Classifies the line endings of `bytes`; stops as soon as both styles have been seen, so mixed files are cheap.
public func detectEOL(_ bytes: [UInt8]) -> EOLKind {
  bytes.withUnsafeBufferPointer { buffer in
    var sawCRLF = false
    var sawLF = false
    var position = 0
    while let found = nextIndex(of: newlineByte, in: buffer, from: position, to: buffer.count) {
      if found > 0 && buffer[found - 1] == carriageReturnByte { sawCRLF = true } else { sawLF = true }
      if sawCRLF && sawLF { return .mixed }
      position = found + 1
    }
    if sawCRLF { return .crlf }
    return sawLF ? .lf : .none
  }
}

/// Whether `bytes` contains an LF that is not preceded by CR.
func containsBareLF(_ bytes: [UInt8]) -> Bool {
  for index in bytes.indices where bytes[index] == newlineByte {
    if index == 0 || bytes[index - 1] != carriageReturnByte { return true }
  }
  return false
}

/// Whether `bytes` contains a CRLF pair.
func containsCRLF(_ bytes: [UInt8]) -> Bool {
  var previous: UInt8 = 0
  for byte in bytes {
    if byte == newlineByte && previous == carriageReturnByte { return true }
    previous = byte
  }
  return false
}

/// `bytes` with every bare LF turned into CRLF; an LF already preceded by CR is left alone, so the conversion is
/// idempotent. When `keepLeadingLF` is set a leading LF stays bare, for text spliced right after a CR in the file.
func convertingBareLFToCRLF(_ bytes: [UInt8], keepLeadingLF: Bool = false) -> [UInt8] {
  var result: [UInt8] = []
  result.reserveCapacity(bytes.count + bytes.count / 16 + 2)
  for index in bytes.indices {
    let byte = bytes[index]
    if byte == newlineByte && (index == 0 ? !keepLeadingLF : bytes[index - 1] != carriageReturnByte) {
      result.append(carriageReturnByte)
    }
    result.append(byte)
  }
  return result
}

/// `bytes` with every CRLF turned into LF, used to compare text regardless of its line endings.
func convertingCRLFToLF(_ bytes: some Collection<UInt8>) -> [UInt8] {
  var result: [UInt8] = []
  result.reserveCapacity(bytes.count)
  var pendingCR = false
  for byte in bytes {
    if pendingCR {
      if byte != newlineByte { result.append(carriageReturnByte) }
      pendingCR = false
    }
    if byte == carriageReturnByte {
      pendingCR = true
    } else {
      result.append(byte)
    }
  }
  if pendingCR { result.append(carriageReturnByte) }
  return result
}
