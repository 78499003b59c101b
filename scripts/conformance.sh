#!/usr/bin/env bash
# MCP conformance: drives `mish serve` with the official MCP Python SDK (PyPI `mcp`) and checks both protocol eras,
# every fs and command tool, outputSchema validity and the error model. See Tests/Conformance/README.md.
#
# Usage: scripts/conformance.sh [MISH_BIN] [extra pytest args...]
#   MISH_BIN defaults to $REPO/.build/debug/mish. The venv lives in $REPO/.build/conformance-venv and is reused.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MISH_BIN="${1:-$REPO/.build/debug/mish}"
shift || true
VENV="$REPO/.build/conformance-venv"
# Pinned: the SDK version the suite was written against, and the test tooling it needs.
REQUIREMENTS=(
  "mcp==2.3.0"
  "jsonschema==4.26.0"
  "pytest==9.2.0"
  "anyio==4.16.0"
)
STAMP_CONTENT="${REQUIREMENTS[*]}"

case "$MISH_BIN" in /*) ;; *) MISH_BIN="$PWD/$MISH_BIN" ;; esac
if [[ ! -x "$MISH_BIN" ]]; then
  echo "conformance: no executable mish at $MISH_BIN (build it first, or pass its path)" >&2
  exit 2
fi

make_venv() {
  rm -rf "$VENV"
  python3 -m venv "$VENV"
}

if [[ ! -x "$VENV/bin/python" ]]; then
  mkdir -p "$REPO/.build"
  if ! make_venv 2>/dev/null; then
    # Debian's python3 lacks ensurepip until python3-venv is installed.
    echo "conformance: python3 -m venv failed; installing python3-venv" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq python3-venv >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && apt-get install -y -qq python3-venv >/dev/null; }
    make_venv
  fi
fi

if [[ "$(cat "$VENV/.conformance-stamp" 2>/dev/null)" != "$STAMP_CONTENT" ]]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${REQUIREMENTS[@]}"
  printf '%s' "$STAMP_CONTENT" >"$VENV/.conformance-stamp"
fi

cd "$REPO"
status=0
MISH_BIN="$MISH_BIN" "$VENV/bin/python" -m pytest -q -p no:cacheprovider Tests/Conformance "$@" || status=$?
if [[ $status -eq 5 ]]; then
  echo "conformance: pytest collected no tests" >&2
fi
exit "$status"
