"""The test and build tools (test_run, build_run), called through the SDK in both protocol eras.

Every call goes through Harness.call / call_error, so each structuredContent is validated against the tool's listed
outputSchema. Both tools default to the `test` sandbox profile: the worktree is writable, the network is off and /tmp
is private to the command. Commands run with cwd = the root, so the scripts each test writes into its private
directory are run as `sh ./<workdir>/<script>`; reports go to $MISH_REPORT_DIR, a directory in the command's /tmp.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from harness import ERAS, Harness, RawServer, check_result_shape, mcp_session, modern_meta, validate_schema

pytestmark = pytest.mark.anyio


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def workdir(root: Path, era: str, request: pytest.FixtureRequest) -> tuple[str, Path]:
    """A directory of the root private to one test and era: (root-relative name, absolute path)."""
    name = f"runs_{request.node.originalname.removeprefix('test_')}_{era}"
    (root / name).mkdir()
    return name, root / name


def write_script(base: Path, name: str, body: str) -> None:
    (base / name).write_text(textwrap.dedent(body).lstrip("\n"))


async def call_with_text(mish: Harness, name: str, arguments: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Harness.call, also returning the compact text content (content[0].text)."""
    tool = mish.tool(name)
    validate_schema(arguments, tool["inputSchema"], f"arguments sent to {name} (against its inputSchema)")
    result = await mish.session.call_tool(name, arguments)
    structured = check_result_shape(name, tool, result)
    assert not result.is_error, f"{name}({json.dumps(arguments)}) failed: {json.dumps(structured)[:1500]}"
    return structured, result.content[0].text


def check_run(run: dict[str, Any]) -> None:
    """What every test_run result must say about itself."""
    summary = run["summary"]
    assert summary["total"] == sum(summary[k] for k in ("passed", "failed", "skipped", "flaky")), summary
    assert summary["failed"] == len(run["failures"]) and summary["flaky"] == len(run["flaky"]), run
    assert run["attempts"] and run["attempts"][0]["log_id"] == run["log_id"], run["attempts"]
    assert run["attempts"][0]["exit_code"] == run["exit_code"], run["attempts"]
    assert run["attempts"][0]["command"] == run["command"], run["attempts"]
    assert summary["duration_ms"] >= max(a["duration_ms"] for a in run["attempts"]), run


# MARK: - TAP

# A TAP 14 stream: a pass, a failure with YAML diagnostics, a skip. The script exits 1 like a failing runner.
TAP_SCRIPT = """
    echo "TAP version 14"
    echo "1..3"
    echo "ok 1 - adds numbers"
    echo "not ok 2 - divides by zero"
    echo "  ---"
    echo "  message: 'expected 0, got Infinity'"
    echo "  at: {wd}/math.t:12"
    echo "  ..."
    echo "ok 3 - talks to the network # SKIP no network here"
    exit 1
"""


async def test_test_run_tap_on_stdout(root: Path, logs: Path, era: str, workdir: tuple[str, Path]) -> None:
    """runner command with TAP 14 on stdout: exact outcome, counts, and the failure's id, place and message; the
    compact text names the failing test; output_read has the whole stream under log_id."""
    d, base = workdir
    write_script(base, "t.sh", TAP_SCRIPT.format(wd=d))
    command = f"sh ./{d}/t.sh"
    async with mcp_session(root, era, logs) as mish:
        run, text = await call_with_text(mish, "test_run", {"runner": "command", "command": command})
        check_run(run)
        assert run["outcome"] == "tests_failed", run
        assert run["runner"] == "command" and run["command"] == command, run
        assert run["exit_code"] == 1, run
        summary = {k: v for k, v in run["summary"].items() if k != "duration_ms"}
        assert summary == {"total": 3, "passed": 1, "failed": 1, "skipped": 1, "flaky": 0}, run["summary"]
        (failure,) = run["failures"]
        assert failure["id"] == "divides by zero" and failure["name"] == "divides by zero", failure
        assert failure["suite"] == "", failure
        assert failure["file"] == f"{d}/math.t" and failure["line"] == 12, failure
        assert failure["message"] == "expected 0, got Infinity", failure
        assert "expected 0, got Infinity" in failure["excerpt"], failure
        assert run["flaky"] == [] and run["diagnostics"] == [], run
        assert len(run["attempts"]) == 1 and run["attempts"][0]["failed"] == 1, run["attempts"]
        assert run["attempts"][0]["signal"] is None, run["attempts"]
        assert "log_tail" not in run, "log_tail is only for error, build_failed and timed_out"

        assert text.startswith("tests_failed"), text
        assert "divides by zero" in text, f"the compact text should name the failing test: {text!r}"
        assert f"{d}/math.t:12" in text, f"the compact text should say where it failed: {text!r}"

        log = await mish.call("output_read", {"log_id": run["log_id"], "stream": "stdout"})
        lines = [line["text"] for line in log["lines"]]
        assert "not ok 2 - divides by zero" in lines and len(lines) == 9, lines


