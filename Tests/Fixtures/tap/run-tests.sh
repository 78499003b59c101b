#!/bin/sh
# A test script that prints TAP 14 on stdout, or fails to build.
if [ -f broken ]; then
  echo "lib/parse.c:10:1: error: expected ';' before '}' token" >&2
  exit 2
fi
echo "TAP version 14"
echo "1..5"
echo "ok 1 - parses numbers"
echo "not ok 2 - parses strings"
echo "  ---"
echo "  message: 'expected \"a\", got \"b\"'"
echo "  at: lib/parse_test.c:40"
echo "  ..."
echo "ok 3 - parses dates # SKIP no locale"
if [ -f .flaky-ran ]; then echo "ok 4 - network"; else echo "not ok 4 - network"; fi
touch .flaky-ran
echo "# Subtest: nested"
echo "    1..2"
echo "    ok 1 - inner passes"
echo "    not ok 2 - inner fails"
echo "not ok 5 - nested"
exit 1
