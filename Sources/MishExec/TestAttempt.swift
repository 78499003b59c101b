import Foundation
import Glibc
import MishReports
import MishRPC
import MishSandbox

/// One run of a runner in the sandbox, waited for to the end, with its report read back: the unit test/run and
/// build/run are made of (test/run makes one per retry).
struct TestAttempt: Sendable {
  var process: ManagedProcess
  var exit: TestOutcome.Exit
  var report: ParsedReport?
  /// How the report was found or why it was not ("read pytest's JUnit report", "no report; parsed the text").
  var notes: [String]
  var commandText: String
  var durationMs: Int
  /// Both streams interleaved (the combined log's last 8 MB), for diagnostics, excerpts and the log tail.
  var output: String

  /// Reports and logs are read up to this size; a bigger one is a problem note, not a crash.
  static let readLimit = 64 << 20

  /// Starts the invocation (made for the report directory `/tmp/<scratch>`, which is created in the command's
  /// sandbox; nil: no report is read) with the profile's limits, streams finished tests as progress, waits for the end (a cancelled
  /// request kills the run) and reads the report back.
  static func run(
    _ invocation: Runner.Invocation, scratch: String?, runner: Runner, engine: ExecEngine, profile: Profile,
    timeoutMs: Int?, context: RequestContext, progress: ProgressCounter?
  ) async throws(ToolError) -> TestAttempt {
    var environment = ExecTools.environment(extra: nil, profile: profile)
    environment.merge(invocation.environment) { _, new in new }
    let argv = invocation.argv
    // A shell line is shown as the line itself.
    let text = argv.count == 3 && argv[1] == "-c" ? argv[2] : (invocation.shownArgv ?? argv).map(ExecTools.shellQuoted).joined(separator: " ")
    var onLines: (@Sendable (Int, String) -> Void)?
    if let progress {
      onLines = { _, lines in
        for line in lines.split(separator: "\n") {
          guard let (name, status) = runner.finishedTest(in: line) else { continue }
          progress.finished(name: name, status: status, context: context)
        }
      }
    }
    let process = try await engine.startOffPool(
      .init(
        argv: argv, commandText: text, cwd: engine.workspace.rootPath, environment: environment, stdin: nil,
        keepStdinOpen: false, timeoutMs: timeoutMs, profile: profile, captureBytes: 16 * 1024, progress: onLines,
        scratchName: scratch))
    await withTaskCancellationHandler {
      await engine.wait(process, until: .now + .seconds(86_400 * 7))
    } onCancel: {
      engine.killTree(process, reason: "cancelled")
    }
    let (exit, duration, scratchFD) = process.lock.withLock { () -> (TestOutcome.Exit, Int, Int32) in
      process.progress = nil
      let result = process.resultLocked()
      let exit = TestOutcome.Exit(
        code: result["exit_code"]?.intValue, signal: result["signal"]?.stringValue,
        timedOut: process.timedOut, oomKilled: process.oomKilled)
      return (exit, result["duration_ms"]?.intValue ?? 0, process.launched.scratchFD)
    }
    let scratchDirectory = ScratchDirectory(fd: scratchFD, name: scratch ?? "")
    if context.isCancelled {
      scratchDirectory.remove()
      throw ToolError(.cancelled, "The run was cancelled and killed", hint: "Nothing else was changed.")
    }
    // Reports and logs can be large: read and parse them off the cooperative pool.
    return await ExecEngine.offPool {
      defer { scratchDirectory.remove() }
      var attempt = TestAttempt(process: process, exit: exit, report: nil, notes: [], commandText: text, durationMs: duration, output: "")
      attempt.output = attempt.combinedText()
      if scratch != nil { attempt.readReport(invocation.report, runner: runner, scratch: scratchDirectory) }
      return attempt
    }
  }

