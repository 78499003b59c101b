// A compact character diff of expected versus actual text, for near-miss reports.

/// A character-level comparison of what an agent expected with what the file holds.
///
/// Agents fix a failed edit fastest when they see exactly which characters differ, so the diff marks text only in the
/// expectation as `{-removed-}` and text only in the file as `{+added+}`, and elides long unchanged stretches with "…".
struct CharacterComparison {
  /// `2 × common / (expected + actual)` in Unicode scalars: 1 for identical text, 0 for nothing in common.
  var similarity: Double
  /// The compact diff, for example `let x = fo{-o-}{+0+}(bar)`.
  var compactDiff: String

  /// Stretches of unchanged text longer than this keep only this many characters on each side of the "…".
  static let keptContext = 20
  /// Changed stretches longer than this keep only half of it on each side of the "…".
  static let keptChange = 240
  /// Inputs larger than this (in scalars, both sides together) are compared by common prefix and suffix only.
  static let fullDiffLimit = 40_000

  /// Compares `expected` with `actual`. With `ignoringSurroundingActual`, text of `actual` before the first and after
  /// the last common character does not lower the similarity: a one-line fragment compared with a whole line.
  init(expected: String, actual: String, ignoringSurroundingActual: Bool = false) {
    let a = expected.unicodeScalars.map { Int($0.value) }
    let b = actual.unicodeScalars.map { Int($0.value) }
    let steps: [DiffStep]
    if a.count + b.count <= Self.fullDiffLimit {
      steps = SequenceDiff(a, b).steps
    } else {
      steps = Self.prefixSuffixSteps(a, b)
    }
    var common = 0
    var firstCommonNew: Int?
    var lastCommonNew = 0
    for step in steps {
      if case .keep(_, let new) = step {
        common += 1
        if firstCommonNew == nil { firstCommonNew = new }
        lastCommonNew = new
      }
    }
    var actualCount = b.count
    if ignoringSurroundingActual, let first = firstCommonNew {
      actualCount = lastCommonNew - first + 1
    }
    let total = a.count + actualCount
    similarity = total == 0 ? 1 : Double(2 * common) / Double(total)
    compactDiff = Self.render(steps: steps, expected: a, actual: b)
  }

  /// A valid but not minimal script: keep the common prefix and suffix, replace the middle.
  private static func prefixSuffixSteps(_ a: [Int], _ b: [Int]) -> [DiffStep] {
    var prefix = 0
    while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
    var suffix = 0
    while suffix < a.count - prefix && suffix < b.count - prefix
      && a[a.count - 1 - suffix] == b[b.count - 1 - suffix]
    {
      suffix += 1
    }
    var steps: [DiffStep] = (0..<prefix).map { .keep(old: $0, new: $0) }
    steps += (prefix..<(a.count - suffix)).map { .delete(old: $0) }
    steps += (prefix..<(b.count - suffix)).map { .insert(new: $0) }
    steps += (0..<suffix).map { .keep(old: a.count - suffix + $0, new: b.count - suffix + $0) }
    return steps
  }

  private enum Run {
    case same([Int])
    case change(removed: [Int], added: [Int])
  }

  private static func render(steps: [DiffStep], expected a: [Int], actual b: [Int]) -> String {
    var runs: [Run] = []
    for step in steps {
      switch step {
      case .keep(let old, _):
        if case .same(var text) = runs.last {
          text.append(a[old])
          runs[runs.count - 1] = .same(text)
        } else {
          runs.append(.same([a[old]]))
        }
      case .delete(let old):
        if case .change(var removed, let added) = runs.last {
          removed.append(a[old])
          runs[runs.count - 1] = .change(removed: removed, added: added)
        } else {
          runs.append(.change(removed: [a[old]], added: []))
        }
      case .insert(let new):
        if case .change(let removed, var added) = runs.last {
          added.append(b[new])
          runs[runs.count - 1] = .change(removed: removed, added: added)
        } else {
          runs.append(.change(removed: [], added: [b[new]]))
        }
      }
    }
    runs = mergingShortSameRuns(runs)

    var output = ""
    for (index, run) in runs.enumerated() {
      switch run {
      case .same(let text):
        let isFirst = index == 0
        let isLast = index == runs.count - 1
        let keep = keptContext
        if isFirst && isLast {
          output +=
            text.count > 2 * keep + 1 ? string(text.prefix(keep)) + "…" + string(text.suffix(keep)) : string(text)
        } else if isFirst {
          output += text.count > keep ? "…" + string(text.suffix(keep)) : string(text)
        } else if isLast {
          output += text.count > keep ? string(text.prefix(keep)) + "…" : string(text)
        } else {
          output +=
            text.count > 2 * keep + 1 ? string(text.prefix(keep)) + "…" + string(text.suffix(keep)) : string(text)
        }
      case .change(let removed, let added):
        if !removed.isEmpty { output += "{-" + elided(removed) + "-}" }
        if !added.isEmpty { output += "{+" + elided(added) + "+}" }
      }
    }
    return output
  }

  /// Folds an unchanged run of one or two characters between two changes into them, so that a rewritten word reads
  /// as one replacement instead of alternating fragments.
  private static func mergingShortSameRuns(_ runs: [Run]) -> [Run] {
    var result: [Run] = []
    var index = 0
    while index < runs.count {
      if case .same(let text) = runs[index], text.count <= 2, index > 0, index + 1 < runs.count,
        case .change(let removed, let added) = result.last,
        case .change(let nextRemoved, let nextAdded) = runs[index + 1]
      {
        result[result.count - 1] = .change(removed: removed + text + nextRemoved, added: added + text + nextAdded)
        index += 2
        continue
      }
      result.append(runs[index])
      index += 1
    }
    return result
  }

  private static func elided(_ scalars: [Int]) -> String {
    guard scalars.count > keptChange else { return string(scalars[...]) }
    return string(scalars.prefix(keptChange / 2)) + "…" + string(scalars.suffix(keptChange / 2))
  }

  private static func string(_ scalars: some Sequence<Int>) -> String {
    var result = String.UnicodeScalarView()
    for value in scalars {
      result.append(Unicode.Scalar(UInt32(truncatingIfNeeded: value)) ?? "\u{FFFD}")
    }
    return String(result)
  }

  private static func string(_ scalars: [Int]) -> String { string(scalars[...]) }
}
