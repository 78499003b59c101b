import CCrypto

/// SHA-256 through libcrypto, which uses the CPU's SHA extensions: hashing a 10 MB file costs a few milliseconds.
enum SHA256 {
  static func hex(_ bytes: [UInt8]) -> String {
    var digest = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    bytes.withUnsafeBytes { raw in
      _ = EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
    }
    return hexString(digest)
  }

  static let digits = Array("0123456789abcdef".utf8)

  static func hexString(_ digest: [UInt8]) -> String {
    var out = [UInt8]()
    out.reserveCapacity(digest.count * 2)
    for byte in digest {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
