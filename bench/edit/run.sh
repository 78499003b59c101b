#!/usr/bin/env bash
# Edit: one unique replacement near the middle of a 10 MB text file — mish fs/edit vs sed -i vs Python.
#
#   bench/edit/run.sh           (env: EDIT_RUNS=10 EDIT_MB=10, and lib.sh's)
#
# Every editor alternates MIDDLE_MARKER_ALPHA → MIDDLE_MARKER_BETA and back, so each timed run really changes the
# file, after 2 untimed runs. mish runs as an already-running server (fs/edit through the C client, timed from
# sending the request to reading the reply); sed is a fresh `sed -i` process per run; Python is timed in-process
# (read, count == 1, str.replace, write), once rewriting in place and once atomically (temp file, fsync, rename —
# what fs/edit does). After each editor the file must be back to its original bytes.
# Results: bench/out/edit.jsonl (raw), bench/out/edit.md (table and ratios).
source "$(dirname "$0")/../lib.sh"

RUNS="${EDIT_RUNS:-10}"
MB="${EDIT_MB:-10}"
[ $((RUNS % 2)) -eq 0 ] || { log "EDIT_RUNS must be even (each editor must end where it started)"; exit 1; }

bench_apt sed python3
bench_tools
bench_mish
bench_require_method fs/edit || exit 2

ROOT="$BENCH_OUT/edit-root"
FILE="$ROOT/big.txt"
OLD=MIDDLE_MARKER_ALPHA
NEW=MIDDLE_MARKER_BETA
mkdir -p "$ROOT"
python3 - "$FILE" "$MB" "$OLD" <<'EOF'
import random, sys
path, mb, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
size = mb * 1024 * 1024
rng = random.Random(10)
words = "let value index count buffer parse render state config node tree token stream reader writer".split()
lines, total = [], 0
while total < size:
    line = "    " + " ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + ";\n"
    lines.append(line)
    total += len(line)
mid = len(lines) // 2
lines.insert(mid, f"    let marker = {marker}; // the benchmark's edit target\n")
open(path, "w").write("".join(lines))
EOF
ORIGINAL_SHA="$(sha256sum "$FILE" | cut -d' ' -f1)"
same_as_original() { # editor
  [ "$(sha256sum "$FILE" | cut -d' ' -f1)" = "$ORIGINAL_SHA" ] || { log "$1 left the file changed"; exit 1; }
}

RESULTS="$BENCH_OUT/edit.jsonl"
: >"$RESULTS"
: >"$BENCH_OUT/edit-mish.stderr"
bench_context >>"$RESULTS"
printf '{"label":"tools","file":"%s bytes","sed":"%s","python":"%s"}\n' "$(stat -c %s "$FILE")" \
  "$(sed --version | sed -n 1p)" "$(python3 --version 2>&1)" >>"$RESULTS"
cat "$FILE" >/dev/null # warm the page cache

log "edit: mish fs/edit"
"$RTCLIENT" --label mish-fs-edit --method fs/edit --expect '"sha256"' --warmup 2 --seq "$RUNS" --samples \
  --params "{\"path\":\"big.txt\",\"edits\":[{\"old_text\":\"$OLD\",\"new_text\":\"$NEW\"}]}" \
  --params "{\"path\":\"big.txt\",\"edits\":[{\"old_text\":\"$NEW\",\"new_text\":\"$OLD\"}]}" \
  --dump "$BENCH_OUT/edit-mish-reply.json" \
  --server-stderr "$BENCH_OUT/edit-mish.stderr" -- "$MISH" serve --root "$ROOT" >>"$RESULTS"
same_as_original "mish fs/edit"

log "edit: sed -i"
"$RTCLIENT" --label sed-i --exec "$RUNS" --warmup 2 --samples \
  -- sed -i "s/$OLD/$NEW/" "$FILE" --alt sed -i "s/$NEW/$OLD/" "$FILE" >>"$RESULTS"
same_as_original "sed -i"

for mode in write atomic; do
  log "edit: python str.replace ($mode)"
  python3 "$BENCH_DIR/src/pyedit.py" "$FILE" "$OLD" "$NEW" "$RUNS" 2 "$mode" >>"$RESULTS"
  same_as_original "python ($mode)"
done

python3 "$BENCH_DIR/src/summarize.py" edit "$RESULTS" | tee "$BENCH_OUT/edit.md"
