"""stdio transport behaviour from PROTOCOL.md: one JSON message per line, pipelined requests all answered (in any
order), and LSP-style Content-Length framing detected from the first bytes and answered in kind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from harness import RawServer, mish_bin


def test_pipelined_requests_are_all_answered(raw: RawServer) -> None:
    raw.initialize()
    ids = list(range(1, 41))
    for i in ids:
        path = "README.md" if i % 2 else "src/app.py"
        raw.send(
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": "tools/call",
                "params": {"name": "fs_stat", "arguments": {"path": path}},
            }
        )
    answered = {}
    for i in ids:
        answered[i] = raw.wait_for(i)
    for i, response in answered.items():
        result = response.get("result")
        assert result is not None and result.get("isError") is not True, f"request {i}: {response}"
        assert result["structuredContent"]["type"] == "file"
    assert not [m for m in raw.drain() if "id" in m], "more responses than requests"


def test_native_and_mcp_faces_agree(raw: RawServer) -> None:
    """The native method `fs/stat` and the MCP tool `fs_stat` come from one registry and give the same result."""
    raw.initialize()
    native = raw.request("fs/stat", {"path": "README.md"})
    mcp = raw.request("tools/call", {"name": "fs_stat", "arguments": {"path": "README.md"}})
    assert "result" in native, f"native fs/stat failed: {native}"
    assert native["result"] == mcp["result"]["structuredContent"]


def test_content_length_framing(root: Path) -> None:
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "lsp", "version": "0"},
            },
        }
    ).encode()
    ping = json.dumps({"jsonrpc": "2.0", "id": 8, "method": "ping"}).encode()
    frames = b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(b), b) for b in (body, ping))
    proc = subprocess.run(
        [mish_bin(), "serve", "--root", str(root)], input=frames, capture_output=True, timeout=15, check=False
    )
    out = proc.stdout
    replies = []
    while out:
        header, sep, rest = out.partition(b"\r\n\r\n")
        assert sep, f"reply is not Content-Length framed: {proc.stdout[:500]!r}"
        fields = dict(line.split(b":", 1) for line in header.split(b"\r\n"))
        length = int(fields[b"Content-Length"].strip())
        replies.append(json.loads(rest[:length]))
        out = rest[length:]
    by_id = {r["id"]: r for r in replies}
    assert by_id[7]["result"]["protocolVersion"] == "2025-11-25", replies
    assert by_id[8]["result"] == {}, replies
