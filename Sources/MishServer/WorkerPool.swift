import Foundation
import Synchronization

/// A fixed set of threads for blocking work (file I/O), so the 2-thread cooperative pool is never blocked.
public final class WorkerPool: Sendable {
  final class Queue: @unchecked Sendable {
    let condition = NSCondition()
    var jobs: [@Sendable () -> Void] = []
    var head = 0
  }

  let queue = Queue()

  public init(threads: Int, name: String = "mish.worker") {
    for index in 0..<max(1, threads) {
      let thread = Thread { [queue] in Self.run(queue) }
      thread.name = "\(name).\(index)"
      thread.stackSize = 1 << 20
      thread.start()
    }
  }

  public func submit(_ job: @escaping @Sendable () -> Void) {
    queue.condition.lock()
    queue.jobs.append(job)
    queue.condition.signal()
    queue.condition.unlock()
  }

  static func run(_ queue: Queue) {
    while true {
      queue.condition.lock()
      while queue.head == queue.jobs.count { queue.condition.wait() }
      let job = queue.jobs[queue.head]
      queue.head += 1
      if queue.head > 64, queue.head * 2 > queue.jobs.count {
        queue.jobs.removeFirst(queue.head)
        queue.head = 0
      }
      queue.condition.unlock()
      job()
    }
  }
}
