#!/usr/bin/env bash
# RPC round trip: mish vs the pipe floor vs the work floor vs the Python peer (filesystem-mcp), same 4 KB file, same
# C client.
#
#   bench/rpc/run.sh            (env: RPC_N=2000 RPC_PEER_N=400 RPC_ROUNDS=5 RPC_CONC=8, and lib.sh's)
#
# Each round runs the four servers one after the other: MCP initialize, warm-up calls, RPC_N sequential
# tools/call round trips, then RPC_N more with RPC_CONC in flight. The summary takes, per figure, the median over
# the rounds. The work floor's reply must be byte-identical to mish's (else the run fails). Results:
# bench/out/rpc.jsonl (raw), bench/out/rpc.md (table and ratios).
source "$(dirname "$0")/../lib.sh"

N="${RPC_N:-2000}"
PEER_N="${RPC_PEER_N:-400}"
ROUNDS="${RPC_ROUNDS:-5}"
CONC="${RPC_CONC:-8}"

bench_tools
bench_mish
bench_peer
bench_apt util-linux # taskset

ROOT="$BENCH_OUT/rpc-root"
mkdir -p "$ROOT"
bench_f4k "$ROOT/f4k.txt" # a deterministic 4096-byte text file of short lines (lib.sh)

RESULTS="$BENCH_OUT/rpc.jsonl"
: >"$RESULTS"
: >"$BENCH_OUT/rpc-mish.stderr"
: >"$BENCH_OUT/rpc-peer.stderr"
bench_context >>"$RESULTS"
printf '{"label":"peer-info","package":"filesystem-mcp %s","mcp_sdk":"%s"}\n' "$PEER_VERSION" "$PEER_MCP_VERSION" \
  >>"$RESULTS"

MISH_PARAMS='{"name":"fs_read","arguments":{"path":"f4k.txt"}}'
PEER_PARAMS="{\"name\":\"read_file\",\"arguments\":{\"path\":\"$ROOT/f4k.txt\"}}"

# Three layouts. "spread" leaves placement to the scheduler, as for an agent and its tool server; on an idle
# machine it puts client and server sometimes on one core, sometimes on two, and a wake-up across cores costs far
# more than one on the same core (much more in a VM), so the floor there is bimodal. "split" pins the client to
# core 0 and the server to core 1: every round trip crosses cores. "1core" pins both to core 0: no cross-core
# wake-up at all, which shows what the server itself costs.
for round in $(seq 1 "$ROUNDS"); do
  for layout in spread split 1core; do
    pin=()
    server_pin=()
    suffix=""
    case "$layout" in
      split)
        pin=(taskset -c 0)
        server_pin=(taskset -c 1)
        suffix="@split"
        ;;
      1core)
        pin=(taskset -c 0)
        suffix="@1core"
        ;;
    esac
    log "rpc round $round/$ROUNDS ($layout): mish"
    "${pin[@]}" "$RTCLIENT" --label "mish$suffix" --init --params "$MISH_PARAMS" --expect '"sha256"' --warmup 200 \
      --seq "$N" --conc "$CONC" --conc-total "$N" --dump "$BENCH_OUT/rpc-mish-reply.json" \
      --server-stderr "$BENCH_OUT/rpc-mish.stderr" -- "${server_pin[@]}" "$MISH" serve --root "$ROOT" |
      tee -a "$RESULTS" >"$BENCH_OUT/rpc-last.jsonl"
    # The floor answers with a reply as large as mish's.
    reply_bytes="$(sed -n 's/.*"phase":"sequential".*"reply_bytes":\([0-9]*\).*/\1/p' "$BENCH_OUT/rpc-last.jsonl")"
    log "rpc round $round/$ROUNDS ($layout): floor ($reply_bytes-byte replies)"
    "${pin[@]}" "$RTCLIENT" --label "floor$suffix" --init --params "$MISH_PARAMS" --warmup 200 --seq "$N" \
      --conc "$CONC" --conc-total "$N" -- "${server_pin[@]}" "$FLOOR" "$reply_bytes" | tee -a "$RESULTS" >/dev/null
    # The work floor does mish's fs_read work (openat2, read, SHA-256, line facts, escaping) in plain C.
    log "rpc round $round/$ROUNDS ($layout): work floor"
    "${pin[@]}" "$RTCLIENT" --label "work$suffix" --init --params "$MISH_PARAMS" --expect '"sha256"' --warmup 200 \
      --seq "$N" --conc "$CONC" --conc-total "$N" --dump "$BENCH_OUT/rpc-work-reply.json" -- "${server_pin[@]}" \
      "$WORKFLOOR" "$ROOT" | tee -a "$RESULTS" >/dev/null
    log "rpc round $round/$ROUNDS ($layout): peer (filesystem-mcp)"
    "${pin[@]}" "$RTCLIENT" --label "peer$suffix" --init --params "$PEER_PARAMS" --expect 'end of the four kilobyte' \
      --warmup 20 --seq "$PEER_N" --conc "$CONC" --conc-total "$PEER_N" --dump "$BENCH_OUT/rpc-peer-reply.json" \
      --server-stderr "$BENCH_OUT/rpc-peer.stderr" -- "${server_pin[@]}" "$PEER_BIN" "$ROOT" |
      tee -a "$RESULTS" >/dev/null
  done
done
rm -f "$BENCH_OUT/rpc-last.jsonl"
# Both dumps hold the last sequential reply of the same call sequence (initialize, 200 warm-ups, N calls), so the
# ids are equal too: the whole lines must be.
if ! cmp -s "$BENCH_OUT/rpc-mish-reply.json" "$BENCH_OUT/rpc-work-reply.json"; then
  log "the work floor's reply differs from mish's ($BENCH_OUT/rpc-work-reply.json vs rpc-mish-reply.json), so it is" \
    "not doing mish's work and its figures mean nothing: bring src/workfloor.c in line with mish's fs_read"
  exit 1
fi

python3 "$BENCH_DIR/src/summarize.py" rpc "$RESULTS" | tee "$BENCH_OUT/rpc.md"
