/// A Thompson NFA over UTF-8 bytes that accepts at least every line ICU could match for the pattern it was built
/// from (a superset: non-ASCII characters of classes, anchors and lookarounds are widened). Scanning a file with it
/// as a lazily built DFA costs a table lookup per byte, so only candidate lines reach ICU.
struct ByteNFA: Sendable {
  struct Transition: Sendable {
    let low: UInt8
    let high: UInt8
    let target: Int32
  }

  static let stateLimit = 20_000

  private(set) var transitions: [[Transition]] = []
  private(set) var epsilons: [[Int32]] = []
  private(set) var accept: Int32 = 0

  private struct TooLarge: Error {}

  /// Nil when the automaton would exceed `stateLimit` states.
  init?(_ node: RegexNode) {
    do {
      let start = try newState()
      accept = try build(node, from: start)
    } catch {
      return nil
    }
  }

  private mutating func newState() throws -> Int32 {
    guard transitions.count < ByteNFA.stateLimit else { throw TooLarge() }
    transitions.append([])
    epsilons.append([])
    return Int32(transitions.count - 1)
  }

  private mutating func build(_ node: RegexNode, from start: Int32) throws -> Int32 {
    switch node {
    case .empty:
      return start
    case .scalar(let scalar):
      var current = start
      for byte in String(scalar).utf8 {
        let next = try newState()
        transitions[Int(current)].append(Transition(low: byte, high: byte, target: next))
        current = next
      }
      return current
    case .characters(let set):
      let end = try newState()
      var byte = 0
      while byte < 128 {
        guard set.contains(UInt8(byte)) else {
          byte += 1
          continue
        }
        var last = byte
        while last + 1 < 128 && set.contains(UInt8(last + 1)) { last += 1 }
        transitions[Int(start)].append(Transition(low: UInt8(byte), high: UInt8(last), target: end))
        byte = last + 1
      }
      if set.nonASCII {
        // Any run of non-ASCII bytes stands for one non-ASCII character.
        let run = try newState()
        transitions[Int(start)].append(Transition(low: 0x80, high: 0xFF, target: run))
        transitions[Int(run)].append(Transition(low: 0x80, high: 0xFF, target: run))
        epsilons[Int(run)].append(end)
      }
      return end
    case .anyText:
      let loop = try newState()
      epsilons[Int(start)].append(loop)
      transitions[Int(loop)].append(Transition(low: 0x00, high: 0x09, target: loop))
      transitions[Int(loop)].append(Transition(low: 0x0B, high: 0xFF, target: loop))
      return loop
    case .sequence(let items):
      var current = start
      for item in items { current = try build(item, from: current) }
      return current
    case .alternation(let branches):
      let end = try newState()
      for branch in branches {
        let branchStart = try newState()
        epsilons[Int(start)].append(branchStart)
        let branchEnd = try build(branch, from: branchStart)
        epsilons[Int(branchEnd)].append(end)
      }
      return end
    case .repetition(let child, let minimum, let maximum):
      if let maximum, maximum > 1000 || minimum > maximum { throw TooLarge() }
      if minimum > 1000 { throw TooLarge() }
      var current = start
      for _ in 0..<minimum { current = try build(child, from: current) }
      guard let maximum else {
        let loop = try newState()
        epsilons[Int(current)].append(loop)
        let bodyEnd = try build(child, from: loop)
        epsilons[Int(bodyEnd)].append(loop)
        return loop
      }
      let end = try newState()
      epsilons[Int(current)].append(end)
      for _ in minimum..<maximum {
        current = try build(child, from: current)
        epsilons[Int(current)].append(end)
      }
      return end
    }
  }
}

