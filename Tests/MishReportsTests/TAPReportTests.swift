import MishTestSupport
import Testing

@testable import MishReports

/// `node --test --test-reporter=tap` output captured on this machine (node v20.20.2), pasted as written, absolute
/// /tmp paths and all; the generic producers' streams (prove/Test::More, TAP 14's own examples) are hand-written
/// from the TAP 13/14 specifications and marked so.
enum TAPFixtures {
  /// Two files: passing, failing (`assert.strictEqual`), skipped (`{ skip: true }`, `{ skip: 'reason' }`,
  /// `t.skip()`), todo, a test that throws, `t.test` subtests, and nested `describe`/`it` with `it.skip`/`it.todo`.
  static let node = #"""
    TAP version 13
    # Subtest: adds numbers
    ok 1 - adds numbers
      ---
      duration_ms: 1.942359
      ...
    # Subtest: fails strictEqual
    not ok 2 - fails strictEqual
      ---
      duration_ms: 2.051702
      location: '/tmp/n/test/basic.test.js:8:1'
      failureType: 'testCodeFailure'
      error: |-
        Expected values to be strictly equal:
        
        2 !== 3
        
      code: 'ERR_ASSERTION'
      name: 'AssertionError'
      expected: 3
      actual: 2
      operator: 'strictEqual'
      stack: |-
        TestContext.<anonymous> (/tmp/n/test/basic.test.js:9:10)
        Test.runInAsyncScope (node:async_hooks:206:9)
        Test.run (node:internal/test_runner/test:796:25)
        Test.processPendingSubtests (node:internal/test_runner/test:526:18)
        Test.postRun (node:internal/test_runner/test:889:19)
        Test.run (node:internal/test_runner/test:835:12)
        async Test.processPendingSubtests (node:internal/test_runner/test:526:7)
      ...
    # Subtest: skipped by option
    ok 3 - skipped by option # SKIP
      ---
      duration_ms: 0.158066
      ...
    # Subtest: skipped with reason
    ok 4 - skipped with reason # SKIP not on linux
      ---
      duration_ms: 0.140679
      ...
    # Subtest: skipped at runtime
    ok 5 - skipped at runtime # SKIP nothing to see
      ---
      duration_ms: 0.216121
      ...
    # Subtest: todo test
    not ok 6 - todo test # TODO
      ---
      duration_ms: 0.350441
      location: '/tmp/n/test/basic.test.js:20:1'
      failureType: 'testCodeFailure'
      error: 'not done'
      code: 'ERR_ASSERTION'
      name: 'AssertionError'
      operator: 'fail'
      stack: |-
        TestContext.<anonymous> (/tmp/n/test/basic.test.js:21:10)
        Test.runInAsyncScope (node:async_hooks:206:9)
        Test.run (node:internal/test_runner/test:796:25)
        Test.processPendingSubtests (node:internal/test_runner/test:526:18)
        Test.postRun (node:internal/test_runner/test:889:19)
        Test.run (node:internal/test_runner/test:835:12)
        async Test.processPendingSubtests (node:internal/test_runner/test:526:7)
      ...
    # Subtest: throws an error
    not ok 7 - throws an error
      ---
      duration_ms: 0.146979
      location: '/tmp/n/test/basic.test.js:24:1'
      failureType: 'testCodeFailure'
      error: 'boom & <bang>'
      code: 'ERR_TEST_FAILURE'
      stack: |-
        TestContext.<anonymous> (/tmp/n/test/basic.test.js:25:9)
        Test.runInAsyncScope (node:async_hooks:206:9)
        Test.run (node:internal/test_runner/test:796:25)
        Test.processPendingSubtests (node:internal/test_runner/test:526:18)
        Test.postRun (node:internal/test_runner/test:889:19)
        Test.run (node:internal/test_runner/test:835:12)
        async Test.processPendingSubtests (node:internal/test_runner/test:526:7)
      ...
    # Subtest: parent with subtests
        # Subtest: child passes
        ok 1 - child passes
          ---
          duration_ms: 0.182051
          ...
        # Subtest: child fails
        not ok 2 - child fails
          ---
          duration_ms: 2.504666
          location: '/tmp/n/test/basic.test.js:30:11'
          failureType: 'testCodeFailure'
          error: |-
            Expected values to be strictly deep-equal:
            + actual - expected
            
