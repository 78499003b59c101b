import Foundation
import Glibc

/// A pthread mutex with a condition variable, for the few places that must wait (Synchronization's `Mutex` cannot).
final class Condition: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  func lock() { pthread_mutex_lock(mutex) }
  func unlock() { pthread_mutex_unlock(mutex) }
  /// Waits for a broadcast; the caller holds the lock.
  func wait() { pthread_cond_wait(condition, mutex) }
  func broadcast() { pthread_cond_broadcast(condition) }

  func withLock<T>(_ body: () throws -> T) rethrows -> T {
    lock()
    defer { unlock() }
    return try body()
  }
}

/// A small fixed set of threads for blocking file work, so searches never occupy the Swift concurrency pool.
/// Jobs run in submission order; concurrent searches share the threads.
final class WorkerPool: @unchecked Sendable {
  static let shared = WorkerPool(threadCount: min(max(2, ProcessInfo.processInfo.activeProcessorCount), 8))

  let threadCount: Int
  private let condition = Condition()
  // Guarded by `condition`.
  private var jobs: [@Sendable () -> Void] = []
  private var head = 0
  private var started = false

  init(threadCount: Int) {
    self.threadCount = threadCount
  }

  func submit(_ job: @escaping @Sendable () -> Void) {
    condition.withLock {
      if !started {
        started = true
        for index in 0..<threadCount {
          let thread = Thread { [self] in self.work() }
          thread.name = "mish-search-\(index)"
          thread.stackSize = 1 << 20
          thread.start()
        }
      }
      jobs.append(job)
      condition.broadcast()
    }
  }

  private func work() {
    while true {
      condition.lock()
      while head == jobs.count { condition.wait() }
      let job = jobs[head]
      head += 1
      if head == jobs.count {
        jobs.removeAll(keepingCapacity: true)
        head = 0
      }
      condition.unlock()
      job()
    }
  }
}
