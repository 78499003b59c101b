import Testing

@testable import MishReports

/// Output captured on this machine (cargo/rustc 1.95, RUST_BACKTRACE unset) from a scratch crate: a lib with unit
/// tests (pass, assert_eq! failure, panic!, #[ignore], #[ignore = "slow test"], #[should_panic] both ways, a nested
/// module), tests/integration.rs, and two doc tests, one failing. Lines are verbatim.
enum LibtestFixtures {
  /// `RUSTC_BOOTSTRAP=-1 cargo test --no-fail-fast -- -Z unstable-options --format json --report-time` (stdout).
  static let jsonRun = #"""
{ "type": "suite", "event": "started", "test_count": 8 }
{ "type": "test", "event": "started", "name": "tests::fails_assert_eq" }
{ "type": "test", "event": "started", "name": "tests::ignored" }
{ "type": "test", "name": "tests::ignored", "event": "ignored" }
{ "type": "test", "event": "started", "name": "tests::ignored_reason" }
{ "type": "test", "name": "tests::ignored_reason", "event": "ignored", "message": "slow test" }
{ "type": "test", "event": "started", "name": "tests::nested::deep" }
{ "type": "test", "name": "tests::nested::deep", "event": "failed", "exec_time": 0.000020631, "stdout": "\nthread 'tests::nested::deep' (11206) panicked at src/lib.rs:55:13:\nmath is off\n" }
{ "type": "test", "event": "started", "name": "tests::panics" }
{ "type": "test", "name": "tests::fails_assert_eq", "event": "failed", "exec_time": 0.000050575, "stdout": "\nthread 'tests::fails_assert_eq' (11205) panicked at src/lib.rs:25:9:\nassertion `left == right` failed\n  left: 1\n right: 2\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n" }
{ "type": "test", "event": "started", "name": "tests::passes" }
{ "type": "test", "name": "tests::panics", "event": "failed", "exec_time": 0.000010175, "stdout": "some captured output\n\nthread 'tests::panics' (11207) panicked at src/lib.rs:31:9:\nsomething went wrong: 42\n" }
{ "type": "test", "event": "started", "name": "tests::should_panic_fails" }
{ "type": "test", "name": "tests::passes", "event": "ok", "exec_time": 0.000000221 }
{ "type": "test", "event": "started", "name": "tests::should_panic_ok" }
{ "type": "test", "name": "tests::should_panic_fails", "event": "failed", "exec_time": 0.00000014, "message": "test did not panic as expected at src/lib.rs:50:8" }
{ "type": "test", "name": "tests::should_panic_ok", "event": "ok", "exec_time": 0.000008032 }
{ "type": "suite", "event": "failed", "passed": 2, "failed": 4, "ignored": 2, "measured": 0, "filtered_out": 0, "exec_time": 0.000759369 }
{ "type": "suite", "event": "started", "test_count": 2 }
{ "type": "test", "event": "started", "name": "integration_fails" }
{ "type": "test", "event": "started", "name": "integration_ok" }
{ "type": "test", "name": "integration_ok", "event": "ok", "exec_time": 0.000000771 }
{ "type": "test", "name": "integration_fails", "event": "failed", "exec_time": 0.000035423, "stdout": "\nthread 'integration_fails' (11212) panicked at tests/integration.rs:9:7:\ncalled `Option::unwrap()` on a `None` value\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n" }
{ "type": "suite", "event": "failed", "passed": 1, "failed": 1, "ignored": 0, "measured": 0, "filtered_out": 0, "exec_time": 0.000338834 }
{ "type": "suite", "event": "started", "test_count": 2 }
{ "type": "test", "event": "started", "name": "src/lib.rs - add (line 3)" }
{ "type": "test", "event": "started", "name": "src/lib.rs - add (line 7)" }
{ "type": "test", "name": "src/lib.rs - add (line 3)", "event": "ok", "exec_time": 0.001436537 }
{ "type": "test", "name": "src/lib.rs - add (line 7)", "event": "failed", "exec_time": 0.001454604, "stdout": "Test executable failed (exit status: 101).\n\nstderr:\n\nthread 'main' (11240) panicked at /tmp/rustdoctestLW2n0S/doctest_bundle_2024.rs:14:1:\nassertion `left == right` failed\n  left: 2\n right: 3\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n" }
{ "type": "suite", "event": "failed", "passed": 1, "failed": 1, "ignored": 0, "measured": 0, "filtered_out": 0, "exec_time": 0.001881929 }
{ "type": "report", "total_time": 0.323257116, "compilation_time": 0.317070617 }
"""# + "\n"

  /// `cargo test --no-fail-fast` (stdout) on the same crate.
  static let textRun = #"""

running 8 tests
test tests::ignored ... ignored
test tests::ignored_reason ... ignored, slow test
test tests::nested::deep ... FAILED
test tests::fails_assert_eq ... FAILED
test tests::panics ... FAILED
test tests::passes ... ok
test tests::should_panic_fails - should panic ... FAILED
test tests::should_panic_ok - should panic ... ok

failures:

---- tests::nested::deep stdout ----

thread 'tests::nested::deep' (11164) panicked at src/lib.rs:55:13:
math is off

---- tests::fails_assert_eq stdout ----

thread 'tests::fails_assert_eq' (11163) panicked at src/lib.rs:25:9:
assertion `left == right` failed
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- tests::panics stdout ----
some captured output

thread 'tests::panics' (11165) panicked at src/lib.rs:31:9:
something went wrong: 42

---- tests::should_panic_fails stdout ----
note: test did not panic as expected at src/lib.rs:50:8

failures:
    tests::fails_assert_eq
    tests::nested::deep
    tests::panics
    tests::should_panic_fails

test result: FAILED. 2 passed; 4 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.00s


running 2 tests
test integration_ok ... ok
test integration_fails ... FAILED

failures:

---- integration_fails stdout ----

thread 'integration_fails' (11170) panicked at tests/integration.rs:9:7:
called `Option::unwrap()` on a `None` value
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    integration_fails

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s


running 2 tests
test src/lib.rs - add (line 3) ... ok
test src/lib.rs - add (line 7) ... FAILED

failures:

---- src/lib.rs - add (line 7) stdout ----
Test executable failed (exit status: 101).

stderr:

thread 'main' (11198) panicked at /tmp/rustdoctestwLge7X/doctest_bundle_2024.rs:14:1:
assertion `left == right` failed
  left: 2
 right: 3
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace



failures:
    src/lib.rs - add (line 7)

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

all doctests ran in 0.28s; merged doctests compilation took 0.27s

"""#

  /// `cargo test --test integration` with a `#[should_panic(expected = "xyz")]` test that panics with "abc".
  static let textShouldPanicMessage = #"""

running 3 tests
test integration_fails ... FAILED
test integration_ok ... ok
test wrong_panic_message - should panic ... FAILED

failures:

---- integration_fails stdout ----

thread 'integration_fails' (13602) panicked at tests/integration.rs:9:7:
called `Option::unwrap()` on a `None` value
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- wrong_panic_message stdout ----

thread 'wrong_panic_message' (13604) panicked at tests/integration.rs:16:5:
abc
note: panic did not contain expected string
      panic message: "abc"
 expected substring: "xyz"

failures:
    integration_fails
    wrong_panic_message

test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s


"""#

  static let jsonShouldPanicMessage = #"""
{ "type": "suite", "event": "started", "test_count": 3 }
{ "type": "test", "event": "started", "name": "integration_fails" }
{ "type": "test", "event": "started", "name": "integration_ok" }
{ "type": "test", "name": "integration_ok", "event": "ok", "exec_time": 0.000000581 }
{ "type": "test", "event": "started", "name": "wrong_panic_message" }
{ "type": "test", "name": "integration_fails", "event": "failed", "exec_time": 0.000045017, "stdout": "\nthread 'integration_fails' (13610) panicked at tests/integration.rs:9:7:\ncalled `Option::unwrap()` on a `None` value\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n" }
{ "type": "test", "name": "wrong_panic_message", "event": "failed", "exec_time": 0.000012188, "stdout": "\nthread 'wrong_panic_message' (13612) panicked at tests/integration.rs:16:5:\nabc\n", "message": "panic did not contain expected string\n      panic message: \"abc\"\n expected substring: \"xyz\"" }
{ "type": "suite", "event": "failed", "passed": 1, "failed": 2, "ignored": 0, "measured": 0, "filtered_out": 0, "exec_time": 0.000500455 }
"""# + "\n"

  /// The integration binary killed by `std::process::abort()` in one test: two tests started, none reported.
  static let jsonAborted = #"""
{ "type": "suite", "event": "started", "test_count": 3 }
{ "type": "test", "event": "started", "name": "aborts" }
{ "type": "test", "event": "started", "name": "integration_fails" }
"""# + "\n"

  /// The same with `-- --test-threads=1`: the name is printed, the result never is (no newline at the end).
  static let textAbortedSingleThreaded = "\nrunning 4 tests\ntest aborts ... "

  /// `cargo test --doc` JSON with a doc test that does not compile (rustdoc puts the compiler's error in stdout).
  static let jsonDocTestCompileError = #"""
{ "type": "suite", "event": "started", "test_count": 3 }
{ "type": "test", "event": "started", "name": "src/lib.rs - add (line 3)" }
{ "type": "test", "event": "started", "name": "src/lib.rs - add (line 7)" }
{ "type": "test", "name": "src/lib.rs - add (line 3)", "event": "ok" }
{ "type": "test", "event": "started", "name": "src/lib.rs - broken_doc (line 60)" }
{ "type": "test", "name": "src/lib.rs - add (line 7)", "event": "failed", "stdout": "Test executable failed (exit status: 101).\n\nstderr:\n\nthread 'main' (12815) panicked at src/lib.rs:5:1:\nassertion `left == right` failed\n  left: 2\n right: 3\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n" }
{ "type": "test", "name": "src/lib.rs - broken_doc (line 60)", "event": "failed", "stdout": "error[E0308]: mismatched types\n  --> src/lib.rs:61:14\n   |\n61 | let x: i32 = \"nope\";\n   |        ---   ^^^^^^ expected `i32`, found `&str`\n   |        |\n   |        expected due to this\n\nerror: aborting due to 1 previous error\n\nFor more information about this error, try `rustc --explain E0308`.\nCouldn't compile the test." }
{ "type": "suite", "event": "failed", "passed": 1, "failed": 2, "ignored": 0, "measured": 0, "filtered_out": 0, "exec_time": 0.125294892 }
{ "type": "report", "total_time": 0.167131719, "compilation_time": 0.040701518 }
"""# + "\n"

  /// The first lines of a JSON run with RUST_BACKTRACE=1 (the backtrace follows the panic message), cut short.
  static let jsonWithBacktraceHead = #"""
{ "type": "suite", "event": "started", "test_count": 8 }
{ "type": "test", "event": "started", "name": "tests::fails_assert_eq" }
{ "type": "test", "event": "started", "name": "tests::ignored" }
{ "type": "test", "name": "tests::ignored", "event": "ignored" }
{ "type": "test", "event": "started", "name": "tests::ignored_reason" }
{ "type": "test", "name": "tests::ignored_reason", "event": "ignored", "message": "slow test" }
{ "type": "test", "event": "started", "name": "tests::nested::deep" }
{ "type": "test", "name": "tests::fails_assert_eq", "event": "failed", "exec_time": 0.093874741, "stdout": "\nthread 'tests::fails_assert_eq' (10380) panicked at src/lib.rs:25:9:\nassertion `left == right` failed\n  left: 1\n right: 2\nstack backtrace:\n   0: __rustc::rust_begin_unwind\n             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:689:5\n   1: core::panicking::panic_fmt\n             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/panicking.rs:80:14\n   2: core::panicking::assert_failed_inner\n             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/panicking.rs:439:17\n   3: core::panicking::assert_failed::<i32, i32>\n             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/panicking.rs:394:5\n   4: rdemo::tests::fails_assert_eq\n             at ./src/lib.rs:25:9\n   5: rdemo::tests::fails_assert_eq::{{closure}}\n             at ./src/lib.rs:24:25\n   6: core::ops::function::FnOnce::call_once\n             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/ops/function.rs:250:5\n   7: <fn() -> core::result::Result<(), alloc::string::String> as core::ops::function::FnOnce<()>>::call_once\n             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/ops/function.rs:250:5\nnote: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.\n" }
"""# + "\n"
}

@Suite struct LibtestReportTests {
  typealias Fixtures = LibtestFixtures

  static func stated(_ cases: [TestCase]) -> [TestCase] {
    cases.map { testCase in
      var copy = testCase
      copy.durationMs = nil
      copy.details = nil
      return copy
    }
  }

  /// The same run gives the same cases in both formats.
  static let wholeRun: [TestCase] = [
    TestCase(suite: "tests", name: "ignored", id: "tests::ignored", status: .skipped),
    TestCase(
      suite: "tests", name: "ignored_reason", id: "tests::ignored_reason", status: .skipped, message: "slow test"),
    TestCase(
      suite: "tests::nested", name: "deep", id: "tests::nested::deep", status: .failed, file: "src/lib.rs", line: 55,
      message: "math is off"),
    TestCase(
      suite: "tests", name: "fails_assert_eq", id: "tests::fails_assert_eq", status: .failed, file: "src/lib.rs",
      line: 25, message: "assertion `left == right` failed\n  left: 1\n right: 2"),
    TestCase(
      suite: "tests", name: "panics", id: "tests::panics", status: .failed, file: "src/lib.rs", line: 31,
      message: "something went wrong: 42"),
    TestCase(suite: "tests", name: "passes", id: "tests::passes", status: .passed),
    TestCase(
      suite: "tests", name: "should_panic_fails", id: "tests::should_panic_fails", status: .failed,
      file: "src/lib.rs", line: 50, message: "test did not panic as expected at src/lib.rs:50:8"),
    TestCase(suite: "tests", name: "should_panic_ok", id: "tests::should_panic_ok", status: .passed),
    TestCase(suite: "", name: "integration_ok", id: "integration_ok", status: .passed),
    TestCase(
      suite: "", name: "integration_fails", id: "integration_fails", status: .failed, file: "tests/integration.rs",
      line: 9, message: "called `Option::unwrap()` on a `None` value"),
    // Doc tests point at their block: the panic's place is a temporary file of rustdoc's.
    TestCase(
      suite: "src/lib.rs", name: "add (line 3)", id: "src/lib.rs - add (line 3)", status: .passed, file: "src/lib.rs",
      line: 3),
    TestCase(
      suite: "src/lib.rs", name: "add (line 7)", id: "src/lib.rs - add (line 7)", status: .failed,
      file: "src/lib.rs", line: 7, message: "assertion `left == right` failed\n  left: 2\n right: 3"),
  ]

  @Test func jsonRunOfThreeBinaries() throws {
    let report = LibtestReport.parseJSON(Fixtures.jsonRun)
    #expect(report.recognized)
    #expect(report.problems == [])
    #expect(!report.buildFailed)
    #expect(Self.stated(report.cases) == Self.wholeRun)
    let panics = try #require(report.cases.first { $0.id == "tests::panics" })
    #expect(
      panics.details
        == "some captured output\n\nthread 'tests::panics' (11207) panicked at src/lib.rs:31:9:\n"
        + "something went wrong: 42\n")
    let duration = try #require(panics.durationMs)
    #expect(abs(duration - 0.010175) < 1e-9)
  }

  @Test func textRunOfThreeBinaries() throws {
    let report = LibtestReport.parseText(Fixtures.textRun)
    #expect(report.recognized)
    #expect(report.problems == [])
    #expect(Self.stated(report.cases) == Self.wholeRun)
    let deep = try #require(report.cases.first { $0.id == "tests::nested::deep" })
    #expect(deep.details == "\nthread 'tests::nested::deep' (11164) panicked at src/lib.rs:55:13:\nmath is off")
  }

  @Test func shouldPanicWithTheWrongMessageSaysWhy() {
    let expected = [
      TestCase(
        suite: "", name: "integration_fails", id: "integration_fails", status: .failed, file: "tests/integration.rs",
        line: 9, message: "called `Option::unwrap()` on a `None` value"),
      TestCase(suite: "", name: "integration_ok", id: "integration_ok", status: .passed),
      TestCase(
        suite: "", name: "wrong_panic_message", id: "wrong_panic_message", status: .failed,
        file: "tests/integration.rs", line: 16,
        message: "panic did not contain expected string\n      panic message: \"abc\"\n expected substring: \"xyz\""),
    ]
    #expect(Self.stated(LibtestReport.parseText(Fixtures.textShouldPanicMessage).cases) == expected)
    // JSON reports results as they finish.
    let json = LibtestReport.parseJSON(Fixtures.jsonShouldPanicMessage)
    #expect(Self.stated(json.cases) == [expected[1], expected[0], expected[2]])
  }

  @Test func abortedBinaryLeavesUnfinishedTests() {
    let unfinished = "did not finish (the run ended or crashed during this test)"
    let json = LibtestReport.parseJSON(Fixtures.jsonAborted)
    #expect(
      json.cases == [
        TestCase(suite: "", name: "aborts", id: "aborts", status: .failed, message: unfinished),
        TestCase(suite: "", name: "integration_fails", id: "integration_fails", status: .failed, message: unfinished),
      ])
    #expect(
      json.problems == [
        "a test binary stopped before its summary (crashed or killed): announced 3 tests, 0 reported",
        "2 tests started but did not finish: aborts, integration_fails",
      ])
    let text = LibtestReport.parseText(Fixtures.textAbortedSingleThreaded)
    #expect(text.cases == [TestCase(suite: "", name: "aborts", id: "aborts", status: .failed, message: unfinished)])
    #expect(
      text.problems == [
        "a test binary stopped before its summary (crashed or killed): announced 4 tests, 0 reported",
        "1 test started but did not finish: aborts",
      ])
  }

  @Test func docTestThatDoesNotCompile() throws {
    let report = LibtestReport.parseJSON(Fixtures.jsonDocTestCompileError)
    let broken = try #require(report.cases.last)
    #expect(
      Self.stated([broken]) == [
        TestCase(
          suite: "src/lib.rs", name: "broken_doc (line 60)", id: "src/lib.rs - broken_doc (line 60)",
          status: .failed, file: "src/lib.rs", line: 60, message: "error[E0308]: mismatched types")
      ])
    #expect(broken.details?.hasSuffix("Couldn't compile the test.") == true)
  }

  @Test func panicMessageStopsAtTheBacktrace() {
    let report = LibtestReport.parseJSON(Fixtures.jsonWithBacktraceHead)
    #expect(
      Self.stated(report.cases) == [
        TestCase(suite: "tests", name: "ignored", id: "tests::ignored", status: .skipped),
        TestCase(
          suite: "tests", name: "ignored_reason", id: "tests::ignored_reason", status: .skipped, message: "slow test"),
        TestCase(
          suite: "tests", name: "fails_assert_eq", id: "tests::fails_assert_eq", status: .failed, file: "src/lib.rs",
          line: 25, message: "assertion `left == right` failed\n  left: 1\n right: 2"),
        TestCase(
          suite: "tests::nested", name: "deep", id: "tests::nested::deep", status: .failed,
          message: "did not finish (the run ended or crashed during this test)"),
      ])
  }

  /// Hand-written: the panic line before Rust 1.73 quoted the message, which could span lines.
  @Test func olderPanicFormat() {
    let text = """

