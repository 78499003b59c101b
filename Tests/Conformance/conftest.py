"""Fixtures for the MCP conformance suite; the helpers live in harness.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("harness")

from harness import SEED_FILES, RawServer  # noqa: E402


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # The SDK is anyio-based; asyncio is the backend it is tested on.
    return "asyncio"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh root directory per test module, seeded with SEED_FILES."""
    base = tmp_path_factory.mktemp("mish")
    directory = Path(os.path.realpath(base / "root"))
    directory.mkdir()
    for rel, data in SEED_FILES.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return directory


@pytest.fixture(scope="module")
def logs(root: Path) -> Path:
    """Server stderr logs go beside the root, never inside it."""
    directory = root.parent / "logs"
    directory.mkdir(exist_ok=True)
    return directory


@pytest.fixture
def raw(root: Path, logs: Path, request: pytest.FixtureRequest) -> Iterator[RawServer]:
    server = RawServer(root, logs / f"raw-{request.node.name}.log".replace("/", "_"))
    try:
        yield server
    finally:
        server.close()
    assert not server.garbage, f"non-JSON lines on stdout: {server.garbage[:5]}"
