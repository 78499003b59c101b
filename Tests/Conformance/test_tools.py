"""Every fs tool and session_info, called with real arguments through the SDK in both protocol eras.

Each call's arguments are validated against the tool's listed inputSchema, and each result must be a
one-text-item result whose structuredContent validates against the listed outputSchema (see Harness.call).
Each era works in its own directory under the module's root, so the two tours never touch each other's files.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest

from harness import (
    ERAS,
    LEGACY_VERSIONS,
    MODERN_VERSION,
    REQUIRED_TOOLS,
    SEED_FILES,
    RawServer,
    mcp_session,
    modern_meta,
)

pytestmark = pytest.mark.anyio


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rel(root: Path, path: str) -> str:
    """A result path as a root-relative POSIX path (results may give absolute or `./`-prefixed paths)."""
    if os.path.isabs(path):
        path = os.path.relpath(path, root)
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/")


def truthy_count(value: Any) -> bool:
    """`applied` may be a count or a flag; either way it must say something was applied."""
    return value is True or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)


def context_texts(lines: list[Any]) -> list[str]:
    """Context lines as plain text, whether given as strings or as {line, text} objects."""
    return [(item["text"] if isinstance(item, dict) else item).rstrip("\r\n") for item in lines]


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_session_info(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        info = await mish.call("session_info", {})
        for key in ("root", "version", "protocol_versions", "sandbox", "limits", "git"):
            assert key in info, f"session_info lacks {key!r}: {sorted(info)}"
        assert os.path.realpath(info["root"]) == str(root), f"root {info['root']!r} is not {root}"
        assert isinstance(info["version"], str) and info["version"]
        for version in (*LEGACY_VERSIONS, MODERN_VERSION):
            assert version in info["protocol_versions"], (
                f"protocol_versions lacks {version}: {info['protocol_versions']}"
            )


async def test_read_and_stat_seed_files(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        data = SEED_FILES["lines.txt"]
        whole = await mish.call("fs_read", {"path": "lines.txt"})
        assert whole["content"] == data.decode(), f"fs_read content differs from the file: {whole['content']!r}"
        assert whole["sha256"] == sha256(data)
        assert whole["total_lines"] == 10
        assert whole["start_line"] == 1 and whole["end_line"] == 10
        assert whole["truncated"] is False
        assert whole["eol"] == "lf"
        assert whole["binary"] is False
        assert whole["size"] == len(data)

        part = await mish.call("fs_read", {"path": "lines.txt", "start_line": 3, "limit_lines": 2})
        assert "line 3" in part["content"] and "line 4" in part["content"], part["content"]
        assert "line 2\n" not in part["content"] and "line 5" not in part["content"], part["content"]
        assert part["start_line"] == 3 and part["end_line"] == 4
        assert part["sha256"] == sha256(data), "sha256 must be of the whole file, not the slice"
        assert part["total_lines"] == 10

        crlf = await mish.call("fs_read", {"path": "docs/notes.txt"})
        assert crlf["eol"] == "crlf"
        assert crlf["sha256"] == sha256(SEED_FILES["docs/notes.txt"])

        stat = await mish.call("fs_stat", {"path": "README.md"})
        assert stat["type"] == "file"
        assert stat["size"] == len(SEED_FILES["README.md"])
        assert stat["sha256"] == sha256(SEED_FILES["README.md"])
        assert "mode" in stat and "mtime" in stat

        directory = await mish.call("fs_stat", {"path": "src"})
        assert directory["type"] in ("dir", "directory"), directory


@pytest.fixture
def workdir(root: Path, era: str, request: pytest.FixtureRequest) -> tuple[str, Path]:
    """A directory of the root private to one test and era: (root-relative name, absolute path)."""
    name = f"{request.node.originalname.removeprefix('test_')}_{era}"
    (root / name).mkdir()
    return name, root / name


async def test_list(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        listing = await mish.call("fs_list", {"path": "src"})
        entries = {rel(root, e["path"]).rsplit("/", 1)[-1]: e for e in listing["entries"]}
        assert {"app.py", "util.py"} <= set(entries), f"fs_list src: {listing['entries']}"
        assert entries["app.py"]["type"] == "file"
        assert entries["app.py"]["size"] == len(SEED_FILES["src/app.py"])

        top = await mish.call("fs_list", {"path": ".", "depth": 1})
        names = {rel(root, e["path"]) for e in top["entries"]}
        assert ".hidden" not in names, "hidden files are listed without include_hidden"
        assert {"README.md", "src", "docs", "lines.txt"} <= names, f"fs_list . depth 1: {sorted(names)}"
        assert "src/app.py" not in names, "depth 1 lists only the top level"
        kinds = {rel(root, e["path"]): e["type"] for e in top["entries"]}
        assert kinds["src"] in ("dir", "directory")
        hidden = await mish.call("fs_list", {"path": ".", "depth": 1, "include_hidden": True})
        assert ".hidden" in {rel(root, e["path"]) for e in hidden["entries"]}

        deep = await mish.call("fs_list", {"path": ".", "depth": 2})
        assert "src/app.py" in {rel(root, e["path"]) for e in deep["entries"]}, "depth 2 reaches src/app.py"

        page = await mish.call("fs_list", {"path": ".", "depth": 1, "limit": 1})
        assert len(page["entries"]) == 1
        assert page.get("next_cursor"), "a one-entry page of a bigger listing needs next_cursor"
        rest = await mish.call("fs_list", {"path": ".", "depth": 1, "cursor": page["next_cursor"]})
        assert page["entries"][0] not in rest["entries"], "the cursor page repeats the first page"
        together = [rel(root, e["path"]) for e in page["entries"] + rest["entries"]]
        assert sorted(together) == sorted(rel(root, e["path"]) for e in top["entries"]), "pages lose or add entries"


async def test_glob(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        glob = await mish.call("fs_glob", {"pattern": "**/*.py"})
        paths = {rel(root, p) for p in glob["paths"]}
        assert {"src/app.py", "src/util.py"} <= paths, f"fs_glob **/*.py: {glob['paths']}"
        scoped = await mish.call("fs_glob", {"pattern": "*.txt", "path": "docs"})
        assert [rel(root, p).rsplit("/", 1)[-1] for p in scoped["paths"]] == ["notes.txt"], scoped
        none = await mish.call("fs_glob", {"pattern": "**/*.nothing"})
        assert none["paths"] == []


async def test_grep(root: Path, logs: Path, era: str) -> None:
    async with mcp_session(root, era, logs) as mish:
        grep = await mish.call("fs_grep", {"pattern": "NEEDLE", "path": "src"})
        hits = [(rel(root, m["path"]), m["line"]) for m in grep["matches"]]
        assert hits == [("src/util.py", 1), ("src/util.py", 5)], f"fs_grep NEEDLE: {grep['matches']}"
        first = grep["matches"][0]
        assert first["column"] == 1 and first["text"].rstrip("\n") == "NEEDLE = 42", first

        context = await mish.call("fs_grep", {"pattern": "return NEEDLE", "context_lines": 1})
        (match,) = context["matches"]
        assert rel(root, match["path"]) == "src/util.py" and match["line"] == 5
        assert match["column"] == 5, f"columns are 1-based like lines: {match}"
        assert context_texts(match["before"]) == ["def helper():"], match
        assert context_texts(match["after"]) == [], match

        regex = await mish.call(
            "fs_grep", {"pattern": "^def \\w+\\(", "regex": True, "glob": "**/*.py", "case_insensitive": False}
        )
        found = sorted((rel(root, m["path"]), m["line"]) for m in regex["matches"])
        assert found == [("src/app.py", 1), ("src/app.py", 5), ("src/util.py", 4)], regex["matches"]

        insensitive = await mish.call("fs_grep", {"pattern": "HELLO WORLD", "case_insensitive": True})
        assert [rel(root, m["path"]) for m in insensitive["matches"]] == ["README.md"], insensitive

        capped = await mish.call("fs_grep", {"pattern": "line ", "max_results": 3})
        assert len(capped["matches"]) == 3, capped
        assert capped.get("next_cursor"), "a capped search needs next_cursor to go on"
        more = await mish.call("fs_grep", {"pattern": "line ", "max_results": 3, "cursor": capped["next_cursor"]})
        assert [(rel(root, m["path"]), m["line"]) for m in capped["matches"] + more["matches"]] == [
            ("lines.txt", n) for n in range(1, 7)
        ], f"two pages of three: {capped['matches']} then {more['matches']}"


async def test_mkdir_write_read(root: Path, logs: Path, era: str, workdir: tuple[str, Path]) -> None:
    d, base = workdir
    async with mcp_session(root, era, logs) as mish:
        made = await mish.call("fs_mkdir", {"path": f"{d}/sub/deep", "parents": True})
        assert (base / "sub" / "deep").is_dir(), f"fs_mkdir did not create the directory: {made}"
        await mish.call("fs_mkdir", {"path": f"{d}/flat"})
        assert (base / "flat").is_dir()

        text = b"one\ntwo\nthree\n"
        written = await mish.call("fs_write", {"path": f"{d}/a.txt", "content": text.decode()})
        assert (base / "a.txt").read_bytes() == text
        assert written["sha256"] == sha256(text)
        assert written["bytes"] == len(text)
        assert written["created"] is True

        text2 = b"one\ntwo\nthree\nfour\n"
        rewritten = await mish.call(
            "fs_write", {"path": f"{d}/a.txt", "content": text2.decode(), "expected_sha256": sha256(text)}
        )
        assert rewritten["created"] is False
        assert rewritten["sha256"] == sha256(text2) == sha256((base / "a.txt").read_bytes())

        read = await mish.call("fs_read", {"path": f"{d}/a.txt"})
        assert read["content"] == text2.decode() and read["sha256"] == sha256(text2)

        many = await mish.call("fs_read_many", {"paths": [f"{d}/a.txt", "README.md", f"{d}/missing.txt"]})
        files = many["files"]
        assert len(files) == 3, f"fs_read_many must answer each path in order: {files}"
        assert files[0]["sha256"] == sha256(text2) and files[0]["content"] == text2.decode()
        assert files[1]["sha256"] == sha256(SEED_FILES["README.md"])
        assert "error" in files[2] and files[2]["error"]["code"] == "not_found", files[2]
        for key in ("message", "hint"):
            assert isinstance(files[2]["error"].get(key), str), files[2]


async def test_edit(root: Path, logs: Path, era: str, workdir: tuple[str, Path]) -> None:
    d, base = workdir
    text = b"one\ntwo\nthree\nfour\n"
    (base / "a.txt").write_bytes(text)
    async with mcp_session(root, era, logs) as mish:
        dry = await mish.call(
            "fs_edit",
            {"path": f"{d}/a.txt", "edits": [{"old_text": "two", "new_text": "TWO"}], "dry_run": True},
        )
        assert (base / "a.txt").read_bytes() == text, "a dry_run edit changed the file"
        assert "-two" in dry["diff"] and "+TWO" in dry["diff"], f"dry_run diff: {dry['diff']!r}"

        edited = await mish.call(
            "fs_edit",
            {
                "path": f"{d}/a.txt",
                "edits": [{"old_text": "two", "new_text": "TWO"}, {"old_text": "four\n", "new_text": "four\nfive\n"}],
                "expected_sha256": sha256(text),
            },
        )
        text2 = b"one\nTWO\nthree\nfour\nfive\n"
        assert (base / "a.txt").read_bytes() == text2
        assert edited["sha256"] == sha256(text2)
        assert truthy_count(edited["applied"]), f"applied: {edited['applied']!r}"
        assert "-two" in edited["diff"] and "+TWO" in edited["diff"] and "+five" in edited["diff"], edited["diff"]

        (base / "many.txt").write_bytes(b"x = 1\nx = 1\n")
        await mish.call(
            "fs_edit", {"path": f"{d}/many.txt", "edits": [{"old_text": "x = 1", "new_text": "y", "replace_all": True}]}
        )
        assert (base / "many.txt").read_bytes() == b"y\ny\n"

        (base / "crlf.txt").write_bytes(b"alpha\r\nbeta\r\n")
        await mish.call(
            "fs_edit", {"path": f"{d}/crlf.txt", "edits": [{"old_text": "alpha\nbeta", "new_text": "A\nB"}]}
        )
        assert (base / "crlf.txt").read_bytes() == b"A\r\nB\r\n", "an edit must keep the file's CRLF line ends"


async def test_patch(root: Path, logs: Path, era: str, workdir: tuple[str, Path]) -> None:
    d, base = workdir
    (base / "a.txt").write_bytes(b"one\nTWO\nthree\n")
    (base / "gone.txt").write_bytes(b"bye\n")
    patch = "\n".join(
        [
            "*** Begin Patch",
            f"*** Update File: {d}/a.txt",
            "@@",
            " one",
            "-TWO",
            "+2",
            " three",
            f"*** Add File: {d}/added.txt",
            "+fresh",
            "+file",
            f"*** Delete File: {d}/gone.txt",
            "*** End Patch",
            "",
        ]
    )
    expected = {f"{d}/a.txt", f"{d}/added.txt", f"{d}/gone.txt"}
    async with mcp_session(root, era, logs) as mish:
        dry = await mish.call("fs_patch", {"patch": patch, "dry_run": True})
        assert (base / "a.txt").read_bytes() == b"one\nTWO\nthree\n" and not (base / "added.txt").exists()
        assert (base / "gone.txt").exists(), "a dry_run patch deleted a file"
        assert {rel(root, f["path"]) for f in dry["files"]} == expected, dry["files"]

        patched = await mish.call("fs_patch", {"patch": patch})
        actions = {rel(root, f["path"]): f["action"] for f in patched["files"]}
        assert set(actions) == expected, patched["files"]
        assert len(set(actions.values())) == 3, f"update, add and delete need distinct actions: {actions}"
        assert (base / "a.txt").read_bytes() == b"one\n2\nthree\n"
        assert (base / "added.txt").read_bytes() == b"fresh\nfile\n"
        assert not (base / "gone.txt").exists()

        (base / "u.txt").write_bytes(b"a\nb\nc\n")
        unified = f"--- a/{d}/u.txt\n+++ b/{d}/u.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        result = await mish.call("fs_patch", {"patch": unified})
        assert [rel(root, f["path"]) for f in result["files"]] == [f"{d}/u.txt"], result
        assert (base / "u.txt").read_bytes() == b"a\nB\nc\n", "a unified diff is accepted too"


async def test_move_remove(root: Path, logs: Path, era: str, workdir: tuple[str, Path]) -> None:
    d, base = workdir
    (base / "sub").mkdir()
    (base / "sub" / "inner.txt").write_bytes(b"inner\n")
    (base / "a.txt").write_bytes(b"fresh\n")
    (base / "other.txt").write_bytes(b"other\n")
    async with mcp_session(root, era, logs) as mish:
        await mish.call("fs_move", {"from": f"{d}/a.txt", "to": f"{d}/sub/moved.txt"})
        assert not (base / "a.txt").exists() and (base / "sub" / "moved.txt").read_bytes() == b"fresh\n"

        await mish.call("fs_move", {"from": f"{d}/other.txt", "to": f"{d}/sub/moved.txt", "overwrite": True})
        assert (base / "sub" / "moved.txt").read_bytes() == b"other\n" and not (base / "other.txt").exists()

        await mish.call("fs_remove", {"path": f"{d}/sub/moved.txt"})
        assert not (base / "sub" / "moved.txt").exists()
        await mish.call("fs_remove", {"path": f"{d}/sub", "recursive": True})
        assert not (base / "sub").exists()

        assert list(base.iterdir()) == []

        await mish.call("fs_remove", {"path": d, "recursive": True})
        assert not base.exists()


def test_every_required_tool_is_exercised() -> None:
    """Guards the suite itself: some test module calls every required tool through the SDK harness
    (`.call("name", ...)` or `.call_error("name", ...)`), so a tool cannot be listed yet go untested."""
    sources = "\n".join(path.read_text() for path in sorted(Path(__file__).parent.glob("test_*.py")))
    called = set(re.findall(r'\.call(?:_error)?\(\s*"([a-z0-9_]+)"', sources))
    missing = [name for name in REQUIRED_TOOLS if name not in called]
    assert not missing, f"no test calls {missing}"


def test_progress_notifications(raw: RawServer, era: str, workdir: tuple[str, Path]) -> None:
    """A request carrying `_meta.progressToken` gets `notifications/progress` for that token, with strictly increasing
    progress, all before its response (PROTOCOL.md: long work sends progress; fs_read_many reports per file)."""
    d, base = workdir
    paths = []
    for i in range(40):
        (base / f"f{i}.txt").write_bytes(b"x\n")
        paths.append(f"{d}/f{i}.txt")
    meta: dict[str, Any] = {"progressToken": "tok-1"}
    if era == "legacy":
        raw.initialize()
    else:
        meta |= modern_meta()
    response = raw.request("tools/call", {"name": "fs_read_many", "arguments": {"paths": paths}, "_meta": meta})
    result = response.get("result")
    assert result is not None and result.get("isError") is not True, response
    assert len(result["structuredContent"]["files"]) == len(paths)
    progress = [n["params"] for n in raw.notifications if n.get("method") == "notifications/progress"]
    assert progress, "no notifications/progress before the response to a request with a progressToken"
    assert all(p["progressToken"] == "tok-1" for p in progress), progress
    values = [p["progress"] for p in progress]
    assert values == sorted(set(values)), f"progress must strictly increase: {values}"
    assert all(p.get("total") in (None, len(paths)) for p in progress), progress
    late = [m for m in raw.drain() if m.get("method") == "notifications/progress"]
    assert not late, f"progress after the response: {late}"
