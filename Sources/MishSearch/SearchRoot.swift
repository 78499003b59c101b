import Synchronization

/// Entry points for the `fs/list`, `fs/glob` and `fs/grep` engines over one root directory fd.
///
/// The synchronous methods block the calling thread; call them from a dedicated thread, or use the `async`
/// variants, which run on MishSearch's own worker threads and never block the cooperative pool.
public struct SearchRoot: Sendable {
  /// An `O_RDONLY|O_DIRECTORY` fd of the root, owned by the caller and kept open while searches run.
  public let fd: Int32

  public init(fd: Int32) { self.fd = fd }

  public func list(_ query: ListQuery, isCancelled: () -> Bool = { false }) throws -> ListPage {
    let start = try StartDirectory(rootFD: fd, path: query.path)
    var resume: WalkIterator.ResumePoint? = nil
    if let cursor = query.cursor {
      let decoded = try SearchCursor.decode(cursor, .list, beneath: start.path)
      resume = .init(components: RelativePath.components(decoded.path), inclusive: false)
    }
    let iterator = WalkIterator(
      rootFD: fd, start: start,
      options: .init(
        maxDepth: query.depth, includeHidden: query.includeHidden, respectGitignore: query.respectGitignore,
        resume: resume))
    let limit = max(1, query.limit)
    var entries: [WalkEntry] = []
    var lastPath: [UInt8] = []
    while let item = iterator.next() {
      if entries.count & 255 == 255 && isCancelled() { throw SearchError.cancelled() }
      if entries.count == limit {
        return ListPage(entries: entries, nextCursor: SearchCursor.encode(.list, path: lastPath))
      }
      entries.append(item.entry(withSize: query.withSizes))
      lastPath = item.path
    }
    if isCancelled() { throw SearchError.cancelled() }
    return ListPage(entries: entries, nextCursor: nil)
  }

  public func glob(_ query: GlobQuery, isCancelled: () -> Bool = { false }) throws -> GlobPage {
    let base = try StartDirectory(rootFD: fd, path: query.path)
    let pattern = query.pattern
    // Start below the pattern's literal directories; when they do not exist nothing can match.
    var start = base
    if !pattern.fixedPrefix.isEmpty {
      let prefixFD = SystemIO.openDirectoryNoFollow(base.handle.fd, pattern.fixedPrefix)
      guard prefixFD >= 0 else { return GlobPage(paths: [], nextCursor: nil) }
      start = StartDirectory(
        handle: DirectoryHandle(adopting: prefixFD),
        path: RelativePath.join(base.path, Array(pattern.fixedPrefix.utf8)[...]))
    }
    var resume: WalkIterator.ResumePoint? = nil
    if let cursor = query.cursor {
      let decoded = try SearchCursor.decode(cursor, .glob, beneath: base.path)
      guard RelativePath.isBeneath(decoded.path, start.path) else {
        throw SearchError.invalidCursor("the cursor belongs to another pattern")
      }
      resume = .init(components: RelativePath.components(decoded.path), inclusive: false)
    }
    let prefixDepth = pattern.fixedPrefix.isEmpty ? 0 : pattern.fixedPrefix.split(separator: "/").count
    let iterator = WalkIterator(
      rootFD: fd, start: start,
      options: .init(
        maxDepth: pattern.maxDepth.map { max(0, $0 - prefixDepth) },
        includeHidden: query.includeHidden ?? pattern.mentionsHidden,
        respectGitignore: query.respectGitignore, resume: resume))
    let limit = max(1, query.limit)
    let baseLength = base.path.isEmpty ? 0 : base.path.count + 1
    var paths: [String] = []
    var lastPath: [UInt8] = []
    var visited = 0
    while let item = iterator.next() {
      visited += 1
      if visited & 1023 == 0 && isCancelled() { throw SearchError.cancelled() }
      let isDirectory = item.type == .directory
      let matched = item.path.withUnsafeBufferPointer {
        pattern.matches(
          path: UnsafeBufferPointer(rebasing: $0[baseLength...]), isDirectory: isDirectory,
          directoryPatternsOnly: isDirectory && !query.includeDirectories)
      }
      guard matched else { continue }
      if paths.count == limit {
        return GlobPage(paths: paths, nextCursor: SearchCursor.encode(.glob, path: lastPath))
      }
      paths.append(String(decoding: item.path, as: UTF8.self))
      lastPath = item.path
    }
    if isCancelled() { throw SearchError.cancelled() }
    return GlobPage(paths: paths, nextCursor: nil)
  }
}

extension SearchRoot {
  /// Runs `query` with the calling thread plus MishSearch's worker threads, blocking until done. Call it from a
  /// thread of your own; from async code use the `async` overload.
  public func grep(_ query: GrepQuery, isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> GrepResult {
    let run = try GrepRun(rootFD: fd, query: query, isCancelled: isCancelled)
    let pool = WorkerPool.shared
    for _ in 1..<max(2, pool.threadCount) { pool.submit { run.participate() } }
    run.participate()
    return try run.waitForResult()
  }

  /// Runs `query` on MishSearch's worker threads; the caller's task is suspended, never blocked. Task cancellation
  /// and `isCancelled` both stop the search between files.
  public func grep(_ query: GrepQuery, isCancelled: @escaping @Sendable () -> Bool = { false }) async throws
    -> GrepResult
  {
    let flag = CancellationFlag()
    let rootFD = fd
    let cancelled: @Sendable () -> Bool = { flag.isSet || isCancelled() }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<GrepResult, any Error>) in
        let pool = WorkerPool.shared
        pool.submit {
          let run: GrepRun
          do {
            run = try GrepRun(rootFD: rootFD, query: query, isCancelled: cancelled)
          } catch {
            continuation.resume(throwing: error)
            return
          }
          run.setCompletion { continuation.resume(with: $0) }
          for _ in 1..<max(2, pool.threadCount) { pool.submit { run.participate() } }
          run.participate()
        }
      }
    } onCancel: {
      flag.set()
    }
  }

  /// `list` on a worker thread.
  public func list(_ query: ListQuery, isCancelled: @escaping @Sendable () -> Bool = { false }) async throws
    -> ListPage
  {
    try await onWorkerThread(isCancelled) { cancelled in try self.list(query, isCancelled: cancelled) }
  }

  /// `glob` on a worker thread.
  public func glob(_ query: GlobQuery, isCancelled: @escaping @Sendable () -> Bool = { false }) async throws
    -> GlobPage
  {
    try await onWorkerThread(isCancelled) { cancelled in try self.glob(query, isCancelled: cancelled) }
  }

  private func onWorkerThread<T: Sendable>(
    _ isCancelled: @escaping @Sendable () -> Bool, _ body: @escaping @Sendable (() -> Bool) throws -> T
  ) async throws -> T {
    let flag = CancellationFlag()
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        WorkerPool.shared.submit {
          continuation.resume(with: Result { try body { flag.isSet || isCancelled() } })
        }
      }
    } onCancel: {
      flag.set()
    }
  }
}

final class CancellationFlag: Sendable {
  private let value = Atomic<Bool>(false)
  var isSet: Bool { value.load(ordering: .relaxed) }
  func set() { value.store(true, ordering: .relaxed) }
}
