"""Shared fixtures for the MCP conformance suite.

The suite drives `mish serve --root DIR` (and, in test_hub.py, `mish hub` and `mish connect`) two ways:

- through the official MCP Python SDK (`mcp` on PyPI) over stdio, in either protocol era (`mcp_session`; its
  `args` run another mish command instead of `serve`);
- through `RawServer`, a small blocking JSON-lines client, for checks the SDK would hide (version negotiation,
  error codes, `resultType`, stdout hygiene).

MISH_BIN names the binary under test (scripts/conformance.sh sets it).
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_types import PaginatedRequestParams

REPO = Path(__file__).resolve().parents[2]

LEGACY_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
MODERN_VERSION = "2026-07-28"
LATEST_LEGACY = "2025-11-25"

META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"

# The tools this suite exercises; PROTOCOL.md's session table with `/` → `_`.
FS_TOOLS = (
    "fs_read",
    "fs_read_many",
    "fs_write",
    "fs_edit",
    "fs_patch",
    "fs_list",
    "fs_glob",
    "fs_grep",
    "fs_stat",
    "fs_move",
    "fs_remove",
    "fs_mkdir",
)
# The command tools (test_exec.py).
EXEC_TOOLS = (
    "exec_run",
    "process_read",
    "process_write",
    "process_kill",
    "process_list",
    "output_read",
)
REQUIRED_TOOLS = (*FS_TOOLS, *EXEC_TOOLS, "session_info")

ERAS = ("legacy", "modern")

# Seed tree written into every module's root. Paths are relative to the root.
SEED_FILES: dict[str, bytes] = {
    "README.md": b"# demo\n\nhello world\n",
    "src/app.py": b"def greet(name):\n    return 'hello ' + name\n\n\ndef main():\n    print(greet('world'))\n",
    "src/util.py": b"NEEDLE = 42\n\n\ndef helper():\n    return NEEDLE\n",
    "docs/notes.txt": b"alpha\r\nbeta\r\ngamma\r\n",
    "lines.txt": "".join(f"line {i}\n" for i in range(1, 11)).encode(),
    ".hidden": b"secret\n",
}


def mish_bin() -> str:
    path = os.environ.get("MISH_BIN") or str(REPO / ".build" / "debug" / "mish")
    if not os.access(path, os.X_OK):
        pytest.fail(f"MISH_BIN={path!r} is not an executable mish binary", pytrace=False)
    return path


# MARK: - Schema helpers


def validate_schema(instance: Any, schema: dict[str, Any], what: str) -> None:
    """Validates with Draft 2020-12 (MCP's default dialect) and fails with every error listed."""
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10]]
        pytest.fail(
            f"{what} does not validate:\n" + "\n".join(lines) + f"\ninstance: {json.dumps(instance)[:2000]}",
            pytrace=False,
        )


def tool_dict(tool: Any) -> dict[str, Any]:
    """A listed tool as its wire JSON (camelCase keys, no Nones)."""
    return tool.model_dump(by_alias=True, mode="json", exclude_none=True)


# MARK: - SDK session


