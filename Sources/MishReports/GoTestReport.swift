import MishJSON

/// `go test -json` output (cmd/test2json), parsed into test cases.
///
/// The stream is one JSON object a line: `{Time, Action, Package, Test, Elapsed, Output, FailedBuild, ImportPath}`.
/// Actions `run`, `pass`, `fail`, `skip` and `output` carry a test's life; `start`, `pause`, `cont` and `bench` say
/// nothing this report keeps. Events without `Test` belong to the package and are not test cases, but a package
/// `fail` with `FailedBuild`, Go 1.24's `build-fail`, or a `[build failed]`/`[setup failed]` summary line sets
/// `buildFailed`. Older toolchains print build errors as plain lines between the JSON; those are tolerated.
///
/// suite = the package import path, name = the test's full name (subtests keep theirs: `TestX/case_1`), id =
/// `"PACKAGE TEST"`; the caller runs one again with `go test PACKAGE -run PATTERN`, the pattern from
/// `runPattern(forTest:)`. file/line/message come from the test's own output: `    x_test.go:12: got 1, want 2`
/// (a file name relative to the package directory, as `testing` prints it) or, for a panic, the first stack frame
/// in a `_test.go` file (an absolute path).
public enum GoTestReport {
  public static func parse(_ text: String) -> ParsedReport { parse(Array(text.utf8)) }

  /// Bytes as captured: each line is decoded on its own, an invalid byte becomes U+FFFD in that line only.
  public static func parse(_ bytes: [UInt8]) -> ParsedReport {
    var stream = Stream()
    Lines.forEach(in: bytes) { line, mayBeCut in stream.read(line: line, mayBeCut: mayBeCut) }
    return stream.report()
  }

  /// The `-run` pattern that selects exactly this test: each `/`-separated level anchored and escaped, as
  /// `go test` matches subtests level by level (`TestX/case_1` → `^TestX$/^case_1$`).
  public static func runPattern(forTest name: String) -> String {
    name.split(separator: "/", omittingEmptySubsequences: false).map { "^" + Runner.regexEscaped(String($0)) + "$" }.joined(separator: "/")
  }

  static let unfinishedMessage = "did not finish (the run ended or crashed during this test)"

  // MARK: - Reading the stream

  struct Test {
    var package: String
    var name: String
    var output = ""
    var result: TestCase.Status?
    var elapsedSeconds: Double?
  }

  struct Stream {
    var tests: [String: Test] = [:]
    var order: [String] = []
    var packageOutput: [String: String] = [:]
    var buildOutput: [(importPath: String, text: String)] = []
    var recognized = false
    var buildFailed = false
    var strayLines = 0
    var cutLastLine = false

    mutating func read(line raw: ArraySlice<UInt8>, mayBeCut: Bool) {
      var line = raw
      while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line.removeLast() }
      if line.isEmpty { return }
      guard line.first == UInt8(ascii: "{"), let value = try? JSONParser.parse(line),
        let action = value["Action"]?.stringValue
      else {
        if mayBeCut { cutLastLine = true; return }
        strayLines += 1
        // Before Go 1.24 a failed build printed plain text in the middle of the stream.
        let text = String(decoding: line, as: UTF8.self)
        if GoTestReport.saysBuildFailed(text) { buildFailed = true }
        return
      }
      recognized = true
      let package = value["Package"]?.stringValue ?? ""
      let output = value["Output"]?.stringValue
      switch action {
      case "build-output":
        let importPath = value["ImportPath"]?.stringValue ?? package
        if let output { appendBuildOutput(importPath, output) }
        return
      case "build-fail":
        buildFailed = true
        return
      default:
        break
      }
      guard let name = value["Test"]?.stringValue, !name.isEmpty else {
        // The package's own events: its summary lines and overall result.
        if let output {
          packageOutput[package, default: ""] += output
          if GoTestReport.saysBuildFailed(output) { buildFailed = true }
        }
        if action == "fail", let failedBuild = value["FailedBuild"]?.stringValue, !failedBuild.isEmpty {
          buildFailed = true
        }
        return
      }
      let key = package + "\u{0}" + name
      if tests[key] == nil {
        tests[key] = Test(package: package, name: name)
        order.append(key)
      }
      switch action {
      case "output":
        if let output { tests[key]?.output += output }
      case "pass", "fail", "skip":
        let status: TestCase.Status = action == "pass" ? .passed : action == "fail" ? .failed : .skipped
        // `-count=N` runs a test N times; one failure fails it.
        if tests[key]?.result != .failed { tests[key]?.result = status }
        if let elapsed = value["Elapsed"]?.doubleValue { tests[key]?.elapsedSeconds = elapsed }
      default:
        break  // run, pause, cont, bench
      }
    }