              {
            +   a: 1
            -   a: 2
              }
          code: 'ERR_ASSERTION'
          name: 'AssertionError'
          expected:
            a: 2
          actual:
            a: 1
          operator: 'deepStrictEqual'
          stack: |-
            TestContext.<anonymous> (/tmp/n/test/basic.test.js:31:12)
            Test.runInAsyncScope (node:async_hooks:206:9)
            Test.run (node:internal/test_runner/test:796:25)
            Test.start (node:internal/test_runner/test:702:17)
            TestContext.test (node:internal/test_runner/test:292:20)
            TestContext.<anonymous> (/tmp/n/test/basic.test.js:30:11)
            async Test.run (node:internal/test_runner/test:797:9)
            async Test.processPendingSubtests (node:internal/test_runner/test:526:7)
          ...
        1..2
    not ok 8 - parent with subtests
      ---
      duration_ms: 3.182905
      location: '/tmp/n/test/basic.test.js:28:1'
      failureType: 'subtestsFailed'
      error: '1 subtest failed'
      code: 'ERR_TEST_FAILURE'
      ...
    # Subtest: math
        # Subtest: multiplies
        ok 1 - multiplies
          ---
          duration_ms: 0.811607
          ...
        # Subtest: division
            # Subtest: divides
            not ok 1 - divides
              ---
              duration_ms: 1.348436
              location: '/tmp/n/test/suite.test.js:9:5'
              failureType: 'testCodeFailure'
              error: |-
                six over two
                
                3 !== 4
                
              code: 'ERR_ASSERTION'
              name: 'AssertionError'
              expected: 4
              actual: 3
              operator: 'strictEqual'
              stack: |-
                TestContext.<anonymous> (/tmp/n/test/suite.test.js:10:14)
                Test.runInAsyncScope (node:async_hooks:206:9)
                Test.run (node:internal/test_runner/test:796:25)
                Test.start (node:internal/test_runner/test:702:17)
                node:internal/test_runner/test:1133:71
                node:internal/per_context/primordials:482:82
                new Promise (<anonymous>)
                new SafePromise (node:internal/per_context/primordials:450:29)
                node:internal/per_context/primordials:482:9
                Array.map (<anonymous>)
              ...
            # Subtest: skips here
            ok 2 - skips here # SKIP
              ---
              duration_ms: 0.252465
              ...
            # Subtest: todo here
            ok 3 - todo here # TODO
              ---
              duration_ms: 0.124916
              ...
            1..3
        not ok 2 - division
          ---
          duration_ms: 2.189517
          type: 'suite'
          location: '/tmp/n/test/suite.test.js:8:3'
          failureType: 'subtestsFailed'
          error: '1 subtest failed'
          code: 'ERR_TEST_FAILURE'
          ...
        1..2
    not ok 9 - math
      ---
      duration_ms: 3.882155
      type: 'suite'
      location: '/tmp/n/test/suite.test.js:4:1'
      failureType: 'subtestsFailed'
      error: '1 subtest failed'
      code: 'ERR_TEST_FAILURE'
      ...
    1..9
    # tests 14
    # suites 2
    # pass 3
    # fail 5
    # cancelled 0
    # skipped 4
    # todo 2
    # duration_ms 224.309704
    """#

  /// A `describe` whose `before` hook throws, a runtime `t.todo()`, a parent failing after its subtests passed,
  /// three-level `t.test` nesting, and a file with a syntax error.
  static let nodeFailures = #"""
    TAP version 13
    # Subtest: with broken hook
        # Subtest: never runs
        not ok 1 - never runs
          ---
          duration_ms: 0
          location: '/tmp/n2/test/hooks.test.js:6:3'
          failureType: 'cancelledByParent'
          error: 'test did not finish before its parent and was cancelled'
          code: 'ERR_TEST_FAILURE'
          ...
        1..1
    not ok 1 - with broken hook
      ---
      duration_ms: 1.415335
      type: 'suite'
      location: '/tmp/n2/test/hooks.test.js:4:1'
      failureType: 'hookFailed'
      error: 'hook failed'
      code: 'ERR_TEST_FAILURE'
      stack: |-
        SuiteContext.<anonymous> (/tmp/n2/test/hooks.test.js:5:24)
        TestHook.runInAsyncScope (node:async_hooks:206:9)
        TestHook.run (node:internal/test_runner/test:796:25)
        TestHook.run (node:internal/test_runner/test:1041:18)
        TestHook.run (node:internal/util:527:20)
        Suite.runHook (node:internal/test_runner/test:723:20)
        Suite.run (node:internal/test_runner/test:1129:18)
        async Test.processPendingSubtests (node:internal/test_runner/test:526:7)
      ...
    # Subtest: runtime todo
    not ok 2 - runtime todo # TODO later
      ---
      duration_ms: 10.390608
      location: '/tmp/n2/test/hooks.test.js:9:1'
      failureType: 'testCodeFailure'
      error: |-
        The expression evaluated to a falsy value:
        