/// The subset construction of a `ByteNFA`, built as bytes are seen and cached. It searches unanchored within each
/// line: every state includes the start, and `\n` returns to it. One per worker thread (it mutates its cache).
final class LazyDFA {
  private let nfa: ByteNFA
  private var sets: [[Int32]] = []
  private var ids: [[Int32]: Int32] = [:]
  /// `sets.count * 256` entries; -1 where not computed yet.
  private var table: [Int32] = []
  private var accepting: [Bool] = []
  private var startSet: [Int32]
  private let start: Int32 = 0
  /// The empty string matches: every line is a candidate and the automaton is useless.
  private(set) var acceptsEverything: Bool
  /// The pattern needs more states than the cache holds, again and again: every line is now a candidate.
  private(set) var gaveUp = false
  private var resets = 0

  /// Cached states before the cache is cleared; a parameter so tests can reach the limit quickly.
  let stateLimit: Int
  static let resetLimit = 8

  /// Scratch space for closures: `marks[state] == generation` means already collected.
  private var marks: [UInt32]
  private var generation: UInt32 = 0

  init(_ nfa: ByteNFA, stateLimit: Int = 4096) {
    self.nfa = nfa
    self.stateLimit = stateLimit
    marks = [UInt32](repeating: 0, count: nfa.transitions.count)
    startSet = []
    acceptsEverything = false
    startSet = closure(of: [0])
    acceptsEverything = startSet.contains(nfa.accept)
    _ = intern(startSet)
  }

  /// The states reachable from `seeds` through epsilon edges, sorted.
  private func closure(of seeds: [Int32]) -> [Int32] {
    generation &+= 1
    if generation == 0 {
      for index in marks.indices { marks[index] = 0 }
      generation = 1
    }
    var result: [Int32] = []
    var stack = seeds
    while let state = stack.popLast() {
      guard marks[Int(state)] != generation else { continue }
      marks[Int(state)] = generation
      result.append(state)
      stack.append(contentsOf: nfa.epsilons[Int(state)])
    }
    result.sort()
    return result
  }

  private func intern(_ set: [Int32]) -> Int32 {
    if let id = ids[set] { return id }
    let id = Int32(sets.count)
    sets.append(set)
    ids[set] = id
    accepting.append(set.contains(nfa.accept))
    table.append(contentsOf: repeatElement(-1, count: 256))
    // A newline ends the line: back to the start, which is always state 0.
    table[Int(id) << 8 | 0x0A] = 0
    return id
  }

  private func step(_ state: Int32, _ byte: UInt8) -> Int32 {
    var seeds: [Int32] = []
    for nfaState in sets[Int(state)] {
      for transition in nfa.transitions[Int(nfaState)] where transition.low <= byte && byte <= transition.high {
        seeds.append(transition.target)
      }
    }
    let next = closure(of: seeds + startSet)
    if sets.count >= stateLimit && ids[next] == nil {
      // Too many states for this pattern and input: start the cache over, or give up if that keeps happening.
      resets += 1
      if resets > LazyDFA.resetLimit { gaveUp = true }
      sets.removeAll(keepingCapacity: true)
      ids.removeAll(keepingCapacity: true)
      table.removeAll(keepingCapacity: true)
      accepting.removeAll(keepingCapacity: true)
      _ = intern(startSet)
      return intern(next)
    }
    let id = intern(next)
    table[Int(state) << 8 | Int(byte)] = id
    return id
  }

  /// The first position in `[from, end)` (where `from` starts a line) at which some line has a match ending, or nil.
  /// After giving up, every position is reported, so every line becomes a candidate.
  func firstAccept(_ base: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int? {
    var state = start
    var position = from
    while position < end {
      if gaveUp { return position }
      var needsStep = false
      var accepted = false
      table.withUnsafeBufferPointer { table in
        accepting.withUnsafeBufferPointer { accepting in
          var current = state
          var index = position
          while index < end {
            let next = table[Int(current) << 8 | Int(base[index])]
            if next < 0 {
              needsStep = true
              break
            }
            current = next
            if accepting[Int(current)] {
              accepted = true
              break
            }
            index += 1
          }
          state = current
          position = index
        }
      }
      if accepted { return position }
      guard needsStep else { return nil }
      state = step(state, base[position])
      if accepting[Int(state)] { return position }
      position += 1
    }
    return nil
  }
}