    mutating func appendBuildOutput(_ importPath: String, _ output: String) {
      if let last = buildOutput.indices.last, buildOutput[last].importPath == importPath {
        buildOutput[last].text += output
      } else {
        buildOutput.append((importPath, output))
      }
    }

    func report() -> ParsedReport {
      guard recognized else { return ParsedReport.unrecognized }
      var cases: [TestCase] = []
      var unfinished: [String] = []
      for key in order {
        guard let test = tests[key] else { continue }
        var testCase = TestCase(
          suite: test.package, name: test.name, id: test.package + " " + test.name, status: test.result ?? .failed)
        testCase.durationMs = test.elapsedSeconds.map { $0 * 1000 }
        let details = GoTestReport.meaningfulOutput(test.output)
        testCase.details = details.isEmpty ? nil : details
        if test.result == nil {
          unfinished.append(testCase.id)
          var message = [GoTestReport.unfinishedMessage]
          // A timeout or a crash in another goroutine is told in the package's output.
          let packageLines = GoTestReport.lines(packageOutput[test.package] ?? "")
          if let panic = packageLines.first(where: { $0.hasPrefix("panic: ") }) {
            message.append(String(panic))
          }
          testCase.message = message.joined(separator: "\n")
        } else if test.result != .passed {
          var failure = GoTestReport.failure(in: test.output)
          // A panic that test2json filed under the package still names the test in its stack (`pkg.TestX(`).
          if failure.message == nil, let output = packageOutput[test.package],
            output.contains("." + test.name + "("),
            case let packageFailure = GoTestReport.failure(in: output),
            packageFailure.message?.hasPrefix("panic: ") == true
          {
            failure = packageFailure
          }
          testCase.file = failure.file
          testCase.line = failure.line
          testCase.message = failure.message
          if testCase.message == nil && test.result == .failed {
            let prefix = test.name + "/"
            let failedSubtests = order.compactMap { tests[$0] }.filter {
              $0.package == test.package && $0.name.hasPrefix(prefix) && $0.result == .failed
            }
            if !failedSubtests.isEmpty {
              testCase.message = "subtest\(failedSubtests.count == 1 ? "" : "s") failed: "
                + failedSubtests.map(\.name).joined(separator: ", ")
            }
          }
        }
        cases.append(testCase)
      }
      var problems: [String] = []
      if strayLines > 0 {
        problems.append(
          "skipped \(strayLines) line\(strayLines == 1 ? "" : "s") that are not test2json events "
            + "(build output or text printed outside go test -json)")
      }
      if cutLastLine { problems.append("the last line is cut off mid-event (the output was truncated)") }
      if !unfinished.isEmpty {
        problems.append(
          "\(unfinished.count) test\(unfinished.count == 1 ? "" : "s") started but did not finish: "
            + unfinished.joined(separator: ", "))
      }
      // The build output is the only account of a failed build, and it arrives inside this stream.
      for (importPath, text) in buildOutput {
        let lines = GoTestReport.lines(text).filter { !$0.allSatisfy(\.isWhitespace) }
        let shown = lines.prefix(20).joined(separator: "\n")
        let more = lines.count > 20 ? "\n(\(lines.count - 20) more lines)" : ""
        problems.append("build output for \(importPath):\n\(shown)\(more)")
      }
      return ParsedReport(cases: cases, recognized: true, problems: problems, buildFailed: buildFailed)
    }
  }

  // MARK: - Output text

  static func lines(_ text: String) -> [Substring] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
  }

  static func saysBuildFailed(_ text: String) -> Bool {
    text.contains("[build failed]") || text.contains("[setup failed]")
  }

  /// The lines `testing` prints around every test (`=== RUN`, `--- FAIL: TestX (0.00s)`) say nothing the case
  /// does not already hold.
  static func isFrameworkLine(_ line: Substring) -> Bool {
    let trimmed = line.drop { $0 == " " || $0 == "\t" }
    for prefix in ["=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- FAIL:", "--- PASS:", "--- SKIP:", "--- BENCH:"]
    where trimmed.hasPrefix(prefix) {
      return true
    }
    return false
  }

  static func meaningfulOutput(_ output: String) -> String {
    var kept = lines(output).filter { !isFrameworkLine($0) }
    while let last = kept.last, last.allSatisfy(\.isWhitespace) { kept.removeLast() }
    return kept.joined(separator: "\n")
  }

  /// A panic first (it ends the test), else the first `file.go:LINE: message` line that `t.Error`/`t.Fatal`/
  /// `t.Skip` printed, with its deeper-indented continuation lines.
  static func failure(in output: String) -> (file: String?, line: Int?, message: String?) {
    let all = lines(output).filter { !isFrameworkLine($0) }
    if let panicIndex = all.firstIndex(where: { $0.drop { $0 == " " || $0 == "\t" }.hasPrefix("panic: ") }) {
      let message = all[panicIndex].drop { $0 == " " || $0 == "\t" }
      let frame = panicFrame(all[(panicIndex + 1)...])
      return (frame?.file, frame?.line, String(message))
    }
    for (index, line) in all.enumerated() {
      let indent = line.prefix { $0 == " " || $0 == "\t" }.count
      let body = line.dropFirst(indent)
      guard let logged = logLine(body) else { continue }
      var message = logged.message.isEmpty ? [] : [logged.message]
      for next in all[(index + 1)...] {
        let nextIndent = next.prefix { $0 == " " || $0 == "\t" }.count
        guard nextIndent > indent, logLine(next.dropFirst(nextIndent)) == nil else { break }
        message.append(next.dropFirst(nextIndent))
        if message.count == 10 { break }
      }
      return (logged.file, logged.line, message.isEmpty ? nil : message.joined(separator: "\n"))
    }
    return (nil, nil, nil)
  }

  /// `x_test.go:12: text` as `testing` prefixes logged lines.
  static func logLine(_ body: Substring) -> (file: String, line: Int, message: Substring)? {
    guard let colon = body.firstIndex(of: ":") else { return nil }
    let file = body[..<colon]
    guard file.hasSuffix(".go"), !file.contains(" ") else { return nil }
    let afterFile = body[body.index(after: colon)...]
    let digits = afterFile.prefix { $0.isASCII && $0.isNumber }
    guard !digits.isEmpty, let line = Int(digits) else { return nil }
    let rest = afterFile.dropFirst(digits.count)
    guard rest.first == ":" else { return nil }
    return (String(file), line, rest.dropFirst().drop { $0 == " " })
  }

  /// The first stack frame in a test file, else the first outside the runtime and `testing`:
  /// `\t/home/u/pkg/x_test.go:20 +0x25`.
  static func panicFrame(_ lines: ArraySlice<Substring>) -> (file: String, line: Int)? {
    var fallback: (file: String, line: Int)?
    for line in lines where line.hasPrefix("\t") {
      let frame = line.dropFirst().prefix { $0 != " " }
      guard let colon = frame.lastIndex(of: ":"), let number = Int(frame[frame.index(after: colon)...]) else {
        continue
      }
      let file = String(frame[..<colon])
      guard file.hasSuffix(".go") else { continue }
      if file.hasSuffix("_test.go") { return (file, number) }
      if fallback == nil, !file.contains("/src/runtime/"), !file.contains("/src/testing/") {
        fallback = (file, number)
      }
    }
    return fallback
  }
}
