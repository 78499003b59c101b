// Byte-level search primitives shared by the edit engine, the line index, diffs and patches.
//
// Everything here works on `UnsafeBufferPointer<UInt8>` so that a 10 MB file is scanned with libc's vectorised
// `memchr`/`memcmp` rather than element-by-element Swift loops. Glibc does not export `memmem` to Swift, so substring
// search uses the usual prefilter: `memchr` for the needle's rarest-looking byte, then `memcmp` to confirm.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

let newlineByte: UInt8 = 0x0A
let carriageReturnByte: UInt8 = 0x0D

/// How common a byte is in typical source text; the substring search anchors on the least common byte of the needle
/// so that `memchr` skips most of the haystack (anchoring on an indentation space would stop every few bytes).
@inline(__always)
private func commonness(_ byte: UInt8) -> Int {
  switch byte {
  case 0x20, 0x09, 0x0A, 0x0D: return 250
  case UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "o"), UInt8(ascii: "i"),
    UInt8(ascii: "n"), UInt8(ascii: "s"), UInt8(ascii: "r"):
    return 220
  case UInt8(ascii: "a")...UInt8(ascii: "z"): return 180
  case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: ";"),
    UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "/"),
    UInt8(ascii: "-"), UInt8(ascii: "{"), UInt8(ascii: "}"):
    return 150
  case UInt8(ascii: "0")...UInt8(ascii: "9"): return 120
  case UInt8(ascii: "A")...UInt8(ascii: "Z"): return 100
  case 0x00..<0x80: return 80
  default: return 40
  }
}

/// Index of the byte in `needle` to hand to `memchr`: the least common one among the first 256 bytes.
private func anchorIndex(_ needle: UnsafeBufferPointer<UInt8>) -> Int {
  var best = 0
  var bestScore = Int.max
  for index in 0..<min(needle.count, 256) {
    let score = commonness(needle[index])
    if score < bestScore {
      bestScore = score
      best = index
    }
  }
  return best
}

/// The offset of the first occurrence of `needle` in `haystack` at or after `start`, or nil.
func firstOccurrence(
  of needle: UnsafeBufferPointer<UInt8>,
  in haystack: UnsafeBufferPointer<UInt8>,
  from start: Int = 0
) -> Int? {
  guard needle.count > 0, start >= 0, haystack.count - start >= needle.count,
    let base = haystack.baseAddress, let needleBase = needle.baseAddress
  else { return nil }
  let anchor = anchorIndex(needle)
  let anchorByte = Int32(needle[anchor])
  let lastAnchorPosition = haystack.count - needle.count + anchor
  var position = start + anchor
  while position <= lastAnchorPosition {
    guard let found = memchr(base + position, anchorByte, lastAnchorPosition - position + 1) else { return nil }
    let anchorPosition = UnsafeRawPointer(found) - UnsafeRawPointer(base)
    let candidate = anchorPosition - anchor
    if base[candidate] == needleBase[0], memcmp(base + candidate, needleBase, needle.count) == 0 {
      return candidate
    }
    position = anchorPosition + 1
  }
  return nil
}

/// Offsets of the non-overlapping occurrences of `needle` in `haystack`, scanning left to right.
func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
  guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
  return haystack.withUnsafeBufferPointer { hay in
    needle.withUnsafeBufferPointer { pin in
      var result: [Int] = []
      var position = 0
      while let found = firstOccurrence(of: pin, in: hay, from: position) {
        result.append(found)
        position = found + pin.count
      }
      return result
    }
  }
}

/// The offset of the first occurrence of `needle` in `haystack`, or nil.
func firstOccurrence(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
  haystack.withUnsafeBufferPointer { hay in
    needle.withUnsafeBufferPointer { pin in firstOccurrence(of: pin, in: hay) }
  }
}

/// Whether `needle` occurs in `haystack`.
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
  firstOccurrence(of: needle, in: haystack) != nil
}

/// The offset of the next `byte` in `buffer[range]`, or nil; a thin wrapper over `memchr`.
@inline(__always)
func nextIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
  guard start < end, let base = buffer.baseAddress else { return nil }
  guard let found = memchr(base + start, Int32(byte), end - start) else { return nil }
  return UnsafeRawPointer(found) - UnsafeRawPointer(base)
}

/// The number of LF bytes in `buffer[start..<end]`, which is how line numbers are computed for offsets.
func countNewlines(in buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
  var count = 0
  var position = start
  while let found = nextIndex(of: newlineByte, in: buffer, from: position, to: end) {
    count += 1
    position = found + 1
  }
  return count
}

/// The length of the longest common prefix of two buffers, compared eight bytes at a time.
func commonPrefixLength(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
  let limit = min(a.count, b.count)
  guard limit > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
  let rawA = UnsafeRawPointer(pa)
  let rawB = UnsafeRawPointer(pb)
  var index = 0
  while index + 8 <= limit,
    rawA.loadUnaligned(fromByteOffset: index, as: UInt64.self)
      == rawB.loadUnaligned(fromByteOffset: index, as: UInt64.self)
  {
    index += 8
  }
  while index < limit, pa[index] == pb[index] { index += 1 }
  return index
}

/// The length of the longest common suffix of two buffers, never longer than `limit`.
func commonSuffixLength(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, limit: Int) -> Int {
  let bound = min(limit, a.count, b.count)
  guard bound > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
  let rawA = UnsafeRawPointer(pa)
  let rawB = UnsafeRawPointer(pb)
  var length = 0
  while length + 8 <= bound,
    rawA.loadUnaligned(fromByteOffset: a.count - length - 8, as: UInt64.self)
      == rawB.loadUnaligned(fromByteOffset: b.count - length - 8, as: UInt64.self)
  {
    length += 8
  }
  while length < bound, pa[a.count - length - 1] == pb[b.count - length - 1] { length += 1 }
  return length
}
