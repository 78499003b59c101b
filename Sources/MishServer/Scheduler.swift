import MishRPC
import Synchronization

/// Orders requests by what they touch: a write waits for every earlier request that reads or writes the same path
/// (or a path above or below it); reads wait only for earlier writes; a barrier waits for everything before it.
/// Requests that touch nothing start at once. This is sourcekit-lsp's dependency tracker with path keys.
public final class Scheduler: Sendable {
  final class Item: @unchecked Sendable {
    let footprint: Footprint
    var pending = 0
    var dependents: [Item] = []
    let start: @Sendable (Ticket) -> Void
    init(footprint: Footprint, start: @escaping @Sendable (Ticket) -> Void) {
      self.footprint = footprint
      self.start = start
    }
  }

  /// An admitted request; pass it back to `finish` when its work is done.
  public struct Ticket: Sendable {
    let item: Item?
  }

  /// Active items split by kind: a read-only newcomer only has to look at the writers.
  struct State: ~Copyable {
    var writers: [Item] = []
    var readers: [Item] = []
  }

  let state = Mutex(State())

  public init() {}

  /// Admits work in arrival order; `start` runs (on this thread or a finishing one) once nothing it depends on is
  /// active, and must pass its ticket to `finish` when done.
  public func admit(_ footprint: Footprint, start: @escaping @Sendable (Ticket) -> Void) {
    if footprint == .none {
      start(Ticket(item: nil))
      return
    }
    let item = Item(footprint: footprint, start: start)
    let isWriter = footprint.isBarrier || !footprint.writes.isEmpty
    let ready = state.withLock { state -> Bool in
      for earlier in state.writers where Self.conflicts(earlier.footprint, footprint) {
        item.pending += 1
        earlier.dependents.append(item)
      }
      if isWriter {
        for earlier in state.readers where Self.conflicts(earlier.footprint, footprint) {
          item.pending += 1
          earlier.dependents.append(item)
        }
        state.writers.append(item)
      } else {
        state.readers.append(item)
      }
      return item.pending == 0
    }
    if ready { start(Ticket(item: item)) }
  }

  public func finish(_ ticket: Ticket) {
    guard let item = ticket.item else { return }
    let runnable = state.withLock { state -> [Item] in
      if let index = state.writers.firstIndex(where: { $0 === item }) {
        state.writers.remove(at: index)
      } else if let index = state.readers.firstIndex(where: { $0 === item }) {
        state.readers.remove(at: index)
      }
      var runnable: [Item] = []
      for dependent in item.dependents {
        dependent.pending -= 1
        if dependent.pending == 0 { runnable.append(dependent) }
      }
      item.dependents = []
      return runnable
    }
    for next in runnable { next.start(Ticket(item: next)) }
  }

  /// Nothing admitted is still active.
  public var isIdle: Bool { state.withLock { $0.writers.isEmpty && $0.readers.isEmpty } }

  public var activeCount: Int { state.withLock { $0.writers.count + $0.readers.count } }

  static func conflicts(_ a: Footprint, _ b: Footprint) -> Bool {
    if a.isBarrier || b.isBarrier { return true }
    func overlap(_ xs: [String], _ ys: [String]) -> Bool {
      for x in xs { for y in ys where pathsOverlap(x, y) { return true } }
      return false
    }
    return overlap(a.writes, b.writes) || overlap(a.writes, b.reads) || overlap(a.reads, b.writes)
  }

  /// Equal, or one lies beneath the other. "" is the root and overlaps everything.
  static func pathsOverlap(_ a: String, _ b: String) -> Bool {
    if a.isEmpty || b.isEmpty || a == b { return true }
    let (short, long) = a.utf8.count < b.utf8.count ? (a, b) : (b, a)
    return long.hasPrefix(short) && long.utf8[long.utf8.index(long.utf8.startIndex, offsetBy: short.utf8.count)] == UInt8(ascii: "/")
  }
}
