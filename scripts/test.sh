#!/usr/bin/env bash
# The test command: installs what it needs, builds, runs the Swift tests, checks schemas/ is current, and runs the
# MCP conformance suite with the official Python SDK against the real binary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build
swift test
.build/debug/mish schemas --check schemas
.build/debug/mish profiles --check sandbox
scripts/conformance.sh .build/debug/mish
echo "All tests passed."