          assert.ok(false)
        
      code: 'ERR_ASSERTION'
      name: 'AssertionError'
      expected: true
      actual: false
      operator: '=='
      stack: |-
        TestContext.<anonymous> (/tmp/n2/test/hooks.test.js:11:10)
        Test.runInAsyncScope (node:async_hooks:206:9)
        Test.run (node:internal/test_runner/test:796:25)
        Test.processPendingSubtests (node:internal/test_runner/test:526:18)
        Suite.postRun (node:internal/test_runner/test:889:19)
        Suite.run (node:internal/test_runner/test:1150:10)
        async Test.processPendingSubtests (node:internal/test_runner/test:526:7)
      ...
    # Subtest: fails after subtests
        # Subtest: inner ok
        ok 1 - inner ok
          ---
          duration_ms: 0.418603
          ...
        1..1
    not ok 3 - fails after subtests
      ---
      duration_ms: 0.941651
      location: '/tmp/n2/test/hooks.test.js:14:1'
      failureType: 'testCodeFailure'
      error: 'parent own failure'
      code: 'ERR_TEST_FAILURE'
      stack: |-
        TestContext.<anonymous> (/tmp/n2/test/hooks.test.js:16:9)
        async Test.run (node:internal/test_runner/test:797:9)
        async Test.processPendingSubtests (node:internal/test_runner/test:526:7)
      ...
    # Subtest: deep
        # Subtest: level 1
            # Subtest: level 2
            not ok 1 - level 2
              ---
              duration_ms: 0.824917
              location: '/tmp/n2/test/hooks.test.js:21:13'
              failureType: 'testCodeFailure'
              error: '1 == 2'
              code: 'ERR_ASSERTION'
              name: 'AssertionError'
              expected: 2
              actual: 1
              operator: '=='
              stack: |-
                TestContext.<anonymous> (/tmp/n2/test/hooks.test.js:21:44)
                Test.runInAsyncScope (node:async_hooks:206:9)
                Test.run (node:internal/test_runner/test:796:25)
                Test.start (node:internal/test_runner/test:702:17)
                TestContext.test (node:internal/test_runner/test:292:20)
                TestContext.<anonymous> (/tmp/n2/test/hooks.test.js:21:13)
                Test.runInAsyncScope (node:async_hooks:206:9)
                Test.run (node:internal/test_runner/test:796:25)
                Test.start (node:internal/test_runner/test:702:17)
                TestContext.test (node:internal/test_runner/test:292:20)
              ...
            1..1
        not ok 1 - level 1
          ---
          duration_ms: 1.262639
          location: '/tmp/n2/test/hooks.test.js:20:11'
          failureType: 'subtestsFailed'
          error: '1 subtest failed'
          code: 'ERR_TEST_FAILURE'
          stack: |-
            async TestContext.<anonymous> (/tmp/n2/test/hooks.test.js:20:3)
          ...
        1..1
    not ok 4 - deep
      ---
      duration_ms: 1.612799
      location: '/tmp/n2/test/hooks.test.js:19:1'
      failureType: 'subtestsFailed'
      error: '1 subtest failed'
      code: 'ERR_TEST_FAILURE'
      ...
    # /tmp/n2/test/syntax.test.js:1
    # const x = ;
    #           ^
    # SyntaxError: Unexpected token ';'
    #     at wrapSafe (node:internal/modules/cjs/loader:1464:18)
    #     at Module._compile (node:internal/modules/cjs/loader:1495:20)
    #     at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)
    #     at Module.load (node:internal/modules/cjs/loader:1266:32)
    #     at Module._load (node:internal/modules/cjs/loader:1091:12)
    #     at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)
    #     at node:internal/main/run_main_module:28:49
    # Node.js v20.20.2
    # Subtest: /tmp/n2/test/syntax.test.js
    not ok 2 - /tmp/n2/test/syntax.test.js
      ---
      duration_ms: 90.830422
      location: '/tmp/n2/test/syntax.test.js:1:1'
      failureType: 'testCodeFailure'
      exitCode: 1
      signal: ~
      error: 'test failed'
      code: 'ERR_TEST_FAILURE'
      ...
    1..5
    # tests 8
    # suites 1
    # pass 1
    # fail 5
    # cancelled 1
    # skipped 0
    # todo 1
    # duration_ms 247.470704
    """#

  /// A test file whose process was killed by SIGSEGV mid-run (`process.kill(process.pid, 'SIGSEGV')` in its second
  /// test): node reports only the file, as a failure whose error is 'test failed', with the signal beside it.
  static let nodeCrash = #"""
    TAP version 13
    # Subtest: /tmp/tr/n3/test/crash.test.js
    not ok 1 - /tmp/tr/n3/test/crash.test.js
      ---
      duration_ms: 77.004405
      location: '/tmp/tr/n3/test/crash.test.js:1:1'
      failureType: 'testCodeFailure'
      exitCode: ~
      signal: 'SIGSEGV'
      error: 'test failed'
      code: 'ERR_TEST_FAILURE'
      ...
    1..1
    # tests 1
    # suites 0
    # pass 0
    # fail 1
    # cancelled 0
    # skipped 0
    # todo 0
    # duration_ms 81.330798
    """#

  /// Escapes in names (`#`, `\`, a line break), a todo with a reason, a `console.log` and a `t.diagnostic`.
  static let nodeEscapes = ##"""
    TAP version 13
    # printed out
    # Subtest: a \# b \\ c\\nd
    ok 1 - a \# b \\ c\\nd
      ---
      duration_ms: 0.971695
      ...
    # Subtest: with { braces } and: colon
    ok 2 - with { braces } and: colon # TODO needs work
      ---
      duration_ms: 0.151876
      ...
    # Subtest: diag
    ok 3 - diag
      ---
      duration_ms: 0.768403
      ...
    # some diag
    1..3
    # tests 3
    # suites 0
    # pass 2
    # fail 0
    # cancelled 0
    # skipped 0
    # todo 1
    # duration_ms 98.892725
    """##

  /// HAND-WRITTEN in the shape Test::More prints under `prove`: plan first, diagnostics as `#` lines after a
  /// failure, a description without a dash, SKIP and TODO directives, an escaped `#`.
  static let prove = ##"""
    1..5
    ok 1 - starts up
    not ok 2 adds numbers
    #   Failed test 'adds numbers'
    #   at t/math.t line 10.
    #          got: '3'
    #     expected: '4'
    ok 3 # skip no network
    not ok 4 - parses dates # TODO timezone support
    ok 5 - escaped \# hash
    # Looks like you failed 1 test of 5.
    """##

  /// HAND-WRITTEN after the TAP 14 specification's examples: the `# Subtest` header indented with the subtest's own
  /// lines, a node-tap-style YAML block (`message`, `at:` map), and a buffered subtest in braces.
  static let tap14 = #"""
    TAP version 14
    1..3
        # Subtest: outer
        1..2
        ok 1 - inner one
        not ok 2 - inner two
          ---
          message: "values differ\nsecond line"
          severity: fail
          at:
            file: test/outer.js
            line: 12
            column: 3
          found: 1
          wanted: 2
          ...
    not ok 1 - outer
    ok 2 - buffered parent {
        1..1
        not ok 1 - buffered child
    }
    ok 3 - last # time=1.5ms
    """#
}

@Suite struct TAPNodeTests {
  static let report = TAPReport.parse(TAPFixtures.node)

  /// Every leaf of the real node report, without `details` and `durationMs` (checked separately). The parents
  /// (`parent with subtests`, `math`, `division`) failed only because a child did, so they are not listed.
  static let expectedCases: [TestCase] = [
    TestCase(suite: "", name: "adds numbers", id: "adds numbers", status: .passed),
    TestCase(
      suite: "", name: "fails strictEqual", id: "fails strictEqual", status: .failed,
      file: "/tmp/n/test/basic.test.js", line: 9, message: "Expected values to be strictly equal:\n\n2 !== 3"),
    TestCase(suite: "", name: "skipped by option", id: "skipped by option", status: .skipped),
    TestCase(
      suite: "", name: "skipped with reason", id: "skipped with reason", status: .skipped, message: "not on linux"),
    TestCase(
      suite: "", name: "skipped at runtime", id: "skipped at runtime", status: .skipped, message: "nothing to see"),
    TestCase(
      suite: "", name: "todo test", id: "todo test", status: .skipped, file: "/tmp/n/test/basic.test.js", line: 20),
    TestCase(
      suite: "", name: "throws an error", id: "throws an error", status: .failed, file: "/tmp/n/test/basic.test.js",
      line: 25, message: "boom & <bang>"),
    TestCase(
      suite: "parent with subtests", name: "child passes", id: "parent with subtests > child passes",
      status: .passed),
    TestCase(
      suite: "parent with subtests", name: "child fails", id: "parent with subtests > child fails", status: .failed,
      file: "/tmp/n/test/basic.test.js", line: 31,
      message: "Expected values to be strictly deep-equal:\n+ actual - expected\n\n  {\n+   a: 1\n-   a: 2\n  }"),
    TestCase(suite: "math", name: "multiplies", id: "math > multiplies", status: .passed),
    TestCase(
      suite: "math > division", name: "divides", id: "math > division > divides", status: .failed,
      file: "/tmp/n/test/suite.test.js", line: 10, message: "six over two\n\n3 !== 4"),
    TestCase(suite: "math > division", name: "skips here", id: "math > division > skips here", status: .skipped),
    TestCase(suite: "math > division", name: "todo here", id: "math > division > todo here", status: .skipped),
  ]

  @Test func readsTheWholeReportCleanly() {
    #expect(Self.report.recognized)
    #expect(Self.report.problems == [])
    #expect(!Self.report.buildFailed)
    #expect(Self.report.cases.map(\.id) == Self.expectedCases.map(\.id))
  }

  @Test(arguments: expectedCases)
  func readsEachCase(expected: TestCase) throws {
    var found = try #require(Self.report.cases.first { $0.id == expected.id })
    found.details = nil
    found.durationMs = nil
    #expect(found == expected)
  }

  @Test func keepsErrorAndStackAsDetailsAndTheDuration() throws {
    let failing = try #require(Self.report.cases.first { $0.name == "throws an error" })
    #expect(failing.durationMs == 0.146979)
    #expect(
      failing.details == """
        boom & <bang>

