#!/usr/bin/env bash
# The main job: installs what it needs, builds mish, and runs `mish demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build -c release --static-swift-stdlib 2>&1 | tail -1
exec .build/release/mish demo "$@"
