"""Modern era (2026-07-28, stateless): `server/discover`, per-request `_meta`, `resultType`, and the
unsupported-version error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import (
    LEGACY_VERSIONS,
    META_VERSION,
    MODERN_VERSION,
    REQUIRED_TOOLS,
    RawServer,
    check_tool,
    list_all_tools,
    mcp_session,
    modern_meta,
    tool_dict,
)

pytestmark = pytest.mark.anyio


async def test_sdk_discover(root: Path, logs: Path) -> None:
    async with mcp_session(root, "modern", logs) as mish:
        assert mish.session.protocol_version == MODERN_VERSION
        result = mish.session.discover_result
        assert result is not None
        assert MODERN_VERSION in result.supported_versions
        assert result.capabilities.tools is not None, "discover does not advertise the tools capability"
        assert result.ttl_ms is not None and result.ttl_ms >= 0
        assert result.cache_scope in ("public", "private")


async def test_sdk_list_and_call_in_modern_era(root: Path, logs: Path) -> None:
    async with mcp_session(root, "modern", logs) as mish:
        first = [tool_dict(t) for t in (await mish.session.list_tools()).tools]
        second = [tool_dict(t) for t in (await mish.session.list_tools()).tools]
        assert first == second, "tools/list changed between calls"
        names = [t["name"] for t in first]
        assert [n for n in REQUIRED_TOOLS if n not in names] == []
        content = await mish.call("fs_read", {"path": "README.md"})
        assert "hello world" in content["content"]
        info = await mish.call("session_info", {})
        assert MODERN_VERSION in info["protocol_versions"]


def test_raw_discover(raw: RawServer) -> None:
    response = raw.request("server/discover", {"_meta": modern_meta()})
    assert "result" in response, f"server/discover failed: {response}"
    result = response["result"]
    assert result.get("resultType") == "complete", f"discover result lacks resultType 'complete': {result}"
    assert MODERN_VERSION in result["supportedVersions"]
    assert isinstance(result.get("capabilities"), dict) and "tools" in result["capabilities"]
    assert isinstance(result.get("ttlMs"), int) and result["ttlMs"] >= 0
    assert result.get("cacheScope") in ("public", "private")


def test_raw_modern_requests_need_no_initialize(raw: RawServer) -> None:
    meta = modern_meta()
    tools = list_all_tools(raw, meta)
    for tool in tools:
        check_tool(tool)
    response = raw.request("tools/list", {"_meta": meta})
    result = response["result"]
    assert result.get("resultType") == "complete", f"tools/list lacks resultType: {list(result)}"
    assert isinstance(result.get("ttlMs"), int) and result["ttlMs"] >= 0, "2026 tools/list needs ttlMs"
    assert result.get("cacheScope") in ("public", "private"), "2026 tools/list needs cacheScope"

    response = raw.request("tools/call", {"name": "fs_stat", "arguments": {"path": "README.md"}, "_meta": meta})
    result = response.get("result")
    assert result is not None, f"tools/call failed: {response}"
    assert result.get("resultType") == "complete", f"tools/call lacks resultType: {result}"
    assert result.get("isError") in (False, None)
    assert result["structuredContent"]["type"] == "file"


def test_raw_legacy_results_carry_no_result_type(raw: RawServer) -> None:
    raw.initialize()
    result = raw.request("tools/call", {"name": "fs_stat", "arguments": {"path": "README.md"}})["result"]
    assert "resultType" not in result, "resultType belongs to the 2026 era only"


@pytest.mark.parametrize("method", ["tools/list", "server/discover", "tools/call"])
def test_raw_unsupported_version_is_32022(raw: RawServer, method: str) -> None:
    params: dict[str, Any] = {"_meta": modern_meta("1999-01-01")}
    if method == "tools/call":
        params |= {"name": "fs_read", "arguments": {"path": "README.md"}}
    response = raw.request(method, params)
    error = response.get("error")
    assert error is not None, f"{method} with protocolVersion 1999-01-01 must be a JSON-RPC error, got {response}"
    assert error["code"] == -32022, f"expected -32022 UnsupportedProtocolVersion, got {error}"
    data = error.get("data")
    assert isinstance(data, dict), f"-32022 needs data {{supported, requested}}, got {error}"
    assert isinstance(data.get("supported"), list) and MODERN_VERSION in data["supported"], data
    assert data.get("requested") == "1999-01-01", data


def test_raw_envelope_without_capabilities_is_invalid_params(raw: RawServer) -> None:
    """`io.modelcontextprotocol/clientCapabilities` is required beside the version."""
    response = raw.request("tools/list", {"_meta": {META_VERSION: MODERN_VERSION}})
    error = response.get("error")
    assert error is not None and error["code"] == -32602, (
        f"expected -32602 for an envelope without capabilities: {response}"
    )


def test_raw_legacy_version_in_meta_is_not_modern(raw: RawServer) -> None:
    """A per-request `_meta` naming a handshake-era version is not a valid modern request."""
    response = raw.request("tools/list", {"_meta": modern_meta(LEGACY_VERSIONS[-1])})
    error = response.get("error")
    assert error is not None and error["code"] == -32022, f"expected -32022 for a legacy version in _meta: {response}"
