#!/usr/bin/env bash
# Grep: ripgrep vs mish fs/grep on a generated 100k-file tree, warm cache, a rare literal and a regex.
#
#   bench/grep/run.sh           (env: GREP_FILES=100000 GREP_SEED=1 GREP_RUNS=5, and lib.sh's)
#
# rg runs as a fresh process per search (`rg -n --column --no-heading PATTERN DIR`, output to a file); mish answers
# fs/grep on a server that is already running (started, and given one untimed search first), timed per request by
# the C client from sending the line to reading the whole reply. Both must report every match (mish with
# max_results above the total), and both answers are checked against the generator's counts.
# Results: bench/out/grep.jsonl (raw), bench/out/grep.md (table and ratios).
source "$(dirname "$0")/../lib.sh"

FILES="${GREP_FILES:-100000}"
SEED="${GREP_SEED:-1}"
RUNS="${GREP_RUNS:-5}"

bench_apt ripgrep python3
bench_tools
bench_mish
bench_require_method fs/grep || exit 2

TREE="$BENCH_OUT/grep-tree"
EXPECT="$BENCH_OUT/grep-tree.expect.json"
STAMP="files=$FILES seed=$SEED v1"
if [ ! -f "$EXPECT" ] || [ "$(cat "$TREE.stamp" 2>/dev/null)" != "$STAMP" ]; then
  log "generating $FILES files in $TREE (seed $SEED)"
  rm -rf "$TREE" "$EXPECT"
  python3 "$BENCH_DIR/src/gentree.py" "$TREE" --files "$FILES" --seed "$SEED" >/dev/null
  echo "$STAMP" >"$TREE.stamp"
fi
LITERAL="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["literal"])' "$EXPECT")"
REGEX='fn\s+\w+_handler'
REGEX_JSON='fn\\s+\\w+_handler'

RESULTS="$BENCH_OUT/grep.jsonl"
: >"$RESULTS"
: >"$BENCH_OUT/grep-mish.stderr"
bench_context >>"$RESULTS"
printf '{"label":"tools","rg":"%s","tree":"%s files, %s MB of text"}\n' "$(rg --version | sed -n 1p)" "$FILES" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"] // 1000000)' "$EXPECT")" >>"$RESULTS"

log "warming the page cache"
for _ in 1 2; do rg -c --no-messages "no_such_text_warming_the_cache" "$TREE" >/dev/null || true; done

# Checks the number of matching lines in an rg output file or a mish reply against the generator's count.
check() { # kind file format(rg|mish)
  python3 - "$EXPECT" "$1" "$2" "$3" <<'EOF' >>"$RESULTS"
import json, sys
expect = json.load(open(sys.argv[1]))
kind, path, fmt = sys.argv[2], sys.argv[3], sys.argv[4]
want = expect["literal_lines" if kind == "literal" else "regex_lines"]
if fmt == "rg":
    got = sum(1 for _ in open(path, "rb"))
else:
    reply = json.load(open(path))
    result = reply["result"]
    result = result.get("structuredContent", result)
    if result.get("next_cursor"):
        sys.exit(f"mish {kind}: the reply is paged (next_cursor set); raise max_results")
    got = len(result["matches"])
if got != want:
    sys.exit(f"{fmt} {kind}: {got} matching lines, expected {want}")
print(json.dumps({"label": f"check-{kind}", "tool": fmt, "matches": got}))
EOF
}

for kind in literal regex; do
  if [ "$kind" = literal ]; then
    pattern="$LITERAL"
    params="{\"pattern\":\"$LITERAL\",\"max_results\":5000}"
  else
    pattern="$REGEX"
    params="{\"pattern\":\"$REGEX_JSON\",\"regex\":true,\"max_results\":5000}"
  fi
  log "grep $kind: rg"
  "$RTCLIENT" --label "rg-$kind" --exec "$RUNS" --warmup 1 --samples --out "$BENCH_OUT/grep-rg-$kind.txt" \
    -- rg -n --column --no-heading "$pattern" "$TREE" >>"$RESULTS"
  check "$kind" "$BENCH_OUT/grep-rg-$kind.txt" rg
  log "grep $kind: mish fs/grep"
  "$RTCLIENT" --label "mish-$kind" --method fs/grep --params "$params" --expect '"matches"' --warmup 1 \
    --seq "$RUNS" --samples --dump "$BENCH_OUT/grep-mish-$kind.json" \
    --server-stderr "$BENCH_OUT/grep-mish.stderr" -- "$MISH" serve --root "$TREE" >>"$RESULTS"
  check "$kind" "$BENCH_OUT/grep-mish-$kind.json" mish
done

python3 "$BENCH_DIR/src/summarize.py" grep "$RESULTS" | tee "$BENCH_OUT/grep.md"
