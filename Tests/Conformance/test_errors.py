"""The error model, in both eras: operation failures are `isError` results whose structuredContent.error has
`code`, `message` and `hint` (and still validates against outputSchema); unknown tools and malformed requests are
JSON-RPC errors."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

from harness import ERAS, SEED_FILES, RawServer, mcp_session

pytestmark = pytest.mark.anyio


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_read_missing_file_is_not_found(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        await mish.call_error("fs_read", {"path": "no/such/file.txt"}, "not_found")


async def test_edit_without_match_is_no_match(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        error = await mish.call_error(
            "fs_edit", {"path": "src/app.py", "edits": [{"old_text": "no such text", "new_text": "x"}]}, "no_match"
        )
        assert (root / "src/app.py").read_bytes() == SEED_FILES["src/app.py"], "a failed edit changed the file"
        assert error["message"] != error["hint"]


async def test_ambiguous_edit_is_refused(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        # "greet" occurs twice in src/app.py; without replace_all the edit must not guess.
        await mish.call_error(
            "fs_edit", {"path": "src/app.py", "edits": [{"old_text": "greet", "new_text": "hail"}]}, "ambiguous_match"
        )
        assert (root / "src/app.py").read_bytes() == SEED_FILES["src/app.py"]


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "src/../../outside.txt"])
async def test_paths_outside_root_are_refused(root: Path, logs: Path, era: str, path: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        await mish.call_error("fs_read", {"path": path}, "outside_root")


async def test_symlink_escape_is_refused(root: Path, logs: Path, era: str) -> None:
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_bytes(b"secret\n")
    link = root / f"escape_{era}"
    if not link.is_symlink():
        os.symlink(outside, link)
    async with mcp_session(root, era, logs) as mish:
        await mish.call_error("fs_read", {"path": f"escape_{era}/secret.txt"}, "outside_root")
        await mish.call_error("fs_write", {"path": f"escape_{era}/planted.txt", "content": "x"}, "outside_root")
    assert not (outside / "planted.txt").exists(), "fs_write followed a symlink out of the root"


async def test_write_conflicts(root: Path, logs: Path, era: str) -> None:
    path = f"conflict_{era}.txt"
    (root / path).write_bytes(b"original\n")
    async with mcp_session(root, era, logs) as mish:
        await mish.call_error("fs_write", {"path": path, "content": "new\n", "create_only": True}, "exists")
        await mish.call_error(
            "fs_write", {"path": path, "content": "new\n", "expected_sha256": hashlib.sha256(b"x").hexdigest()}, "stale"
        )
        assert (root / path).read_bytes() == b"original\n"


async def test_unknown_tool_is_a_jsonrpc_error(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        with pytest.raises(MCPError) as caught:
            await mish.session.call_tool("fs_no_such_tool", {"path": "README.md"})
        assert caught.value.error.code == -32602, f"unknown tool: expected -32602, got {caught.value.error}"


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"path": 5}, id="wrong-type"),
        pytest.param({}, id="missing-required"),
        pytest.param({"path": "README.md", "no_such_param": 1}, id="unknown-param"),
        pytest.param({"path": "README.md", "start_line": "two"}, id="wrong-type-optional"),
    ],
)
async def test_bad_arguments_are_invalid_argument_results(
    root: Path, logs: Path, era: str, arguments: dict[str, object]
) -> None:
    async with mcp_session(root, era, logs) as mish:
        await mish.call_error("fs_read", arguments, "invalid_argument")


def test_raw_tools_call_without_name_is_invalid_params(raw: RawServer) -> None:
    raw.initialize()
    response = raw.request("tools/call", {"arguments": {"path": "README.md"}})
    assert "error" in response, f"tools/call without a name must be a JSON-RPC error: {response}"
    assert response["error"]["code"] == -32602, response


def test_raw_error_result_shape(raw: RawServer) -> None:
    """The wire form of an operation failure: isError true, one text item, structuredContent.error."""
    raw.initialize()
    response = raw.request("tools/call", {"name": "fs_read", "arguments": {"path": "missing.txt"}})
    result = response.get("result")
    assert result is not None, f"an operation failure must be a result, not a JSON-RPC error: {response}"
    assert result.get("isError") is True
    assert [c["type"] for c in result["content"]] == ["text"]
    assert result["structuredContent"]["error"]["code"] == "not_found"


def test_raw_parse_error(raw: RawServer) -> None:
    assert raw.proc.stdin
    raw.proc.stdin.write(b'{"jsonrpc": "2.0", "id": 1, "method": \n')
    raw.proc.stdin.flush()
    replies = raw.drain(wait=2)
    assert replies, "a malformed line must get a -32700 reply"
    assert replies[0].get("id") is None and replies[0]["error"]["code"] == -32700, replies
    # The server keeps serving after a bad line.
    raw.initialize()
