// Byte-level search primitives shared by the edit engine, the line index, diffs and patches.
//
// Everything here works on `UnsafeBufferPointer<UInt8>` so that a 10 MB file is scanned with libc's vectorised
// `memchr`/`memcmp` or 16-byte SIMD compares rather than element-by-element Swift loops.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

let newlineByte: UInt8 = 0x0A
let carriageReturnByte: UInt8 = 0x0D

/// Byte frequencies of a sample of the haystack (up to four 16 KB stretches spread over it), so that substring search
/// can key on the needle bytes that are rarest in this particular file.
private func sampledByteFrequencies(_ haystack: UnsafeBufferPointer<UInt8>) -> [Int] {
  var counts = [Int](repeating: 0, count: 256)
  let stretch = 16_384
  let stretches =
    haystack.count <= 4 * stretch
    ? [0..<haystack.count]
    : (0..<4).map { part -> Range<Int> in
      let start = (haystack.count - stretch) / 3 * part
      return start..<(start + stretch)
    }
  counts.withUnsafeMutableBufferPointer { counts in
    for range in stretches {
      for index in range { counts[Int(haystack[index])] &+= 1 }
    }
  }
  return counts
}

/// The two positions in `needle` whose bytes are rarest in the haystack sample, with different bytes when possible.
private func rarePair(_ needle: UnsafeBufferPointer<UInt8>, frequencies: [Int]) -> (Int, Int) {
  let candidates = 0..<min(needle.count, 256)
  let first = candidates.min { frequencies[Int(needle[$0])] < frequencies[Int(needle[$1])] } ?? 0
  let second =
    candidates.filter { needle[$0] != needle[first] }.min {
      frequencies[Int(needle[$0])] < frequencies[Int(needle[$1])]
    } ?? (first == 0 ? needle.count - 1 : 0)
  return (first, second)
}

/// Repeated searches for one needle in one haystack.
///
/// Glibc does not export `memmem` to Swift. This is the "packed pair" technique of fast substring search: compare
/// 16 candidate positions at a time on the two needle bytes that are rarest in the haystack, and confirm the few
/// survivors with `memcmp`. The byte choice is made once per search, not once per match.
struct SubstringSearch {
  let needle: UnsafeBufferPointer<UInt8>
  let haystack: UnsafeBufferPointer<UInt8>
  private let firstIndex: Int
  private let secondIndex: Int

  init(needle: UnsafeBufferPointer<UInt8>, haystack: UnsafeBufferPointer<UInt8>) {
    self.needle = needle
    self.haystack = haystack
    if needle.count >= 2 && haystack.count >= needle.count {
      (firstIndex, secondIndex) = rarePair(needle, frequencies: sampledByteFrequencies(haystack))
    } else {
      (firstIndex, secondIndex) = (0, 0)
    }
  }

  /// The offset of the first occurrence at or after `start`, or nil.
  func next(from start: Int) -> Int? {
    guard needle.count > 0, start >= 0, haystack.count - start >= needle.count,
      let base = haystack.baseAddress, let needleBase = needle.baseAddress
    else { return nil }
    if needle.count == 1 { return nextIndex(of: needle[0], in: haystack, from: start, to: haystack.count) }
    let firstByte = needle[firstIndex]
    let secondByte = needle[secondIndex]
    let lastStart = haystack.count - needle.count
    let raw = UnsafeRawPointer(base)
    let firstNeedle = SIMD16<UInt8>(repeating: firstByte)
    let secondNeedle = SIMD16<UInt8>(repeating: secondByte)
    var position = start
    while position + 15 <= lastStart {
      let firstLanes = raw.loadUnaligned(fromByteOffset: position + firstIndex, as: SIMD16<UInt8>.self)
      let secondLanes = raw.loadUnaligned(fromByteOffset: position + secondIndex, as: SIMD16<UInt8>.self)
      let hits = (firstLanes .== firstNeedle) .& (secondLanes .== secondNeedle)
      if any(hits) {
        for lane in 0..<16 where hits[lane] {
          if memcmp(base + position + lane, needleBase, needle.count) == 0 { return position + lane }
        }
      }
      position += 16
    }
    while position <= lastStart {
      if base[position + firstIndex] == firstByte && base[position + secondIndex] == secondByte
        && memcmp(base + position, needleBase, needle.count) == 0
      {
        return position
      }
      position += 1
    }
    return nil
  }
}

/// The offset of the first occurrence of `needle` in `haystack` at or after `start`, or nil.
func firstOccurrence(
  of needle: UnsafeBufferPointer<UInt8>,
  in haystack: UnsafeBufferPointer<UInt8>,
  from start: Int = 0
) -> Int? {
  SubstringSearch(needle: needle, haystack: haystack).next(from: start)
}

/// Offsets of the occurrences of `needle` in `haystack`, scanning left to right; with `overlapping`, a match may
/// start inside the previous one (the uniqueness check needs every place the text could refer to).
func occurrences(of needle: [UInt8], in haystack: [UInt8], overlapping: Bool = false) -> [Int] {
  guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
  return haystack.withUnsafeBufferPointer { hay in
    needle.withUnsafeBufferPointer { pin in
      let search = SubstringSearch(needle: pin, haystack: hay)
      var result: [Int] = []
      var position = 0
      while let found = search.next(from: position) {
        result.append(found)
        position = overlapping ? found + 1 : found + pin.count
      }
      return result
    }
  }
}

/// The offset of an occurrence of `needle` that starts inside the occurrence at `match`, or nil.
func overlappingMatch(of needle: [UInt8], after match: Int, in haystack: [UInt8]) -> Int? {
  let start = match + 1
  let end = min(haystack.count, match + 2 * needle.count - 1)
  guard end - start >= needle.count else { return nil }
  return haystack.withUnsafeBufferPointer { hay in
    needle.withUnsafeBufferPointer { pin in
      firstOccurrence(of: pin, in: UnsafeBufferPointer(rebasing: hay[start..<end])).map { $0 + start }
    }
  }
}

/// The offset of the first occurrence of `needle` in `haystack`, or nil.
func firstOccurrence(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
  haystack.withUnsafeBufferPointer { hay in
    needle.withUnsafeBufferPointer { pin in firstOccurrence(of: pin, in: hay) }
  }
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
