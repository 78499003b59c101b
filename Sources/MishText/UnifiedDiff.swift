// Unified diffs of two versions of a file, as `diff -u` and `git diff` print them.

/// A unified diff from `old` to `new`: `--- a/oldPath`, `+++ b/newPath`, then `@@ -l,n +l,n @@` hunks with `context`
/// lines of context; empty when the contents are identical.
///
/// Lines are compared byte for byte including their terminators, so a changed line ending is a changed line. Bytes
/// that are not valid UTF-8 appear as U+FFFD in the returned string; `unifiedDiffBytes` keeps them.
public func unifiedDiff(old: [UInt8], new: [UInt8], oldPath: String, newPath: String, context: Int = 3) -> String {
  String(
    decoding: unifiedDiffBytes(old: old, new: new, oldPath: oldPath, newPath: newPath, context: context), as: UTF8.self)
}

/// A unified diff where a nil side is an absent file: `--- /dev/null` for an added file, `+++ /dev/null` for a deleted
/// one. Adding or deleting an empty file yields just the two header lines.
public func unifiedDiff(old: [UInt8]?, new: [UInt8]?, oldPath: String, newPath: String, context: Int = 3) -> String {
  String(
    decoding: unifiedDiffBytes(old: old, new: new, oldPath: oldPath, newPath: newPath, context: context), as: UTF8.self)
}

/// The bytes of `unifiedDiff(old:new:oldPath:newPath:context:)`, with file bytes copied verbatim.
public func unifiedDiffBytes(
  old: [UInt8]?, new: [UInt8]?, oldPath: String, newPath: String, context: Int = 3
) -> [UInt8] {
  if old == nil && new == nil { return [] }
  let a = old ?? []
  let b = new ?? []
  if old != nil && new != nil && a.count == b.count
    && a.withUnsafeBufferPointer({ pa in b.withUnsafeBufferPointer { pb in commonPrefixLength(pa, pb) } }) == a.count
  {
    return []
  }
  var output: [UInt8] = []
  output += Array("--- \(old == nil ? "/dev/null" : "a/" + oldPath)\n".utf8)
  output += Array("+++ \(new == nil ? "/dev/null" : "b/" + newPath)\n".utf8)
  LineDiff(a: a, b: b, context: max(0, context)).appendHunks(to: &output)
  return output
}

/// The line-level comparison behind `unifiedDiff`.
///
/// The common prefix and suffix are skipped byte-wise before any line is split, so a small change in a 10 MB file
/// costs two memory comparisons and a diff of a few lines. Lines that occur on only one side cannot be common, so they
/// are set aside before Myers' algorithm runs on the rest.
private struct LineDiff {
  let a: [UInt8]
  let b: [UInt8]
  let context: Int

  /// Appends the `@@` hunks for `a` → `b` to `output`.
  func appendHunks(to output: inout [UInt8]) {
    let window = changedWindow()
    let oldLines = lineRanges(of: a, in: window.old)
    let newLines = lineRanges(of: b, in: window.new)

    var ids: [ArraySlice<UInt8>: Int] = [:]
    func id(_ line: ArraySlice<UInt8>) -> Int {
      if let known = ids[line] { return known }
      let fresh = ids.count
      ids[line] = fresh
      return fresh
    }
    let oldIDs = oldLines.map { id(a[$0]) }
    let newIDs = newLines.map { id(b[$0]) }
    let diff = diffDiscardingUniqueLines(oldIDs, newIDs, idCount: ids.count)
    let steps = diff.steps
    writeHunks(
      steps: steps, oldLines: oldLines, newLines: newLines, firstLine: window.firstLine, to: &output)
  }

