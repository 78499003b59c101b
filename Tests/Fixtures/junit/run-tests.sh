#!/bin/sh
# A test script that writes a JUnit report (as many CI tools do) to $MISH_REPORT_DIR, or fails to build.
if [ -f broken ]; then
  echo "src/app.c:3:5: error: use of undeclared identifier 'x'" >&2
  exit 2
fi
flaky='<testcase classname="app.Net" name="retries" time="0.2"><failure message="timed out">connection timed out after 200 ms</failure></testcase>'
if [ -f .flaky-ran ]; then flaky='<testcase classname="app.Net" name="retries" time="0.1"/>'; fi
touch .flaky-ran
cat > "$MISH_REPORT_DIR/report.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="app" tests="5" failures="2" skipped="1">
    <testcase classname="app.Math" name="adds" time="0.01"/>
    <testcase classname="app.Math" name="adds_wrong" file="src/math_test.c" line="12" time="0.01">
      <failure message="expected 5, got 4" type="assert">src/math_test.c:14: expected 5, got 4</failure>
    </testcase>
    <testcase classname="app.Math" name="skipped"><skipped message="not today"/></testcase>
    <testcase classname="app.Io" name="reads" time="0.02"/>
    $flaky
  </testsuite>
</testsuites>
XML
exit 1