        TestContext.<anonymous> (/tmp/n/test/basic.test.js:25:9)
        Test.runInAsyncScope (node:async_hooks:206:9)
        Test.run (node:internal/test_runner/test:796:25)
        Test.processPendingSubtests (node:internal/test_runner/test:526:18)
        Test.postRun (node:internal/test_runner/test:889:19)
        Test.run (node:internal/test_runner/test:835:12)
        async Test.processPendingSubtests (node:internal/test_runner/test:526:7)
        """)
    let passing = try #require(Self.report.cases.first)
    #expect(passing.durationMs == 1.942359)
    #expect(passing.details == nil)
  }

  /// A parent that failed for its own reason (a hook, code after its subtests) is listed besides its children.
  @Test func listsParentsThatFailedOnTheirOwn() {
    let report = TAPReport.parse(TAPFixtures.nodeFailures)
    #expect(report.problems == [])
    var cases = report.cases
    for index in cases.indices {
      cases[index].details = nil
      cases[index].durationMs = nil
    }
    #expect(
      cases == [
        TestCase(
          suite: "with broken hook", name: "never runs", id: "with broken hook > never runs", status: .failed,
          file: "/tmp/n2/test/hooks.test.js", line: 6,
          message: "test did not finish before its parent and was cancelled"),
        TestCase(
          suite: "", name: "with broken hook", id: "with broken hook", status: .failed,
          file: "/tmp/n2/test/hooks.test.js", line: 5, message: "hook failed"),
        TestCase(
          suite: "", name: "runtime todo", id: "runtime todo", status: .skipped, file: "/tmp/n2/test/hooks.test.js",
          line: 9, message: "later"),
        TestCase(
          suite: "fails after subtests", name: "inner ok", id: "fails after subtests > inner ok", status: .passed),
        TestCase(
          suite: "", name: "fails after subtests", id: "fails after subtests", status: .failed,
          file: "/tmp/n2/test/hooks.test.js", line: 16, message: "parent own failure"),
        TestCase(
          suite: "deep > level 1", name: "level 2", id: "deep > level 1 > level 2", status: .failed,
          file: "/tmp/n2/test/hooks.test.js", line: 21, message: "1 == 2"),
        // The file that did not load: node reports it as a failed test named by its path.
        TestCase(
          suite: "", name: "/tmp/n2/test/syntax.test.js", id: "/tmp/n2/test/syntax.test.js", status: .failed,
          file: "/tmp/n2/test/syntax.test.js", line: 1, message: "test failed"),
      ])
  }

  /// 'test failed' says nothing; the signal that killed the file's process does.
  @Test func aFileKilledByASignalSaysWhich() {
    let report = TAPReport.parse(TAPFixtures.nodeCrash)
    #expect(report.problems == [])
    #expect(report.cases.map(\.message) == ["killed by SIGSEGV"])
    #expect(report.cases.first?.status == .failed)
  }

  @Test func unescapesNames() {
    let report = TAPReport.parse(TAPFixtures.nodeEscapes)
    #expect(report.problems == [])
    var cases = report.cases
    for index in cases.indices { cases[index].durationMs = nil }
    #expect(
      cases == [
        TestCase(suite: "", name: "a # b \\ c\\nd", id: "a # b \\ c\\nd", status: .passed),
        TestCase(
          suite: "", name: "with { braces } and: colon", id: "with { braces } and: colon", status: .skipped,
          message: "needs work"),
        TestCase(suite: "", name: "diag", id: "diag", status: .passed),
      ])
  }
}

@Suite struct TAPGenericTests {
  @Test func readsProveStyleStreams() {
    let report = TAPReport.parse(TAPFixtures.prove)
    #expect(report.problems == [])
    #expect(
      report.cases == [
        TestCase(suite: "", name: "starts up", id: "starts up", status: .passed),
        TestCase(
          suite: "", name: "adds numbers", id: "adds numbers", status: .failed, file: "t/math.t", line: 10,
          message: "Failed test 'adds numbers'\nat t/math.t line 10.\n       got: '3'\n  expected: '4'",
          details: "Failed test 'adds numbers'\nat t/math.t line 10.\n       got: '3'\n  expected: '4'"),
        TestCase(suite: "", name: "test 3", id: "test 3", status: .skipped, message: "no network"),
        // A failing TODO test is expected to fail: skipped, not failed.
        TestCase(suite: "", name: "parses dates", id: "parses dates", status: .skipped, message: "timezone support"),
        TestCase(suite: "", name: "escaped # hash", id: "escaped # hash", status: .passed),
      ])
  }

  @Test func readsTAP14SubtestsAndBufferedSubtests() {
    let report = TAPReport.parse(TAPFixtures.tap14)
    #expect(report.problems == [])
    #expect(
      report.cases == [
        TestCase(suite: "outer", name: "inner one", id: "outer > inner one", status: .passed),
        TestCase(
          suite: "outer", name: "inner two", id: "outer > inner two", status: .failed, file: "test/outer.js",
          line: 12, message: "values differ\nsecond line",
          details:
            "message: \"values differ\\nsecond line\"\nseverity: fail\nat:\n  file: test/outer.js\n  line: 12\n  column: 3\nfound: 1\nwanted: 2"
        ),
        TestCase(
          suite: "buffered parent", name: "buffered child", id: "buffered parent > buffered child", status: .failed),
        TestCase(suite: "", name: "last", id: "last", status: .passed),
      ])
  }

  @Test(arguments: [
    ("1..3\nok 1 - a\nok 2 - b\n", ["the plan says 3 tests but the report has 2 results; it may be cut off"]),
    ("1..1\nok 1 - a\nok 2 - b\n", ["the plan says 1 tests but the report has 2 results"]),
    ("ok 1 - a\nok 2 - b\n", ["the report has no plan line (1..N), so it may be cut off"]),
    ("ok 1 - a\n1..1\n", []),
    ("1..0 # SKIP no tests here\n", []),
    ("TAP version 13\n1..3\nok 1 - a\nBail out! no database\nok 2 - b\n", ["the run bailed out: no database"]),
    ("1..2\nok 1 - a\n    Bail out!\n", ["the run bailed out (Bail out!)"]),
  ])
  func notesPlanMismatchesAndBailOuts(text: String, problems: [String]) {
    #expect(TAPReport.parse(text).problems == problems)
  }

  @Test func stopsReadingAtBailOut() {
    let report = TAPReport.parse("1..3\nok 1 - a\nnot ok 2 - b\nBail out! stop\nok 3 - c\n")
    #expect(report.cases.map(\.name) == ["a", "b"])
  }

  @Test(arguments: [
    "", "hello\nworld\n", "<testsuites/>", "# just a comment\n", "okay then\nnothing to see\n", "notok 1\n",
  ])
  func recognizesNothingInTextWithoutTAP(text: String) {
    #expect(TAPReport.parse(text) == .unrecognized)
  }

  @Test(arguments: [
    ("ok", "test", TestCase.Status.passed, nil as String?),
    ("ok 7", "test 7", .passed, nil),
    ("not ok 3 - ", "test 3", .failed, nil),
    ("ok 1 -no space after dash", "-no space after dash", .passed, nil),
    ("ok 1 - a # SKIP", "a", .skipped, nil),
    ("ok 1 - a # Skipped: not today", "a", .skipped, "not today"),
    ("not ok 1 - a # todo later", "a", .skipped, "later"),
    ("ok 1 - a # time=3ms", "a", .passed, nil),
    ("ok 1 - a \\# not a directive", "a # not a directive", .passed, nil),
    ("  \tok 1 - indented", "indented", .passed, nil),
    ("ok 1 - windows\r", "windows", .passed, nil),
  ])
  func readsTestPointLines(line: String, name: String, status: TestCase.Status, message: String?) throws {
    let report = TAPReport.parse(line + "\n1..1\n")
    let testCase = try #require(report.cases.first)
    #expect(testCase.name == name)
    #expect(testCase.status == status)
    #expect(testCase.message == message)
  }

  @Test func readsDiagnosticsAfterResultsWithTabsAndCRLF() {
    let report = TAPReport.parse("1..1\r\nnot ok 1 - a\r\n  ---\r\n  error: 'bad'\r\n  duration_ms: 2.5\r\n  ...\r\n")
    #expect(
      report.cases == [
        TestCase(
          suite: "", name: "a", id: "a", status: .failed, message: "bad", details: "error: 'bad'\nduration_ms: 2.5",
          durationMs: 2.5)
      ])
  }
}

@Suite struct TAPYAMLTests {
  static func lines(_ text: String) -> [Substring] {
    text.split(separator: "\n", omittingEmptySubsequences: false)
  }

  @Test(arguments: [
    ("error: 'it''s bad'", "it's bad"),
    ("error: \"tab\\there \\u00e9 \\\"q\\\"\"", "tab\there é \"q\""),
    ("error: plain words: with colon", "plain words: with colon"),
    ("error: plain\n  continued line", "plain continued line"),
    ("error: |-\n  line one\n\n  line three\n", "line one\n\nline three"),
    ("error: |\n  kept\n", "kept\n"),
    ("error: >-\n  folded\n  together\n\n  new paragraph", "folded together\nnew paragraph"),
    ("error: ~", ""),
    ("'error': quoted key", "quoted key"),
  ])
  func readsScalars(yaml: String, expected: String) {
    #expect(TAPYAML.parse(Self.lines(yaml))["error"] == expected)
  }

  @Test func flattensNestedMappingsToDottedKeys() {
    let values = TAPYAML.parse(
      Self.lines(
        "  at:\n    file: t/a.js\n    line: 3\n  expected:\n    a: 2\n    list:\n      - 1\n  stack: |-\n    s1\n    s2"
      ))
    #expect(values["at.file"] == "t/a.js")
    #expect(values["at.line"] == "3")
    #expect(values["expected.a"] == "2")
    #expect(values["expected"] == "a: 2\nlist:\n  - 1")
    #expect(values["stack"] == "s1\ns2")
  }
}

@Suite struct TAPMalformedTests {
  static let realStreams = [TAPFixtures.node, TAPFixtures.nodeFailures, TAPFixtures.tap14]

  /// Wherever a stream is cut, reading it neither crashes nor invents tests. Cuts fall on every line end, the
  /// bytes around it, and every third byte between: every prefix would take ten seconds in a debug build.
  @Test(arguments: realStreams)
  func prefixesParseToNoMoreCasesThanTheWholeStream(text: String) {
    let bytes = Array(text.utf8)
    let whole = TAPReport.parse(text)
    var cutPoints = Set(stride(from: 0, to: bytes.count, by: 3))
    for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
      cutPoints.formUnion([index - 1, index, index + 1, index + 2].filter { (0..<bytes.count).contains($0) })
    }
    for length in cutPoints.sorted() {
      let prefix = TAPReport.parse(String(decoding: bytes[..<length], as: UTF8.self))
      #expect(prefix.cases.count <= whole.cases.count, "prefix of \(length) bytes")
    }
  }

  /// Cut after a subtest's children but before the parent's own line: the children are still reported, under the
  /// parent's name from its `# Subtest:` header.
  @Test func namesOrphanedSubtestsFromTheirHeader() throws {
    let text = TAPFixtures.node
    let cut = try #require(text.firstRange(of: "    1..2\nnot ok 8 - parent with subtests"))
    let report = TAPReport.parse(String(text[..<cut.lowerBound]))
    #expect(report.cases.count == 9)
    #expect(
      report.cases.suffix(2).map(\.id) == ["parent with subtests > child passes", "parent with subtests > child fails"])
    #expect(
      report.problems == [
        "the report ends before the result of subtest 'parent with subtests'",
        "the report has no plan line (1..N), so it may be cut off",
      ])
  }

  @Test func namesOrphansInTheTAP14Convention() {
    let report = TAPReport.parse("TAP version 14\n    # Subtest: outer\n    ok 1 - inner\n")
    #expect(report.cases.map(\.id) == ["outer > inner"])
  }

  @Test func aCutYAMLValueDoesNotMakeAParentFailOnItsOwn() throws {
    let text = TAPFixtures.node
    let cut = try #require(
      text.firstRange(
        of: "subtestsFailed'\n  error: '1 subtest failed'\n  code: 'ERR_TEST_FAILURE'\n  ...\n# Subtest: math"))
    let report = TAPReport.parse(String(text[..<text.index(cut.lowerBound, offsetBy: 8)]))
    #expect(report.cases.map(\.name).contains("parent with subtests") == false)
    #expect(report.problems.contains("the report ends inside a YAML diagnostics block"))
  }

  @Test(arguments: [11 as UInt64, 12, 13])
  func lineSoupNeverCrashes(seed: UInt64) {
    let pieces = [
      "ok", "not ok", " ", "    ", "\t", "1", "- ", "#", " # SKIP", " # TODO", "\\", "{", "}", "\n", "  ---\n",
      "  ...\n", "1..", "Bail out!", "# Subtest: a\n", "error: |-\n", "location: '/a.js:3:1'\n", "\u{FF}", "é",
    ]
    var generator = SplitMix64(seed: seed)
    for _ in 0..<500 {
      let count = Int.random(in: 0..<100, using: &generator)
      let text = (0..<count).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &generator)] }.joined()
      _ = TAPReport.parse(text)
    }
  }

  @Test func hugeIndentationStaysShallow() {
    var text = ""
    for depth in stride(from: 2000, through: 0, by: -1) {
      text += String(repeating: " ", count: depth) + "not ok 1 - t\(depth)\n"
    }
    let report = TAPReport.parse(text)
    #expect(report.cases.count == 2001 - 256)
  }

  @Test func invalidUTF8BecomesReplacementCharacters() {
    let bytes = Array("1..1\nok 1 - caf".utf8) + [0xC3] + Array("\n".utf8)
    let report = TAPReport.parse(String(decoding: bytes, as: UTF8.self))
    #expect(report.cases.map(\.name) == ["caf\u{FFFD}"])
  }
}