  /// The byte ranges of `a` and `b` that differ, widened to whole lines plus `context` lines on each side, and the
  /// 0-based line number where they start.
  private func changedWindow() -> (old: Range<Int>, new: Range<Int>, firstLine: Int) {
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        var prefix = commonPrefixLength(pa, pb)
        while prefix > 0 && pa[prefix - 1] != newlineByte { prefix -= 1 }
        var suffix = commonSuffixLength(pa, pb, limit: min(pa.count, pb.count) - prefix)
        if suffix > 0 {
          let oldStart = pa.count - suffix
          let newStart = pb.count - suffix
          let oldAtLineStart = oldStart == prefix || pa[oldStart - 1] == newlineByte
          let newAtLineStart = newStart == prefix || pb[newStart - 1] == newlineByte
          if !(oldAtLineStart && newAtLineStart) {
            if let newline = nextIndex(of: newlineByte, in: pa, from: oldStart, to: pa.count) {
              suffix = pa.count - (newline + 1)
            } else {
              suffix = 0
            }
          }
        }
        var start = prefix
        for _ in 0..<context where start > 0 {
          start -= 1
          while start > 0 && pa[start - 1] != newlineByte { start -= 1 }
        }
        let oldSuffixStart = pa.count - suffix
        var oldEnd = oldSuffixStart
        for _ in 0..<context where oldEnd < pa.count {
          oldEnd = (nextIndex(of: newlineByte, in: pa, from: oldEnd, to: pa.count) ?? (pa.count - 1)) + 1
        }
        let newEnd = pb.count - suffix + (oldEnd - oldSuffixStart)
        let firstLine = countNewlines(in: pa, from: 0, to: start)
        return (start..<oldEnd, start..<newEnd, firstLine)
      }
    }
  }

  /// The ranges of the lines of `bytes[window]`, each including its terminator.
  private func lineRanges(of bytes: [UInt8], in window: Range<Int>) -> [Range<Int>] {
    bytes.withUnsafeBufferPointer { buffer in
      var ranges: [Range<Int>] = []
      var start = window.lowerBound
      while start < window.upperBound {
        let end =
          (nextIndex(of: newlineByte, in: buffer, from: start, to: window.upperBound) ?? (window.upperBound - 1)) + 1
        ranges.append(start..<end)
        start = end
      }
      return ranges
    }
  }

  /// Myers' diff of the lines that occur on both sides; the others are deletions or insertions in any script.
  private func diffDiscardingUniqueLines(_ old: [Int], _ new: [Int], idCount: Int) -> SequenceDiff {
    var inOld = [Bool](repeating: false, count: idCount)
    var inNew = [Bool](repeating: false, count: idCount)
    for id in old { inOld[id] = true }
    for id in new { inNew[id] = true }
    let keptOld = old.indices.filter { inNew[old[$0]] }
    let keptNew = new.indices.filter { inOld[new[$0]] }
    let inner = SequenceDiff(keptOld.map { old[$0] }, keptNew.map { new[$0] })
    var result = SequenceDiff([], [])
    result.deleted = [Bool](repeating: true, count: old.count)
    result.inserted = [Bool](repeating: true, count: new.count)
    for (position, index) in keptOld.enumerated() { result.deleted[index] = inner.deleted[position] }
    for (position, index) in keptNew.enumerated() { result.inserted[index] = inner.inserted[position] }
    return result
  }

  private func writeHunks(
    steps: [DiffStep], oldLines: [Range<Int>], newLines: [Range<Int>], firstLine: Int, to output: inout [UInt8]
  ) {
    var oldBefore: [Int] = []
    var newBefore: [Int] = []
    var changes: [Int] = []
    oldBefore.reserveCapacity(steps.count)
    newBefore.reserveCapacity(steps.count)
    var oldPosition = 0
    var newPosition = 0
    for (index, step) in steps.enumerated() {
      oldBefore.append(oldPosition)
      newBefore.append(newPosition)
      switch step {
      case .keep:
        oldPosition += 1
        newPosition += 1
      case .delete:
        oldPosition += 1
        changes.append(index)
      case .insert:
        newPosition += 1
        changes.append(index)
      }
    }
    var changeCursor = 0
    while changeCursor < changes.count {
      let first = changes[changeCursor]
      var last = first
      changeCursor += 1
      while changeCursor < changes.count && changes[changeCursor] - last - 1 <= 2 * context {
        last = changes[changeCursor]
        changeCursor += 1
      }
      let start = max(0, first - context)
      let stop = min(steps.count - 1, last + context)
      var oldCount = 0
      var newCount = 0
      for step in steps[start...stop] {
        switch step {
        case .keep:
          oldCount += 1
          newCount += 1
        case .delete: oldCount += 1
        case .insert: newCount += 1
        }
      }
      let oldStart = firstLine + oldBefore[start]
      let newStart = firstLine + newBefore[start]
      output += Array(
        "@@ -\(rangeText(start: oldStart, count: oldCount)) +\(rangeText(start: newStart, count: newCount)) @@\n".utf8)
      for step in steps[start...stop] {
        switch step {
        case .keep(let old, _): appendLine(UInt8(ascii: " "), a[oldLines[old]], to: &output)
        case .delete(let old): appendLine(UInt8(ascii: "-"), a[oldLines[old]], to: &output)
        case .insert(let new): appendLine(UInt8(ascii: "+"), b[newLines[new]], to: &output)
        }
      }
    }
  }

  /// `l,n` for a hunk side starting at 0-based line `start`: an empty side names the line before it, and a count of
  /// one is left out, as GNU diff does.
  private func rangeText(start: Int, count: Int) -> String {
    switch count {
    case 0: "\(start),0"
    case 1: "\(start + 1)"
    default: "\(start + 1),\(count)"
    }
  }

  private func appendLine(_ marker: UInt8, _ line: ArraySlice<UInt8>, to output: inout [UInt8]) {
    output.append(marker)
    output += line
    if line.last != newlineByte {
      output += Array("\n\\ No newline at end of file\n".utf8)
    }
  }
}