class Harness:
    """One SDK session plus the tool listing, with checked tool calls."""

    def __init__(self, session: ClientSession, era: str, root: Path, stream_errors: list[Exception]):
        self.session = session
        self.era = era
        self.root = root
        self.stream_errors = stream_errors
        self.tools: dict[str, dict[str, Any]] = {}

    async def refresh_tools(self) -> list[dict[str, Any]]:
        listing: list[dict[str, Any]] = []
        params: PaginatedRequestParams | None = None
        while True:
            result = await self.session.list_tools(params=params)
            listing += [tool_dict(t) for t in result.tools]
            if not result.next_cursor:
                break
            params = PaginatedRequestParams(cursor=result.next_cursor)
        self.tools = {t["name"]: t for t in listing}
        return listing

    def tool(self, name: str) -> dict[str, Any]:
        if name not in self.tools:
            pytest.fail(f"tool {name!r} is not listed by tools/list (have: {sorted(self.tools)})", pytrace=False)
        return self.tools[name]

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Calls a tool that must succeed; returns its structuredContent after the common checks."""
        tool = self.tool(name)
        validate_schema(arguments, tool["inputSchema"], f"arguments sent to {name} (against its inputSchema)")
        result = await self.session.call_tool(name, arguments)
        structured = check_result_shape(name, tool, result)
        if result.is_error:
            pytest.fail(
                f"{name}({json.dumps(arguments)}) failed: {json.dumps(structured)[:1500]}",
                pytrace=False,
            )
        assert "error" not in structured, f"{name}: success result carries an error: {structured}"
        return structured

    async def call_error(self, name: str, arguments: dict[str, Any], code: str | None = None) -> dict[str, Any]:
        """Calls a tool that must fail as a result (isError); returns structuredContent.error."""
        tool = self.tool(name)
        result = await self.session.call_tool(name, arguments)
        structured = check_result_shape(name, tool, result)
        assert result.is_error is True, (
            f"{name}({json.dumps(arguments)}) should be an isError result, got {json.dumps(structured)[:1500]}"
        )
        error = check_error_object(name, structured)
        if code is not None:
            assert error["code"] == code, f"{name}: expected error code {code!r}, got {error}"
        return error


def check_result_shape(name: str, tool: dict[str, Any], result: Any) -> dict[str, Any]:
    """Every tools/call result: one text item, structuredContent an object valid against outputSchema."""
    texts = [c for c in result.content]
    assert len(texts) == 1, f"{name}: content must hold exactly one item, got {len(texts)}: {texts}"
    assert texts[0].type == "text", f"{name}: content item must be text, got {texts[0].type}"
    assert texts[0].text.strip(), f"{name}: the text item is empty"
    structured = result.structured_content
    assert isinstance(structured, dict), f"{name}: structuredContent must be an object, got {structured!r}"
    assert "outputSchema" in tool, f"{name}: tool has no outputSchema"
    validate_schema(structured, tool["outputSchema"], f"{name} structuredContent (isError={result.is_error})")
    return structured


def check_error_object(name: str, structured: dict[str, Any]) -> dict[str, Any]:
    error = structured.get("error")
    assert isinstance(error, dict), f"{name}: isError result has no structuredContent.error object: {structured}"
    for key in ("code", "message", "hint"):
        assert isinstance(error.get(key), str) and error[key], (
            f"{name}: error.{key} must be a non-empty string: {error}"
        )
    return error


def _innermost(error: BaseException) -> BaseException:
    """The one real error inside the SDK's and anyio's nested single-member exception groups."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


@asynccontextmanager
async def mcp_session(
    root: Path, era: str, logs: Path, *, args: Sequence[str] | None = None, log_name: str = "stderr"
) -> AsyncIterator[Harness]:
    """Spawns `mish serve --root ROOT` (or `mish ARGS`, e.g. `hub --repo R` or `connect --session ID --repo R`) and
    connects the SDK client in `era` ("legacy" or "modern"). Its stderr goes to `logs/LOG_NAME-...log`."""
    argv = list(args) if args is not None else ["serve", "--root", str(root)]
    params = StdioServerParameters(command=mish_bin(), args=argv)
    stream_errors: list[Exception] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):
            stream_errors.append(message)

    log_path = logs / f"{log_name}-{era}-{os.getpid()}-{id(stream_errors)}.log"
    try:
        with open(log_path, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write, read_timeout_seconds=30, message_handler=on_message) as session:
                    if era == "legacy":
                        await session.initialize()
                    elif era == "modern":
                        await session.discover()
                    else:
                        raise ValueError(era)
                    harness = Harness(session, era, root, stream_errors)
                    await harness.refresh_tools()
                    yield harness
                    assert not stream_errors, f"transport errors (non-JSON on stdout?): {stream_errors}"
    except BaseExceptionGroup as group:
        inner = _innermost(group)
        if isinstance(inner, BaseExceptionGroup):
            raise
        raise inner from None


# MARK: - Raw JSON-lines client


