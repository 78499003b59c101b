"""The command tools (exec_run, process_read, process_write, process_kill, process_list, output_read) and
session_info's sandbox report, called through the SDK in both protocol eras.

Every call goes through Harness.call / call_error, so each structuredContent (command states included) is validated
against the tool's listed outputSchema. Each server process numbers its commands afresh, and each test that writes
files does so in a directory private to it and its era.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from harness import ERAS, Harness, RawServer, mcp_session, modern_meta

pytestmark = pytest.mark.anyio

# An expectation about this machine, not a rule of mish: the hosts this suite runs on offer unprivileged user
# namespaces, Landlock and seccomp, so the default profile enforces every one of these layers here. On a host that
# lacks one, session_info says so (enforced false, with the reason) and test_this_machine_enforces_the_command_layers
# fails to point out that the host differs.
THIS_MACHINE_ENFORCES = ("namespaces", "capabilities", "no_new_privs", "landlock", "seccomp")

# session_info's layer for the file tools; the others are the layers commands run under, each reported on every host
# (enforced or not, with the reason).
PATHS_LAYER = "paths"
COMMAND_LAYERS = ("cgroups", "namespaces", "capabilities", "no_new_privs", "landlock", "seccomp")


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def workdir(root: Path, era: str, request: pytest.FixtureRequest) -> tuple[str, Path]:
    """A directory of the root private to one test and era: (root-relative name, absolute path)."""
    name = f"exec_{request.node.originalname.removeprefix('test_')}_{era}"
    (root / name).mkdir()
    return name, root / name


# MARK: - Helpers


def text_lines(text: str) -> int:
    """Lines as the result counts them: newlines, plus a last line without one."""
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def check_state(state: dict[str, Any]) -> None:
    """What every command state (exec_run, process_read's state, process_kill) must say about itself."""
    assert state["process_id"] and state["log_id"], state
    if state["running"]:
        assert state["exit_code"] is None, f"a running command has no exit code: {state}"
    else:
        assert (state["exit_code"] is None) != (state["signal"] is None), (
            f"an ended command has an exit code or a signal, not both: {state}"
        )
    for name in ("stdout", "stderr"):
        stream = state[name]
        if stream["truncated"]:
            assert 0 < stream["omitted_bytes"] < stream["bytes"], f"{name}: {stream}"
        else:
            assert stream["omitted_bytes"] == 0, f"{name}: {stream}"
            assert len(stream["text"].encode()) == stream["bytes"], f"{name}: bytes must count the text: {stream}"
            assert stream["lines"] == text_lines(stream["text"]), f"{name}: lines must count the text: {stream}"


async def run(mish: Harness, arguments: dict[str, Any]) -> dict[str, Any]:
    """exec_run that must succeed (a non-zero exit is still a success); returns the checked state."""
    state = await mish.call("exec_run", arguments)
    check_state(state)
    return state


async def read_until(
    mish: Harness, process_id: str, *, cursor: int = 0, until: str | None = None, timeout: float = 20
) -> tuple[str, int, dict[str, Any]]:
    """Polls process_read from `cursor` until the output holds `until` (or, without it, until the command has ended
    and all of its output is read). Returns (output read, next cursor, last state)."""
    output = ""
    deadline = time.monotonic() + timeout
    while True:
        read = await mish.call("process_read", {"process_id": process_id, "cursor": cursor, "wait_ms": 1000})
        check_state(read["state"])
        assert read["cursor"] == cursor + len(read["output"].encode()), f"cursor must advance by the bytes read: {read}"
        output += read["output"]
        cursor = read["cursor"]
        if until is not None and until in output:
            return output, cursor, read["state"]
        if until is None and not read["state"]["running"] and not read["more"]:
            return output, cursor, read["state"]
        if time.monotonic() > deadline:
            what = repr(until) if until is not None else "the end"
            pytest.fail(f"{process_id}: waited {timeout}s for {what}; read so far {output!r}", pytrace=False)


async def page_all(mish: Harness, arguments: dict[str, Any]) -> list[dict[str, Any]]:
    """Every line output_read gives for `arguments`, following next_start_line to the end."""
    lines: list[dict[str, Any]] = []
    start = arguments.get("start_line", 1)
    for _ in range(1000):
        page = await mish.call("output_read", {**arguments, "start_line": start})
        lines += page["lines"]
        if page["next_start_line"] is None:
            return lines
        assert page["next_start_line"] > start, f"next_start_line must move on: {page}"
        start = page["next_start_line"]
    pytest.fail(f"output_read {arguments} did not reach the end in 1000 pages", pytrace=False)


# MARK: - session_info


async def test_session_info_reports_layers_and_profiles(root: Path, logs: Path, era: str) -> None:
    """Every layer says whether it is enforced and available, its version and why; each command layer says how the
    default profile requires it; the profiles are exactly those exec_run accepts, the default first."""
    async with mcp_session(root, era, logs) as mish:
        info = await mish.call("session_info", {})
        layers = info["sandbox"]
        assert layers.get(PATHS_LAYER, {}).get("enforced") is True, f"the file tools are always confined: {layers}"
        command_layers = {name: layer for name, layer in layers.items() if name != PATHS_LAYER}
        assert set(COMMAND_LAYERS) <= set(command_layers), f"session_info lacks layers: {sorted(layers)}"
        for name, layer in layers.items():
            assert layer["reason"].strip(), f"{name}: empty reason"
            assert layer["available"] or not layer["enforced"], f"{name}: enforced but not available: {layer}"
        for name, layer in command_layers.items():
            assert layer.get("requirement") in ("required", "best_effort", "off"), f"{name}: no requirement: {layer}"
            if layer["requirement"] == "off":
                assert not layer["enforced"], f"{name}: off in the default profile, yet enforced: {layer}"

        profile_param = mish.tool("exec_run")["inputSchema"]["properties"]["profile"]
        names = [p["name"] for p in info["profiles"]]
        assert len(names) == len(set(names)), f"duplicate profiles: {names}"
        assert sorted(names) == sorted(profile_param["enum"]), f"profiles {names} vs exec_run's {profile_param}"
        assert names[0] == profile_param["default"], f"the first profile is the default: {names}"
        for profile in info["profiles"]:
            assert profile["description"].strip(), profile
        missing = [n for n, l in command_layers.items() if l["requirement"] == "required" and not l["enforced"]]
        default = info["profiles"][0]
        if missing:
            assert default["refused"], f"required layers {missing} are not enforced, yet the default is not refused"
        else:
            assert default["refused"] is None, f"every required layer is enforced, yet: {default}"


async def test_this_machine_enforces_the_command_layers(root: Path, logs: Path, era: str) -> None:
    """This machine has every layer (THIS_MACHINE_ENFORCES), so session_info and a command's own result must both
    report each of them available and enforced."""
    async with mcp_session(root, era, logs) as mish:
        info = await mish.call("session_info", {})
        state = await run(mish, {"argv": ["true"]})
        for where, layers in (("session_info", info["sandbox"]), ("exec_run", state["sandbox"])):
            for name in THIS_MACHINE_ENFORCES:
                layer = layers.get(name)
                assert layer and layer["available"] and layer["enforced"], (
                    f"this machine is expected to enforce the {name} layer for commands, but {where} reports "
                    f"{layer} (is this a host without it?)"
                )


async def test_commands_run_under_the_layers_they_report(root: Path, logs: Path, era: str) -> None:
    """A command's result reports the layers session_info lists for the default profile, and each one reported
    enforced is visible from inside: no capabilities, no_new_privs, a seccomp filter, PID and net namespaces."""
    async with mcp_session(root, era, logs) as mish:
        info = await mish.call("session_info", {})
        state = await run(
            mish,
            {"argv": ["sh", "-c", "cat /proc/self/status; readlink /proc/self/ns/pid /proc/self/ns/net"]},
        )
        expected = {n: (l["enforced"], l["requirement"]) for n, l in info["sandbox"].items() if n != PATHS_LAYER}
        reported = {n: (l["enforced"], l["requirement"]) for n, l in state["sandbox"].items()}
        assert reported == expected, f"exec_run's layers {reported} differ from session_info's {expected}"
        assert state["exit_code"] == 0, state

        lines = state["stdout"]["text"].splitlines()
        status = dict(line.split(":\t", 1) for line in lines if ":\t" in line)
        namespaces = [line for line in lines if line.startswith(("pid:[", "net:["))]
        enforced = {name for name, layer in state["sandbox"].items() if layer["enforced"]}
        if "capabilities" in enforced:
            for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                assert int(status[key], 16) == 0, f"capabilities enforced, yet {key}: {status[key]}"
        if "no_new_privs" in enforced:
            assert status["NoNewPrivs"] == "1", f"no_new_privs enforced, yet NoNewPrivs: {status['NoNewPrivs']}"
        if "seccomp" in enforced:
            assert status["Seccomp"] == "2", f"seccomp enforced, yet Seccomp: {status['Seccomp']} (2 is a filter)"
        if "namespaces" in enforced:
            ours = [os.readlink("/proc/self/ns/pid"), os.readlink("/proc/self/ns/net")]
            assert len(namespaces) == 2 and not set(namespaces) & set(ours), (
                f"namespaces enforced, yet the command shares ours: {namespaces} vs {ours}"
            )


# MARK: - exec_run


async def test_exec_run_exact_output(root: Path, logs: Path, era: str) -> None:
    """A quick command returns its exact stdout, stderr and exit code; a failing exit is a result, not an error."""
    async with mcp_session(root, era, logs) as mish:
        ok = await run(mish, {"argv": ["printf", "%s\\n", "hello", "world"]})
        assert ok["running"] is False and ok["exit_code"] == 0 and ok["signal"] is None, ok
        assert ok["stdout"]["text"] == "hello\nworld\n" and ok["stdout"]["lines"] == 2, ok["stdout"]
        assert ok["stderr"] == {"text": "", "bytes": 0, "lines": 0, "truncated": False, "omitted_bytes": 0}
        assert ok["timed_out"] is False and ok["oom_killed"] is False and ok["log_truncated"] is False
        assert os.path.realpath(ok["cwd"]) == str(root), f"cwd defaults to the root: {ok['cwd']}"
        assert ok["profile"] == "workspace-write", f"the default profile: {ok['profile']}"
        assert "hello" in ok["command"], f"command should say what ran: {ok['command']!r}"

        failed = await run(mish, {"command": "printf 'a\\nb\\n'; printf oops >&2; exit 3"})
        assert failed["exit_code"] == 3 and failed["signal"] is None, failed
        assert failed["stdout"]["text"] == "a\nb\n", failed["stdout"]
        assert failed["stderr"]["text"] == "oops" and failed["stderr"]["lines"] == 1, failed["stderr"]
        assert failed["command"] == "printf 'a\\nb\\n'; printf oops >&2; exit 3"

        fed = await run(mish, {"argv": ["cat"], "stdin": "piped\ninput"})
        assert fed["stdout"]["text"] == "piped\ninput" and fed["exit_code"] == 0, fed
        empty = await run(mish, {"argv": ["cat"]})
        assert empty["stdout"]["text"] == "" and empty["exit_code"] == 0, "without stdin, stdin is /dev/null"


async def test_exec_run_cwd_and_env(root: Path, logs: Path, era: str) -> None:
    """cwd is relative to the root; env adds variables and null removes one."""
    async with mcp_session(root, era, logs) as mish:
        state = await run(
            mish,
            {
                "argv": ["sh", "-c", 'pwd; echo "$MISH_CONF_VAR"; echo "${HOME-unset}"'],
                "cwd": "src",
                "env": {"MISH_CONF_VAR": "set by env", "HOME": None},
            },
        )
        assert os.path.realpath(state["cwd"]) == str(root / "src"), state["cwd"]
        pwd, var, home = state["stdout"]["text"].splitlines()
        assert os.path.realpath(pwd) == str(root / "src"), f"the command ran in {pwd}"
        assert var == "set by env", state["stdout"]
        assert home == "unset", f"env HOME: null must remove HOME: {state['stdout']}"


async def test_exec_run_profiles(root: Path, logs: Path, era: str, workdir: tuple[str, Path]) -> None:
    """The default profile may write the worktree; read-only may not, and says which profile ran."""
    d, base = workdir
    async with mcp_session(root, era, logs) as mish:
        wrote = await run(mish, {"command": "echo made > made.txt", "cwd": d})
        assert wrote["exit_code"] == 0, wrote
        assert (base / "made.txt").read_bytes() == b"made\n"

        refused = await run(mish, {"command": "echo made > ro.txt", "cwd": d, "profile": "read-only"})
        assert refused["profile"] == "read-only"
        assert refused["exit_code"] not in (0, None), f"read-only let the command write: {refused}"
        assert not (base / "ro.txt").exists(), "profile read-only wrote to the worktree"
        assert refused.get("denial_hint"), f"a refused write should carry a denial_hint: {refused}"


async def test_exec_run_timeout(root: Path, logs: Path, era: str) -> None:
    """timeout_ms kills the command: no exit code, a signal, timed_out."""
    async with mcp_session(root, era, logs) as mish:
        state = await run(mish, {"argv": ["sleep", "30"], "timeout_ms": 300})
        assert state["running"] is False and state["timed_out"] is True, state
        assert state["exit_code"] is None and state["signal"], state
        assert state["duration_ms"] < 20_000, state


async def test_exec_run_keeps_head_and_tail(root: Path, logs: Path, era: str) -> None:
    """Past max_output_bytes a stream keeps its head and tail with exact counts; output_read has every line."""
    expected = "".join(f"{i}\n" for i in range(1, 3001))
    async with mcp_session(root, era, logs) as mish:
        state = await run(mish, {"argv": ["seq", "1", "3000"], "max_output_bytes": 256})
        stdout = state["stdout"]
        assert stdout["truncated"] is True, stdout
        assert stdout["bytes"] == len(expected) and stdout["lines"] == 3000, stdout
        assert stdout["text"].startswith("1\n2\n3\n") and stdout["text"].endswith("2999\n3000\n"), stdout["text"]
        assert len(stdout["text"].encode()) < len(expected), "the kept text must be shorter than the stream"

        lines = await page_all(mish, {"log_id": state["log_id"], "stream": "stdout", "limit_lines": 1000})
        assert [line["text"] for line in lines] == expected.splitlines(), "output_read must give every line"
        assert [line["line"] for line in lines] == list(range(1, 3001))


async def test_exec_run_yields_while_running(root: Path, logs: Path, era: str) -> None:
    """A command outliving yield_ms comes back running with a process_id; process_read follows it to its end."""
    async with mcp_session(root, era, logs) as mish:
        started = await run(mish, {"command": "echo first; sleep 0.5; echo second", "yield_ms": 50})
        assert started["running"] is True, f"a 0.5 s command returned before yield_ms 50: {started}"
        assert started["exit_code"] is None and started["signal"] is None, started
        output, cursor, state = await read_until(mish, started["process_id"])
        assert output == "first\nsecond\n", f"process_read from cursor 0 to the end: {output!r}"
        assert cursor == len(output) and state["exit_code"] == 0, state
        assert state["stdout"]["text"] == output

        head = await mish.call("process_read", {"process_id": started["process_id"], "max_bytes": 3})
        assert head["output"] == "fir" and head["cursor"] == 3 and head["more"] is True, head
        rest = await mish.call("process_read", {"process_id": started["process_id"], "cursor": 3})
        assert rest["output"] == "st\nsecond\n" and rest["more"] is False, rest
        assert rest["cursor"] == cursor


# MARK: - process_*


async def test_process_write_and_list(root: Path, logs: Path, era: str) -> None:
    """keep_stdin_open gives a pipe process_write feeds and closes; process_list and output_read see the command
    running until its input ends."""
    async with mcp_session(root, era, logs) as mish:
        started = await run(
            mish, {"command": "read first; echo got $first; cat", "keep_stdin_open": True, "yield_ms": 0}
        )
        pid = started["process_id"]
        assert started["running"] is True, f"the command waits for input, yet: {started}"

        listed = (await mish.call("process_list", {}))["processes"]
        (row,) = [p for p in listed if p["process_id"] == pid]
        assert row["running"] is True and row["exit_code"] is None, row
        assert row["command"] == started["command"] and row["profile"] == started["profile"], row
        log = await mish.call("output_read", {"log_id": started["log_id"]})
        assert log["running"] is True, f"output_read of a command waiting for input: {log}"

        wrote = await mish.call("process_write", {"process_id": pid, "data": "one\n"})
        assert wrote == {"bytes": 4, "stdin_open": True}, wrote
        output, cursor, state = await read_until(mish, pid, until="got one\n")
        assert output == "got one\n" and state["running"] is True, (output, state)

        closed = await mish.call("process_write", {"process_id": pid, "data": "two\n", "close_stdin": True})
        assert closed == {"bytes": 4, "stdin_open": False}, closed
        rest, _, state = await read_until(mish, pid, cursor=cursor)
        assert output + rest == "got one\ntwo\n" and state["exit_code"] == 0, (rest, state)

        await mish.call_error("process_write", {"process_id": pid, "data": "late\n"})

        listed = (await mish.call("process_list", {}))["processes"]
        (row,) = [p for p in listed if p["process_id"] == pid]
        assert row["running"] is False and row["exit_code"] == 0, row
        assert row["output_bytes"] == len("got one\ntwo\n"), row


async def test_process_kill(root: Path, logs: Path, era: str) -> None:
    """SIGKILL (the default) ends a command at once; SIGTERM reaches the command, which may exit its own way."""
    async with mcp_session(root, era, logs) as mish:
        sleeper = await run(mish, {"argv": ["sleep", "30"], "yield_ms": 0})
        assert sleeper["running"] is True, sleeper
        killed = await mish.call("process_kill", {"process_id": sleeper["process_id"]})
        check_state(killed)
        assert killed["running"] is False, f"process_kill SIGKILL answered before the command ended: {killed}"
        assert killed["signal"] == "SIGKILL" and killed["exit_code"] is None, killed
        assert killed["timed_out"] is False, killed

        trapper = await run(
            mish,
            {"command": "trap 'echo term; exit 7' TERM; echo ready; while :; do sleep 0.05; done", "yield_ms": 0},
        )
        _, cursor, _ = await read_until(mish, trapper["process_id"], until="ready\n")
        termed = await mish.call("process_kill", {"process_id": trapper["process_id"], "signal": "SIGTERM"})
        check_state(termed)
        if termed["running"]:
            _, _, termed = await read_until(mish, trapper["process_id"], cursor=cursor)
        assert termed["exit_code"] == 7 and termed["signal"] is None, f"the TERM trap should exit 7: {termed}"
        assert termed["stdout"]["text"] == "ready\nterm\n", termed["stdout"]

        listed = {p["process_id"]: p for p in (await mish.call("process_list", {}))["processes"]}
        assert listed[sleeper["process_id"]]["signal"] == "SIGKILL", listed
        assert listed[trapper["process_id"]]["exit_code"] == 7, listed


# MARK: - output_read


async def test_output_read_streams_pages_and_grep(root: Path, logs: Path, era: str) -> None:
    """output_read pages a finished command's log per stream or interleaved, greps with real line numbers, and caps
    what it returns at max_bytes."""
    script = "for i in $(seq 1 30); do echo out $i; done; for i in $(seq 1 30); do echo err $i >&2; done"
    async with mcp_session(root, era, logs) as mish:
        state = await run(mish, {"command": script})
        log_id = state["log_id"]

        page = await mish.call("output_read", {"log_id": log_id, "stream": "stdout", "start_line": 5, "limit_lines": 3})
        assert page["lines"] == [{"line": n, "text": f"out {n}"} for n in (5, 6, 7)], page
        assert page["next_start_line"] == 8 and page["truncated"] is True, page
        assert page["total_lines"] == 30 and page["running"] is False and page["stream"] == "stdout", page

        end = await mish.call("output_read", {"log_id": log_id, "stream": "stdout", "start_line": 29})
        assert [line["line"] for line in end["lines"]] == [29, 30] and end["next_start_line"] is None, end
        assert end["truncated"] is False, end

        grep = await mish.call("output_read", {"log_id": log_id, "stream": "stderr", "grep": "^err 1[0-9]$"})
        assert grep["lines"] == [{"line": n, "text": f"err {n}"} for n in range(10, 20)], grep
        assert grep["total_lines"] == 30, grep

        combined = await page_all(mish, {"log_id": log_id, "limit_lines": 7})
        assert [line["line"] for line in combined] == list(range(1, 61)), "combined lines are numbered 1..60"
        texts = [line["text"] for line in combined]
        assert sorted(texts) == sorted([f"out {n}" for n in range(1, 31)] + [f"err {n}" for n in range(1, 31)])
        assert [t for t in texts if t.startswith("out")] == [f"out {n}" for n in range(1, 31)], "stdout keeps order"

        capped = await mish.call("output_read", {"log_id": log_id, "max_bytes": 256, "limit_lines": 10000})
        assert capped["truncated"] is True and capped["lines"], capped
        assert sum(len(line["text"].encode()) for line in capped["lines"]) <= 256, "max_bytes caps the text"
        assert capped["next_start_line"] == capped["lines"][-1]["line"] + 1, capped


# MARK: - Errors


async def test_exec_run_cwd_outside_root(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        await mish.call_error("exec_run", {"argv": ["pwd"], "cwd": ".."}, "outside_root")
        await mish.call_error("exec_run", {"argv": ["pwd"], "cwd": "/etc"}, "outside_root")


async def test_exec_run_missing_program(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        await mish.call_error("exec_run", {"argv": ["mish-conformance-no-such-program"]}, "not_found")
        await mish.call_error("exec_run", {"argv": ["pwd"], "cwd": "no/such/dir"}, "not_found")


async def test_exec_run_needs_exactly_one_of_argv_and_command(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        await mish.call_error("exec_run", {}, "invalid_argument")
        await mish.call_error("exec_run", {"argv": ["true"], "command": "true"}, "invalid_argument")


async def test_unknown_process_is_not_found(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        unknown = "p-mish-conformance"
        await mish.call_error("process_read", {"process_id": unknown}, "not_found")
        await mish.call_error("process_write", {"process_id": unknown, "data": "x"}, "not_found")
        await mish.call_error("process_kill", {"process_id": unknown}, "not_found")
        await mish.call_error("output_read", {"log_id": unknown}, "not_found")


# MARK: - Progress


def test_exec_progress_notifications(raw: RawServer, era: str) -> None:
    """exec_run with `_meta.progressToken` for a command printing over ~1 s sends `notifications/progress` for that
    token, with strictly increasing progress and the new output lines as messages, all before its response."""
    meta: dict[str, Any] = {"progressToken": "exec-1"}
    if era == "legacy":
        raw.initialize()
    else:
        meta |= modern_meta()
    command = "for i in $(seq 1 10); do echo tick $i; sleep 0.1; done"
    response = raw.request("tools/call", {"name": "exec_run", "arguments": {"command": command}, "_meta": meta})
    result = response.get("result")
    assert result is not None and result.get("isError") is not True, response
    state = result["structuredContent"]
    assert state["running"] is False and state["exit_code"] == 0, state
    ticks = [f"tick {i}" for i in range(1, 11)]
    assert state["stdout"]["text"].splitlines() == ticks, state["stdout"]

    progress = [n["params"] for n in raw.notifications if n.get("method") == "notifications/progress"]
    assert len(progress) >= 2, f"a command printing for ~1 s should report progress more than once: {progress}"
    assert all(p["progressToken"] == "exec-1" for p in progress), progress
    values = [p["progress"] for p in progress]
    assert values == sorted(set(values)), f"progress must strictly increase: {values}"
    messages = [p.get("message") for p in progress]
    assert all(isinstance(m, str) and m for m in messages), f"each progress message holds output lines: {messages}"
    lines = [line for m in messages for line in m.splitlines()]
    assert lines and set(lines) <= set(ticks), f"progress messages must be the command's lines: {messages}"
    assert lines == sorted(lines, key=ticks.index) and len(lines) == len(set(lines)), (
        f"progress messages repeat or reorder lines: {messages}"
    )
    late = [m for m in raw.drain() if m.get("method") == "notifications/progress"]
    assert not late, f"progress after the response: {late}"
