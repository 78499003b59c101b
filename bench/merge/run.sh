#!/usr/bin/env bash
# Merge: the merge queue's in-memory three-way merge (mish's MergeRepository, through `mish merge-tree`) against
# `git merge-tree --write-tree` and libgit2's own merge, on two small branches of a 100,000-file repository.
#
#   bench/merge/run.sh   (env: MERGE_N=30, GIT_FILES=100000 GIT_SEED=1 for the repository, and lib.sh's)
#
# The repository: bench/out/merge-repo.git, a bare local clone (`git clone --bare --local`: the pack hard-linked, no
# checkout) of the git benchmark's bench/out/git-repo (lib.sh's bench_git_repo), made again when that one changes.
# A copy of its own because every merge writes its result trees (and merged blobs) into the repository, and the
# branches below are refs. Two branches off main, made with plumbing (a temporary index, hash-object, commit-tree
# with fixed dates, so their ids are the same on every machine): bench-merge-a edits one line in a file under d01/
# and one under d04/, bench-merge-b one under d02/ and one under d08/, and both edit the same file under
# d07/d07/d07/, a its 2nd line and b its third line from the end (separate hunks: it merges cleanly line by line).
# Measured, MERGE_N times each, in this order:
#   (a) mish in-process: `mish merge-tree --repo REPO --repeat N A B`, the milliseconds of each run (merge base, the
#       three trees, the merge) on one repository handle; and mish as a process: `mish merge-tree A B` timed fork
#       to exit by src/rtclient.c --exec (3 warm-up runs first), beside `mish --version`, the process's start alone
#       (the Swift runtime and Foundation loading: most of the process's time);
#   (b) `git -C REPO merge-tree --write-tree A B` (git's ort merge, no index, no work tree), fork to exit, likewise;
#   (c) libgit2 in-process: src/merge_libgit2.c (compiled here with cc and pkg-config's libgit2) times
#       git_merge_commits + git_index_write_tree_to per iteration.
# All three must write the same tree, or the run fails. Results: bench/out/merge.jsonl (raw), bench/out/merge.md and
# bench/merge/results.md (the table: p50/p90 per measure, ratios, the target mish ≤ 20 ms).
source "$(dirname "$0")/../lib.sh"

FILES="${GIT_FILES:-100000}"
SEED="${GIT_SEED:-1}"
N="${MERGE_N:-30}"
MERGE_DIR="$BENCH_DIR/merge"

bench_apt git python3 gcc libc6-dev pkg-config libgit2-dev
bench_tools
bench_mish
if ! "$MISH" --help 2>&1 | grep -q '^ *mish merge-tree '; then
  log "this mish has no merge-tree yet ($("$MISH" --version 2>&1)); skipping"
  exit 2
fi

LIBGIT2_PEER="$BENCH_BIN/merge_libgit2"
if [ ! -x "$LIBGIT2_PEER" ] || [ "$MERGE_DIR/src/merge_libgit2.c" -nt "$LIBGIT2_PEER" ]; then
  # shellcheck disable=SC2046 # pkg-config's flags are separate words
  cc -O2 -Wall -Wextra -o "$LIBGIT2_PEER" "$MERGE_DIR/src/merge_libgit2.c" $(pkg-config --cflags --libs libgit2)
fi

bench_git_repo "$FILES" "$SEED"
REPO="$BENCH_OUT/merge-repo.git"
STAMP="$(cat "$GIT_REPO.stamp") $(git -C "$GIT_REPO" rev-parse main) branches v2"
g=(git -C "$REPO" -c user.name=bench -c user.email=bench@example.invalid)

# The NUMBERth file (in name order) of directory DIR on main.
nth_file() { # dir number
  git -C "$REPO" ls-tree --name-only main "$1/" | sed -n "$2p"
}

# A branch off main whose commit sets lines of files: each change is PATH:LINE:TEXT.
make_branch() { # name change...
  local name="$1" index change path line text blob mode
  shift
  index="$(mktemp "$BENCH_OUT/merge-index.XXXXXX")"
  rm -f "$index"
  GIT_INDEX_FILE="$index" "${g[@]}" read-tree main
  for change in "$@"; do
    IFS=: read -r path line text <<<"$change"
    blob="$("${g[@]}" cat-file blob "main:$path" |
      awk -v n="$line" -v t="$text" 'NR == n { print t; next } { print }' | "${g[@]}" hash-object -w --stdin)"
    mode="$("${g[@]}" ls-tree main "$path" | cut -d' ' -f1)"
    GIT_INDEX_FILE="$index" "${g[@]}" update-index --cacheinfo "$mode,$blob,$path"
  done
  local tree commit
  tree="$(GIT_INDEX_FILE="$index" "${g[@]}" write-tree)"
  rm -f "$index"
  commit="$(GIT_AUTHOR_DATE="2020-01-02T00:00:00Z" GIT_COMMITTER_DATE="2020-01-02T00:00:00Z" \
    "${g[@]}" commit-tree -p main -m "bench: $name" "$tree")"
  "${g[@]}" update-ref "refs/heads/$name" "$commit"
}

