#!/usr/bin/env bash
# Runs the eight benchmarks (rpc, grep, edit, exec, git, hub, merge, queue) and gathers their tables in
# bench/out/summary.md.
#
#   bench/run.sh [rpc] [grep] [edit] [exec] [git] [hub] [merge] [queue]  (default: all eight; environment as in
#   bench/lib.sh and each run.sh)
#
# mish is built once (release, scratch path $MISH_SCRATCH) and shared. A benchmark whose tool is missing from this
# mish build (exit 2) is reported as skipped; any other failure fails the whole run.
source "$(dirname "$0")/lib.sh"

benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(rpc grep edit exec git hub merge queue)

bench_tools
bench_mish
export MISH

summary="$BENCH_OUT/summary.md"
: >"$summary.tmp"
status=0
for bench in "${benches[@]}"; do
  [ -x "$BENCH_DIR/$bench/run.sh" ] || { log "no such benchmark: $bench"; exit 64; }
  log "=== $bench ==="
  rc=0
  "$BENCH_DIR/$bench/run.sh" >/dev/null || rc=$?
  if [ "$rc" -eq 0 ]; then
    cat "$BENCH_OUT/$bench.md" >>"$summary.tmp"
  elif [ "$rc" -eq 2 ]; then
    printf '## %s\n\nSkipped: this mish build does not have the method yet.\n' "$bench" >>"$summary.tmp"
  else
    printf '## %s\n\nFailed (exit %s); see the log above.\n' "$bench" "$rc" >>"$summary.tmp"
    status=1
  fi
  printf '\n' >>"$summary.tmp"
done
mv "$summary.tmp" "$summary"
cat "$summary"
exit "$status"
