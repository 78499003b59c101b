"""Legacy era (the `initialize` handshake, 2024-11-05 … 2025-11-25): handshake, version negotiation, ping,
and the shape of `tools/list`."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import (
    LATEST_LEGACY,
    LEGACY_VERSIONS,
    REQUIRED_TOOLS,
    RawServer,
    check_tool,
    list_all_tools,
    mcp_session,
    tool_dict,
)

pytestmark = pytest.mark.anyio


async def test_sdk_initialize_negotiates_a_legacy_version(root: Path, logs: Path) -> None:
    async with mcp_session(root, "legacy", logs) as mish:
        result = mish.session.initialize_result
        assert result is not None
        assert result.protocol_version in LEGACY_VERSIONS
        # The SDK offers its newest handshake version; a server that supports it must echo it.
        assert result.protocol_version == LATEST_LEGACY
        assert result.server_info.name, "serverInfo.name is empty"
        assert result.server_info.version, "serverInfo.version is empty"
        assert result.capabilities.tools is not None, "initialize result does not advertise the tools capability"


async def test_sdk_ping(root: Path, logs: Path) -> None:
    async with mcp_session(root, "legacy", logs) as mish:
        result = await mish.session.send_ping()
        assert result.model_dump(exclude_none=True) == {}


async def test_sdk_list_tools_is_stable(root: Path, logs: Path) -> None:
    async with mcp_session(root, "legacy", logs) as mish:
        first = [tool_dict(t) for t in (await mish.session.list_tools()).tools]
        second = [tool_dict(t) for t in (await mish.session.list_tools()).tools]
        assert [t["name"] for t in first] == [t["name"] for t in second], "tools/list order changed between calls"
        assert first == second, "tools/list content changed between calls"
        names = [t["name"] for t in first]
        assert len(names) == len(set(names)), f"duplicate tool names: {names}"
        missing = [n for n in REQUIRED_TOOLS if n not in names]
        assert not missing, f"tools/list lacks {missing}"
    # A second process lists the same tools in the same order (prompt caches key on it).
    async with mcp_session(root, "legacy", logs) as mish:
        third = [tool_dict(t) for t in (await mish.session.list_tools()).tools]
        assert third == first, "tools/list differs between two server processes"


def test_raw_tools_list_shape(raw: RawServer) -> None:
    raw.initialize()
    tools = list_all_tools(raw)
    assert tools, "tools/list is empty"
    for tool in tools:
        check_tool(tool)
    names = [t["name"] for t in tools]
    assert [n for n in REQUIRED_TOOLS if n not in names] == []
    again = list_all_tools(raw)
    assert again == tools, "tools/list differs between two calls"


def test_raw_annotations_are_plausible(raw: RawServer) -> None:
    raw.initialize()
    tools = {t["name"]: t for t in list_all_tools(raw)}
    readers = ("fs_read", "fs_read_many", "fs_list", "fs_glob", "fs_grep", "fs_stat", "session_info")
    for name in (*readers, "process_read", "process_list", "output_read"):
        if name in tools:
            assert tools[name]["annotations"]["readOnlyHint"] is True, f"{name} should be readOnlyHint: true"
    writers = ("fs_write", "fs_edit", "fs_patch", "fs_move", "fs_remove", "fs_mkdir")
    for name in (*writers, "exec_run", "process_write", "process_kill"):
        if name in tools:
            assert tools[name]["annotations"]["readOnlyHint"] is False, f"{name} should be readOnlyHint: false"
    for name in ("fs_remove", "exec_run", "process_kill"):
        if name in tools:
            assert tools[name]["annotations"]["destructiveHint"] is True, f"{name} should be destructive"
    for name, tool in tools.items():
        if name.startswith("fs_") or name == "session_info":
            assert tool["annotations"]["openWorldHint"] is False, f"{name} touches only the root: openWorldHint false"


@pytest.mark.parametrize("version", LEGACY_VERSIONS)
def test_raw_initialize_echoes_supported_version(raw: RawServer, version: str) -> None:
    result = raw.initialize(version)
    assert result["protocolVersion"] == version
    assert "tools" in result["capabilities"]
    assert result["serverInfo"]["name"]


def test_raw_initialize_unknown_version_gets_newest(raw: RawServer) -> None:
    result = raw.initialize("2099-01-01")
    assert result["protocolVersion"] == LATEST_LEGACY


def test_raw_ping_and_notifications(raw: RawServer) -> None:
    raw.initialize()
    response = raw.request("ping")
    assert response.get("result") == {}, f"ping must answer {{}}, got {response}"
    # A notification gets no reply: after one notification and one ping, only the ping answers.
    raw.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 424242}})
    response = raw.request("ping")
    assert response.get("result") == {}
    stray = [m for m in raw.drain() if "id" in m]
    assert not stray, f"unexpected responses: {stray}"


def test_raw_unknown_method_is_method_not_found(raw: RawServer) -> None:
    raw.initialize()
    response = raw.request("no/such_method", {})
    assert "error" in response, f"unknown method must be a JSON-RPC error, got {response}"
    assert response["error"]["code"] == -32601, response


def test_raw_string_ids_round_trip(raw: RawServer) -> None:
    raw.initialize()
    raw.send({"jsonrpc": "2.0", "id": "abc-1", "method": "ping"})
    response = raw.wait_for("abc-1")
    assert response["result"] == {}


def test_raw_stdin_eof_exits_cleanly(root: Path, logs: Path) -> None:
    server = RawServer(root, logs / "raw-eof.log")
    server.initialize()
    assert server.close() == 0, "mish serve should exit 0 when stdin closes"