if [ ! -d "$REPO" ] || [ "$(cat "$REPO.stamp" 2>/dev/null)" != "$STAMP" ]; then
  log "cloning $GIT_REPO into $REPO (bare) and making the two branches"
  rm -rf "$REPO" "$REPO.stamp"
  git clone -q --bare --local "$GIT_REPO" "$REPO"
  git -C "$REPO" config gc.auto 0
  shared="$(nth_file d07/d07/d07 43)"
  shared_lines="$("${g[@]}" cat-file blob "main:$shared" | wc -l)"
  make_branch bench-merge-a "$(nth_file d01/d02/d03 11):3:// bench a: one" \
    "$(nth_file d04/d05/d06 21):5:// bench a: two" "$shared:2:// bench a: the shared file, near its top"
  make_branch bench-merge-b "$(nth_file d02/d03/d04 12):3:// bench b: one" \
    "$(nth_file d08/d01/d02 6):10:// bench b: two" "$shared:$((shared_lines - 2)):// bench b: the shared file, near its end"
  echo "$STAMP" >"$REPO.stamp"
fi
A=bench-merge-a
B=bench-merge-b
changed() { git -C "$REPO" diff --name-only "main" "$1" | paste -sd' '; }

RESULTS="$BENCH_OUT/merge.jsonl"
: >"$RESULTS"
bench_context >>"$RESULTS"
printf '{"label":"tools","git":"%s","repository":"%s files (bare clone of git-repo, one pack)","branches":"%s"}\n' \
  "$(git --version)" "$FILES" "$A changes $(changed $A), $B changes $(changed $B)" >>"$RESULTS"

log "(a) mish merge-tree: $N runs in one process, then $N processes"
rc=0
"$MISH" merge-tree --repo "$REPO" --repeat "$N" "$A" "$B" >"$BENCH_OUT/merge-mish.json" || rc=$?
[ "$rc" -eq 0 ] || { log "mish merge-tree exited $rc (1: conflicts, 2: error)"; cat "$BENCH_OUT/merge-mish.json" >&2; exit 1; }
printf '{"label":"mish-inprocess","result":%s}\n' "$(cat "$BENCH_OUT/merge-mish.json")" >>"$RESULTS"
"$RTCLIENT" --exec "$N" --warmup 3 --samples --label mish-process --out "$BENCH_OUT/merge-mish-process.out" -- \
  "$MISH" merge-tree --repo "$REPO" "$A" "$B" >>"$RESULTS"
"$RTCLIENT" --exec "$N" --warmup 3 --samples --label mish-version --out /dev/null -- "$MISH" --version >>"$RESULTS"
python3 -c 'import json, sys; print(json.dumps({"label": "mish-process-tree", "tree": json.load(open(sys.argv[1])).get("tree")}))' \
  "$BENCH_OUT/merge-mish-process.out" >>"$RESULTS"

log "(b) git merge-tree --write-tree: $N processes"
"$RTCLIENT" --exec "$N" --warmup 3 --samples --label git-merge-tree --out "$BENCH_OUT/merge-git.out" -- \
  git -C "$REPO" merge-tree --write-tree "$A" "$B" >>"$RESULTS"
printf '{"label":"git-tree","tree":"%s"}\n' "$(head -1 "$BENCH_OUT/merge-git.out")" >>"$RESULTS"

log "(c) libgit2 git_merge_commits + git_index_write_tree_to: $N runs in one process"
"$LIBGIT2_PEER" "$REPO" "$A" "$B" "$N" >>"$RESULTS"

python3 "$MERGE_DIR/src/report.py" "$RESULTS" >"$BENCH_OUT/merge.md" || {
  cat "$BENCH_OUT/merge.md"
  log "the merges disagree; see $RESULTS"
  exit 1
}
cp "$BENCH_OUT/merge.md" "$MERGE_DIR/results.md"
cat "$BENCH_OUT/merge.md"