async def test_test_run_rerun_failed_after_a_failure(
    root: Path, logs: Path, era: str, workdir: tuple[str, Path]
) -> None:
    """After a failing run in the same session, rerun_failed looks at exactly the test that failed (a command
    cannot run chosen tests, so it runs whole again and says so in notes)."""
    d, base = workdir
    write_script(base, "t.sh", TAP_SCRIPT.format(wd=d))
    command = f"sh ./{d}/t.sh"
    async with mcp_session(root, era, logs) as mish:
        first = await mish.call("test_run", {"runner": "command", "command": command})
        assert first["outcome"] == "tests_failed", first
        again = await mish.call("test_run", {"runner": "command", "command": command, "rerun_failed": True})
        check_run(again)
        assert again["outcome"] == "tests_failed", again
        summary = {k: v for k, v in again["summary"].items() if k != "duration_ms"}
        assert summary == {"total": 1, "passed": 0, "failed": 1, "skipped": 0, "flaky": 0}, again["summary"]
        assert [f["id"] for f in again["failures"]] == ["divides by zero"], again["failures"]
        assert any("ran whole again" in note for note in again["notes"]), again["notes"]


# MARK: - JUnit and retries

JUNIT_SCRIPT = """
    cat > "$MISH_REPORT_DIR/report.xml" <<'EOF'
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites>
      <testsuite name="calc" tests="3" failures="1" skipped="1">
        <testcase classname="calc.Ops" name="test_add" time="0.010"/>
        <testcase classname="calc.Ops" name="test_div" time="0.020">
          <failure message="division is off by one">{wd}/calc.c:17: assertion failed: 7 / 2 == 4</failure>
        </testcase>
        <testcase classname="calc.Ops" name="test_later" time="0">
          <skipped message="not yet"/>
        </testcase>
      </testsuite>
    </testsuites>
    EOF
    echo "ran 3 tests, 1 failed"
    exit 1
"""

# test_flaky fails while the marker file is missing (the first run) and passes after; test_div always fails.
FLAKY_SCRIPT = """
    marker=./{wd}/ran-once
    if [ -e "$marker" ]; then
      flaky='<testcase classname="calc.Ops" name="test_flaky"/>'
    else
      : > "$marker"
      flaky='<testcase classname="calc.Ops" name="test_flaky">
        <failure message="timing">{wd}/calc.c:30: too slow</failure>
      </testcase>'
    fi
    cat > "$MISH_REPORT_DIR/report.xml" <<EOF
    <testsuite name="calc">
      <testcase classname="calc.Ops" name="test_add"/>
      <testcase classname="calc.Ops" name="test_div">
        <failure message="division is off by one">{wd}/calc.c:17: assertion failed</failure>
      </testcase>
      $flaky
    </testsuite>
    EOF
    exit 1
"""