      running 1 test
      test tests::old ... FAILED

      failures:

      ---- tests::old stdout ----
      thread 'tests::old' panicked at 'assertion failed: `(left == right)`
        left: `1`,
       right: `2`', src/lib.rs:12:5
      note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


      failures:
          tests::old

      test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

      """
    #expect(
      Self.stated(LibtestReport.parseText(text).cases) == [
        TestCase(
          suite: "tests", name: "old", id: "tests::old", status: .failed, file: "src/lib.rs", line: 12,
          message: "assertion failed: `(left == right)`\n  left: `1`,\n right: `2`")
      ])
  }

  @Test func reportTimeSuffixInText() {
    let text = "running 2 tests\ntest a::b ... ok <0.250s>\ntest a::c ... FAILED <1.500s>\ntest result: FAILED.\n"
    let report = LibtestReport.parseText(text)
    #expect(report.cases.map(\.durationMs) == [250, 1500])
    #expect(report.cases.map(\.status) == [.passed, .failed])
  }

  @Test func strayLinesInJSON() {
    var lines = Fixtures.jsonShouldPanicMessage.split(separator: "\n").map(String.init)
    lines.insert("printed by a spawned thread", at: 2)
    lines.insert("{ \"type\": \"test\", \"event\": ", at: 4)
    let report = LibtestReport.parseJSON(lines.joined(separator: "\n") + "\n")
    #expect(report.cases == LibtestReport.parseJSON(Fixtures.jsonShouldPanicMessage).cases)
    #expect(
      report.problems == [
        "skipped 2 lines that are not libtest JSON (output printed outside libtest's capture, or not this format)"
      ])
  }

  @Test func everyPrefixParses() {
    for (text, isJSON) in [(Fixtures.jsonRun, true), (Fixtures.textRun, false)] {
      let parse = isJSON ? LibtestReport.parseJSON : LibtestReport.parseText
      let whole = parse(text)
      let bytes = Array(text.utf8)
      for end in 0...bytes.count {
        let report = parse(String(decoding: bytes[..<end], as: UTF8.self))
        #expect(report.cases.count <= whole.cases.count, "prefix of \(end) bytes")
      }
    }
  }

  @Test func invalidUTF8InCapturedOutput() throws {
    var bytes = Array(Fixtures.jsonRun.utf8)
    let needle = Array("math is off".utf8)
    let at = try #require(bytes.indices.first { bytes[$0...].starts(with: needle) })
    bytes[at] = 0xC3  // a lead byte with no continuation
    bytes += [0xFF, 0xFE, 0x0A]
    let report = LibtestReport.parseJSON(bytes)
    #expect(report.cases.count == Self.wholeRun.count)
    #expect(report.cases.first { $0.id == "tests::nested::deep" }?.message == "\u{FFFD}ath is off")
    #expect(report.problems.count == 1)
  }

  /// A compile error: cargo exits 101, stdout is empty, the error is on stderr. The caller reads exit status and
  /// "unrecognized"; neither parser takes the error for a report.
  @Test func compileErrorIsNoReport() {
    let stderr = """
      error[E0308]: mismatched types
        --> src/lib.rs:20:22
         |
      20 |         let x: i32 = "no"; assert_eq!(add(1, 1), x);
         |                ---   ^^^^ expected `i32`, found `&str`

      error: could not compile `rdemo` (lib test) due to 1 previous error
      """
    #expect(LibtestReport.parseJSON("") == .unrecognized)
    #expect(LibtestReport.parseText("") == .unrecognized)
    #expect(LibtestReport.parseJSON(stderr) == .unrecognized)
    #expect(LibtestReport.parseText(stderr) == .unrecognized)
  }
}
