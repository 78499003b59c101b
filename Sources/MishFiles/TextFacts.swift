import Glibc

/// What a file's bytes are: binary or text, valid UTF-8 or not. Git's rule decides binary: a NUL byte early on.
enum TextFacts {
  static func isBinary(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return false }
      return memchr(base, 0, min(buffer.count, 8000)) != nil
    }
  }

  /// The text of `bytes`, and whether they were valid UTF-8 (invalid sequences become U+FFFD).
  static func decode(_ bytes: ArraySlice<UInt8>) -> (text: String, valid: Bool) {
    if let text = String(validating: bytes, as: UTF8.self) { return (text, true) }
    return (String(decoding: bytes, as: UTF8.self), false)
  }
}
