import Glibc

/// One grep in progress. Any number of threads `participate`: each claims a small batch of files from the shared
/// walk (under the lock), reads and searches them without the lock, and files the outcomes by sequence number.
/// Outcomes are released in sequence order, so the result is the same as a sequential search; once
/// `maxResults + 1` matches are known in order, claiming stops (the extra match tells that more exist). The thread
/// that completes the last in-flight file builds the result.
final class GrepRun: @unchecked Sendable {
  private enum Target {
    case entry(DirectoryHandle, EntryName)
    case file(OpenFile)
  }

  private struct Job {
    let sequence: Int
    let target: Target
    let path: [UInt8]
    /// Line after which matches are reported (the cursor's line in the cursor's file), else 0.
    let afterLine: Int
  }

  private enum Outcome {
    case searched([FoundMatch])
    case skipped
  }

  private struct FoundMatch {
    let match: GrepMatch
    let rawPath: [UInt8]
  }

  private let compiled: CompiledGrep
  private let isCancelled: @Sendable () -> Bool
  private let formatter: MatchFormatter
  /// Length of the search directory's path plus its slash: what to strip for glob matching.
  private let globBaseLength: Int
  private let cursor: (path: [UInt8], line: Int)?

  private let condition = Condition()
  // Everything below is guarded by `condition`.
  private var walker: WalkIterator?
  private var singleFile: Job?
  private var nextSequence = 0
  private var inFlight = 0
  private var exhausted = false
  private var stopped = false
  private var cancelled = false
  private var finished = false
  private var pending: [Int: Outcome] = [:]
  private var released = 0
  private var matches: [FoundMatch] = []
  private var filesSearched = 0
  private var filesSkipped = 0
  private var result: Result<GrepResult, any Error>?
  private var completion: (@Sendable (Result<GrepResult, any Error>) -> Void)?

  init(rootFD: Int32, query: GrepQuery, isCancelled: @escaping @Sendable () -> Bool) throws {
    compiled = try CompiledGrep(query)
    self.isCancelled = isCancelled
    formatter = MatchFormatter(maxLineLength: compiled.maxLineLength, contextLines: compiled.contextLines)
    let normalized = try RelativePath.normalize(query.path)
    let startPath = Array(normalized.utf8)
    let (fd, isDirectory) = try SystemIO.openBeneathAnyType(rootFD: rootFD, path: normalized)
    if isDirectory {
      let start = StartDirectory(handle: DirectoryHandle(adopting: fd), path: startPath)
      globBaseLength = startPath.isEmpty ? 0 : startPath.count + 1
      var resume: WalkIterator.ResumePoint? = nil
      if let text = query.cursor {
        let decoded = try SearchCursor.decode(text, .grep, beneath: startPath)
        cursor = (decoded.path, decoded.line!)
        resume = .init(components: RelativePath.components(decoded.path), inclusive: true)
      } else {
        cursor = nil
      }
      walker = WalkIterator(
        rootFD: rootFD, start: start,
        options: .init(
          maxDepth: nil, includeHidden: query.includeHidden, respectGitignore: query.respectGitignore, resume: resume))
    } else {
      // A single file named explicitly: searched whatever its name; the glob filters do not apply.
      let handle = OpenFile(adopting: fd)
      globBaseLength = 0
      var afterLine = 0
      if let text = query.cursor {
        let parent = Array(startPath.split(separator: slash).dropLast().joined(separator: [slash]))
        let decoded = try SearchCursor.decode(text, .grep, beneath: parent)
        guard decoded.path == startPath else {
          throw SearchError.invalidCursor("the cursor belongs to a search of another path")
        }
        cursor = (decoded.path, decoded.line!)
        afterLine = decoded.line!
      } else {
        cursor = nil
      }
      singleFile = Job(sequence: 0, target: .file(handle), path: startPath, afterLine: afterLine)
    }
  }

  func setCompletion(_ completion: @escaping @Sendable (Result<GrepResult, any Error>) -> Void) {
    condition.withLock { self.completion = completion }
  }

  /// Blocks until the run has finished and returns its result.
  func waitForResult() throws -> GrepResult {
    condition.lock()
    while result == nil { condition.wait() }
    let result = self.result!
    condition.unlock()
    return try result.get()
  }

  /// Searches files until none are left or enough matches are known. Safe to call from any number of threads.
  /// Files are claimed and filed in small batches so the threads rarely meet at the lock.
  func participate() {
    var matcher: FileMatcher? = nil
    var buffer: ReadBuffer? = nil
    var batch: [Job] = []
    var outcomes: [(Int, Outcome)] = []
    condition.lock()
    while !stopped && !finished {
      if isCancelled() {
        cancelled = true
        stopped = true
        break
      }
      while batch.count < GrepRun.batchSize, let job = claim() { batch.append(job) }
      if batch.isEmpty {
        exhausted = true
        break
      }
      inFlight += batch.count
      condition.unlock()
      if matcher == nil {
        matcher = FileMatcher(compiled)
        buffer = ReadBuffer()
      }
      for job in batch { outcomes.append((job.sequence, search(job, matcher: matcher!, buffer: buffer!))) }
      batch.removeAll(keepingCapacity: true)
      condition.lock()
      inFlight -= outcomes.count
      for (sequence, outcome) in outcomes { pending[sequence] = outcome }
      outcomes.removeAll(keepingCapacity: true)
      release()
    }
    let finish = finishIfDone()
    condition.unlock()
    if let finish { finish() }
  }

