#!/usr/bin/env bash
# Merge queue: landing throughput of QUEUE_CHANGES non-conflicting changes through a gate of QUEUE_GATE_S seconds,
# one change at a time (batch_size 1) against batches (batch_size 8 and 32), in one run on the same repository.
#
#   bench/queue/run.sh   (env: QUEUE_FILES=200 QUEUE_CHANGES=32 QUEUE_BATCH_SIZES=1,8,32 QUEUE_GATE_S=1
#                         QUEUE_BATCH_WAIT_MS=500 QUEUE_PARALLEL_GATES=2 QUEUE_POOL=4 QUEUE_TIMEOUT_S=900, and lib.sh's)
#
# The repository: bench/out/queue-repo, a local clone (`git clone --local`) of a generated source repository with
# one commit on `main`: QUEUE_FILES files of about 1 KB from src/gentree.py (100 a directory, three levels deep;
# the recipe of lib.sh's bench_git_repo), made once in bench/out/queue-src and kept while its stamp matches. With
# QUEUE_FILES equal to GIT_FILES (default 100000) the git benchmark's own bench/out/git-repo is cloned instead
# (lib.sh's bench_git_repo, GIT_SEED; then every session and gate worktree is a checkout of the whole tree: ~0.4 GB
# and a few seconds each, 40 of them per batch size). A copy of its own because the hub writes into the repository
# it runs on (.mish/, mish/* branches, worktrees, and main moves).
# src/queuebench.py runs, for each batch size B in QUEUE_BATCH_SIZES (see its header for the details):
#   1. the clone reset: .mish/ and every worktree removed, mish/* branches deleted, main checked out and hard-reset
#      to the commit it had at the start; then .mish/config.json written: target main, one post-merge command gate
#      `sleep QUEUE_GATE_S`, queue {batch_size B, batch_wait_ms QUEUE_BATCH_WAIT_MS, parallel_gates};
#   2. `mish hub --repo REPO --pool QUEUE_POOL` on pipes (native JSON-RPC, one request at a time);
#   3. QUEUE_CHANGES sessions spawned, each writing its own file_NN.txt (fs/write), git/add {all}, git/commit, all
#      through hub/call; then the pool left to refill, so no checkout of the pool's runs while measuring;
#   4. measured: QUEUE_CHANGES hub/submit back to back, then hub/events long-polled until all are landed: the time
#      from writing the first submit request to the last queue.landed event's time; changes landed per minute; the
#      landings and their sizes; gate runs (gate.finished events; cached results, which have none, from the items);
#      gate time (the gate.started → gate.finished intervals, merged) and the queue's overhead (the rest of the wall
#      time); each landing's phases (wait → merging → gating → gate finished → landed);
#   5. checks: every item landed (none rejected); main's first-parent history since the start is exactly the
#      landing commits, each with the previous one and its batch's branch heads as parents; main differs from the
#      start by exactly the QUEUE_CHANGES files, each with its content.
# Then the throughput ratios against batch_size 1 (target: batched (8) / one-by-one ≥ 4×). The clone is reset at the
# end (also when the run fails). A mish without hub/queue or hub/submit, or whose queue never takes an item (nothing
# leaves `queued` within 60 s), exits 2 (skipped).
# Results: bench/out/queue.jsonl (raw), bench/out/queue.md (tables and ratios).
source "$(dirname "$0")/../lib.sh"

FILES="${QUEUE_FILES:-200}"
GIT_FILES_="${GIT_FILES:-100000}"
SEED="${GIT_SEED:-1}"
CHANGES="${QUEUE_CHANGES:-32}"
SIZES="${QUEUE_BATCH_SIZES:-1,8,32}"
GATE_S="${QUEUE_GATE_S:-1}"
WAIT_MS="${QUEUE_BATCH_WAIT_MS:-500}"
PARALLEL="${QUEUE_PARALLEL_GATES:-2}"
POOL="${QUEUE_POOL:-4}"
TIMEOUT_S="${QUEUE_TIMEOUT_S:-900}"

bench_apt git python3
bench_mish
if ! "$MISH" --help 2>&1 | grep -q '^ *mish hub '; then
  log "this mish has no hub yet ($("$MISH" --version 2>&1)); skipping"
  exit 2
fi

# The source repository: git-repo itself at its size, else bench_git_repo's recipe in a directory of its own (so
# git-repo is left alone).
if [ "$FILES" = "$GIT_FILES_" ]; then
  bench_git_repo "$FILES" "$SEED"
else
  bench_git_repo "$FILES" "$SEED" "$BENCH_OUT/queue-src"
fi
SRC_REPO="$GIT_REPO"
REPO="$BENCH_OUT/queue-repo"
STAMP="$(cat "$SRC_REPO.stamp") $(git -C "$SRC_REPO" rev-parse HEAD) $SRC_REPO"
START="$(git -C "$SRC_REPO" rev-parse HEAD)"

queue_clean() { python3 "$BENCH_DIR/src/queuebench.py" clean --repo "$REPO" --start "$START"; }

if [ ! -d "$REPO/.git" ] || [ "$(cat "$REPO.stamp" 2>/dev/null)" != "$STAMP" ]; then
  if [ -d "$REPO/.git" ]; then queue_clean || true; fi # unlock and prune its worktrees before deleting it
  log "cloning $SRC_REPO into $REPO"
  rm -rf "$REPO" "$REPO.stamp"
  git clone -q --local "$SRC_REPO" "$REPO"
  git -C "$REPO" config gc.auto 0
  git -C "$REPO" config user.name bench
  git -C "$REPO" config user.email bench@example.invalid
  echo "$STAMP" >"$REPO.stamp"
fi
queue_clean # what an interrupted run left
trap 'log "resetting $REPO"; queue_clean' EXIT

tree_kb="$(du -sk --exclude=.git "$REPO" | cut -f1)"
RESULTS="$BENCH_OUT/queue.jsonl"
: >"$RESULTS"
bench_context >>"$RESULTS"
printf '{"label":"tools","git":"%s","repository":"%s files, a work tree of %s MB (clone of %s)"}\n' \
  "$(git --version)" "$FILES" "$(((tree_kb + 512) / 1024))" "$(basename "$SRC_REPO")" >>"$RESULTS"

rc=0
python3 "$BENCH_DIR/src/queuebench.py" run --mish "$MISH" --repo "$REPO" --out "$BENCH_OUT" --batch-sizes "$SIZES" \
  --changes "$CHANGES" --pool "$POOL" --gate-s "$GATE_S" --batch-wait-ms "$WAIT_MS" --parallel-gates "$PARALLEL" \
  --timeout-s "$TIMEOUT_S" >>"$RESULTS" || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"

python3 "$BENCH_DIR/src/queuebench.py" report "$RESULTS" | tee "$BENCH_OUT/queue.md"