async def test_test_run_junit_report_and_retries(
    root: Path, logs: Path, era: str, workdir: tuple[str, Path]
) -> None:
    """A JUnit file written to $MISH_REPORT_DIR gives exact results; with retries 1, a test that fails only on the
    first run is flaky (listed, counted, not hidden) while a real failure still fails the run; 2 attempts."""
    d, base = workdir
    write_script(base, "junit.sh", JUNIT_SCRIPT.format(wd=d))
    write_script(base, "flaky.sh", FLAKY_SCRIPT.format(wd=d))
    async with mcp_session(root, era, logs) as mish:
        run = await mish.call("test_run", {"runner": "command", "command": f"sh ./{d}/junit.sh"})
        check_run(run)
        assert run["outcome"] == "tests_failed" and run["exit_code"] == 1, run
        summary = {k: v for k, v in run["summary"].items() if k != "duration_ms"}
        assert summary == {"total": 3, "passed": 1, "failed": 1, "skipped": 1, "flaky": 0}, run["summary"]
        assert run["failures"] == [
            {
                "id": "calc.Ops/test_div",
                "suite": "calc.Ops",
                "name": "test_div",
                "file": f"{d}/calc.c",
                "line": 17,
                "message": "division is off by one",
                "excerpt": f"{d}/calc.c:17: assertion failed: 7 / 2 == 4",
            }
        ], run["failures"]
        assert run["flaky"] == [] and run["diagnostics"] == [] and len(run["attempts"]) == 1, run
        assert not any("no report" in note for note in run["notes"]), f"the JUnit file was written: {run['notes']}"

        assert not (base / "ran-once").exists()
        retried = await mish.call("test_run", {"runner": "command", "command": f"sh ./{d}/flaky.sh", "retries": 1})
        check_run(retried)
        assert (base / "ran-once").exists(), "the script's marker in the worktree"
        assert retried["outcome"] == "tests_failed", f"test_div fails on every attempt: {retried}"
        summary = {k: v for k, v in retried["summary"].items() if k != "duration_ms"}
        assert summary == {"total": 3, "passed": 1, "failed": 1, "skipped": 0, "flaky": 1}, retried["summary"]
        assert [f["id"] for f in retried["failures"]] == ["calc.Ops/test_div"], retried["failures"]
        assert retried["flaky"] == [
            {
                "id": "calc.Ops/test_flaky",
                "suite": "calc.Ops",
                "name": "test_flaky",
                "message": "timing",
                "passed_on_attempt": 2,
            }
        ], retried["flaky"]
        attempts = retried["attempts"]
        assert len(attempts) == 2, attempts
        assert [a["failed"] for a in attempts] == [2, 1], attempts
        assert [a["exit_code"] for a in attempts] == [1, 1], attempts
        assert attempts[0]["log_id"] != attempts[1]["log_id"], attempts
        assert any("flaky" in note for note in retried["notes"]), retried["notes"]


async def test_test_run_flaky_only_passes(root: Path, logs: Path, era: str, workdir: tuple[str, Path]) -> None:
    """When the only failure passes on its retry, nothing failed: the outcome is passed, the flaky test still shown."""
    d, base = workdir
    write_script(
        base,
        "flaky.sh",
        """
        if [ -e ./{wd}/ran-once ]; then echo "ok 1 - wobbly"; exit 0; fi
        : > ./{wd}/ran-once
        echo "not ok 1 - wobbly"
        echo "1..1"
        exit 1
        """.replace("{wd}", d),
    )
    async with mcp_session(root, era, logs) as mish:
        run = await mish.call("test_run", {"runner": "command", "command": f"sh ./{d}/flaky.sh", "retries": 2})
        check_run(run)
        assert run["outcome"] == "passed", run
        summary = {k: v for k, v in run["summary"].items() if k != "duration_ms"}
        assert summary == {"total": 1, "passed": 0, "failed": 0, "skipped": 0, "flaky": 1}, run["summary"]
        assert [(t["id"], t["passed_on_attempt"]) for t in run["flaky"]] == [("wobbly", 2)], run["flaky"]
        assert len(run["attempts"]) == 2, "no third attempt once nothing fails"


# MARK: - build_run


async def test_build_run_gcc(root: Path, logs: Path, era: str, workdir: tuple[str, Path]) -> None:
    """A real gcc compile: one error and one warning as data, paths relative to the root, exact line and column;
    then a clean compile succeeds with no diagnostics."""
    d, base = workdir
    (base / "m.c").write_text(
        "int f(void)\n{\n    int unused;\n    return 0;\n}\n\nint g(void)\n{\n    return 1\n}\n"
    )
    (base / "ok.c").write_text("int f(void)\n{\n    return 1;\n}\n")
    async with mcp_session(root, era, logs) as mish:
        command = f"gcc -Wall -c {d}/m.c -o /tmp/m.o"
        build = await mish.call("build_run", {"command": command})
        assert build["succeeded"] is False and build["exit_code"] not in (0, None), build
        assert build["errors"] == 1 and build["warnings"] == 1, build
        # exec_run and test_run report a shell command as given; build_run reports the shell line around it
        # (`/bin/bash -c '...'`), so only containment is checked here.
        assert command in build["command"], build["command"]
        assert build["timed_out"] is False and build["log_id"], build
        places = [(x["file"], x["line"], x["column"], x["severity"]) for x in build["diagnostics"]]
        assert places == [(f"{d}/m.c", 3, 9, "warning"), (f"{d}/m.c", 9, 13, "error")], build["diagnostics"]
        warning, error = build["diagnostics"]
        assert "unused variable" in warning["message"] and "unused" in warning["message"], warning
        assert "expected" in error["message"] and "before" in error["message"], error
        assert "m.c:9:13" in build.get("log_tail", ""), "a failed build carries the end of its output"
        assert not (root / "m.o").exists() and not (base / "m.o").exists(), "the object went to the private /tmp"

        clean = await mish.call("build_run", {"command": f"gcc -Wall -c {d}/ok.c -o /tmp/ok.o"})
        assert clean["succeeded"] is True and clean["exit_code"] == 0, clean
        assert clean["errors"] == 0 and clean["warnings"] == 0 and clean["diagnostics"] == [], clean
        assert "log_tail" not in clean, clean


