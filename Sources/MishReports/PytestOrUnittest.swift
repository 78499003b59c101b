/// The pytest runner's program, given to the project's python with `-c` and pytest's own arguments: it becomes
/// `python -m pytest ARGS` (exec, so nothing else changes) when pytest is importable, and otherwise runs the
/// project's tests with the standard library's unittest and writes a JUnit file shaped as pytest's xunit1 (`file`,
/// zero-based `line`, `classname` the dotted module and class), so the report, the test ids (`file::Class::test`)
/// and `rerun_failed` work the same. It reads the arguments `Runner.invocation` passes: `--junitxml=`, `-k` (a
/// substring of the test name, as unittest's `-k`), `-v`, and node ids.
extension Runner {
  /// Whether a pytest run's JUnit file was written by the unittest fallback (its suite's name).
  public static func ranWithUnittest(_ report: [UInt8]) -> Bool {
    String(decoding: report.prefix(512), as: UTF8.self).contains(#"<testsuite name="mish-unittest""#)
  }

  static let pytestOrUnittest = #"""
    import importlib.util, inspect, os, sys, time, traceback, unittest
    if importlib.util.find_spec("pytest") is not None:
        os.execv(sys.executable, [sys.executable, "-m", "pytest"] + sys.argv[1:])
    from xml.sax.saxutils import escape, quoteattr
    args, report, pattern, ids, verbose, i = sys.argv[1:], None, None, [], False, 0
    while i < len(args):
        a = args[i]
        if a.startswith("--junitxml="): report = a.split("=", 1)[1]
        elif a in ("-o", "-p", "-k"):
            i += 1
            if a == "-k": pattern = args[i]
        elif a == "-v": verbose = True
        elif not a.startswith("-"): ids.append(a)
        i += 1
    print("mish: pytest is not installed for %s; running the tests with unittest" % sys.executable, file=sys.stderr)

    # tests/ or test/ without __init__.py: unittest discovers them only from inside (their modules are top-level).
    flat = [d for d in ("tests", "test") if os.path.isdir(d) and not os.path.exists(os.path.join(d, "__init__.py"))]
    sys.path[:0] = [os.getcwd()] + [os.path.abspath(d) for d in flat]

    def dotted(node):
        path, _, rest = node.partition("::")
        for d in flat:
            if path.startswith(d + "/"): path = path[len(d) + 1:]
        module = path[:-3].replace("/", ".") if path.endswith(".py") else path
        return ".".join([module] + [part for part in rest.split("::") if part])

    loader = unittest.TestLoader()
    if pattern: loader.testNamePatterns = ["*%s*" % pattern]
    if ids:
        suite = loader.loadTestsFromNames([dotted(n) for n in ids])
    else:
        suite = loader.discover(".", top_level_dir=".")
        for d in flat: suite.addTests(loader.discover(d, top_level_dir=d))

    class Recorder(unittest.TestResult):
        def __init__(self):
            super().__init__()
            self.cases, self.began = [], 0.0
        def startTest(self, test):
            super().startTest(test)
            self.began = time.monotonic()
        def record(self, test, status, err=None, text=""):
            if err is not None: text = self._exc_info_to_string(err, test)
            message = "" if err is None else traceback.format_exception_only(err[0], err[1])[-1].strip()
            self.cases.append((test, status, message, text, time.monotonic() - self.began))
        def addSuccess(self, test): self.record(test, "passed")
        def addFailure(self, test, err): super().addFailure(test, err); self.record(test, "failure", err)
        def addError(self, test, err): super().addError(test, err); self.record(test, "error", err)
        def addSubTest(self, test, subtest, err):
            super().addSubTest(test, subtest, err)
            if err is not None: self.record(test, "failure" if issubclass(err[0], test.failureException) else "error", err)
        def addSkip(self, test, reason): self.record(test, "skipped", text=reason)
        def addExpectedFailure(self, test, err): self.record(test, "passed")
        def addUnexpectedSuccess(self, test): self.record(test, "failure", text="unexpected success")

    def located(test):
        """(classname, name, file, zero-based line, node id) as pytest's xunit1 writes them, the module spelt from
        the file's path as pytest does; a module that failed to load (unittest's _FailedTest) is a collection error:
        no classname, the module as the name."""
        cls = type(test)
        if cls.__name__ == "_FailedTest":
            name = test._testMethodName
            path = name.replace(".", "/") + ".py"
            for d in flat:
                if not os.path.exists(path) and os.path.exists(os.path.join(d, path)): path = os.path.join(d, path)
            return "", path[:-3].replace("/", "."), path, 0, path
        try:
            path = os.path.relpath(inspect.getsourcefile(cls))
            line = inspect.getsourcelines(getattr(cls, test._testMethodName))[1] - 1
        except (TypeError, OSError, AttributeError):
            path, line = cls.__module__.replace(".", "/") + ".py", 0
        node = "::".join([path] + cls.__qualname__.split(".") + [test._testMethodName])
        return path[:-3].replace("/", ".") + "." + cls.__qualname__, test._testMethodName, path, line, node

    result = Recorder()
    started = time.monotonic()
    suite.run(result)
    rows, counts = [], {"failure": 0, "error": 0, "skipped": 0}
    for test, status, message, text, seconds in result.cases:
        classname, name, path, line, node = located(test)
        if status in counts: counts[status] += 1
        if classname == "" and status == "error": message = "collection failure"
        body = ""
        if status in ("failure", "error"):
            body = "<%s message=%s>%s</%s>" % (status, quoteattr(message), escape(text), status)
            print("\n_____ %s _____\n%s" % (node, text))
        elif status == "skipped":
            body = "<skipped message=%s/>" % quoteattr(text)
        if verbose: print("%s %s" % (node, {"passed": "PASSED", "skipped": "SKIPPED"}.get(status, "FAILED")), flush=True)
        rows.append('<testcase classname=%s name=%s file=%s line="%d" time="%.3f">%s</testcase>' % (
            quoteattr(classname), quoteattr(name), quoteattr(path), line, seconds, body))
    elapsed = time.monotonic() - started
    failed = counts["failure"] + counts["error"]
    print("%d failed, %d passed, %d skipped in %.2fs (unittest)" % (failed, len(rows) - failed - counts["skipped"], counts["skipped"], elapsed))
    if report:
        with open(report, "w", encoding="utf-8") as out:
            out.write('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="mish-unittest" tests="%d" failures="%d" errors="%d" skipped="%d" time="%.3f">%s</testsuite></testsuites>\n' % (
                len(rows), counts["failure"], counts["error"], counts["skipped"], elapsed, "".join(rows)))
    sys.exit(5 if not rows else 1 if failed else 0)
    """#
}
