import MishTestSupport
import Testing

@testable import MishReports

/// Reports captured on this machine (pytest 9.0.3 on Python 3.11, Swift 6.3's `swift test`), pasted as they were
/// written, absolute /tmp paths and all; the dialects whose tools are not installed (ctest, GoogleTest, jest-junit,
/// older XCTest bodies) are hand-written from their writers' documented shapes and marked so.
enum JUnitFixtures {
  /// `python3 -m pytest -o junit_family=xunit1 --junitxml=/tmp/p/j.xml -p no:cacheprovider` on a file with passing,
  /// failing, skipped (mark and runtime), fixture-error, parametrized, class-based, xfail and printing tests.
  static let pytestXunit1 = #"""
    <?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="4" skipped="3" tests="12" time="0.060" timestamp="2026-12-04T08:21:04.245750+00:00" hostname="vm"><testcase classname="tests.test_calc" name="test_add" file="tests/test_calc.py" line="2" time="0.001" /><testcase classname="tests.test_calc" name="test_fails" file="tests/test_calc.py" line="5" time="0.001"><failure message="AssertionError: math &amp; &lt;stuff&gt;&#10;assert (2 * 2) == 5">def test_fails():
            x = 2
    &gt;       assert x * 2 == 5, "math &amp; &lt;stuff&gt;"
    E       AssertionError: math &amp; &lt;stuff&gt;
    E       assert (2 * 2) == 5

    tests/test_calc.py:8: AssertionError</failure></testcase><testcase classname="tests.test_calc" name="test_skipped" file="tests/test_calc.py" line="9" time="0.000"><skipped type="pytest.skip" message="not ready">/tmp/p/tests/test_calc.py:10: not ready</skipped></testcase><testcase classname="tests.test_calc" name="test_skip_inside" file="tests/test_calc.py" line="13" time="0.000"><skipped type="pytest.skip" message="runtime skip">/tmp/p/tests/test_calc.py:15: runtime skip</skipped></testcase><testcase classname="tests.test_calc" name="test_uses_broken" file="tests/test_calc.py" line="20" time="0.000"><error message="failed on setup with &quot;RuntimeError: fixture exploded&quot;">@pytest.fixture
        def broken():
    &gt;       raise RuntimeError("fixture exploded")
    E       RuntimeError: fixture exploded

    tests/test_calc.py:19: RuntimeError</error></testcase><testcase classname="tests.test_calc" name="test_param[1]" file="tests/test_calc.py" line="23" time="0.001" /><testcase classname="tests.test_calc" name="test_param[2]" file="tests/test_calc.py" line="23" time="0.001"><failure message="assert 2 != 2">n = 2

        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_param(n):
    &gt;       assert n != 2
    E       assert 2 != 2

    tests/test_calc.py:26: AssertionError</failure></testcase><testcase classname="tests.test_calc" name="test_param[3]" file="tests/test_calc.py" line="23" time="0.000" /><testcase classname="tests.test_calc.TestOps" name="test_mul" file="tests/test_calc.py" line="28" time="0.000" /><testcase classname="tests.test_calc.TestOps" name="test_div" file="tests/test_calc.py" line="31" time="0.000"><failure message="ZeroDivisionError: division by zero">self = &lt;tests.test_calc.TestOps object at 0x7f0493902890&gt;

        def test_div(self):
    &gt;       assert 1 / 0 == 0
                   ^^^^^
    E       ZeroDivisionError: division by zero

    tests/test_calc.py:33: ZeroDivisionError</failure></testcase><testcase classname="tests.test_calc" name="test_xfail" file="tests/test_calc.py" line="34" time="0.000"><skipped type="pytest.xfail" message="known bug" /></testcase><testcase classname="tests.test_calc" name="test_prints" file="tests/test_calc.py" line="38" time="0.000"><failure message="assert False">def test_prints():
            print("hello out")
            import sys
            print("hello err", file=sys.stderr)
    &gt;       assert False
    E       assert False

    tests/test_calc.py:43: AssertionError</failure></testcase></testsuite></testsuites>
    """#

  /// The same project with `-o junit_logging=all`: each testcase carries `system-out` and `system-err`.
  static let pytestWithOutput = #"""
    <?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2" time="0.034" timestamp="2026-12-04T08:21:16.368202+00:00" hostname="vm"><testcase classname="tests.test_calc" name="test_add" file="tests/test_calc.py" line="2" time="0.001"><system-out>--------------------------------- Captured Log ---------------------------------

    --------------------------------- Captured Out ---------------------------------

    </system-out><system-err>--------------------------------- Captured Err ---------------------------------

    </system-err></testcase><testcase classname="tests.test_calc" name="test_prints" file="tests/test_calc.py" line="38" time="0.001"><failure message="assert False">def test_prints():
            print("hello out")
            import sys
            print("hello err", file=sys.stderr)
    &gt;       assert False
    E       assert False

    tests/test_calc.py:43: AssertionError</failure><system-out>--------------------------------- Captured Log ---------------------------------

    --------------------------------- Captured Out ---------------------------------
    hello out

    </system-out><system-err>--------------------------------- Captured Err ---------------------------------
    hello err

    </system-err></testcase></testsuite></testsuites>
    """#

  /// pytest's default family (xunit2) has no `file`/`line` attributes.
  static let pytestXunit2 = #"""
    <?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="3" time="0.034" timestamp="2026-12-04T08:35:27.658803+00:00" hostname="vm"><testcase classname="tests.test_calc" name="test_add" time="0.000" /><testcase classname="tests.test_calc" name="test_fails" time="0.001"><failure message="AssertionError: math &amp; &lt;stuff&gt;&#10;assert (2 * 2) == 5">def test_fails():
            x = 2
    &gt;       assert x * 2 == 5, "math &amp; &lt;stuff&gt;"
    E       AssertionError: math &amp; &lt;stuff&gt;
    E       assert (2 * 2) == 5