# MARK: - Errors


async def test_test_run_rerun_failed_without_history(root: Path, logs: Path, era: str) -> None:
    """rerun_failed in a fresh session has nothing to re-run: invalid_argument, nothing is run."""
    async with mcp_session(root, era, logs) as mish:
        error = await mish.call_error(
            "test_run", {"runner": "command", "command": "echo 'ok 1 - x'", "rerun_failed": True}, "invalid_argument"
        )
        assert "rerun_failed" in error["hint"] or "re-run" in error["message"], error
        passing = await mish.call("test_run", {"runner": "command", "command": "echo 1..1; echo 'ok 1 - x'"})
        assert passing["outcome"] == "passed" and passing["summary"]["passed"] == 1, passing
        await mish.call_error(
            "test_run", {"runner": "command", "command": "echo 'ok 1 - x'", "rerun_failed": True}, "invalid_argument"
        )


async def test_test_run_command_runner_needs_a_command(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        await mish.call_error("test_run", {"runner": "command"}, "invalid_argument")


# MARK: - Progress


async def test_test_run_progress_per_finished_test(
    root: Path, logs: Path, era: str, workdir: tuple[str, Path]
) -> None:
    """With a progress callback (the SDK puts a progressToken in _meta), test_run sends one progress notification
    per finished test, in order, saying how it ended: "✓ name", "✗ name", "○ name" for a skip."""
    d, base = workdir
    write_script(
        base,
        "t.sh",
        """
        echo "TAP version 14"
        echo "1..3"
        echo "ok 1 - first passes"
        sleep 0.2
        echo "not ok 2 - second fails"
        sleep 0.2
        echo "ok 3 - third skipped # SKIP not today"
        exit 1
        """,
    )
    arguments = {"runner": "command", "command": f"sh ./{d}/t.sh"}
    received: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        received.append((progress, total, message))

    async with mcp_session(root, era, logs) as mish:
        tool = mish.tool("test_run")
        validate_schema(arguments, tool["inputSchema"], "arguments sent to test_run")
        result = await mish.session.call_tool("test_run", arguments, progress_callback=on_progress)
        run = check_result_shape("test_run", tool, result)
        assert not result.is_error and run["outcome"] == "tests_failed", run
        # The SDK hands each notification to the callback in a task of its own, so the last may still be on its
        # way when call_tool returns: wait for all three, then a little longer for any extra.
        deadline = time.monotonic() + 5
        while len(received) < 3 and time.monotonic() < deadline:
            await anyio.sleep(0.02)
        await anyio.sleep(0.2)
        received.sort(key=lambda item: item[0])
        messages = [message for _, _, message in received]
        assert messages == ["✓ first passes", "✗ second fails", "○ third skipped"], received
        assert [progress for progress, _, _ in received] == [1, 2, 3], received


def test_test_run_progress_before_the_response(raw: RawServer, era: str, workdir: tuple[str, Path]) -> None:
    """On the wire: the notifications carry the request's progressToken, strictly increase, and all come before the
    response (what the SDK's callback cannot show, since it runs each one in a task of its own)."""
    d, base = workdir
    write_script(base, "t.sh", 'for i in 1 2 3 4; do echo "ok $i - case $i"; sleep 0.05; done; echo 1..4\n')
    meta: dict[str, Any] = {"progressToken": "run-1"}
    if era == "legacy":
        raw.initialize()
    else:
        meta |= modern_meta()
    arguments = {"runner": "command", "command": f"sh ./{d}/t.sh"}
    response = raw.request("tools/call", {"name": "test_run", "arguments": arguments, "_meta": meta}, timeout=60)
    result = response.get("result")
    assert result is not None and result.get("isError") is not True, response
    assert result["structuredContent"]["outcome"] == "passed", result["structuredContent"]
    progress = [n["params"] for n in raw.notifications if n.get("method") == "notifications/progress"]
    assert all(p["progressToken"] == "run-1" for p in progress), progress
    assert [p["progress"] for p in progress] == [1, 2, 3, 4], progress
    assert [p.get("message") for p in progress] == [f"✓ case {i}" for i in range(1, 5)], progress
    late = [m for m in raw.drain() if m.get("method") == "notifications/progress"]
    assert not late, f"progress after the response: {late}"