  static let batchSize = 16

  /// The next file to search, in walk order; nil when the walk is over. Called with the lock held.
  private func claim() -> Job? {
    if let job = singleFile {
      singleFile = nil
      nextSequence = 1
      return job
    }
    guard let walker else { return nil }
    while let item = walker.next() {
      if let exclude = compiled.query.excludeGlob, item.type == .file || item.type == .directory {
        let isDirectory = item.type == .directory
        let excluded = item.path.withUnsafeBufferPointer {
          exclude.matches(path: UnsafeBufferPointer(rebasing: $0[globBaseLength...]), isDirectory: isDirectory)
        }
        if excluded {
          if isDirectory { walker.skipDescent() }
          continue
        }
      }
      guard item.type == .file else { continue }
      if let glob = compiled.query.glob {
        let matched = item.path.withUnsafeBufferPointer {
          glob.matches(path: UnsafeBufferPointer(rebasing: $0[globBaseLength...]), isDirectory: false)
        }
        if !matched { continue }
      }
      let afterLine = cursor.map { $0.path == item.path ? $0.line : 0 } ?? 0
      let job = Job(
        sequence: nextSequence, target: .entry(item.directory, item.name), path: item.path, afterLine: afterLine)
      nextSequence += 1
      return job
    }
    self.walker = nil
    return nil
  }

  /// Moves finished files into `matches` in sequence order. Called with the lock held.
  private func release() {
    while let outcome = pending.removeValue(forKey: released) {
      released += 1
      switch outcome {
      case .skipped:
        filesSkipped += 1
      case .searched(let found):
        filesSearched += 1
        matches.append(contentsOf: found.prefix(compiled.maxResults + 1 - matches.count))
      }
      if matches.count > compiled.maxResults {
        stopped = true
        return
      }
    }
  }

  /// Builds the result once no file is in flight and no more will be claimed. Called with the lock held; returns
  /// the completion to call after unlocking.
  private func finishIfDone() -> (() -> Void)? {
    guard !finished, stopped || exhausted, inFlight == 0 else { return nil }
    finished = true
    walker = nil
    singleFile = nil
    pending.removeAll()
    let result: Result<GrepResult, any Error>
    if cancelled {
      result = .failure(SearchError.cancelled())
    } else {
      let truncated = matches.count > compiled.maxResults
      let page = Array(matches.prefix(compiled.maxResults))
      var nextCursor: String? = nil
      if truncated, let last = page.last {
        nextCursor = SearchCursor.encode(.grep, path: last.rawPath, line: last.match.line)
      }
      result = .success(
        GrepResult(
          matches: page.map(\.match), nextCursor: nextCursor, filesSearched: filesSearched,
          filesSkipped: filesSkipped, truncated: truncated))
    }
    self.result = result
    condition.broadcast()
    guard let completion else { return nil }
    return { completion(result) }
  }

  /// Reads and searches one file. Runs without the lock.
  private func search(_ job: Job, matcher: FileMatcher, buffer: ReadBuffer) -> Outcome {
    let maxSize = compiled.query.maxFileSize
    let read: FileReadOutcome
    switch job.target {
    case .entry(let directory, let name):
      read = name.terminated.withUnsafeBufferPointer { bytes in
        bytes.withMemoryRebound(to: CChar.self) {
          SystemIO.readFile(directory.fd, $0.baseAddress!, into: buffer, maxSize: maxSize)
        }
      }
    case .file(let handle):
      read = SystemIO.readOpenFile(handle.fd, into: buffer, maxSize: maxSize)
    }
    guard case .read(let count) = read else { return .skipped }
    let base = UnsafePointer(buffer.pointer.assumingMemoryBound(to: UInt8.self))
    if count > 0 && memchr(base, 0, min(count, 8192)) != nil { return .skipped }

    var startOffset = 0
    var startLine = 1
    if job.afterLine > 0 {
      guard let offset = Lines.offset(ofLine: job.afterLine + 1, base, count: count) else { return .searched([]) }
      startOffset = offset
      startLine = job.afterLine + 1
    }
    var path: String? = nil
    let limit = compiled.maxResults + 1
    var found: [FoundMatch] = []
    matcher.search(base, count: count, startOffset: startOffset, startLine: startLine) { hit in
      let text = path ?? String(decoding: job.path, as: UTF8.self)
      path = text
      found.append(
        FoundMatch(match: formatter.match(path: text, hit: hit, base: base, count: count), rawPath: job.path))
      return found.count < limit
    }
    return .searched(found)
  }
}
