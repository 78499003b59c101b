/// The sample project `mish demo` lands changes on: a small Python package (standard library only), its unittest
/// suite, a runner that prints TAP (what `test/run` with a `command` reads), and the queue's gates.
enum DemoProject {
  static let files: [(String, String)] = [
    (
      "README.md",
      """
      # inventory

      Status: alpha
      Small, tested helpers for stock and prices.

      """
    ),
    (".gitignore", "__pycache__/\n*.pyc\n"),
    ("inventory/__init__.py", "\"\"\"Inventory arithmetic.\"\"\"\n"),
    (
      "inventory/core.py",
      """
      \"\"\"Prices, discounts and stock.\"\"\"


      def line_total(price, quantity):
          \"\"\"Price times quantity, rounded to cents.\"\"\"
          return round(price * quantity, 2)


      def apply_discount(total, percent):
          \"\"\"The total after a percentage discount.\"\"\"
          return total * (1 - percent / 10)


      def restock(stock, item, count):
          \"\"\"Adds count of item to the stock.\"\"\"
          stock[item] = stock.get(item, 0) + count
          return stock

      """
    ),
    (
      "tests/test_core.py",
      """
      import unittest

      from inventory.core import line_total, restock


      class LineTotalTest(unittest.TestCase):
          def test_rounds_to_cents(self):
              self.assertEqual(line_total(0.1, 3), 0.3)

          def test_whole_units(self):
              self.assertEqual(line_total(2, 5), 10)


      class RestockTest(unittest.TestCase):
          def test_adds_to_existing(self):
              self.assertEqual(restock({"bolt": 1}, "bolt", 2), {"bolt": 3})

      """
    ),
    ("tests/__init__.py", ""),
    (
      "run_tests.py",
      """
      \"\"\"Runs the unittest suite and prints TAP version 13 on stdout; exits 1 when a test fails.\"\"\"
      import json
      import os
      import sys
      import traceback
      import unittest


      class TAPResult(unittest.TestResult):
          def __init__(self):
              super().__init__()
              self.lines = []

          def addSuccess(self, test):
              self.lines.append(f"ok {len(self.lines) + 1} - {test.id()}")

          def addFailure(self, test, err):
              super().addFailure(test, err)
              self.report(test, err)

          def addError(self, test, err):
              super().addError(test, err)
              self.report(test, err)

          def report(self, test, err):
              kind, value, tb = err
              frames = [f for f in traceback.extract_tb(tb) if os.sep + "tests" + os.sep in f.filename]
              where = frames[-1] if frames else traceback.extract_tb(tb)[-1]
              message = (str(value).splitlines() or [kind.__name__])[0]
              self.lines += [
                  f"not ok {len(self.lines) + 1} - {test.id()}",
                  "  ---",
                  f"  message: {json.dumps(message)}",
                  f"  file: {json.dumps(os.path.relpath(where.filename))}",
                  f"  line: {where.lineno}",
                  "  ...",
              ]


      suite = unittest.defaultTestLoader.discover("tests", top_level_dir=".")
      result = TAPResult()
      suite.run(result)
      print("TAP version 13")
      print(f"1..{result.testsRun}")
      print("\\n".join(result.lines))
      sys.exit(0 if result.wasSuccessful() else 1)

      """
    ),
  ]

  /// `.mish/config.json`: written into the hub's state directory (never committed).
  static let config = """
    {
      "target": "main",
      "session": { "profile": "workspace-write", "limits": { "memory_mb": 1024, "pids": 256 } },
      "gates": [
        { "name": "compile", "command": "python3 -m compileall -q inventory tests", "phase": "pre-merge", "timeout_ms": 60000 },
        { "name": "tests", "tool": "test/run", "params": { "command": "python3 run_tests.py", "retries": 1 }, "phase": "post-merge", "timeout_ms": 120000 },
        { "name": "import", "command": "python3 -c 'import inventory.core'", "phase": "release", "timeout_ms": 60000 }
      ],
      "queue": { "batch_size": 4, "batch_wait_ms": 300 }
    }

    """

  /// A scripted agent: its task, the files it changes (path → (old text, new text); empty old text writes a new
  /// file), and how it should end.
  struct Agent {
    var name: String
    var task: String
    var edits: [(path: String, old: String, new: String)]
    var expected: Expected
    enum Expected: Equatable {
      case lands
      case conflict(path: String)
      case failsTest(named: String)
    }
  }

  static let agents: [Agent] = [
    Agent(
      name: "feature", task: "add total_value(stock, prices)",
      edits: [(
        "inventory/core.py", "    stock[item] = stock.get(item, 0) + count\n    return stock\n",
        "    stock[item] = stock.get(item, 0) + count\n    return stock\n\n\ndef total_value(stock, prices):\n    \"\"\"What the stock is worth at the given prices.\"\"\"\n    return round(sum(prices[item] * count for item, count in stock.items()), 2)\n"
      )],
      expected: .lands),
    Agent(
      name: "bugfix", task: "fix apply_discount (divides the percent by 10)",
      edits: [("inventory/core.py", "return total * (1 - percent / 10)", "return total * (1 - percent / 100)")],
      expected: .lands),
    Agent(
      name: "tests", task: "test restock of a new item and an empty line",
      edits: [(
        "tests/test_more.py", "",
        "import unittest\n\nfrom inventory.core import line_total, restock\n\n\nclass MoreTest(unittest.TestCase):\n    def test_restock_new_item(self):\n        self.assertEqual(restock({}, \"nut\", 4), {\"nut\": 4})\n\n    def test_zero_quantity(self):\n        self.assertEqual(line_total(9.99, 0), 0)\n"
      )],
      expected: .lands),
    Agent(
      name: "docs", task: "document the beta status and usage",
      edits: [
        ("README.md", "Status: alpha", "Status: beta (see docs/usage.md)"),
        ("docs/usage.md", "", "# Using inventory\n\n    from inventory.core import line_total, restock\n"),
      ],
      expected: .lands),
    Agent(
      name: "conflict", task: "declare the package stable",
      edits: [("README.md", "Status: alpha", "Status: stable")],
      expected: .conflict(path: "README.md")),
    Agent(
      name: "breaker", task: "truncate line totals to whole units",
      edits: [("inventory/core.py", "return round(price * quantity, 2)", "return int(price * quantity)")],
      expected: .failsTest(named: "test_rounds_to_cents")),
  ]
}
