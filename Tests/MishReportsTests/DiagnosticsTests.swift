import MishTestSupport
import Testing

@testable import MishReports

/// One build log and the diagnostics it should give. Logs marked "captured" are real output from this machine
/// (swift 6.3, gcc 12, clang from the swift toolchain, cargo 1.95, python 3.11), trimmed; "hand-written" ones are
/// for tools not installed here (tsc, go), written from their documented formats.
struct DiagnosticsSample: Sendable, CustomTestStringConvertible {
  var label: String
  var log: String
  var expected: [Diagnostic]
  var testDescription: String { label }
}

private func diag(
  _ file: String, _ line: Int, _ column: Int?, _ severity: Diagnostic.Severity, _ message: String,
  code: String? = nil
) -> Diagnostic {
  Diagnostic(file: file, line: line, column: column, severity: severity, message: message, code: code)
}

private let demo = "/tmp/diagcap/swiftpkg/Sources/demo/"

let diagnosticsSamples: [DiagnosticsSample] = [
  DiagnosticsSample(
    label: "swift build: type error (captured)",
    log: """
      Building for debugging...
      [0/5] Write sources
      [1/5] Write swift-version-6A52383ED409C6A7.txt
      [3/7] Emitting module demo
      [4/7] Compiling demo main.swift
      /tmp/diagcap/swiftpkg/Sources/demo/main.swift:3:16: error: cannot convert value of type 'String' to specified type 'Int'
      1 | func f() {
      2 |   let unused = 3
      3 |   let x: Int = "a"
        |                `- error: cannot convert value of type 'String' to specified type 'Int'
      4 |   print(x)
      5 | }
      """,
    expected: [diag(demo + "main.swift", 3, 16, .error, "cannot convert value of type 'String' to specified type 'Int'")]
  ),
  DiagnosticsSample(
    label: "swift build: warnings with diagnostic groups (captured)",
    log: """
      [3/7] Compiling demo main.swift
      /tmp/diagcap/swiftpkg/Sources/demo/main.swift:2:7: warning: initialization of immutable value 'unused' was never used; consider replacing with assignment to '_' or removing it [#no-usage]
      1 | func f() {
      2 |   let unused = 3
        |       `- warning: initialization of immutable value 'unused' was never used; consider replacing with assignment to '_' or removing it [#no-usage]
      3 |   var y = 1
      4 |   print(y)

      /tmp/diagcap/swiftpkg/Sources/demo/main.swift:3:7: warning: variable 'y' was never mutated; consider changing to 'let' constant
      1 | func f() {
      2 |   let unused = 3
      3 |   var y = 1
        |       `- warning: variable 'y' was never mutated; consider changing to 'let' constant
      4 |   print(y)
      5 | }
      [4/7] Emitting module demo
      [8/9] Linking demo
      Build complete! (0.68s)
      """,
    expected: [
      diag(
        demo + "main.swift", 2, 7, .warning,
        "initialization of immutable value 'unused' was never used; consider replacing with assignment to '_' or removing it [#no-usage]"
      ),
      diag(demo + "main.swift", 3, 7, .warning, "variable 'y' was never mutated; consider changing to 'let' constant"),
    ]
  ),
  DiagnosticsSample(
    label: "swift build: emit-module and compile print the same error twice; same-file notes only in the box (captured)",
    log: """
      Building for debugging...
      [0/4] Write sources
      [1/4] Write swift-version-6A52383ED409C6A7.txt
      error: emit-module command failed with exit code 1 (use -v to see invocation)
      [3/6] Emitting module demo
      /tmp/diagcap/swiftpkg/Sources/demo/main.swift:4:8: error: type 'T' does not conform to protocol 'P'
       1 | protocol P {
       2 |   func need() -> Int
         |        `- note: protocol requires function 'need()' with type '() -> Int'
       3 | }
       4 | struct T: P {
         |        |- error: type 'T' does not conform to protocol 'P'
         |        `- note: add stubs for conformance
       5 | }
       6 | func f() {
      [4/6] Compiling demo main.swift
      /tmp/diagcap/swiftpkg/Sources/demo/main.swift:4:8: error: type 'T' does not conform to protocol 'P'
       1 | protocol P {
       2 |   func need() -> Int
         |        `- note: protocol requires function 'need()' with type '() -> Int'
       3 | }
       4 | struct T: P {
         |        |- error: type 'T' does not conform to protocol 'P'
         |        `- note: add stubs for conformance
       5 | }
       6 | func f() {

      /tmp/diagcap/swiftpkg/Sources/demo/main.swift:8:16: error: cannot convert value of type 'String' to specified type 'Int'
       6 | func f() {
       7 |   let unused = 3
       8 |   let x: Int = "a"
         |                `- error: cannot convert value of type 'String' to specified type 'Int'
       9 |   print(x)
      10 | }
      """,
    expected: [
      diag(demo + "main.swift", 4, 8, .error, "type 'T' does not conform to protocol 'P'"),
      diag(demo + "main.swift", 2, 8, .note, "protocol requires function 'need()' with type '() -> Int'"),
      diag(demo + "main.swift", 4, 8, .note, "add stubs for conformance"),
      diag(demo + "main.swift", 8, 16, .error, "cannot convert value of type 'String' to specified type 'Int'"),
    ]
  ),
  DiagnosticsSample(
    label: "swift build: a note in another file gets its own headline; group footnote ignored (captured)",
    log: """
      [4/7] Compiling demo main.swift
      /tmp/diagcap/swiftpkg/Sources/demo/main.swift:3:11: error: missing argument for parameter 'x' in call
      1 | func f() {
      2 |   let s = S()
      3 |   _ = s.g()
        |           `- error: missing argument for parameter 'x' in call
      4 |   s.old()
      5 | }

      /tmp/diagcap/swiftpkg/Sources/demo/other.swift:2:8: note: 'g(x:)' declared here
      1 | struct S {
      2 |   func g(x: Int) -> Int { return x }
        |        `- note: 'g(x:)' declared here
      3 |   @available(*, deprecated, message: "use new")
      4 |   func old() {}

      /tmp/diagcap/swiftpkg/Sources/demo/main.swift:4:5: warning: 'old()' is deprecated: use new [#DeprecatedDeclaration]
      2 |   let s = S()
      3 |   _ = s.g()
      4 |   s.old()
        |     `- warning: 'old()' is deprecated: use new [#DeprecatedDeclaration]
      5 | }
      6 | f()

      [#DeprecatedDeclaration]: <https://docs.swift.org/compiler/documentation/diagnostics/deprecated-declaration>
      [5/7] Compiling demo other.swift
      """,
    expected: [
      diag(demo + "main.swift", 3, 11, .error, "missing argument for parameter 'x' in call"),
      diag(demo + "other.swift", 2, 8, .note, "'g(x:)' declared here"),
      diag(demo + "main.swift", 4, 5, .warning, "'old()' is deprecated: use new [#DeprecatedDeclaration]"),
    ]
  ),
  DiagnosticsSample(
    label: "swift build: box note column counted in UTF-8 bytes, as swiftc counts (captured; -diagnostic-style llvm says 2:15)",
    log: """
      [3/6] Compiling demo main.swift
      /tmp/diagcap/swiftpkg/Sources/demo/main.swift:3:5: error: cannot use mutating member on immutable value: 's' is a 'let' constant
      1 | func f() {
      2 |   let é = 1; let s = S()
        |              `- note: change 'let' to 'var' to make it mutable
      3 |   s.mut(); print(é)
        |     `- error: cannot use mutating member on immutable value: 's' is a 'let' constant
      4 | }
      5 | f()
      [4/7] Emitting module demo
      """,
    expected: [
      diag(demo + "main.swift", 3, 5, .error, "cannot use mutating member on immutable value: 's' is a 'let' constant"),
      diag(demo + "main.swift", 2, 15, .note, "change 'let' to 'var' to make it mutable"),
    ]
  ),
  DiagnosticsSample(
    label: "swift build on a terminal: colours and \\r progress redraws (captured)",
    log:
      "\u{1B}[2K\r[1/4] Write swift-version-6A52383ED409C6A7.txt\u{1B}[2K\r[2/6] Compiling demo main.swift\u{1B}[2K\r"
      + "/tmp/diagcap/swiftpkg/Sources/demo/main.swift:3:16: \u{1B}[1;31merror: \u{1B}[1;39mcannot convert value of type "
      + "'String' to specified type 'Int'\u{1B}[0;0m\r\n"
      + "\u{1B}[0;36m1 |\u{1B}[0;0m func f() {\r\n"
      + "\u{1B}[0;36m2 |\u{1B}[0;0m   let unused = 3\r\n"
      + "\u{1B}[0;36m3 |\u{1B}[0;0m   let x: Int = \u{1B}[4;39m\"a\"\u{1B}[0;0m\r\n"
      + "  \u{1B}[0;36m|\u{1B}[0;0m                `- \u{1B}[1;31merror: \u{1B}[1;39mcannot convert value of type 'String' "
      + "to specified type 'Int'\u{1B}[0;0m\r\n"
      + "\u{1B}[0;36m4 |\u{1B}[0;0m   print(x)\r\n"
      + "\u{1B}[2K\r[3/6] Emitting module demo\r\n",
    expected: [diag(demo + "main.swift", 3, 16, .error, "cannot convert value of type 'String' to specified type 'Int'")]
  ),
  DiagnosticsSample(
    label: "swiftc -diagnostic-style llvm (captured)",
    log: """
      t.swift:4:8: error: type 'T' does not conform to protocol 'P'
      struct T: P {
             ^
      t.swift:4:8: note: add stubs for conformance
      struct T: P {
             ^
      t.swift:2:8: note: protocol requires function 'need()' with type '() -> Int'
        func need() -> Int
             ^
      t.swift:8:16: error: cannot convert value of type 'String' to specified type 'Int'
        let x: Int = "a"
                     ^~~
      """,
    expected: [
      diag("t.swift", 4, 8, .error, "type 'T' does not conform to protocol 'P'"),
      diag("t.swift", 4, 8, .note, "add stubs for conformance"),
      diag("t.swift", 2, 8, .note, "protocol requires function 'need()' with type '() -> Int'"),
      diag("t.swift", 8, 16, .error, "cannot convert value of type 'String' to specified type 'Int'"),
    ]
  ),
  DiagnosticsSample(
    label: "gcc -Wall: context lines are not diagnostics (captured)",
    log: """
      In file included from main.c:1:
      a.h: In function ‘helper’:
      a.h:1:48: warning: returning ‘char *’ from a function with return type ‘int’ makes integer from pointer without a cast [-Wint-conversion]
          1 | static int helper(void) { int unused_h; return "x"; }
            |                                                ^~~
      main.c: In function ‘main’:
      main.c:7:11: error: expected ‘;’ before ‘}’ token
          7 |   return 0
            |           ^
            |           ;
          8 | }
            | ~
      main.c:4:7: warning: unused variable ‘x’ [-Wunused-variable]
          4 |   int x = "a";
            |       ^
      a.h: At top level:
      a.h:1:12: warning: ‘helper’ defined but not used [-Wunused-function]
          1 | static int helper(void) { int unused_h; return "x"; }
            |            ^~~~~~
      """,
    expected: [
      diag(
        "a.h", 1, 48, .warning,
        "returning ‘char *’ from a function with return type ‘int’ makes integer from pointer without a cast [-Wint-conversion]"
      ),
      diag("main.c", 7, 11, .error, "expected ‘;’ before ‘}’ token"),
      diag("main.c", 4, 7, .warning, "unused variable ‘x’ [-Wunused-variable]"),
      diag("a.h", 1, 12, .warning, "‘helper’ defined but not used [-Wunused-function]"),
    ]
  ),
  DiagnosticsSample(
    label: "gcc -fdiagnostics-color=always (captured)",
    log:
      "In file included from \u{1B}[01m\u{1B}[Kmain.c:1\u{1B}[m\u{1B}[K:\n"
      + "\u{1B}[01m\u{1B}[Ka.h:\u{1B}[m\u{1B}[K In function ‘\u{1B}[01m\u{1B}[Khelper\u{1B}[m\u{1B}[K’:\n"
      + "\u{1B}[01m\u{1B}[Ka.h:1:31:\u{1B}[m\u{1B}[K \u{1B}[01;35m\u{1B}[Kwarning: \u{1B}[m\u{1B}[Kunused variable "
      + "‘\u{1B}[01m\u{1B}[Kunused_h\u{1B}[m\u{1B}[K’ [\u{1B}[01;35m\u{1B}[K-Wunused-variable\u{1B}[m\u{1B}[K]\n"
      + "    1 | static int helper(void) { int \u{1B}[01;35m\u{1B}[Kunused_h\u{1B}[m\u{1B}[K; return \"x\"; }\n"
      + "      |                               \u{1B}[01;35m\u{1B}[K^~~~~~~~\u{1B}[m\u{1B}[K\n",
    expected: [diag("a.h", 1, 31, .warning, "unused variable ‘unused_h’ [-Wunused-variable]")]
  ),
  DiagnosticsSample(
    label: "gcc / clang fatal error (captured)",
    log: """
      fatal.c:1:10: fatal error: missing.h: No such file or directory
          1 | #include "missing.h"
            |          ^~~~~~~~~~~
      compilation terminated.
      fatal.c:1:10: fatal error: 'missing.h' file not found
          1 | #include "missing.h"
            |          ^~~~~~~~~~~
      1 error generated.
      """,
    expected: [
      diag("fatal.c", 1, 10, .error, "missing.h: No such file or directory"),
      diag("fatal.c", 1, 10, .error, "'missing.h' file not found"),
    ]
  ),
  DiagnosticsSample(
    label: "clang -Wall (captured)",
    log: """
      In file included from main.c:1:
      ./a.h:1:31: warning: unused variable 'unused_h' [-Wunused-variable]
          1 | static int helper(void) { int unused_h; return "x"; }
            |                               ^~~~~~~~
      main.c:5:3: error: call to undeclared function 'undeclared_fn'; ISO C99 and later do not support implicit function declarations [-Wimplicit-function-declaration]
          5 |   undeclared_fn(1);
            |   ^
      main.c:7:11: error: expected ';' after return statement
          7 |   return 0
            |           ^
            |           ;
      1 warning and 2 errors generated.
      """,
    expected: [
      diag("./a.h", 1, 31, .warning, "unused variable 'unused_h' [-Wunused-variable]"),
      diag(
        "main.c", 5, 3, .error,
        "call to undeclared function 'undeclared_fn'; ISO C99 and later do not support implicit function declarations [-Wimplicit-function-declaration]"
      ),
      diag("main.c", 7, 11, .error, "expected ';' after return statement"),
    ]
  ),
  DiagnosticsSample(
    label: "gcc -g link errors carry file:line (captured)",
    log: """
      /usr/bin/ld: /tmp/ccyCaaVq.o: in function `main':
      /tmp/diagcap/c/link.c:2: undefined reference to `foo'
      collect2: error: ld returned 1 exit status
      /usr/bin/ld: /tmp/ccHg6MFP.o: in function `foo':
      /tmp/diagcap/c/foo2.c:1: multiple definition of `foo'; /tmp/cczrEgPa.o:/tmp/diagcap/c/foo1.c:1: first defined here
      collect2: error: ld returned 1 exit status
      """,
    expected: [
      diag("/tmp/diagcap/c/link.c", 2, nil, .error, "undefined reference to `foo'"),
      diag(
        "/tmp/diagcap/c/foo2.c", 1, nil, .error,
        "multiple definition of `foo'; /tmp/cczrEgPa.o:/tmp/diagcap/c/foo1.c:1: first defined here"),
    ]
  ),
  DiagnosticsSample(
    label: "link errors without a line are skipped: gcc/bfd and clang/gold without -g (captured)",
    log: """
      /usr/bin/ld: /tmp/cccFe3fz.o: in function `main':
      link.c:(.text+0x5): undefined reference to `foo'
      collect2: error: ld returned 1 exit status
      /tmp/link-69d37b.o:link.c:function main: error: undefined reference to 'foo'
      clang: error: linker command failed with exit code 1 (use -v to see invocation)
      """,
    expected: []
  ),
  DiagnosticsSample(
    label: "cargo build: error with code, warning, summaries skipped (captured)",
    log: """
         Compiling rs v0.1.0 (/tmp/diagcap/rs)
      error[E0308]: mismatched types
       --> src/main.rs:4:18
        |
      4 |     let y: i32 = "a";
        |            ---   ^^^ expected `i32`, found `&str`
        |            |
        |            expected due to this

      warning: unused variable: `unused`
       --> src/util.rs:2:9
        |
      2 |     let unused = 1;
        |         ^^^^^^ help: if this is intentional, prefix it with an underscore: `_unused`
        |
        = note: `#[warn(unused_variables)]` (part of `#[warn(unused)]`) on by default

      For more information about this error, try `rustc --explain E0308`.
      warning: `rs` (bin "rs") generated 1 warning
      error: could not compile `rs` (bin "rs") due to 1 previous error; 1 warning emitted
      """,
    expected: [
      diag("src/main.rs", 4, 18, .error, "mismatched types", code: "E0308"),
      diag("src/util.rs", 2, 9, .warning, "unused variable: `unused`"),
    ]
  ),
  DiagnosticsSample(
    label: "cargo build: a located note sub-diagnostic; help without a location skipped (captured)",
    log: """
      error[E0061]: this function takes 1 argument but 0 arguments were supplied
       --> src/main.rs:3:5
        |
      3 |     util::helper();
        |     ^^^^^^^^^^^^-- argument #1 of type `i32` is missing
        |
      note: function defined here
       --> src/util.rs:1:8
        |
      1 | pub fn helper(a: i32) -> i32 {
        |        ^^^^^^ ------
      help: provide the argument
        |
      3 |     util::helper(/* i32 */);
        |                  +++++++++

      Some errors have detailed explanations: E0061, E0425.
      For more information about an error, try `rustc --explain E0061`.
      error: could not compile `rs` (bin "rs") due to 2 previous errors
      """,
    expected: [
      diag("src/main.rs", 3, 5, .error, "this function takes 1 argument but 0 arguments were supplied", code: "E0061"),
      diag("src/util.rs", 1, 8, .note, "function defined here"),
    ]
  ),
  DiagnosticsSample(
    label: "cargo build --color=always on a terminal (captured)",
    log:
      "\u{1B}[1m\u{1B}[92m   Compiling\u{1B}[0m rs v0.1.0 (/tmp/diagcap/rs)\r\n"
      + "\u{1B}[1m\u{1B}[91merror[E0308]\u{1B}[0m\u{1B}[1m: mismatched types\u{1B}[0m\r\n"
      + " \u{1B}[1m\u{1B}[94m--> \u{1B}[0msrc/main.rs:4:18\r\n"
      + "  \u{1B}[1m\u{1B}[94m|\u{1B}[0m\r\n"
      + "\u{1B}[1m\u{1B}[91merror\u{1B}[0m: could not compile `rs` (bin \"rs\") due to 1 previous error\r\n",
    expected: [diag("src/main.rs", 4, 18, .error, "mismatched types", code: "E0308")]
  ),
  DiagnosticsSample(
    label: "rustc --error-format=short (hand-written)",
    log: "src/main.rs:4:18: error[E0308]: mismatched types\n",
    expected: [diag("src/main.rs", 4, 18, .error, "mismatched types", code: "E0308")]
  ),
  DiagnosticsSample(
    label: "python3 -m py_compile (captured)",
    log: """
        File "pkg/mod.py", line 3
          return x +
                    ^
      SyntaxError: invalid syntax
      """,
    expected: [diag("pkg/mod.py", 3, nil, .error, "SyntaxError: invalid syntax")]
  ),
  DiagnosticsSample(
    label: "python3 import traceback; <frozen> frames do not count (captured, last frame hand-added)",
    log: """
      Traceback (most recent call last):
        File "/tmp/diagcap/py/imp.py", line 1, in <module>
          import nosuchmod
        File "<frozen importlib._bootstrap>", line 1176, in _find_and_load
      ModuleNotFoundError: No module named 'nosuchmod'
      """,
    expected: [diag("/tmp/diagcap/py/imp.py", 1, nil, .error, "ModuleNotFoundError: No module named 'nosuchmod'")]
  ),
  DiagnosticsSample(
    label: "pytest collection error with E prefixes (captured)",
    log: """
      _______________________ ERROR collecting tests/test_b.py _______________________
      /root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/_pytest/python.py:507: in importtestmodule
          mod = import_path(
      <frozen importlib._bootstrap>:1204: in _gcd_import
          ???
      /root/.pyenv/versions/3.11.7/lib/python3.11/ast.py:50: in parse
          return compile(source, filename, mode, flags,
      E     File "/tmp/diagcap/py/tests/test_b.py", line 1
      E       def test_b(:
      E                  ^
      E   SyntaxError: invalid syntax
      =========================== short test summary info ============================
      ERROR tests/test_b.py
      """,
    expected: [diag("/tmp/diagcap/py/tests/test_b.py", 1, nil, .error, "SyntaxError: invalid syntax")]
  ),
  DiagnosticsSample(
    label: "pytest collection error of a module that imports a missing one: short frames (captured)",
    log: """
      _______________________ ERROR collecting tests/test_i.py _______________________
      ImportError while importing test module '/tmp/tr/pyimp/tests/test_i.py'.
      Hint: make sure your test modules/packages have valid Python names.
      Traceback:
      /root/.pyenv/versions/3.11.7/lib/python3.11/importlib/__init__.py:126: in import_module
          return _bootstrap._gcd_import(name[level:], package, level)
                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      tests/test_i.py:1: in <module>
          import nonexistent_mod
      E   ModuleNotFoundError: No module named 'nonexistent_mod'
      =========================== short test summary info ============================
      ERROR tests/test_i.py
      !!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
      """,
    expected: [diag("tests/test_i.py", 1, nil, .error, "ModuleNotFoundError: No module named 'nonexistent_mod'")]
  ),
  DiagnosticsSample(
    label: "python warning (captured with -W always)",
    log: #"""
      pkg/warn.py:2: DeprecationWarning: invalid escape sequence '\d'
        r = re.compile("\d+")
      """#,
    expected: [diag("pkg/warn.py", 2, nil, .warning, #"DeprecationWarning: invalid escape sequence '\d'"#)]
  ),
  DiagnosticsSample(
    label: "a python frame with no exception line after it is not a diagnostic (hand-written)",
    log: """
        File "pkg/mod.py", line 3
          return x +
      Compiling something else
      """,
    expected: []
  ),
  DiagnosticsSample(
    label: "tsc plain and pretty forms (hand-written, tsc not installed)",
    log: """
      src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.
      tsconfig.json(4,5): error TS5023: Unknown compiler option 'foo'.
      src/b.ts:10:1 - warning TS6133: 'y' is declared but its value is never read.

      10 const y = 1;
         ~~~~~~~~~~~~

      Found 3 errors in 2 files.
      """,
    expected: [
      diag("src/a.ts", 3, 7, .error, "Type 'string' is not assignable to type 'number'.", code: "TS2322"),
      diag("tsconfig.json", 4, 5, .error, "Unknown compiler option 'foo'.", code: "TS5023"),
      diag("src/b.ts", 10, 1, .warning, "'y' is declared but its value is never read.", code: "TS6133"),
    ]
  ),
  DiagnosticsSample(
    label: "go build and go vet: no severity word means error (hand-written, go not installed)",
    log: """
      # example.com/m
      ./main.go:5:2: undefined: x
      main.go:6:2: declared and not used: y
      # example.com/m
      # [example.com/m]
      ./x.go:3:1: fmt.Printf format %d has arg s of wrong type string
      vet: ./bad.go:4:2: undefined: z
      """,
    expected: [
      diag("./main.go", 5, 2, .error, "undefined: x"),
      diag("main.go", 6, 2, .error, "declared and not used: y"),
      diag("./x.go", 3, 1, .error, "fmt.Printf format %d has arg s of wrong type string"),
      diag("./bad.go", 4, 2, .error, "undefined: z"),
    ]
  ),
  DiagnosticsSample(
    label: "MSVC-style path(line): error C2065 (hand-written)",
    log: "main.c(3): error C2065: 'x': undeclared identifier\n",
    expected: [diag("main.c", 3, nil, .error, "'x': undeclared identifier", code: "C2065")]
  ),
]

/// Ordinary build chatter that must give nothing, each line on its own.
let diagnosticsNonDiagnostics: [String] = [
  "   Compiling foo v0.1.0 (/tmp/x)",
  "Fetching http://host:80: connection refused",
  "GET https://example.com:443/a.go:3:4: ok",
  "12:30:45: starting build",
  "12:30:45: error: something",
  "2024-01-01T12:30:45: error: something",
  "2024-01-01 12:30:45 main.go:3:4: started",
  "[1/3] Compiling demo main.swift",
  "make[1]: *** [Makefile:3: all] Error 1",
  "Makefile:5: *** missing separator.  Stop.",
  "CMake Error at CMakeLists.txt:3 (add_executable):",
  "thread 'main' panicked at src/main.rs:4:5:",
  "    at Object.<anonymous> (/tmp/x.js:3:7)",
  "\t/tmp/x/main.go:5 +0x1d",
  "    x_test.go:12: expected 1, got 2",
  "tests/test_a.py:1: in <module>",
  "<frozen importlib._bootstrap>:1204: in _gcd_import",
  "src/a.rs:3:5:let x = 1;",
  "notes.txt:3:4: see above",
  "Found 2 errors in the same file, starting at: src/a.ts:3",
  "error: could not compile `foo` (bin \"foo\") due to 1 previous error",
  "warning: `foo` (lib) generated 1 warning",
  "error: emit-module command failed with exit code 1 (use -v to see invocation)",
  "clang: error: linker command failed with exit code 1 (use -v to see invocation)",
  "collect2: error: ld returned 1 exit status",
  "main.c:(.text+0x1a): undefined reference to `foo'",
  "<unknown>:0: error: unable to load standard library for target 'x86_64-unknown-linux-gnu'",
  "main.c:4:7: remark: loop vectorized",
  "main.c:4:7: error:",
  "Sorry: TabError: inconsistent use of tabs and spaces in indentation (tab.py, line 3)",
  "Build complete! (0.68s)",
  "",
]

@Suite struct DiagnosticsTests {
  @Test(arguments: diagnosticsSamples)
  func parsesRealOutput(_ sample: DiagnosticsSample) {
    #expect(Diagnostics.parse(sample.log) == sample.expected)
  }

  @Test(arguments: diagnosticsNonDiagnostics)
  func ordinaryChatterGivesNothing(_ line: String) {
    #expect(Diagnostics.parse(line) == [])
  }

  @Test func crlfAndTrailingTextWithoutNewline() {
    let log = "main.c:4:7: error: bad\r\n    4 |   int x;\r\n      |       ^\r\nmain.c:5:1: warning: w"
    #expect(
      Diagnostics.parse(log) == [diag("main.c", 4, 7, .error, "bad"), diag("main.c", 5, 1, .warning, "w")])
  }

  @Test func pathsWithSpacesOnlyWhenPlainlyPaths() {
    #expect(
      Diagnostics.parse("/home/a b/x.swift:1:2: error: e")
        == [diag("/home/a b/x.swift", 1, 2, .error, "e")])
    #expect(Diagnostics.parse("in a b/x.swift:1:2: error: e") == [])
  }

  @Test func duplicatesKeepTheFirstInOrder() {
    let log = "a.c:1:1: error: x\nb.c:2:2: warning: y\na.c:1:1: error: x\na.c:1:1: warning: x\n"
    #expect(
      Diagnostics.parse(log) == [
        diag("a.c", 1, 1, .error, "x"), diag("b.c", 2, 2, .warning, "y"), diag("a.c", 1, 1, .warning, "x"),
      ])
  }

  @Test func summaryCountsErrorsAndWarnings() {
    let parsed = Diagnostics.parse(diagnosticsSamples[2].log)
    #expect(Diagnostics.summary(parsed) == (errors: 2, warnings: 0))
    #expect(Diagnostics.summary([]) == (errors: 0, warnings: 0))
    #expect(
      Diagnostics.summary([diag("a", 1, nil, .warning, "w"), diag("a", 2, nil, .note, "n")]) == (errors: 0, warnings: 1))
  }

  /// Random bytes, and random lines spliced from real fragments (so the stateful paths — rust headers, swift boxes,
  /// python frames — are entered and cut off at odd places), never crash and never give a located-nowhere entry.
  @Test(arguments: [UInt64(1), 2, 3, 0xDEAD_BEEF, 20_260_101])
  func neverCrashesOnRandomInput(seed: UInt64) {
    var generator = SplitMix64(seed: seed)
    let fragments = [
      "error[E0308]: x", " --> ", "src/a.rs:", "4:", "18", "  File \"", "a.py\", line ", "SyntaxError: y", "E   ",
      "main.swift:3:16: error: z", "  |", " 3 | ", "`- note: n", "|- error: z", ":", "(", "3,", "7): ", "error TS1: ",
      "\u{1B}[1;31m", "\u{1B}]8;;http://x\u{07}", "\u{1B}", "\r", "\n", "\r\n", " ", "\t", "é", "🙂", "999999999999",
      "0", "./x.go:", "vet: ", "warning", "fatal error", ".c", "/", "<", ">",
    ]
    for _ in 0..<300 {
      var log = ""
      if Bool.random(using: &generator) {
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 0..<400, using: &generator) {
          bytes.append(UInt8.random(in: 0...255, using: &generator))
        }
        log = String(decoding: bytes, as: UTF8.self)
      } else {
        for _ in 0..<Int.random(in: 0..<80, using: &generator) {
          log += fragments[Int.random(in: 0..<fragments.count, using: &generator)]
        }
      }
      let parsed = Diagnostics.parse(log)
      for entry in parsed {
        #expect(entry.line >= 1, "seed \(seed)")
        #expect(!entry.file.isEmpty && !entry.message.isEmpty, "seed \(seed)")
        #expect((entry.column ?? 1) >= 1, "seed \(seed)")
      }
      let summary = Diagnostics.summary(parsed)
      #expect(summary.errors + summary.warnings <= parsed.count, "seed \(seed)")
    }
  }
}
