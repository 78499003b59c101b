"""`mish hub` (the orchestrator on stdio) and `mish connect` (a stdio proxy into one of its sessions, through the
hub's unix socket), driven by the SDK in both protocol eras.

A "mayor" client runs `mish hub --repo R` and uses the eleven hub tools; an "agent" client runs
`mish connect --session ID --repo R` and sees that session's own tools. Every test gets a fresh git repository (one
commit on main) in its own tmp dir, and every call goes through Harness.call / call_error, so arguments and
structuredContent are validated against the listed schemas (except where a test says why not).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest

from harness import ERAS, REQUIRED_TOOLS, Harness, check_tool, mcp_session, mish_bin, validate_schema

pytestmark = pytest.mark.anyio

HUB_TOOLS = (
    "hub_spawn",
    "hub_sessions",
    "hub_call",
    "hub_kill",
    "hub_events",
    "hub_claim",
    "hub_release",
    "hub_overlaps",
    "hub_decisions",
    "hub_submit",
    "hub_queue",
)

REPO_FILES: dict[str, bytes] = {
    "README.md": b"# hub demo\n",
    "src/app.py": b"def main():\n    print('hello')\n",
}

GIT_IDENTITY = ("-c", "user.name=mish conformance", "-c", "user.email=conformance@mish.invalid")


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return request.param


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh git repository private to one test: REPO_FILES in one commit on main."""
    directory = Path(os.path.realpath(tmp_path / "repo"))
    directory.mkdir()
    git(directory, "init", "-q", "-b", "main")
    for rel, data in REPO_FILES.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    git(directory, "add", "-A")
    git(directory, "commit", "-q", "-m", "initial")
    return directory


@pytest.fixture
def hub_logs(tmp_path: Path) -> Path:
    """The hub's and the proxies' stderr, beside the repository (never inside it)."""
    directory = tmp_path / "logs"
    directory.mkdir()
    return directory


@asynccontextmanager
async def mayor(repo: Path, era: str, logs: Path) -> AsyncIterator[Harness]:
    """An SDK client on `mish hub --repo REPO`; the hub (and its sessions' servers) ends when it closes."""
    async with mcp_session(repo, era, logs, args=["hub", "--repo", str(repo)], log_name="hub") as hub:
        yield hub


@asynccontextmanager
async def agent(repo: Path, session: dict[str, Any], era: str, logs: Path) -> AsyncIterator[Harness]:
    """An SDK client on `mish connect --session ID --repo REPO` (a hub must be running on REPO)."""
    sid = session["session_id"]
    args = ["connect", "--session", sid, "--repo", str(repo)]
    async with mcp_session(Path(session["worktree"]), era, logs, args=args, log_name=f"connect-{sid}") as client:
        yield client


async def spawn(hub: Harness, task: str) -> dict[str, Any]:
    session = await hub.call("hub_spawn", {"task": task})
    assert session["state"] == "ready", f"hub_spawn returns a ready session: {session}"
    return session


async def all_events(hub: Harness) -> list[dict[str, Any]]:
    result = await hub.call("hub_events", {"since_seq": 0})
    return result["events"]