    tests/test_calc.py:8: AssertionError</failure></testcase><testcase classname="tests.test_calc.TestOps" name="test_mul" time="0.000" /></testsuite></testsuites>
    """#

  /// Collection errors: one file with a syntax error, one importing a missing module.
  static let pytestCollectionErrors = #"""
    <?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="2" failures="0" skipped="0" tests="2" time="0.341" timestamp="2026-12-04T08:21:18.213581+00:00" hostname="vm"><testcase classname="" name="tests.test_bad" file="tests/test_bad.py" time="0.000"><error message="collection failure">/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/_pytest/python.py:507: in importtestmodule
        mod = import_path(
    /root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/_pytest/pathlib.py:587: in import_path
        importlib.import_module(module_name)
    /root/.pyenv/versions/3.11.7/lib/python3.11/importlib/__init__.py:126: in import_module
        return _bootstrap._gcd_import(name[level:], package, level)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    &lt;frozen importlib._bootstrap&gt;:1204: in _gcd_import
        ???
    &lt;frozen importlib._bootstrap&gt;:1176: in _find_and_load
        ???
    &lt;frozen importlib._bootstrap&gt;:1147: in _find_and_load_unlocked
        ???
    &lt;frozen importlib._bootstrap&gt;:690: in _load_unlocked
        ???
    /root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/_pytest/assertion/rewrite.py:188: in exec_module
        source_stat, co = _rewrite_test(fn, self.config)
                          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    /root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/_pytest/assertion/rewrite.py:357: in _rewrite_test
        tree = ast.parse(source, filename=strfn)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    /root/.pyenv/versions/3.11.7/lib/python3.11/ast.py:50: in parse
        return compile(source, filename, mode, flags,
    E     File "/tmp/p2/tests/test_bad.py", line 1
    E       def test_broken(:
    E                       ^
    E   SyntaxError: invalid syntax</error></testcase><testcase classname="" name="tests.test_imp" file="tests/test_imp.py" time="0.000"><error message="collection failure">ImportError while importing test module '/tmp/p2/tests/test_imp.py'.
    Hint: make sure your test modules/packages have valid Python names.
    Traceback:
    /root/.pyenv/versions/3.11.7/lib/python3.11/importlib/__init__.py:126: in import_module
        return _bootstrap._gcd_import(name[level:], package, level)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    tests/test_imp.py:1: in &lt;module&gt;
        import nonexistent_module_xyz
    E   ModuleNotFoundError: No module named 'nonexistent_module_xyz'</error></testcase></testsuite></testsuites>
    """#

  /// `swift test --parallel --xunit-output /tmp/x/xunit.xml`, XCTest half: one passing, one failing assertion, one
  /// `throw XCTSkip(...)`, one thrown error. Skipped XCTests show as plain passes; failures say only "failure".
  static let swiftXCTest = #"""
    <?xml version="1.0" encoding="UTF-8"?>

    <testsuites>
    <testsuite name="TestResults" errors="0" tests="4" failures="2" time="0.057659587000000005">
    <testcase classname="CalcTests.CalcXCTests" name="testAddFails" time="0.011775588">
    <failure message="failure"></failure>
    </testcase>
    <testcase classname="CalcTests.CalcXCTests" name="testSkipped" time="0.009953998">
    </testcase>
    <testcase classname="CalcTests.CalcXCTests" name="testAddPasses" time="0.021119188">
    </testcase>
    <testcase classname="CalcTests.CalcXCTests" name="testThrows" time="0.014810813">
    <failure message="failure"></failure>
    </testcase>
    </testsuite>
    </testsuites>
    """#

  /// The same run's Swift Testing half (`xunit-swift-testing.xml`): a free function passing and failing, a disabled
  /// test, a parametrized test in a suite, and a test in a nested suite.
  static let swiftTesting = #"""
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites>
      <testsuite name="TestResults" errors="0" tests="4" failures="3" skipped="1" time="0.002095367">
        <testcase classname="CalcTests" name="addBroken()" time="0.001068991" >
          <failure message="Expectation failed: (add(1, 2) &#8594; 3) == 4 (error)" />
        </testcase>
        <testcase classname="CalcTests" name="addWorks()" time="0.000833991" />
        <testcase classname="CalcTests" name="disabledOne()" >
          <skipped>not yet</skipped>
        </testcase>
        <testcase classname="CalcTests.Arithmetic" name="sums(n:)" time="0.001191623" >
          <failure message="Expectation failed: (add(n, n) &#8594; 4) == 2 (error)" />
        </testcase>
        <testcase classname="CalcTests.Outer.Inner" name="deep()" time="0.000589557" >
          <failure message="Expectation failed: Bool(false) (error): deep &amp; &lt;failure&gt;" />
        </testcase>
      </testsuite>
    </testsuites>
    """#

  /// HAND-WRITTEN from CMake's `cmCTestTestHandler` JUnit writer (`ctest --output-junit`): classname repeats the
  /// name, `status` says run/fail/notrun, the test's output is in `system-out`.
  static let ctest = #"""
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuite name="Linux-c++"
    	tests="4"
    	failures="1"
    	disabled="1"
    	skipped="1"
    	hostname="vm"
    	time="1"
    	timestamp="2025-03-01T10:00:00"
    	>
    	<testcase name="unit_math" classname="unit_math" time="0.0123" status="run">
    		<system-out>All tests passed</system-out>
    	</testcase>
    	<testcase name="unit_io" classname="unit_io" time="0.5" status="fail">
    		<failure message="Failed"/>
    		<system-out>Running io tests
    /src/tests/io_test.cpp:42: error: expected 3, got 4
    </system-out>
    	</testcase>
    	<testcase name="needs_gpu" classname="needs_gpu" time="0" status="disabled">
    		<skipped message="Disabled"/>
    		<system-out>Disabled</system-out>
    	</testcase>
    	<testcase name="missing_exe" classname="missing_exe" time="0" status="notrun">
    		<skipped message="Unable to find executable: /build/missing_exe"/>
    	</testcase>
    </testsuite>
    """#

  /// HAND-WRITTEN from GoogleTest's XML printer (`--gtest_output=xml`): `result` says completed/skipped/suppressed,
  /// failure messages start with `file:line`.
  static let googleTest = #"""
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites tests="4" failures="1" disabled="1" errors="0" time="0.002" timestamp="2025-03-01T10:00:00.000" name="AllTests">
      <testsuite name="MathTest" tests="4" failures="1" disabled="1" skipped="1" errors="0" time="0.001" timestamp="2025-03-01T10:00:00.000">
        <testcase name="Adds" file="/src/math_test.cc" line="5" status="run" result="completed" time="0" timestamp="2025-03-01T10:00:00.000" classname="MathTest" />
        <testcase name="Divides" file="/src/math_test.cc" line="9" status="run" result="completed" time="0.001" timestamp="2025-03-01T10:00:00.000" classname="MathTest">
          <failure message="/src/math_test.cc:11&#x0A;Expected equality of these values:&#x0A;  6 / 2&#x0A;    Which is: 3&#x0A;  4" type=""><![CDATA[/src/math_test.cc:11
    Expected equality of these values:
      6 / 2
        Which is: 3
      4]]></failure>
        </testcase>
        <testcase name="DISABLED_Slow" file="/src/math_test.cc" line="14" status="notrun" result="suppressed" time="0" timestamp="2025-03-01T10:00:00.000" classname="MathTest" />
        <testcase name="NeedsGPU" file="/src/math_test.cc" line="18" status="run" result="skipped" time="0" timestamp="2025-03-01T10:00:00.000" classname="MathTest">
          <skipped message="/src/math_test.cc:19&#x0A;no GPU here"><![CDATA[/src/math_test.cc:19
    no GPU here]]></skipped>
        </testcase>
      </testsuite>
      <testsuite name="Params/RangeTest" tests="1" failures="0" disabled="0" skipped="0" errors="0" time="0" timestamp="2025-03-01T10:00:00.000">
        <testcase name="InRange/0" value_param="3" file="/src/range_test.cc" line="30" status="run" result="completed" time="0" timestamp="2025-03-01T10:00:00.000" classname="Params/RangeTest" />
      </testsuite>
    </testsuites>
    """#

  /// HAND-WRITTEN from jest-junit's defaults: classname and name are both "{describe} {title}", the failure is the
  /// stack with no `message` attribute.
  static let jestJUnit = #"""
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites name="jest tests" tests="2" failures="1" errors="0" time="1.2">
      <testsuite name="sum" errors="0" failures="1" skipped="0" timestamp="2025-03-01T10:00:00" time="0.9" tests="2">
        <testcase classname="sum adds" name="sum adds" time="0.002">
        </testcase>
        <testcase classname="sum fails" name="sum fails" time="0.004">
          <failure>Error: expect(received).toBe(expected) // Object.is equality

    Expected: 4
    Received: 3
        at Object.toBe (/home/dev/proj/sum.test.js:8:17)
        at Promise.then.completed (/home/dev/proj/node_modules/jest-circus/build/utils.js:298:28)</failure>
        </testcase>
      </testsuite>
    </testsuites>
    """#
}

@Suite struct JUnitPytestTests {
  static let report = JUnitReport.parse(Array(JUnitFixtures.pytestXunit1.utf8))

  /// Every case of the real xunit1 report, without `details` and `durationMs` (checked separately).
  static let expectedCases: [TestCase] = [
    TestCase(
      suite: "tests.test_calc", name: "test_add", id: "tests/test_calc.py::test_add", status: .passed,
      file: "tests/test_calc.py", line: 3),
    TestCase(
      suite: "tests.test_calc", name: "test_fails", id: "tests/test_calc.py::test_fails", status: .failed,
      file: "tests/test_calc.py", line: 8, message: "AssertionError: math & <stuff>\nassert (2 * 2) == 5"),
    TestCase(
      suite: "tests.test_calc", name: "test_skipped", id: "tests/test_calc.py::test_skipped", status: .skipped,
      file: "/tmp/p/tests/test_calc.py", line: 10, message: "not ready"),
    TestCase(
      suite: "tests.test_calc", name: "test_skip_inside", id: "tests/test_calc.py::test_skip_inside",
      status: .skipped, file: "/tmp/p/tests/test_calc.py", line: 15, message: "runtime skip"),
    TestCase(
      suite: "tests.test_calc", name: "test_uses_broken", id: "tests/test_calc.py::test_uses_broken",
      status: .failed, file: "tests/test_calc.py", line: 19,
      message: "failed on setup with \"RuntimeError: fixture exploded\""),
    TestCase(
      suite: "tests.test_calc", name: "test_param[1]", id: "tests/test_calc.py::test_param[1]", status: .passed,
      file: "tests/test_calc.py", line: 24),
    TestCase(
      suite: "tests.test_calc", name: "test_param[2]", id: "tests/test_calc.py::test_param[2]", status: .failed,
      file: "tests/test_calc.py", line: 26, message: "assert 2 != 2"),
    TestCase(
      suite: "tests.test_calc", name: "test_param[3]", id: "tests/test_calc.py::test_param[3]", status: .passed,
      file: "tests/test_calc.py", line: 24),
    TestCase(
      suite: "tests.test_calc.TestOps", name: "test_mul", id: "tests/test_calc.py::TestOps::test_mul",
      status: .passed, file: "tests/test_calc.py", line: 29),
    TestCase(
      suite: "tests.test_calc.TestOps", name: "test_div", id: "tests/test_calc.py::TestOps::test_div",
      status: .failed, file: "tests/test_calc.py", line: 33, message: "ZeroDivisionError: division by zero"),
    TestCase(
      suite: "tests.test_calc", name: "test_xfail", id: "tests/test_calc.py::test_xfail", status: .skipped,
      file: "tests/test_calc.py", line: 35, message: "known bug"),
    TestCase(
      suite: "tests.test_calc", name: "test_prints", id: "tests/test_calc.py::test_prints", status: .failed,
      file: "tests/test_calc.py", line: 43, message: "assert False"),
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

  @Test func keepsTheFailureBodyAsDetailsAndTheTimeInMilliseconds() throws {
    let failing = try #require(Self.report.cases.first { $0.name == "test_fails" })
    #expect(
      failing.details == """
        def test_fails():
                x = 2
        >       assert x * 2 == 5, "math & <stuff>"
        E       AssertionError: math & <stuff>
        E       assert (2 * 2) == 5

        tests/test_calc.py:8: AssertionError
        """)
    #expect(failing.durationMs == 0.001 * 1000)
    let skipped = try #require(Self.report.cases.first { $0.name == "test_skipped" })
    #expect(skipped.details == "/tmp/p/tests/test_calc.py:10: not ready")
    #expect(skipped.durationMs == 0)
    let passed = try #require(Self.report.cases.first { $0.name == "test_add" })
    #expect(passed.details == nil)
    #expect(passed.message == nil)
  }

  @Test func appendsCapturedOutputToAFailuresDetails() throws {
    let report = JUnitReport.parse(Array(JUnitFixtures.pytestWithOutput.utf8))
    #expect(report.cases.map(\.id) == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_prints"])
    let failing = try #require(report.cases.last)
    #expect(failing.file == "tests/test_calc.py")
    #expect(failing.line == 43)
    let details = try #require(failing.details)
    #expect(details.hasPrefix("def test_prints():"))
    #expect(details.contains("tests/test_calc.py:43: AssertionError\n\nsystem-out:\n"))
    #expect(details.contains("hello out"))
    #expect(
      details.hasSuffix(
        "system-err:\n--------------------------------- Captured Err ---------------------------------\nhello err"))
    // A passing test's captured output is not kept.
    #expect(report.cases.first?.details == nil)
  }

  @Test func infersTheFileOfXunit2ReportsFromTheClassname() {
    let report = JUnitReport.parse(Array(JUnitFixtures.pytestXunit2.utf8))
    #expect(report.problems == [])
    #expect(
      report.cases == [
        TestCase(
          suite: "tests.test_calc", name: "test_add", id: "tests/test_calc.py::test_add", status: .passed,
          durationMs: 0),
        TestCase(
          suite: "tests.test_calc", name: "test_fails", id: "tests/test_calc.py::test_fails", status: .failed,
          file: "tests/test_calc.py", line: 8, message: "AssertionError: math & <stuff>\nassert (2 * 2) == 5",
          details: report.cases.count > 1 ? report.cases[1].details : nil, durationMs: 0.001 * 1000),
        TestCase(
          suite: "tests.test_calc.TestOps", name: "test_mul", id: "tests/test_calc.py::TestOps::test_mul",
          status: .passed, durationMs: 0),
      ])
  }

  /// A syntax error or a failed import in a test file: `classname=""`, `name` the module, no `line`, and
  /// `<error message="collection failure">` with the traceback. Nothing in that file ran, so it is a build failure.
  @Test func flagsCollectionErrorsAsABuildFailure() {
    let report = JUnitReport.parse(Array(JUnitFixtures.pytestCollectionErrors.utf8))
    #expect(report.buildFailed)
    #expect(report.problems == [])
    var cases = report.cases
    for index in cases.indices {
      cases[index].details = nil
      cases[index].durationMs = nil
    }
    #expect(
      cases == [
        TestCase(
          suite: "pytest", name: "tests.test_bad", id: "tests/test_bad.py", status: .failed,
          file: "/tmp/p2/tests/test_bad.py", line: 1, message: "collection failure"),
        TestCase(
          suite: "pytest", name: "tests.test_imp", id: "tests/test_imp.py", status: .failed,
          file: "tests/test_imp.py", line: 1, message: "collection failure"),
      ])
    #expect(report.cases.first?.details?.hasSuffix("E   SyntaxError: invalid syntax") ?? false)
  }

  @Test func aFailingTestIsNotACollectionError() {
    let report = JUnitReport.parse(
      Array(
        #"<testsuite name="pytest"><testcase classname="tests.test_a" name="test_x" file="tests/test_a.py" line="0"><error message="collection failure">boom</error></testcase></testsuite>"#
          .utf8))
    #expect(!report.buildFailed)
    #expect(report.cases.first?.line == 1)
  }

  @Test(arguments: [
    // A test inherited from a base class in another file: `file` names the base's file, the id the collecting one.
    ("tests/base.py", "tests.test_impl.TestImpl", "test_shared", "tests/test_impl.py::TestImpl::test_shared"),
    ("tests/test_a.py", "tests.test_a.TestOuter.TestInner", "test_x", "tests/test_a.py::TestOuter::TestInner::test_x"),
    ("test_top.py", "test_top", "test_y[a.b-1]", "test_top.py::test_y[a.b-1]"),
    ("./tests/test_a.py", "tests.test_a", "test_z", "./tests/test_a.py::test_z"),
    ("tests/test_a.py", "", "test_free", "tests/test_a.py::test_free"),
  ])
  func formsPytestNodeIDs(file: String, classname: String, name: String, expected: String) {
    #expect(JUnitIdentifiers.pytestNodeID(file: file, classname: classname, name: name) == expected)
  }
}

@Suite struct JUnitSwiftTests {
  @Test func readsXCTestsFile() {
    let report = JUnitReport.parse(Array(JUnitFixtures.swiftXCTest.utf8))
    #expect(report.problems == [])
    #expect(
      report.cases == [
        TestCase(
          suite: "CalcTests.CalcXCTests", name: "testAddFails", id: "CalcTests.CalcXCTests/testAddFails",
          status: .failed, message: "failure", durationMs: 0.011775588 * 1000),
        // XCTSkip: the xunit file does not say it was skipped.
        TestCase(
          suite: "CalcTests.CalcXCTests", name: "testSkipped", id: "CalcTests.CalcXCTests/testSkipped",
          status: .passed, durationMs: 0.009953998 * 1000),
        TestCase(
          suite: "CalcTests.CalcXCTests", name: "testAddPasses", id: "CalcTests.CalcXCTests/testAddPasses",
          status: .passed, durationMs: 0.021119188 * 1000),
        TestCase(
          suite: "CalcTests.CalcXCTests", name: "testThrows", id: "CalcTests.CalcXCTests/testThrows",
          status: .failed, message: "failure", durationMs: 0.014810813 * 1000),
      ])
  }

  @Test func readsSwiftTestingsFile() {
    let report = JUnitReport.parse(Array(JUnitFixtures.swiftTesting.utf8))
    #expect(report.problems == [])
    var cases = report.cases
    for index in cases.indices { cases[index].durationMs = nil }
    #expect(
      cases == [
        TestCase(
          suite: "CalcTests", name: "addBroken()", id: "CalcTests.addBroken()", status: .failed,
          message: "Expectation failed: (add(1, 2) \u{2192} 3) == 4 (error)"),
        TestCase(suite: "CalcTests", name: "addWorks()", id: "CalcTests.addWorks()", status: .passed),
        TestCase(
          suite: "CalcTests", name: "disabledOne()", id: "CalcTests.disabledOne()", status: .skipped,
          message: "not yet", details: "not yet"),
        TestCase(
          suite: "CalcTests.Arithmetic", name: "sums(n:)", id: "CalcTests.Arithmetic/sums(n:)", status: .failed,
          message: "Expectation failed: (add(n, n) \u{2192} 4) == 2 (error)"),
        TestCase(
          suite: "CalcTests.Outer.Inner", name: "deep()", id: "CalcTests.Outer.Inner/deep()", status: .failed,
          message: "Expectation failed: Bool(false) (error): deep & <failure>"),
      ])
    #expect(report.cases[0].durationMs == 0.001068991 * 1000)
    #expect(report.cases[2].durationMs == nil)
  }

  /// Older SwiftPM and xcpretty put XCTest's console line in the failure body.
  @Test func takesTheLocationFromAnXCTestFailureBody() {
    let report = JUnitReport.parse(
      Array(
        #"""
        <testsuites><testsuite name="AppTests.LoginTests">
        <testcase classname="AppTests.LoginTests" name="testLogin" time="0.01">
        <failure message="XCTAssertEqual failed: (&quot;1&quot;) is not equal to (&quot;2&quot;)">/work/app/Tests/AppTests/LoginTests.swift:34: error: -[AppTests.LoginTests testLogin] : XCTAssertEqual failed: ("1") is not equal to ("2")</failure>
        </testcase></testsuite></testsuites>
        """#.utf8))
    #expect(
      report.cases == [
        TestCase(
          suite: "AppTests.LoginTests", name: "testLogin", id: "AppTests.LoginTests/testLogin", status: .failed,
          file: "/work/app/Tests/AppTests/LoginTests.swift", line: 34,
          message: "XCTAssertEqual failed: (\"1\") is not equal to (\"2\")",
          details:
            "/work/app/Tests/AppTests/LoginTests.swift:34: error: -[AppTests.LoginTests testLogin] : XCTAssertEqual failed: (\"1\") is not equal to (\"2\")",
          durationMs: 0.01 * 1000)
      ])
  }
}

@Suite struct JUnitDialectTests {
  @Test func readsCtest() {
    let report = JUnitReport.parse(Array(JUnitFixtures.ctest.utf8))
    #expect(report.problems == [])
    var cases = report.cases
    for index in cases.indices { cases[index].details = nil }
    #expect(
      cases == [
        TestCase(suite: "Linux-c++", name: "unit_math", id: "unit_math", status: .passed, durationMs: 0.0123 * 1000),
        TestCase(
          suite: "Linux-c++", name: "unit_io", id: "unit_io", status: .failed, file: "/src/tests/io_test.cpp",
          line: 42, message: "Failed", durationMs: 500),
        TestCase(
          suite: "Linux-c++", name: "needs_gpu", id: "needs_gpu", status: .skipped, message: "Disabled",
          durationMs: 0),
        TestCase(
          suite: "Linux-c++", name: "missing_exe", id: "missing_exe", status: .skipped,
          message: "Unable to find executable: /build/missing_exe", durationMs: 0),
      ])
    #expect(
      report.cases[1].details == "system-out:\nRunning io tests\n/src/tests/io_test.cpp:42: error: expected 3, got 4")
  }

  @Test(arguments: [
    ("run", TestCase.Status.passed), ("fail", .failed), ("notrun", .skipped), ("disabled", .skipped),
  ])
  func readsCtestStatusWithoutChildren(status: String, expected: TestCase.Status) {
    let report = JUnitReport.parse(Array(#"<testsuite><testcase name="t" status="\#(status)"/></testsuite>"#.utf8))
    #expect(report.cases.map(\.status) == [expected])
  }

  @Test func readsGoogleTest() {
    let report = JUnitReport.parse(Array(JUnitFixtures.googleTest.utf8))
    #expect(report.problems == [])
    var cases = report.cases
    for index in cases.indices { cases[index].details = nil }
    #expect(
      cases == [
        TestCase(
          suite: "MathTest", name: "Adds", id: "MathTest.Adds", status: .passed, file: "/src/math_test.cc", line: 5,
          durationMs: 0),
        TestCase(
          suite: "MathTest", name: "Divides", id: "MathTest.Divides", status: .failed, file: "/src/math_test.cc",
          line: 11, message: "/src/math_test.cc:11\nExpected equality of these values:\n  6 / 2\n    Which is: 3\n  4",
          durationMs: 1),
        TestCase(
          suite: "MathTest", name: "DISABLED_Slow", id: "MathTest.DISABLED_Slow", status: .skipped,
          file: "/src/math_test.cc", line: 14, durationMs: 0),
        TestCase(
          suite: "MathTest", name: "NeedsGPU", id: "MathTest.NeedsGPU", status: .skipped, file: "/src/math_test.cc",
          line: 19, message: "/src/math_test.cc:19\nno GPU here", durationMs: 0),
        TestCase(
          suite: "Params/RangeTest", name: "InRange/0", id: "Params/RangeTest.InRange/0", status: .passed,
          file: "/src/range_test.cc", line: 30, durationMs: 0),
      ])
  }

  @Test func readsJestJUnit() {
    let report = JUnitReport.parse(Array(JUnitFixtures.jestJUnit.utf8))
    #expect(report.problems == [])
    #expect(
      report.cases == [
        TestCase(suite: "sum", name: "sum adds", id: "sum adds", status: .passed, durationMs: 0.002 * 1000),
        TestCase(
          suite: "sum", name: "sum fails", id: "sum fails", status: .failed, file: "/home/dev/proj/sum.test.js",
          line: 8, message: "Error: expect(received).toBe(expected) // Object.is equality",
          details: """
            Error: expect(received).toBe(expected) // Object.is equality

            Expected: 4
            Received: 3
                at Object.toBe (/home/dev/proj/sum.test.js:8:17)
                at Promise.then.completed (/home/dev/proj/node_modules/jest-circus/build/utils.js:298:28)
            """, durationMs: 0.004 * 1000),
      ])
  }

  @Test func takesTheSuiteFromTheInnermostTestsuiteWhenThereIsNoClassname() {
    let report = JUnitReport.parse(
      Array(
        #"""
        <testsuites name="all">
          <testsuite name="outer">
            <testsuite name="inner"><testcase name="a"/></testsuite>
            <testcase name="b"><error message="boom" type="RuntimeError"/></testcase>
          </testsuite>
          <testcase name="c"/>
        </testsuites>
        """#.utf8))
    #expect(
      report.cases == [
        TestCase(suite: "inner", name: "a", id: "a", status: .passed),
        TestCase(suite: "outer", name: "b", id: "b", status: .failed, message: "boom"),
        TestCase(suite: "", name: "c", id: "c", status: .passed),
      ])
  }

  @Test func readsABareTestsuiteWithoutADeclaration() {
    let report = JUnitReport.parse(
      Array(#"<testsuite name='unit'><testcase classname='pkg.Foo' name='bar' time='1.5'/></testsuite>"#.utf8))
    #expect(
      report
        == ParsedReport(cases: [
          TestCase(suite: "pkg.Foo", name: "bar", id: "pkg.Foo/bar", status: .passed, durationMs: 1500)
        ]))
  }

  @Test(arguments: [
    ("<html><body><p>not a report</p></body></html>", false),
    ("", false),
    ("{\"tests\": []}", false),
    ("TAP version 13\nok 1 - a\n", false),
    ("<testsuites/>", true),
    ("<?xml version=\"1.0\"?>\n<testsuite name=\"empty\" tests=\"0\"></testsuite>", true),
  ])
  func recognizesOnlyTestReports(text: String, recognized: Bool) {
    let report = JUnitReport.parse(Array(text.utf8))
    #expect(report.recognized == recognized)
    #expect(report.cases == [])
  }

  @Test(
    arguments: [
      ("0.25", 250.0), ("  2 ", 2000.0), ("0", 0.0), ("1e400", nil), ("-1", nil), ("abc", nil), ("", nil),
      ("nan", nil), ("1,5", nil),
    ] as [(String, Double?)])
  func readsDurations(time: String, expected: Double?) {
    let report = JUnitReport.parse(Array(#"<testsuite><testcase name="t" time="\#(time)"/></testsuite>"#.utf8))
    #expect(report.cases.first?.durationMs == expected)
  }

  @Test func capsTheMessageAndCutsTheMiddleOutOfLongDetails() throws {
    let longMessage = String(repeating: "m", count: 600)
    let body = "START" + String(repeating: "x", count: 10_000) + "END"
    let report = JUnitReport.parse(
      Array(
        #"<testsuite><testcase name="t"><failure message="\#(longMessage)">\#(body)</failure></testcase></testsuite>"#
          .utf8))
    let failing = try #require(report.cases.first)
    #expect(failing.message == String(repeating: "m", count: 500) + "…")
    let details = try #require(failing.details)
    #expect(details.count <= 4000)
    #expect(details.hasPrefix("START"))
    #expect(details.hasSuffix("END"))
    #expect(details.contains("characters cut"))
  }

  @Test func takesTheFirstLineOfTheBodyWhenThereIsNoMessage() {
    let report = JUnitReport.parse(
      Array("<testsuite><testcase name=\"t\"><failure>\n\n  first line  \nsecond</failure></testcase></testsuite>".utf8)
    )
    #expect(report.cases.first?.message == "first line")
    #expect(report.cases.first?.details == "first line  \nsecond")
  }
}

@Suite struct JUnitMalformedTests {
  static let realReports = [
    JUnitFixtures.pytestXunit1, JUnitFixtures.pytestCollectionErrors, JUnitFixtures.swiftXCTest,
    JUnitFixtures.swiftTesting, JUnitFixtures.ctest,
  ]

  /// Whatever point a report is cut at, reading it neither crashes nor invents tests, and a cut report always says
  /// so (or is not recognized at all).
  @Test(arguments: realReports)
  func everyPrefixParsesToNoMoreCasesThanTheWholeReport(text: String) {
    let bytes = Array(text.utf8)
    let whole = JUnitReport.parse(bytes)
    let wholeIDs = Set(whole.cases.map(\.id))
    for length in 0..<bytes.count {
      let prefix = JUnitReport.parse(Array(bytes[..<length]))
      #expect(prefix.cases.count <= whole.cases.count, "prefix of \(length) bytes")
      #expect(prefix.cases.allSatisfy { wholeIDs.contains($0.id) }, "prefix of \(length) bytes")
      #expect(!prefix.recognized || !prefix.problems.isEmpty, "prefix of \(length) bytes")
    }
  }

  @Test func aReportCutInsideAFailureKeepsTheFailure() throws {
    let text = JUnitFixtures.pytestXunit1
    let cut = try #require(text.firstRange(of: "E       ZeroDivisionError"))
    let report = JUnitReport.parse(Array(text[..<cut.lowerBound].utf8))
    #expect(report.cases.count == 10)
    let last = try #require(report.cases.last)
    #expect(last.id == "tests/test_calc.py::TestOps::test_div")
    #expect(last.status == .failed)
    #expect(last.message == "ZeroDivisionError: division by zero")
    #expect(report.problems == ["the report ends inside <failure>: it is cut off before 4 end tags"])
  }

  @Test func aTestcaseCutBeforeItsResultIsLeftOut() throws {
    let text = JUnitFixtures.pytestXunit1
    let cut = try #require(text.firstRange(of: #"<failure message="ZeroDivisionError"#))
    let report = JUnitReport.parse(Array(text[..<cut.lowerBound].utf8))
    #expect(report.cases.count == 9)
    #expect(report.cases.last?.id == "tests/test_calc.py::TestOps::test_mul")
    #expect(
      report.problems == [
        "the report ends inside <testcase>: it is cut off before 3 end tags",
        "the report ends inside <testcase name=\"test_div\">; its result is unknown, so it is not listed",
      ])
  }

  @Test(arguments: [1 as UInt64, 2, 3, 42, 0xDEAD_BEEF])
  func randomBytesNeverCrash(seed: UInt64) {
    var generator = SplitMix64(seed: seed)
    for _ in 0..<200 {
      let length = Int.random(in: 0..<400, using: &generator)
      let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let report = JUnitReport.parse(bytes)
      #expect(report.cases.isEmpty || report.recognized, "seed \(seed)")
    }
  }

  /// Random runs of the characters that matter to XML, with test-report words mixed in.
  @Test(arguments: [7 as UInt64, 8, 9])
  func markupSoupNeverCrashes(seed: UInt64) {
    let pieces = [
      "<", ">", "/", "=", "\"", "'", "&", ";", "#x", "&#", "<!--", "-->", "<![CDATA[", "]]>", "<?", "?>",
      "<!DOCTYPE", "[", "]", "testcase", "testsuite", " name=", "failure", "skipped", "\n", " ", "\u{FF}", "é",
    ]
    var generator = SplitMix64(seed: seed)
    for _ in 0..<500 {
      let count = Int.random(in: 0..<80, using: &generator)
      let text = (0..<count).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &generator)] }.joined()
      _ = JUnitReport.parse(Array(text.utf8))
    }
  }

  @Test func invalidUTF8BecomesReplacementCharacters() {
    let bytes =
      Array(#"<testsuite><testcase name="bad"#.utf8) + [0xFF, 0xFE] + Array(#""><failure message="x"#.utf8) + [0xC3]
      + Array(#"">body "#.utf8) + [0xE2, 0x82] + Array("</failure></testcase></testsuite>".utf8)
    let report = JUnitReport.parse(bytes)
    #expect(report.problems == [])
    #expect(report.cases.map(\.name) == ["bad\u{FFFD}\u{FFFD}"])
    #expect(report.cases.first?.message == "x\u{FFFD}")
    #expect(report.cases.first?.details == "body \u{FFFD}")
  }

  @Test func deepNestingIsFlattenedNotRecursed() {
    let depth = 100_000
    let text =
      String(repeating: "<testsuite>", count: depth) + "<testcase name=\"deep\"/>"
      + String(repeating: "</testsuite>", count: depth)
    let report = JUnitReport.parse(Array(text.utf8))
    #expect(report.cases == [])
    #expect(report.problems == ["elements nested deeper than 256 levels were flattened"])
  }
}

@Suite struct XMLReaderTests {
  @Test(arguments: [
    ("&lt;&gt;&amp;&quot;&apos;", "<>&\"'", [String]()),
    ("&#65;&#x42;&#X43;&#x1F600;", "ABC\u{1F600}", []),
    ("a&#10;b", "a\nb", []),
    (
      "&#0;|&#xD800;|&#x110000;|&#99999999999;", "\u{FFFD}|\u{FFFD}|\u{FFFD}|\u{FFFD}",
      ["a character reference to an invalid code point was replaced with U+FFFD"]
    ),
    ("&nbsp;x", "&nbsp;x", ["an unknown entity was kept as written"]),
    ("a & b", "a & b", ["a bare '&' was read as text"]),
    ("&#xZZ;", "&#xZZ;", []),
    ("a\r\nb\rc", "a\nb\nc", []),
    ("x<![CDATA[<not> &amp; markup]]>y", "x<not> &amp; markupy", []),
    ("a<!-- <b>comment</b> -->b<?pi stuff?>c", "abc", []),
  ])
  func resolvesCharacterData(inner: String, expected: String, problems: [String]) {
    let document = XMLReader.read("<r>\(inner)</r>")
    #expect(document.root?.text == expected)
    #expect(document.problems == problems)
  }

  @Test func readsAttributesInEitherQuotesWithEntitiesAndNormalizedWhitespace() throws {
    let document = XMLReader.read("<r a='one \"1\"' b=\"two&#10;lines\nand tab\t&amp;\" c = \"spaced\" flag d=bare/>")
    let root = try #require(document.root)
    #expect(root.attribute("a") == "one \"1\"")
    #expect(root.attribute("b") == "two\nlines and tab &")
    #expect(root.attribute("c") == "spaced")
    #expect(root.attribute("flag") == "")
    #expect(root.attribute("d") == "bare")
    #expect(root.attribute("missing") == nil)
    #expect(document.problems == ["an attribute value without quotes was read up to the next space"])
  }

  @Test func skipsDeclarationsDoctypeAndProcessingInstructions() throws {
    let text = """
      \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
      <!DOCTYPE r [ <!ENTITY e "x>y"> <!ELEMENT r ANY> ]>
      <!-- leading comment -->
      <r><a>1</a><?processing instruction?><b x="2"/></r>
      <!-- trailing comment -->
      """
    let document = XMLReader.read(text)
    #expect(document.problems == [])
    let root = try #require(document.root)
    #expect(root.name == "r")
    #expect(root.childElements.map(\.name) == ["a", "b"])
    #expect(root.firstChild(named: "a")?.text == "1")
    #expect(root.firstChild(named: "b")?.attribute("x") == "2")
  }

  @Test func closesWhatAMismatchedEndTagLeavesOpen() throws {
    let document = XMLReader.read("<r><a><b>text</a><c/></x></r>")
    let root = try #require(document.root)
    #expect(root.isComplete)
    let a = try #require(root.firstChild(named: "a"))
    #expect(a.isComplete)
    #expect(a.firstChild(named: "b")?.isComplete == false)
    #expect(a.firstChild(named: "b")?.text == "text")
    #expect(root.childElements.map(\.name) == ["a", "c"])
    #expect(
      document.problems == [
        "<b> was not closed before </a>", "an end tag </x> with no matching start tag was ignored",
      ])
  }

  @Test(arguments: [
    ("<r><a>text", ["a"], "the report ends inside <a>: it is cut off before 2 end tags"),
    ("<r><a x=\"1", [], "the report ends inside the tag <a>"),
    ("<r><a/><!-- never", ["a"], "the report ends inside a comment"),
    ("<r><![CDATA[abc", [], "the report ends inside a CDATA section"),
    ("<r></r", [], "the report ends inside the end tag </r>"),
    ("<r><?pi", [], "the report ends inside a processing instruction"),
    ("<!DOCTYPE r [", [], "the report ends inside a <!...> declaration"),
  ])
  func saysWhereACutDocumentEnds(text: String, children: [String], problem: String) {
    let document = XMLReader.read(text)
    #expect(document.root?.childElements.map(\.name) ?? [] == children)
    #expect(document.problems.contains(problem), "\(document.problems)")
  }

  @Test func readsConcatenatedDocuments() {
    let document = XMLReader.read("<?xml version=\"1.0\"?><a/>\n<?xml version=\"1.0\"?><b/>")
    #expect(document.topLevelElements.map(\.name) == ["a", "b"])
    #expect(document.problems == ["the report has more than one top-level element; all were read"])
  }

  @Test func keepsAStrayLessThanAsText() {
    let document = XMLReader.read("<r>a < b</r>")
    #expect(document.root?.text == "a < b")
    #expect(document.problems == ["a '<' that starts no tag was read as text"])
  }
}
