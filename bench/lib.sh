# Shared by the benchmark scripts (sourced, not run): installs what they need, builds mish and the C tools.
#
# Environment:
#   MISH           a mish binary to use instead of building one
#   MISH_SCRATCH   SwiftPM scratch path for the release build (default /tmp/build-bench; never the repo's .build)
#   BENCH_OUT      where results, generated data and tools go (default bench/out)
#   BENCH_VENV     the Python venv for the peer server (default $BENCH_OUT/venv)

set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
BENCH_OUT="${BENCH_OUT:-$BENCH_DIR/out}"
BENCH_BIN="$BENCH_OUT/bin"
BENCH_VENV="${BENCH_VENV:-$BENCH_OUT/venv}"
MISH_SCRATCH="${MISH_SCRATCH:-/tmp/build-bench}"
mkdir -p "$BENCH_OUT" "$BENCH_BIN"

log() { printf '[bench] %s\n' "$*" >&2; }

# apt packages, installed only when missing (as root, or through sudo).
bench_apt() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The C client, the pipe floor and the work floor, compiled with gcc -O2 (rebuilt when a source is newer).
bench_tools() {
  bench_apt gcc libc6-dev libssl-dev
  local src="$BENCH_DIR/src"
  if [ ! -x "$BENCH_BIN/rtclient" ] || [ "$src/rtclient.c" -nt "$BENCH_BIN/rtclient" ] ||
    [ "$src/jsonscan.h" -nt "$BENCH_BIN/rtclient" ]; then
    gcc -O2 -Wall -Wextra -o "$BENCH_BIN/rtclient" "$src/rtclient.c" -lm
  fi
  if [ ! -x "$BENCH_BIN/floor" ] || [ "$src/floor.c" -nt "$BENCH_BIN/floor" ] ||
    [ "$src/jsonscan.h" -nt "$BENCH_BIN/floor" ]; then
    gcc -O2 -Wall -Wextra -o "$BENCH_BIN/floor" "$src/floor.c"
  fi
  if [ ! -x "$BENCH_BIN/workfloor" ] || [ "$src/workfloor.c" -nt "$BENCH_BIN/workfloor" ] ||
    [ "$src/jsonscan.h" -nt "$BENCH_BIN/workfloor" ]; then
    gcc -O2 -Wall -Wextra -o "$BENCH_BIN/workfloor" "$src/workfloor.c" -lcrypto
  fi
  RTCLIENT="$BENCH_BIN/rtclient"
  FLOOR="$BENCH_BIN/floor"
  WORKFLOOR="$BENCH_BIN/workfloor"
}

# A release build of mish in a scratch path of its own; sets MISH.
bench_mish() {
  if [ -n "${MISH:-}" ]; then
    [ -x "$MISH" ] || { log "MISH=$MISH is not executable"; exit 1; }
    return 0
  fi
  bench_apt pkg-config libssl-dev git
  command -v swift >/dev/null || { log "swift is not on PATH (Swift 6 toolchain needed)"; exit 1; }
  log "building mish (release, --static-swift-stdlib, --scratch-path $MISH_SCRATCH)"
  (cd "$REPO_DIR" && swift build -c release --static-swift-stdlib --scratch-path "$MISH_SCRATCH" >"$BENCH_OUT/build.log" 2>&1) || {
    tail -30 "$BENCH_OUT/build.log" >&2
    log "mish did not build (log: $BENCH_OUT/build.log)"
    exit 1
  }
  MISH="$(cd "$REPO_DIR" && swift build -c release --static-swift-stdlib --scratch-path "$MISH_SCRATCH" --show-bin-path)/mish"
}

# Fails with a clear message when the running mish has no such method (a tool not landed yet).
bench_require_method() {
  local method="$1"
  local tools
  tools="$("$MISH" tools 2>/dev/null || true)"
  if ! grep -qF "($method," <<<"$tools"; then
    log "this mish has no $method yet ($("$MISH" --version 2>&1)); skipping"
    return 1
  fi
}