async def call_unvalidated(client: Harness, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    """tools/call without the SDK's own check of structuredContent against the listed outputSchema (ClientSession
    .call_tool raises on a mismatch), for a result the test checks by hand."""
    request = types.CallToolRequest(params=types.CallToolRequestParams(name=name, arguments=arguments))
    return await client.session.send_request(request, types.CallToolResult)


async def run_mish(*args: str) -> subprocess.CompletedProcess[bytes]:
    """`mish ARGS` with empty stdin, off the event loop (a hub in the same test keeps being served)."""
    with anyio.fail_after(20):
        return await anyio.run_process([mish_bin(), *args], input=b"", check=False)


# MARK: - The mayor


async def test_mayor_lists_the_hub_tools(repo: Path, hub_logs: Path, era: str) -> None:
    """tools/list on `mish hub` is exactly the eleven hub tools, each with a strict inputSchema, an object
    outputSchema, a description and all four annotation hints."""
    async with mayor(repo, era, hub_logs) as hub:
        listing = await hub.refresh_tools()
        names = [tool["name"] for tool in listing]
        assert sorted(names) == sorted(HUB_TOOLS), f"the hub lists {names}"
        for tool in listing:
            check_tool(tool)
        assert hub.tool("hub_spawn")["annotations"]["readOnlyHint"] is False
        assert hub.tool("hub_sessions")["annotations"]["readOnlyHint"] is True
        assert hub.tool("hub_events")["annotations"]["readOnlyHint"] is True
        assert hub.tool("hub_kill")["annotations"]["destructiveHint"] is True
        call_schema = hub.tool("hub_call")["inputSchema"]
        assert set(call_schema["required"]) == {"session_id", "method"}, call_schema


async def test_mayor_spawns_and_drives_a_session(repo: Path, hub_logs: Path, era: str) -> None:
    """hub_spawn gives a ready session on mish/<id> in its own worktree at the repository's HEAD; hub_call fs/write
    then fs/read return the session's own results (valid against the session's own outputSchemas) and touch only
    its worktree; hub_sessions lists it; hub_events has increasing seqs with session.spawned and the two calls."""
    head = git(repo, "rev-parse", "HEAD")
    async with mayor(repo, era, hub_logs) as hub:
        session = await spawn(hub, "mayor drives fs")
        sid = session["session_id"]
        worktree = Path(session["worktree"])
        assert session["task"] == "mayor drives fs", session
        assert session["branch"] == f"mish/{sid}", session
        assert session["base"] == head, f"the base is the repository's HEAD {head}: {session}"
        assert session["profile"] == "workspace-write", session
        assert isinstance(session.get("pid"), int) and session["pid"] > 0, session
        assert worktree.is_absolute() and worktree.is_dir(), session
        assert worktree.parent == repo / ".mish" / "worktrees", f"worktrees live in .mish/worktrees: {worktree}"
        assert git(worktree, "rev-parse", "--abbrev-ref", "HEAD") == f"mish/{sid}", "the worktree is on its branch"
        assert git(repo, "rev-parse", f"refs/heads/mish/{sid}") == head
        assert (worktree / "README.md").read_bytes() == REPO_FILES["README.md"], "the worktree holds the base's files"

        # The session's own tool listing, asked through hub_call, to check its native results against.
        listed = await hub.call("hub_call", {"session_id": sid, "method": "tools/list"})
        session_tools = {tool["name"]: tool for tool in listed["tools"]}
        assert set(REQUIRED_TOOLS) <= set(session_tools), f"the session lacks tools: {sorted(session_tools)}"

        content = "hello from the mayor\n"
        wrote = await hub.call(
            "hub_call",
            {"session_id": sid, "method": "fs/write", "params": {"path": "notes/hello.txt", "content": content}},
        )
        validate_schema(wrote, session_tools["fs_write"]["outputSchema"], "hub_call fs/write (against fs_write's)")
        assert wrote["path"] == "notes/hello.txt" and wrote["created"] is True, wrote
        assert wrote["bytes"] == len(content.encode()), wrote
        assert wrote["sha256"] == hashlib.sha256(content.encode()).hexdigest(), wrote
        assert (worktree / "notes" / "hello.txt").read_text() == content, "the write lands in the session's worktree"
        assert not (repo / "notes").exists(), "the write must not reach the main repository"

        read = await hub.call("hub_call", {"session_id": sid, "method": "fs/read", "params": {"path": "notes/hello.txt"}})
        validate_schema(read, session_tools["fs_read"]["outputSchema"], "hub_call fs/read (against fs_read's)")
        assert read["content"] == content and read["sha256"] == wrote["sha256"], read
        assert read["total_lines"] == 1 and read["truncated"] is False, read

        # The session's errors come back as they are: an isError result with its code.
        error = await hub.call_error(
            "hub_call", {"session_id": sid, "method": "fs/read", "params": {"path": "missing.txt"}}, "not_found"
        )
        assert "missing.txt" in error["message"], error
        await hub.call_error("hub_call", {"session_id": "nosuchsession", "method": "fs/read", "params": {"path": "x"}}, "not_found")

        listing = await hub.call("hub_sessions", {})
        (row,) = listing["sessions"]
        assert row["session_id"] == sid and row["worktree"] == str(worktree) and row["branch"] == f"mish/{sid}", row
        assert row["state"] in ("ready", "working"), row
        assert row["in_flight"] == 0, row
        live = await hub.call("hub_sessions", {"state": row["state"]})
        assert [s["session_id"] for s in live["sessions"]] == [sid], live
        none = await hub.call("hub_sessions", {"state": "killed"})
        assert none["sessions"] == [], none

        result = await hub.call("hub_events", {"since_seq": 0})
        events = result["events"]
        seqs = [event["seq"] for event in events]
        assert seqs and all(a < b for a, b in zip(seqs, seqs[1:])), f"seqs must increase: {seqs}"
        assert result["next_seq"] == seqs[-1], result["next_seq"]
        kinds = [event["kind"] for event in events]
        assert "session.spawned" in kinds and "call" in kinds, kinds
        spawned = next(e for e in events if e["kind"] == "session.spawned")
        assert spawned["session_id"] == sid and spawned["branch"] == f"mish/{sid}", spawned
        calls = [e for e in events if e["kind"] == "call" and e["session_id"] == sid]
        methods = [(e["method"], e["outcome"]) for e in calls]
        assert ("fs/write", "ok") in methods and ("fs/read", "ok") in methods, methods
        assert ("fs/read", "not_found") in methods, methods
        assert methods.index(("fs/write", "ok")) < methods.index(("fs/read", "ok")), methods
        for event in calls:
            assert event["seq"] > spawned["seq"], (spawned, event)
            assert isinstance(event["duration_ms"], int) and event["duration_ms"] >= 0, event
            assert isinstance(event["args_digest"], str) and event["args_digest"], event

        # Reading on from next_seq gives only later events.
        later = await hub.call("hub_events", {"since_seq": result["next_seq"], "wait_ms": 100})
        assert all(e["seq"] > result["next_seq"] for e in later["events"]), later
        assert later["next_seq"] >= result["next_seq"], later
        part = await hub.call("hub_events", {"since_seq": 0, "limit": 2})
        assert [e["seq"] for e in part["events"]] == seqs[:2] and part["next_seq"] == seqs[1], part


# MARK: - Agents through mish connect


async def test_agent_connects_to_a_session(repo: Path, hub_logs: Path, era: str) -> None:
    """`mish connect --session ID` is that session to any MCP client: the handshake (initialize or discover) works,
    tools/list is the session's tools, fs_write + fs_read act on its worktree only, and session_info carries the
    hub's view (hub.session_id, task, branch, base, the decisions added through the mayor)."""
    async with mayor(repo, era, hub_logs) as hub:
        session = await spawn(hub, "agent via connect")
        sid = session["session_id"]
        worktree = Path(session["worktree"])
        await hub.call("hub_decisions", {"action": "add", "text": "Use tabs, not spaces."})

        async with agent(repo, session, era, hub_logs) as client:
            names = sorted(client.tools)
            assert set(REQUIRED_TOOLS) <= set(names), f"connect lists the session's tools, got {names}"
            assert not [n for n in names if n.startswith("hub_")], f"an agent does not get the hub's tools: {names}"
            for tool in client.tools.values():
                check_tool(tool)

            content = "written by the agent\n"
            wrote = await client.call("fs_write", {"path": "agent/out.txt", "content": content})
            assert wrote["path"] == "agent/out.txt" and wrote["created"] is True, wrote
            assert (worktree / "agent" / "out.txt").read_text() == content, "the write lands in the session's worktree"
            assert not (repo / "agent").exists(), "the write must not reach the main repository"
            read = await client.call("fs_read", {"path": "agent/out.txt"})
            assert read["content"] == content and read["sha256"] == wrote["sha256"], read
            seeded = await client.call("fs_read", {"path": "src/app.py"})
            assert seeded["content"] == REPO_FILES["src/app.py"].decode(), seeded

            # The mayor sees the same session.
            via_hub = await hub.call("hub_call", {"session_id": sid, "method": "fs/read", "params": {"path": "agent/out.txt"}})
            assert via_hub["content"] == content, via_hub

            # A decision added while the agent is connected, written in the session's name.
            await hub.call("hub_decisions", {"action": "add", "text": "Tests go in tests/.", "session_id": sid})

            # session_info gains a `hub` object. Its listed outputSchema (the session server's own) has
            # additionalProperties: false, so the augmented result is checked here without that schema; the rest
            # of it must still validate (test_connect_session_info_validates_against_its_schema wants the whole).
            tool = client.tool("session_info")
            result = await call_unvalidated(client, "session_info", {})
            assert result.is_error is not True, result
            assert len(result.content) == 1 and result.content[0].type == "text", result.content
            info = result.structured_content
            assert isinstance(info, dict), info
            without_hub = {key: value for key, value in info.items() if key != "hub"}
            validate_schema(without_hub, tool["outputSchema"], "session_info structuredContent without `hub`")
            assert info["root"] == str(worktree), f"the session's root is its worktree: {info['root']}"
            view = info.get("hub")
            assert isinstance(view, dict), f"session_info through the hub has a hub object: {sorted(info)}"
            assert view["session_id"] == sid and view["task"] == "agent via connect", view
            assert view["branch"] == f"mish/{sid}" and view["base"] == session["base"], view
            decisions = [(d["author"], d["text"]) for d in view["decisions"]]
            assert decisions == [("hub", "Use tabs, not spaces."), (sid, "Tests go in tests/.")], view["decisions"]
            for decision in view["decisions"]:
                assert isinstance(decision["decision_id"], int) and isinstance(decision["time_ms"], int), decision

        listed = await hub.call("hub_decisions", {})
        assert [d["text"] for d in listed["decisions"]] == ["Use tabs, not spaces.", "Tests go in tests/."], listed

        events = await all_events(hub)
        mine = [e for e in events if e["session_id"] == sid]
        assert "session.connected" in [e["kind"] for e in mine], [e["kind"] for e in mine]
        methods = [e["method"] for e in mine if e["kind"] == "call"]
        assert "fs/write" in methods and "fs/read" in methods and "session/info" in methods, methods


async def test_connect_session_info_validates_against_its_schema(repo: Path, hub_logs: Path, era: str) -> None:
    """The augmented session_info result (with `hub`) is valid against the session_info outputSchema that the same
    connection lists: a client that validates structuredContent (as the spec says clients should) accepts it."""
    async with mayor(repo, era, hub_logs) as hub:
        session = await spawn(hub, "schema")
        async with agent(repo, session, era, hub_logs) as client:
            info = await client.call("session_info", {})
            assert info["hub"]["session_id"] == session["session_id"], info


async def test_leases_hold_through_connect(repo: Path, hub_logs: Path, era: str) -> None:
    """hub_claim src/** exclusively for one session: the agent connected to another gets an isError result with
    code leased naming the holder for fs_write src/x.txt (and nothing is written); a write elsewhere and a read of
    the leased tree succeed; the holder itself writes there; after hub_release the agent may write too."""
    async with mayor(repo, era, hub_logs) as hub:
        holder = await spawn(hub, "owns src")
        other = await spawn(hub, "works elsewhere")
        a, b = holder["session_id"], other["session_id"]
        assert a != b and holder["worktree"] != other["worktree"], (holder, other)

        claim = await hub.call("hub_claim", {"session_id": a, "paths": ["src/**"], "exclusive": True, "ttl_s": 600})
        assert claim["granted"] is True and claim["conflicts"] == [], claim
        (lease,) = claim["leases"]
        assert lease["session_id"] == a and lease["pattern"] == "src/**" and lease["exclusive"] is True, lease

        # Nobody else may lease inside it; the refusal names the holder.
        refused = await hub.call("hub_claim", {"session_id": b, "paths": ["src/app.py"]})
        assert refused["granted"] is False and refused["leases"] == [], refused
        assert [c["session_id"] for c in refused["conflicts"]] == [a], refused

        worktree_b = Path(other["worktree"])
        async with agent(repo, other, era, hub_logs) as client:
            error = await client.call_error("fs_write", {"path": "src/x.txt", "content": "mine\n"}, "leased")
            assert error.get("holder") == a, f"the error names the holder {a}: {error}"
            assert a in error["message"] and "src/x.txt" in error["message"], error
            assert error.get("pattern") == "src/**" and error.get("path") == "src/x.txt", error
            assert not (worktree_b / "src" / "x.txt").exists(), "a refused write must not reach the session"

            # A path under the lease written through another spelling is refused the same way.
            await client.call_error("fs_write", {"path": "./src/../src/y.txt", "content": "mine\n"}, "leased")

            elsewhere = await client.call("fs_write", {"path": "docs/x.txt", "content": "fine\n"})
            assert elsewhere["created"] is True, elsewhere
            assert (worktree_b / "docs" / "x.txt").read_text() == "fine\n"
            read = await client.call("fs_read", {"path": "src/app.py"})
            assert read["content"] == REPO_FILES["src/app.py"].decode(), "reads are never leased"

            own = await hub.call(
                "hub_call", {"session_id": a, "method": "fs/write", "params": {"path": "src/x.txt", "content": "a\n"}}
            )
            assert own["created"] is True, f"the holder writes under its own lease: {own}"

            released = await hub.call("hub_release", {"session_id": a})
            assert released["released"] == 1, released
            after = await client.call("fs_write", {"path": "src/x.txt", "content": "mine\n"})
            assert after["created"] is True, after
            assert (worktree_b / "src" / "x.txt").read_text() == "mine\n"

        events = await all_events(hub)
        granted = [e for e in events if e["kind"] == "lease.granted"]
        assert [e["session_id"] for e in granted] == [a], granted
        refusals = [e for e in events if e["kind"] == "lease.refused" and e["session_id"] == b and "path" in e]
        assert refusals and refusals[0]["holder"] == a and refusals[0]["path"] == "src/x.txt", refusals
        leased_calls = [e for e in events if e["kind"] == "call" and e.get("outcome") == "leased"]
        assert leased_calls == [], f"a refused write is not sent, so it is no call: {leased_calls}"
        assert "lease.released" in [e["kind"] for e in events]


async def test_agent_of_a_killed_session(repo: Path, hub_logs: Path, era: str) -> None:
    """An agent stays connected when the mayor kills its session: its next call is an isError result with code
    session_ended (its branch keeps its commits), not a hang or a dropped connection."""
    async with mayor(repo, era, hub_logs) as hub:
        session = await spawn(hub, "killed under its agent")
        sid = session["session_id"]
        async with agent(repo, session, era, hub_logs) as client:
            await client.call("fs_write", {"path": "before.txt", "content": "x\n"})
            killed = await hub.call("hub_kill", {"session_id": sid})
            assert killed["state"] == "killed", killed
            assert killed["worktree_kept"] is True and "uncommitted" in killed["reason"], (
                f"an uncommitted file keeps the worktree: {killed}"
            )
            error = await client.call_error("fs_read", {"path": "before.txt"}, "session_ended")
            assert sid in error["message"] and "killed" in error["message"], error
        (row,) = (await hub.call("hub_sessions", {}))["sessions"]
        assert row["state"] == "killed", row


# MARK: - mish connect failures


async def test_connect_fails_clearly(repo: Path, hub_logs: Path) -> None:
    """`mish connect` exits non-zero with one clear line on stderr and nothing on stdout: with no hub running on
    the repository; for a session the hub does not know; for a session that has ended; and once the hub is gone."""
    no_hub = await run_mish("connect", "--session", "s1", "--repo", str(repo))
    assert no_hub.returncode != 0, no_hub
    assert no_hub.stdout == b"", no_hub.stdout
    message = no_hub.stderr.decode()
    assert "no hub is listening" in message and f"mish hub --repo {repo}" in message, message

    async with mayor(repo, "legacy", hub_logs) as hub:
        unknown = await run_mish("connect", "--session", "nosuchsession", "--repo", str(repo))
        assert unknown.returncode != 0 and unknown.stdout == b"", unknown
        message = unknown.stderr.decode()
        assert "cannot connect to session nosuchsession" in message and "No session nosuchsession" in message, message

        session = await spawn(hub, "short-lived")
        sid = session["session_id"]
        killed = await hub.call("hub_kill", {"session_id": sid})
        assert killed["state"] == "killed" and killed["worktree_kept"] is False, killed
        ended = await run_mish("connect", "--session", sid, "--repo", str(repo))
        assert ended.returncode != 0 and ended.stdout == b"", ended
        message = ended.stderr.decode()
        assert f"cannot connect to session {sid}" in message and "killed" in message, message

        live = await spawn(hub, "outlives its hub")

    gone = await run_mish("connect", "--session", live["session_id"], "--repo", str(repo))
    assert gone.returncode != 0 and gone.stdout == b"", gone
    assert "no hub is listening" in gone.stderr.decode(), gone.stderr


# MARK: - The merge queue


async def wait_for_queue(hub: Harness, queue_id: int, timeout: float = 120) -> dict[str, Any]:
    """hub_queue until the item has landed or been rejected."""
    with anyio.fail_after(timeout):
        while True:
            listing = await hub.call("hub_queue", {"queue_id": queue_id})
            (item,) = listing["items"]
            if item["state"] in ("landed", "rejected"):
                return item
            await anyio.sleep(0.2)


async def test_mayor_submits_and_the_queue_lands_through_its_gates(repo: Path, hub_logs: Path, era: str) -> None:
    """hub_submit refuses uncommitted work with `dirty` and the paths; once committed, the change is queued, gated
    (a post-merge command gate from .mish/config.json) and landed on main by the queue: main's new commit has the
    session's file, its tree is the one the gate passed on, and events tell the story. A conflicting change then
    comes back rejected with the path and its three stages."""
    (repo / ".mish").mkdir()
    (repo / ".mish" / "config.json").write_text(
        '{"target": "main", "queue": {"batch_wait_ms": 0},'
        ' "gates": [{"name": "readme", "command": "test -f README.md", "phase": "post-merge"}]}'
    )
    start = git(repo, "rev-parse", "main")
    identity = {"name": "agent", "email": "agent@mish.invalid"}
    async with mayor(repo, era, hub_logs) as hub:
        first = (await spawn(hub, "add notes"))["session_id"]
        second = (await spawn(hub, "change the readme"))["session_id"]

        async def session(sid: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
            return await hub.call("hub_call", {"session_id": sid, "method": method, "params": params})

        await session(first, "fs/write", {"path": "notes.md", "content": "notes\n"})
        dirty = await hub.call_error("hub_submit", {"session_id": first}, "dirty")
        assert "notes.md" in dirty["message"], dirty
        await session(first, "fs/write", {"path": "README.md", "content": "# hub demo, landed\n"})
        await session(first, "git/add", {"all": True})
        await session(first, "git/commit", {"message": "notes and readme", "author": identity})
        submitted = await hub.call("hub_submit", {"session_id": first, "message": "notes and readme"})
        assert submitted["item"]["state"] in ("queued", "merging", "gating", "landed"), submitted
        landed = await wait_for_queue(hub, submitted["queue_id"])
        assert landed["state"] == "landed", landed
        main = git(repo, "rev-parse", "main")
        assert landed["landed_sha"] == main and main != start, landed
        assert git(repo, "show", "main:notes.md") == "notes", "the session's file is on main"
        (gate,) = landed["gates"]
        assert gate["name"] == "readme" and gate["outcome"] == "passed", gate
        assert gate["tree"] == git(repo, "rev-parse", "main^{tree}"), "main holds exactly the tree the gate passed on"
        assert git(repo, "rev-list", "--parents", "-n", "1", "main").split()[1:] == [start, landed["head"]]

        await session(second, "fs/write", {"path": "README.md", "content": "# hub demo, rewritten\n"})
        await session(second, "git/add", {"all": True})
        await session(second, "git/commit", {"message": "readme", "author": identity})
        queued = await hub.call("hub_submit", {"session_id": second})
        rejected = await wait_for_queue(hub, queued["queue_id"])
        assert rejected["state"] == "rejected", rejected
        reason = rejected["reason"]
        assert reason["kind"] == "conflict" and reason["paths"] == ["README.md"], reason
        (conflict,) = reason["conflicts"]
        assert conflict["kind"] == "content", conflict
        assert conflict["base"]["oid"] == git(repo, "rev-parse", f"{start}:README.md"), conflict
        assert conflict["ours"]["oid"] == git(repo, "rev-parse", "main:README.md"), conflict
        assert git(repo, "rev-parse", "main") == main, "a rejected change never moves main"

        kinds = [event["kind"] for event in await all_events(hub)]
        for kind in ("queue.submitted", "gate.finished", "queue.landed", "queue.rejected"):
            assert kind in kinds, f"no {kind} event in {kinds}"
        states = {row["session_id"]: row["state"] for row in (await hub.call("hub_sessions", {}))["sessions"]}
        assert states == {first: "landed", second: "rejected"}, states