class RawServer:
    """A blocking JSON-lines client over the binary's stdin/stdout, for protocol-level checks."""

    def __init__(self, root: Path, log_path: Path):
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [mish_bin(), "serve", "--root", str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.garbage: list[bytes] = []  # stdout lines that are not JSON objects
        self.sent: list[dict[str, Any]] = []
        self.responses: dict[Any, dict[str, Any]] = {}  # arrived before anyone waited for them
        self.notifications: list[dict[str, Any]] = []
        self._next_id = 1000
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                self.garbage.append(line)
                continue
            if isinstance(message, dict):
                self.messages.put(message)
            else:
                self.garbage.append(line)

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin
        self.sent.append(message)
        self.proc.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 15) -> dict[str, Any]:
        """Sends a request and returns its whole response (`result` or `error`), skipping notifications."""
        self._next_id += 1
        request_id = self._next_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.wait_for(request_id, timeout)

    def wait_for(self, request_id: Any, timeout: float = 15) -> dict[str, Any]:
        """The response to `request_id`; responses to other ids that arrive first are kept for their own wait."""
        if request_id in self.responses:
            return self.responses.pop(request_id)
        while True:
            try:
                message = self.messages.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(
                    f"no response to id {request_id} within {timeout}s (last sent: {json.dumps(self.sent[-1])})",
                    pytrace=False,
                )
            if "id" in message and ("result" in message or "error" in message):
                assert message.get("jsonrpc") == "2.0", f"response lacks jsonrpc 2.0: {message}"
                if message["id"] == request_id:
                    return message
                assert message["id"] not in self.responses, f"two responses to id {message['id']}"
                self.responses[message["id"]] = message
            else:
                self.notifications.append(message)

    def drain(self, wait: float = 0.3) -> list[dict[str, Any]]:
        """Unclaimed responses, plus whatever arrives until `wait` seconds pass without a message."""
        out = list(self.responses.values())
        self.responses.clear()
        while True:
            try:
                out.append(self.messages.get(timeout=wait))
            except queue.Empty:
                return out

    def initialize(self, version: str = LATEST_LEGACY) -> dict[str, Any]:
        response = self.request(
            "initialize",
            {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "mish-conformance", "version": "0"},
            },
        )
        assert "result" in response, f"initialize failed: {response}"
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return response["result"]

    def close(self) -> int:
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
            pytest.fail("mish serve did not exit within 5 s of stdin closing", pytrace=False)
        self._reader.join(timeout=2)
        self._log.close()
        return code


def modern_meta(version: str = MODERN_VERSION) -> dict[str, Any]:
    return {
        META_VERSION: version,
        META_CAPABILITIES: {},
        META_CLIENT_INFO: {"name": "mish-conformance", "version": "0"},
    }


# MARK: - Tool listing checks

TOOL_NAME = re.compile(r"^[a-z0-9_]{1,64}$")
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")


def list_all_tools(raw: RawServer, meta: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    params: dict[str, Any] = {}
    while True:
        if meta is not None:
            params["_meta"] = meta
        response = raw.request("tools/list", params)
        assert "result" in response, f"tools/list failed: {response}"
        tools += response["result"]["tools"]
        cursor = response["result"].get("nextCursor")
        if not cursor:
            return tools
        params = {"cursor": cursor}


def check_tool(tool: dict[str, Any]) -> None:
    name = tool.get("name")
    assert isinstance(name, str) and TOOL_NAME.match(name), f"tool name {name!r} is not ^[a-z0-9_]{{1,64}}$"
    assert isinstance(tool.get("description"), str) and tool["description"].strip(), f"{name}: no description"

    schema = tool.get("inputSchema")
    assert isinstance(schema, dict), f"{name}: no inputSchema"
    Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object", f"{name}: inputSchema.type must be 'object', got {schema.get('type')!r}"
    assert schema.get("additionalProperties") is False, f"{name}: inputSchema.additionalProperties must be false"
    for required in schema.get("required", []):
        assert required in schema.get("properties", {}), f"{name}: required {required!r} is not a property"
    for prop in schema.get("properties", {}):
        assert re.match(r"^[a-z][a-z0-9_]*$", prop), f"{name}: parameter {prop!r} is not snake_case"

    output = tool.get("outputSchema")
    assert isinstance(output, dict), f"{name}: no outputSchema"
    Draft202012Validator.check_schema(output)
    # Through 2025-11-25 the spec restricts outputSchema to `type: "object"` at the root.
    assert output.get("type") == "object", (
        f"{name}: outputSchema root must have type 'object' (legacy-era clients reject anything else), got {output}"
    )

    annotations = tool.get("annotations")
    assert isinstance(annotations, dict), f"{name}: no annotations"
    for hint in HINTS:
        assert isinstance(annotations.get(hint), bool), f"{name}: annotations.{hint} missing or not a boolean"