# The Python peer (PyPI filesystem-mcp) in a venv; sets PEER_BIN.
bench_peer() {
  bench_apt python3 python3-venv
  if [ ! -x "$BENCH_VENV/bin/filesystem-mcp" ]; then
    log "installing filesystem-mcp into $BENCH_VENV"
    python3 -m venv "$BENCH_VENV"
    "$BENCH_VENV/bin/pip" install -q --disable-pip-version-check "filesystem-mcp==${FILESYSTEM_MCP_VERSION:-1.0.2}"
  fi
  PEER_BIN="$BENCH_VENV/bin/filesystem-mcp"
  PEER_VERSION="$("$BENCH_VENV/bin/pip" show filesystem-mcp 2>/dev/null | sed -n 's/^Version: //p')"
  PEER_MCP_VERSION="$("$BENCH_VENV/bin/pip" show mcp 2>/dev/null | sed -n 's/^Version: //p')"
}

# The git benchmarks' repository (made once, kept while its stamp matches): src/gentree.py's files of about 1 KB
# (100 a directory, three levels deep), every mtime 2020-01-01 (older than the index written next, so no entry is
# racily clean), one commit with fixed names and dates on `main`, objects packed, gc.auto off.
# Sets GIT_REPO to DIR (default $BENCH_OUT/git-repo; $GIT_REPO.expect.json holds the generator's counts).
bench_git_repo() { # files seed [dir]
  local files="$1" seed="$2"
  GIT_REPO="${3:-$BENCH_OUT/git-repo}"
  local stamp="files=$files seed=$seed size=1024 v1"
  local g=(git -C "$GIT_REPO")
  if [ -d "$GIT_REPO/.git" ] && [ "$(cat "$GIT_REPO.stamp" 2>/dev/null)" = "$stamp" ]; then return 0; fi
  bench_apt git python3
  log "generating a repository of $files files in $GIT_REPO (seed $seed)"
  rm -rf "$GIT_REPO" "$GIT_REPO.stamp" "$GIT_REPO.expect.json"
  python3 "$BENCH_DIR/src/gentree.py" "$GIT_REPO" --files "$files" --seed "$seed" --size 1024 --rare 0 --handlers 0 \
    --mtime 1577836800 >/dev/null
  "${g[@]}" init -q -b main
  "${g[@]}" config user.name bench
  "${g[@]}" config user.email bench@example.invalid
  "${g[@]}" config gc.auto 0 # no background gc after the big commit (it would run during the measurements)
  log "git add + commit + repack ($files files)"
  "${g[@]}" add -A
  GIT_AUTHOR_DATE="2020-01-01T00:00:00Z" GIT_COMMITTER_DATE="2020-01-01T00:00:00Z" \
    "${g[@]}" commit -q -m "generated: $files files, seed $seed"
  "${g[@]}" repack -adq # a real repository's objects are packed, not 100k loose files
  echo "$stamp" >"$GIT_REPO.stamp"
}

# A deterministic 4096-byte text file of short lines (the RPC benchmarks' file), written to PATH.
bench_f4k() { # path
  python3 - "$1" <<'EOF'
import random, sys
rng = random.Random(4096)
words = "the quick brown fox jumps over a lazy dog while parsing render state value index count".split()
out = ""
while True:
    line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 12))) + "\n"
    if len(out) + len(line) > 4096 - 40:
        break
    out += line
tail = "end of the four kilobyte benchmark file "
out += tail + "." * (4096 - len(out) - len(tail) - 1) + "\n"
assert len(out.encode()) == 4096, len(out)
open(sys.argv[1], "w").write(out)
EOF
}

# One line describing the machine and the moment, for the results.
bench_context() {
  local rev
  rev="$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -n "$(git -C "$REPO_DIR" status --porcelain -- Sources Package.swift 2>/dev/null)" ]; then rev="$rev+dirty"; fi
  printf '{"label":"context","date":"%s","cores":%s,"loadavg":"%s","mish":"%s","commit":"%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$("$MISH" --version 2>&1 | sed -n 1p)" "$rev"
}
