import Glibc

/// Finds a byte string in a buffer: `memchr` (vectorized in glibc) for the needle's rarest byte, then `memcmp` at the
/// aligned position. When that byte turns out to be common in the text, it switches to glibc's `memmem` (two-way,
/// linear time) for the rest of the buffer, so no input makes it quadratic.
struct LiteralFinder: Sendable {
  let needle: [UInt8]
  private let rareOffset: Int
  private let rareByte: UInt8

  /// `needle` must not be empty.
  init(_ needle: [UInt8]) {
    precondition(!needle.isEmpty)
    self.needle = needle
    var best = 0
    for index in needle.indices
    where LiteralFinder.commonness[Int(needle[index])] < LiteralFinder.commonness[Int(needle[best])] {
      best = index
    }
    rareOffset = best
    rareByte = needle[best]
  }

  /// Per-buffer search state: whether the rare-byte strategy has been abandoned.
  struct Scan {
    var misses = 0
    var useTwoWay = false
    let start: Int
    init(start: Int) { self.start = start }
  }

  /// The first occurrence starting at or after `start` and ending by `end`, or nil.
  func find(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, scan: inout Scan) -> Int? {
    let length = needle.count
    guard end - start >= length else { return nil }
    if scan.useTwoWay { return twoWay(base, from: start, to: end) }
    var position = start + rareOffset
    let lastRare = end - length + rareOffset
    return needle.withUnsafeBufferPointer { needleBuffer -> Int? in
      while position <= lastRare {
        guard let hit = memchr(base + position, Int32(rareByte), lastRare - position + 1) else { return nil }
        let rarePosition = hit.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: base)
        let candidate = rarePosition - rareOffset
        if length == 1 || memcmp(base + candidate, needleBuffer.baseAddress!, length) == 0 { return candidate }
        scan.misses += 1
        if scan.misses > 64 && scan.misses * 32 > rarePosition - scan.start {
          scan.useTwoWay = true
          return twoWay(base, from: candidate + 1, to: end)
        }
        position = rarePosition + 1
      }
      return nil
    }
  }

  private func twoWay(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int? {
    guard end - start >= needle.count else { return nil }
    return needle.withUnsafeBufferPointer { needleBuffer -> Int? in
      if let memmem = GlibcMemmem.function {
        guard let hit = memmem(base + start, end - start, needleBuffer.baseAddress!, needleBuffer.count) else {
          return nil
        }
        return hit.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: base)
      }
      var position = start
      while position + needleBuffer.count <= end {
        if memcmp(base + position, needleBuffer.baseAddress!, needleBuffer.count) == 0 { return position }
        position += 1
      }
      return nil
    }
  }

  /// How common each byte is in source code and prose (higher = more common); only the order matters.
  static let commonness: [UInt8] = {
    var table = [UInt8](repeating: 20, count: 256)
    for byte in 0x80...0xFF { table[byte] = 30 }
    for (rank, letter) in "etaoinsrhldcumfpgwybvkxjqz".utf8.enumerated() {
      table[Int(letter)] = UInt8(240 - rank * 5)
      table[Int(letter) - 32] = UInt8(120 - rank * 3)
    }
    for digit in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(digit)] = 100 }
    for (rank, symbol) in "_.(),;=\"'/:-{}[]*<>#&|+!$%\\@`?~^".utf8.enumerated() {
      table[Int(symbol)] = UInt8(150 - rank * 3)
    }
    table[0x20] = 255
    table[0x0A] = 200
    table[0x09] = 160
    return table
  }()
}

/// glibc's `memmem`, which Swift's Glibc module does not export (it is a GNU extension), looked up once.
private enum GlibcMemmem {
  typealias Function = @convention(c) (UnsafeRawPointer?, Int, UnsafeRawPointer?, Int) -> UnsafeMutableRawPointer?

  struct Box: @unchecked Sendable { let function: Function? }

  static let box: Box = {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "memmem") else { return Box(function: nil) }
    return Box(function: unsafeBitCast(symbol, to: Function.self))
  }()

  static var function: Function? { box.function }
}

/// Line arithmetic on raw buffers.
enum Lines {
  /// The number of `\n` bytes in `[start, end)`, eight bytes at a time.
  static func countNewlines(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
    var count = 0
    var position = start
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    let pattern = ones &* 0x0A
    while position + 8 <= end {
      let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self) ^ pattern
      // A byte of `word` is zero exactly where the text has '\n'; this sets the high bit of those bytes only.
      let zeros = ~(((word & lows) &+ lows) | word | lows)
      count += (zeros & highs).nonzeroBitCount
      position += 8
    }
    while position < end {
      if base[position] == 0x0A { count += 1 }
      position += 1
    }
    return count
  }

  /// The start of the line holding `position`, not looking before `floor`.
  static func lineStart(_ base: UnsafePointer<UInt8>, containing position: Int, floor: Int) -> Int {
    var index = position
    while index > floor && base[index - 1] != 0x0A { index -= 1 }
    return index
  }

  /// The index of the `\n` ending the line holding `position`, or `end`.
  static func lineEnd(_ base: UnsafePointer<UInt8>, from position: Int, end: Int) -> Int {
    guard position < end, let hit = memchr(base + position, 0x0A, end - position) else { return end }
    return hit.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: base)
  }

  /// The offset where line `number` (1-based) starts, or nil when the buffer has fewer lines.
  static func offset(ofLine number: Int, _ base: UnsafePointer<UInt8>, count: Int) -> Int? {
    var offset = 0
    var line = 1
    while line < number {
      let end = lineEnd(base, from: offset, end: count)
      guard end < count else { return nil }
      offset = end + 1
      line += 1
    }
    return offset
  }

  /// Lowercases ASCII letters of `[start, end)` from `source` into the same offsets of `destination`.
  static func foldASCII(
    _ source: UnsafePointer<UInt8>, into destination: UnsafeMutablePointer<UInt8>, from start: Int, to end: Int
  ) {
    var index = start
    while index < end {
      let byte = source[index]
      destination[index] = byte &- 0x41 < 26 ? byte | 0x20 : byte
      index += 1
    }
  }
}