  /// Reads and parses what the run left, per its report source; falls back to text with a note.
  mutating func readReport(_ source: Runner.ReportSource, runner: Runner, scratch: ScratchDirectory) {
    switch source {
    case .swift(let xunit, let events):
      var cases: [TestCase] = []
      var problems: [String] = []
      var found = false
      if let bytes = scratch.read(name(xunit)) {
        found = true
        let parsed = JUnitReport.parse(bytes)
        cases += parsed.cases
        problems += parsed.problems.map { "XCTest report: " + $0 }
      }
      if let bytes = scratch.read(name(events)) {
        found = true
        let parsed = SwiftTestingEvents.parse(String(decoding: bytes, as: UTF8.self))
        cases += parsed.cases
        problems += parsed.problems.map { "Swift Testing event stream: " + $0 }
      } else if let bytes = scratch.read(name(xunit).replacingOccurrences(of: ".xml", with: "-swift-testing.xml")) {
        let parsed = JUnitReport.parse(bytes)
        cases += parsed.cases
        problems += parsed.problems.map { "Swift Testing report: " + $0 }
      }
      report = found ? ParsedReport(cases: cases, problems: problems) : nil
    case .junit(let path):
      let bytes = scratch.read(name(path))
      report = bytes.map(JUnitReport.parse)
      if runner == .pytest, let bytes, Runner.ranWithUnittest(bytes) {
        notes.append("pytest is not installed for the project's python, so the tests ran with unittest (ids as pytest's; a filter matches test names, as unittest -k does). Install pytest for its own features.")
      }
    case .jest(let path):
      report = scratch.read(name(path)).map { JestReport.parse(String(decoding: $0, as: UTF8.self)) }
    case .goJSON:
      report = GoTestReport.parse(stdoutText())
    case .libtest:
      let text = stdoutText()
      let parsed = LibtestReport.parseJSON(text)
      if parsed.recognized, !parsed.cases.isEmpty {
        report = parsed
      } else {
        let textual = LibtestReport.parseText(TerminalText.plain(text))
        if textual.recognized, !textual.cases.isEmpty {
          report = textual
          notes.append("libtest printed no JSON (a toolchain that refuses -Z unstable-options?); results were parsed from its text output.")
        } else {
          report = parsed.recognized ? parsed : nil
        }
      }
    case .tap:
      report = TAPReport.parse(TerminalText.plain(stdoutText()))
    case .anything:
      report = readAnyReport(scratch: scratch)
    }
    if let parsed = report, !parsed.recognized { report = nil }
    for problem in report?.problems ?? [] { notes.append(problem) }
  }

  /// For `make` and `command`: report files in MISH_REPORT_DIR (JUnit `*.xml`, TAP `*.tap`, jest `*.json`), else
  /// TAP on stdout, else libtest's text; nil when nothing is recognized.
  func readAnyReport(scratch: ScratchDirectory) -> ParsedReport? {
    var merged = ParsedReport(recognized: false)
    for file in scratch.fileNames() {
      guard let bytes = scratch.read(file) else { continue }
      let parsed: ParsedReport
      if file.hasSuffix(".xml") {
        parsed = JUnitReport.parse(bytes)
      } else if file.hasSuffix(".tap") {
        parsed = TAPReport.parse(String(decoding: bytes, as: UTF8.self))
      } else if file.hasSuffix(".json") {
        parsed = JestReport.parse(String(decoding: bytes, as: UTF8.self))
      } else {
        continue
      }
      guard parsed.recognized else { continue }
      merged.recognized = true
      merged.cases += parsed.cases
      merged.problems += parsed.problems.map { "\(file): \($0)" }
      merged.buildFailed = merged.buildFailed || parsed.buildFailed
    }
    if merged.recognized { return merged }
    // Text on stdout may be coloured (a TAP producer that colours `ok` lines green); escapes hide the lines.
    let stdout = TerminalText.plain(stdoutText())
    let tap = TAPReport.parse(stdout)
    if tap.recognized { return tap }
    let libtest = LibtestReport.parseText(stdout)
    if libtest.recognized && !libtest.cases.isEmpty { return libtest }
    return nil
  }

