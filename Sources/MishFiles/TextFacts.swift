import MishText

/// What a file's bytes are: binary or text, valid UTF-8 or not. Git's rule decides binary: a NUL byte early on.
enum TextFacts {
  static func isBinary(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { buffer in
      let end = min(buffer.count, 8000)
      for i in 0..<end where buffer[i] == 0 { return true }
      return false
    }
  }

  static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
      switch decoder.decode(&iterator) {
      case .scalarValue: continue
      case .emptyInput: return true
      case .error: return false
      }
    }
  }
}
