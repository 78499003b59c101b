#!/usr/bin/env bash
# Hub: `mish hub` spawn to ready (vs `git worktree add`), hub/call routing overhead under load (vs a `mish serve` of
# its own on the same worktree), and memory per idle session, on a generated repository of GIT_FILES files.
#
#   bench/hub/run.sh   (env: HUB_POOL=4 HUB_SPAWNS=8 HUB_SESSIONS=64 HUB_N=1000 HUB_ROUNDS=3 HUB_LOAD_GAP_MS=0
#                       HUB_IDLE_S=5, GIT_FILES=100000 GIT_SEED=1 for the repository, and lib.sh's)
#
# The repository: bench/out/hub-repo, a local clone (`git clone --local`: objects hard-linked, files checked out) of
# the git benchmark's bench/out/git-repo (lib.sh's bench_git_repo; same commit), re-cloned when that one changes.
# A copy of its own because the hub writes into the repository it runs on: its state and every session's worktree
# under .mish/ (SESSIONS + POOL checkouts of the whole tree, ~0.4 GB each at 100,000 files), `/.mish/` in
# .git/info/exclude, mish/* branches and .git/worktrees entries. None of that reaches git-repo, whose status the git
# benchmark times, even when a run is interrupted.
# src/hubbench.py drives one `mish hub --repo REPO --pool HUB_POOL` over its stdio (see its header):
#   1. spawn to ready: HUB_SPAWNS hub/spawn with the pool full (the hub's events say so; `sync` before each), each
#      followed by the git CLI peer `git -C REPO worktree add -b bench-peer-I PATH COMMIT` (fresh branch, same base,
#      timed as a process by rtclient --exec; its worktrees are removed with the hub's at the end), and the hub's
#      own refill of the pool after each (from its events); then hub/spawn back to back up to HUB_SESSIONS;
#   2. checks: state ready, branch mish/<id>, worktree on that branch at the base commit and locked, for all;
#   3. memory: VmRSS of each session's server and its descendants after HUB_IDLE_S idle seconds, and the hub's;
#   4. routing: hub/call fs/read of a 4 KB file in the first session vs fs/read on a `mish serve --root` of its own
#      on that worktree, HUB_ROUNDS × HUB_N sequential calls each, idle and then under load: src/hubload.py keeps
#      every session busy through the hub's unix socket (each one always has an fs/read of a ~1 KB tracked file in
#      flight; HUB_LOAD_GAP_MS pauses between a reply and the next call); memory again after the load;
#   5. the hub's input closed: its exit time.
# Then every worktree, branch and the hub's .mish/ are removed (also when the run fails), so reruns start clean.
# Results: bench/out/hub.jsonl (raw), bench/out/hub.md (tables and ratios).
source "$(dirname "$0")/../lib.sh"

FILES="${GIT_FILES:-100000}"
SEED="${GIT_SEED:-1}"
POOL="${HUB_POOL:-4}"
SPAWNS="${HUB_SPAWNS:-8}"
SESSIONS="${HUB_SESSIONS:-64}"
N="${HUB_N:-1000}"
ROUNDS="${HUB_ROUNDS:-3}"
GAP_MS="${HUB_LOAD_GAP_MS:-0}"
IDLE_S="${HUB_IDLE_S:-5}"

bench_apt git python3
bench_tools
bench_mish
if ! "$MISH" --help 2>&1 | grep -q '^ *mish hub '; then
  log "this mish has no hub yet ($("$MISH" --version 2>&1)); skipping"
  exit 2
fi

bench_git_repo "$FILES" "$SEED"
REPO="$BENCH_OUT/hub-repo"
STAMP="$(cat "$GIT_REPO.stamp") $(git -C "$GIT_REPO" rev-parse HEAD)"

# Removes what a hub run leaves in the clone: worktrees (unlocked first: a locked one is never pruned), .mish/, the
# sessions' and the peer's branches.
hub_clean() {
  [ -d "$REPO/.git" ] || return 0
  local wt
  git -C "$REPO" worktree list --porcelain | sed -n 's/^worktree //p' | while read -r wt; do
    [ "$wt" = "$REPO" ] || git -C "$REPO" worktree unlock "$wt" 2>/dev/null || true
  done
  rm -rf "$REPO/.mish" "$BENCH_OUT"/hub-peer-wt*
  git -C "$REPO" worktree prune
  git -C "$REPO" for-each-ref --format='%(refname:short)' refs/heads/mish/ 'refs/heads/bench-peer-*' |
    xargs -r git -C "$REPO" branch -q -D
}

if [ ! -d "$REPO/.git" ] || [ "$(cat "$REPO.stamp" 2>/dev/null)" != "$STAMP" ]; then
  log "cloning $GIT_REPO into $REPO"
  rm -rf "$REPO" "$REPO.stamp"
  git clone -q --local "$GIT_REPO" "$REPO"
  git -C "$REPO" config gc.auto 0
  echo "$STAMP" >"$REPO.stamp"
fi
hub_clean # what an interrupted run left
trap 'log "removing the worktrees and branches"; hub_clean' EXIT

# Room for every checkout: SESSIONS + POOL trees the size of the clone's work tree, and SPAWNS for the CLI peer.
tree_kb="$(du -sk --exclude=.git "$REPO" | cut -f1)"
need_kb=$((tree_kb * (SESSIONS + POOL + SPAWNS + 1)))
free_kb="$(df -Pk "$REPO" | awk 'NR == 2 {print $4}')"
if [ "$free_kb" -lt "$need_kb" ]; then
  log "not enough disk for $SESSIONS sessions: need about $((need_kb / 1048576)) GB, $((free_kb / 1048576)) GB free"
  exit 1
fi

F4K="$BENCH_OUT/hub-f4k.txt"
bench_f4k "$F4K"

RESULTS="$BENCH_OUT/hub.jsonl"
: >"$RESULTS"
bench_context >>"$RESULTS"
printf '{"label":"tools","git":"%s","repository":"%s files, a work tree of %s MB (clone of git-repo)"}\n' \
  "$(git --version)" "$FILES" "$((tree_kb / 1024))" >>"$RESULTS"

python3 "$BENCH_DIR/src/hubbench.py" --mish "$MISH" --repo "$REPO" --rtclient "$RTCLIENT" --f4k "$F4K" \
  --out "$BENCH_OUT" --pool "$POOL" --spawns "$SPAWNS" --sessions "$SESSIONS" --n "$N" --rounds "$ROUNDS" \
  --gap-ms "$GAP_MS" --idle-s "$IDLE_S" >>"$RESULTS"

python3 "$BENCH_DIR/src/summarize.py" hub "$RESULTS" | tee "$BENCH_OUT/hub.md"