  func name(_ pathInScratch: String) -> String { String(pathInScratch.split(separator: "/").last ?? "") }

  /// The command's whole stdout, from its log (up to the read limit).
  func stdoutText() -> String { String(decoding: Self.readLog(process.logs.stdout), as: UTF8.self) }

  /// Both streams interleaved, from the combined log (its last `limit` bytes).
  func combinedText(limit: Int = 8 << 20) -> String {
    String(decoding: Self.readLog(process.logs.combined, tail: limit), as: UTF8.self)
  }

  static func readLog(_ path: String, tail: Int = readLimit) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return [] }
    let size = Int(info.st_size)
    let start = max(0, size - tail)
    return readUpTo(fd, count: size - start, offset: start)
  }

  static func readUpTo(_ fd: Int32, count: Int, offset: Int = 0) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
      let n = bytes.withUnsafeMutableBytes { raw in pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done)) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      done += n
    }
    bytes.removeSubrange(done...)
    return bytes
  }

  /// A fresh name for a run's report directory (`/tmp/<name>` in its sandbox).
  static func newScratchName() -> String {
    var generator = SystemRandomNumberGenerator()
    return "mish-run-" + String(generator.next(), radix: 16)
  }
}

/// The run's report directory, as the server reaches it (an fd from outside the sandbox; see
/// `LaunchRequest.scratchName`): files are read by name beneath it, and it is removed after.
struct ScratchDirectory {
  let fd: Int32
  let name: String

  /// A regular file in the directory, at most the read limit; nil when missing, a symlink, or too large.
  func read(_ file: String) -> [UInt8]? {
    guard fd >= 0, !file.isEmpty, !file.contains("/") else { return nil }
    let handle = openat(fd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    guard handle >= 0 else { return nil }
    defer { close(handle) }
    var info = stat()
    guard fstat(handle, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= TestAttempt.readLimit else { return nil }
    return TestAttempt.readUpTo(handle, count: Int(info.st_size))
  }

  /// The names of the regular files in it, sorted.
  func fileNames() -> [String] { entries().filter { $0.isFile }.map(\.name).sorted() }

  func entries() -> [(name: String, isFile: Bool, isDirectory: Bool)] {
    guard fd >= 0 else { return [] }
    let copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard copy >= 0, let directory = fdopendir(copy) else { return [] }
    defer { closedir(directory) }
    var names: [(String, Bool, Bool)] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(cString: raw.bindMemory(to: CChar.self).baseAddress!) }
      if name == "." || name == ".." { continue }
      let type = entry.pointee.d_type
      names.append((name, type == UInt8(DT_REG), type == UInt8(DT_DIR)))
    }
    return names
  }

  /// Removes what the run left (files and directories inside, then the directory itself) and closes the fd.
  func remove() {
    guard fd >= 0 else { return }
    Self.empty(fd)
    let parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if parent >= 0 {
      unlinkat(parent, name, AT_REMOVEDIR)
      close(parent)
    }
    close(fd)
  }

  static func empty(_ directoryFD: Int32) {
    for entry in ScratchDirectory(fd: directoryFD, name: "").entries() {
      if entry.isDirectory {
        let child = openat(directoryFD, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if child >= 0 {
          empty(child)
          close(child)
        }
        unlinkat(directoryFD, entry.name, AT_REMOVEDIR)
      } else {
        unlinkat(directoryFD, entry.name, 0)
      }
    }
  }
}

/// Counts finished tests across a test/run's attempts and sends one progress notification per test.
final class ProgressCounter: @unchecked Sendable {
  let lock = NSLock()
  var count = 0

  func finished(name: String, status: TestCase.Status, context: RequestContext) {
    let number = lock.withLock {
      count += 1
      return count
    }
    let mark = switch status {
    case .passed: "✓"
    case .failed: "✗"
    case .skipped: "○"
    }
    context.progress(Double(number), message: "\(mark) \(name)")
  }
}
