#!/usr/bin/env bash
# Exec: launching /bin/true through mish exec/run (all sandbox layers, and profile none) vs bare posix_spawn vs
# bubblewrap; and mish's memory while a command prints 1 GB, vs Python subprocess.run(capture_output=True).
#
#   bench/exec/run.sh           (env: EXEC_N=300 EXEC_RPC_N=2000 EXEC_ROUNDS=3 EXEC_MEM_BYTES=1000000000, and lib.sh's)
#
# Launch: each round times, one after the other, EXEC_N launches of /bin/true by
#   - bare: posix_spawn + waitpid from the C client (rtclient --exec --spawn): the floor;
#   - mish: tools/call exec_run {"argv":["/bin/true"]} (default profile workspace-write: every layer) on a running
#     server, timed by the C client per round trip (so it includes the JSON-RPC round trip);
#   - mish-none: the same with "profile":"none" (no sandbox layers): what the launcher costs without them;
#   - bwrap: `bwrap --unshare-all --ro-bind / / --bind ROOT ROOT --dev /dev --proc /proc --cap-drop ALL /bin/true`,
#     a fresh process per launch, timed whole;
# and EXEC_RPC_N tools/call fs_read of a 3-byte file on mish: the tool-call round trip without a launch, to subtract.
# Every exec reply must say exit_code 0 and running false (and not isError). Each figure is the median over rounds.
# Memory: bench/src/execmem.py samples VmRSS every 50 ms while `yes | head -c EXEC_MEM_BYTES` runs (mish: exec/run
# with yield_ms and timeout_ms large enough; Python: subprocess.run capturing it all); mish's result must report
# stdout.bytes == EXEC_MEM_BYTES and truncated true.
# Results: bench/out/exec.jsonl (raw), bench/out/exec.md (tables and ratios).
source "$(dirname "$0")/../lib.sh"

N="${EXEC_N:-300}"
RPC_N="${EXEC_RPC_N:-2000}"
ROUNDS="${EXEC_ROUNDS:-3}"
MEM_BYTES="${EXEC_MEM_BYTES:-1000000000}"

bench_apt bubblewrap python3
bench_tools
bench_mish
bench_require_method exec/run || exit 2

ROOT="$BENCH_OUT/exec-root"
mkdir -p "$ROOT"
printf 'hi\n' >"$ROOT/tiny.txt"

RESULTS="$BENCH_OUT/exec.jsonl"
: >"$RESULTS"
: >"$BENCH_OUT/exec-mish.stderr"
bench_context >>"$RESULTS"
printf '{"label":"tools","bwrap":"%s","kernel":"%s","python":"%s"}\n' "$(bwrap --version)" "$(uname -r)" \
  "$(python3 --version 2>&1)" >>"$RESULTS"

EXPECT=(--expect '"exit_code":0,' --expect '"running":false')
BWRAP=(bwrap --unshare-all --ro-bind / / --bind "$ROOT" "$ROOT" --dev /dev --proc /proc --cap-drop ALL /bin/true)
mish_client() { # label warmup n params [expect...]
  local label="$1" warmup="$2" n="$3" params="$4"
  shift 4
  "$RTCLIENT" --label "$label" --init --params "$params" "$@" --warmup "$warmup" --seq "$n" \
    --dump "$BENCH_OUT/exec-$label-reply.json" --server-stderr "$BENCH_OUT/exec-mish.stderr" \
    -- "$MISH" serve --root "$ROOT" >>"$RESULTS"
}

for round in $(seq 1 "$ROUNDS"); do
  log "exec round $round/$ROUNDS: bare posix_spawn"
  "$RTCLIENT" --label bare --exec "$N" --spawn --warmup 20 -- /bin/true >>"$RESULTS"
  log "exec round $round/$ROUNDS: mish exec/run (workspace-write)"
  mish_client mish 10 "$N" '{"name":"exec_run","arguments":{"argv":["/bin/true"]}}' "${EXPECT[@]}"
  log "exec round $round/$ROUNDS: mish exec/run (profile none)"
  mish_client mish-none 10 "$N" '{"name":"exec_run","arguments":{"argv":["/bin/true"],"profile":"none"}}' \
    "${EXPECT[@]}"
  log "exec round $round/$ROUNDS: bwrap"
  "$RTCLIENT" --label bwrap --exec "$N" --warmup 10 -- "${BWRAP[@]}" >>"$RESULTS"
  log "exec round $round/$ROUNDS: mish fs_read (tool-call round trip)"
  mish_client mish-fs-read 100 "$RPC_N" '{"name":"fs_read","arguments":{"path":"tiny.txt"}}' --expect '"sha256"'
done

# Which layers each profile really applied (a layer this host cannot enforce shows in the table, not silently).
python3 - "$BENCH_OUT/exec-mish-reply.json" "$BENCH_OUT/exec-mish-none-reply.json" <<'EOF' >>"$RESULTS"
import json, sys
for label, path in (("layers-mish", sys.argv[1]), ("layers-mish-none", sys.argv[2])):
    s = json.load(open(path))["result"]["structuredContent"]
    on = sorted(k for k, v in s["sandbox"].items() if v["enforced"])
    off = sorted(k for k, v in s["sandbox"].items() if not v["enforced"])
    print(json.dumps({"label": label, "profile": s["profile"], "enforced": on, "off": off}))
EOF

log "exec memory: mish exec/run printing $MEM_BYTES bytes"
EXPECT_BYTES="$MEM_BYTES" SERVER_STDERR="$BENCH_OUT/exec-mish.stderr" python3 "$BENCH_DIR/src/execmem.py" mish \
  "$MISH" "$ROOT" "yes | head -c $MEM_BYTES" >>"$RESULTS"
log "exec memory: python subprocess.run(capture_output=True)"
EXPECT_BYTES="$MEM_BYTES" python3 "$BENCH_DIR/src/execmem.py" python "yes | head -c $MEM_BYTES" >>"$RESULTS"

python3 "$BENCH_DIR/src/summarize.py" exec "$RESULTS" | tee "$BENCH_OUT/exec.md"
