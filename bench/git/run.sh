#!/usr/bin/env bash
# Git: mish git/status and git/diff vs the git CLI (`git status --porcelain=v2`, `git diff`) and the Python peer
# mcp-server-git (PyPI), on a generated repository of GIT_FILES files, clean and with 100 changes.
#
#   bench/git/run.sh            (env: GIT_FILES=100000 GIT_SEED=1 GIT_N=20 GIT_PEER_N=10 GIT_ROUNDS=3, and lib.sh's)
#
# The repository (bench/out/git-repo, made once and kept; lib.sh's bench_git_repo): src/gentree.py's files of about
# 1 KB (100 a directory, three levels deep), every mtime set in the past, one commit with fixed names and dates,
# packed, gc.auto off.
# Two states, each measured GIT_ROUNDS times, every tool in turn per round (each figure is the median over rounds):
#   clean: `git reset --hard` + `git clean -fdq`;
#   dirty: src/gitchanges.py: 60 files modified, 20 deleted, 20 new untracked ones (deterministic for the seed).
# After each change of state the script waits a second and runs `git status` once, so the index git writes is newer
# than every file (no "racily clean" entry that each later status would have to re-read).
#   - CLI: `git -C REPO status --porcelain=v2` and `git -C REPO diff`, a fresh process per run (rtclient --exec,
#     output to a file), after 2 untimed runs: the page cache and the index are warm;
#   - mish: native git/status {"max_entries":100000} and git/diff {"max_bytes":10485760} (one page, full patches) on
#     a running `mish serve --root REPO`, timed per request by the C client after 3 untimed calls; and the same
#     through MCP tools/call git_status / git_diff (what an agent sends; the reply also carries rendered text). mish
#     keeps what status learned and watches the work tree (inotify), so its warm calls answer from that; the first
#     git/status on a new server (after the MCP handshake, so the process start is not in it) is timed apart;
#   - peer: `mcp-server-git --repository REPO`, tools/call git_status and git_diff_unstaged {"repo_path": REPO}
#     (it runs the git CLI through GitPython), GIT_PEER_N sequential round trips after 2 untimed ones. If it cannot
#     be installed or run, its rows are skipped with the reason, and the run goes on.
# Answers are checked: the CLI's porcelain v2 lines must number the expected entries and name the same paths as mish's
# entries (total_entries too, not truncated); mish's diff files must number `git diff --numstat`'s lines, with the
# same paths and line totals, and so must the CLI's `diff --git` headers; the peer's diff its `diff --git` headers.
# Results: bench/out/git.jsonl (raw), bench/out/git.md (tables and ratios).
source "$(dirname "$0")/../lib.sh"

FILES="${GIT_FILES:-100000}"
SEED="${GIT_SEED:-1}"
N="${GIT_N:-20}"
PEER_N="${GIT_PEER_N:-10}"
ROUNDS="${GIT_ROUNDS:-3}"
GIT_VENV="${GIT_VENV:-$BENCH_OUT/venv-git}"
PEER_VERSION_PIN="${MCP_SERVER_GIT_VERSION:-2026.10.19}"

bench_apt git python3
bench_tools
bench_mish
bench_require_method git/status || exit 2
bench_require_method git/diff || exit 2

bench_git_repo "$FILES" "$SEED"
REPO="$GIT_REPO"
G=(git -C "$REPO")

# The peer, in a venv of its own (its MCP SDK need not match filesystem-mcp's). PEER_SKIP holds why it is not run.
PEER_SKIP=""
PEER_BIN="$GIT_VENV/bin/mcp-server-git"
if [ ! -x "$PEER_BIN" ]; then
  log "installing mcp-server-git==$PEER_VERSION_PIN into $GIT_VENV"
  if ! { bench_apt python3-venv && python3 -m venv "$GIT_VENV" &&
    "$GIT_VENV/bin/pip" install -q --disable-pip-version-check "mcp-server-git==$PEER_VERSION_PIN"; } \
    >"$BENCH_OUT/git-peer-install.log" 2>&1; then
    PEER_SKIP="pip install mcp-server-git==$PEER_VERSION_PIN failed: $(tail -1 "$BENCH_OUT/git-peer-install.log")"
    rm -rf "$GIT_VENV"
  fi
fi

RESULTS="$BENCH_OUT/git.jsonl"
: >"$RESULTS"
: >"$BENCH_OUT/git-mish.stderr"
: >"$BENCH_OUT/git-peer.stderr"
bench_context >>"$RESULTS"
printf '{"label":"tools","git":"%s","repository":"%s files, %s MB of text, %s"}\n' "$(git --version)" "$FILES" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"] // 1000000)' "$REPO.expect.json")" \
  "$(du -sh "$REPO/.git" | cut -f1) in .git" >>"$RESULTS"
if [ -z "$PEER_SKIP" ]; then
  printf '{"label":"peer-info","package":"mcp-server-git %s","mcp_sdk":"%s"}\n' \
    "$("$GIT_VENV/bin/pip" show mcp-server-git 2>/dev/null | sed -n 's/^Version: //p')" \
    "$("$GIT_VENV/bin/pip" show mcp 2>/dev/null | sed -n 's/^Version: //p')" >>"$RESULTS"
fi

# Waits past the current second, then lets git write an index newer than every file (see the header).
settle() {
  sleep 1.1
  "${G[@]}" status --porcelain=v2 >/dev/null
}
make_clean() {
  "${G[@]}" reset -q --hard
  "${G[@]}" clean -fdq
  settle
}

peer_client() { # label n params expect
  [ -z "$PEER_SKIP" ] || return 0
  local label="$1" n="$2" params="$3" expect="$4"
  if ! "$RTCLIENT" --label "$label" --init --params "$params" --expect "$expect" --warmup 2 --seq "$n" \
    --dump "$BENCH_OUT/git-$label.json" --server-stderr "$BENCH_OUT/git-peer.stderr" \
    -- "$PEER_BIN" --repository "$REPO" >>"$RESULTS" 2>"$BENCH_OUT/git-peer-client.err"; then
    PEER_SKIP="mcp-server-git failed ($label): $(tail -2 "$BENCH_OUT/git-peer-client.err" | tr '\n' ' ')"
    PEER_SKIP="$PEER_SKIP; its stderr ends: $(tail -2 "$BENCH_OUT/git-peer.stderr" | tr '\n' ' ')"
    log "$PEER_SKIP; skipping the peer"
  fi
}

# Checks one state's answers (the last reply of each kind) against the CLI and the expected counts.
check() { # state expect-json
  "${G[@]}" diff --numstat >"$BENCH_OUT/git-cli-numstat-$1.txt"
  python3 - "$1" "$2" "$BENCH_OUT" "$([ -z "$PEER_SKIP" ] && echo peer || echo nopeer)" <<'EOF' >>"$RESULTS"
import json, os, sys
state, expect, out, peer = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4] == "peer"
f = lambda name: os.path.join(out, f"git-{name}-{state}")
def fail(msg):
    sys.exit(f"git {state}: {msg}")
def result(name):
    r = json.load(open(f(name) + ".json"))["result"]
    return r.get("structuredContent", r)

# status: porcelain v2 lines vs mish entries
cli = [l for l in open(f("cli-status") + ".txt", encoding="utf-8").read().split("\n") if l]
if len(cli) != expect["status_entries"]:
    fail(f"git status --porcelain=v2 printed {len(cli)} lines, expected {expect['status_entries']}")
def cli_path(line):  # porcelain v2: "1 XY sub mH mI mW hH hI path", "2 … score path\torig", "u …", "? path"
    fields = {"1": 8, "2": 9, "u": 10}.get(line[0], 1)
    return line.split(" ", fields)[fields].split("\t")[0]
cli_paths = sorted(cli_path(l) for l in cli)
for name in ("mish-status", "mish-status-first", "mish-mcp-status"):
    r = result(name)
    if r["truncated"] or r["total_entries"] != len(cli) or len(r["entries"]) != len(cli):
        fail(f"{name}: {len(r['entries'])} entries (total_entries {r['total_entries']}, truncated {r['truncated']}), "
             f"git status --porcelain=v2: {len(cli)} lines")
    if sorted(e["path"] for e in r["entries"]) != cli_paths:
        fail(f"{name}: the entries' paths differ from git status --porcelain=v2's")
    if r["clean"] != (len(cli) == 0):
        fail(f"{name}: clean is {r['clean']} with {len(cli)} entries")

# diff: numstat vs mish files and totals, and the CLI's own patch
numstat = [l.split("\t") for l in open(f("cli-numstat") + ".txt", encoding="utf-8").read().split("\n") if l]
if len(numstat) != expect["diff_files"]:
    fail(f"git diff --numstat printed {len(numstat)} lines, expected {expect['diff_files']}")
adds, dels = sum(int(a) for a, _, _ in numstat), sum(int(d) for _, d, _ in numstat)
headers = sum(1 for l in open(f("cli-diff") + ".txt", "rb") if l.startswith(b"diff --git "))
if headers != len(numstat):
    fail(f"git diff printed {headers} file headers, git diff --numstat {len(numstat)} lines")
for name in ("mish-diff", "mish-mcp-diff"):
    r = result(name)
    if r["truncated"] or r["total_files"] != len(numstat) or len(r["files"]) != len(numstat):
        fail(f"{name}: {len(r['files'])} files (total_files {r['total_files']}, truncated {r['truncated']}), "
             f"git diff --numstat: {len(numstat)} lines")
    if sorted(x["path"] for x in r["files"]) != sorted(p for _, _, p in numstat):
        fail(f"{name}: the files' paths differ from git diff --numstat's")
    if (r["additions"], r["deletions"]) != (adds, dels):
        fail(f"{name}: +{r['additions']} -{r['deletions']}, git diff --numstat +{adds} -{dels}")
    if any(x["patch"] is None or not x["patch"].startswith("diff --git ") for x in r["files"]):
        fail(f"{name}: a file without its patch")
rec = {"label": f"check-{state}", "status_entries": len(cli), "diff_files": len(numstat), "additions": adds,
       "deletions": dels, "cli_diff_bytes": os.path.getsize(f("cli-diff") + ".txt")}
if peer and os.path.exists(f("peer-diff") + ".json"):
    text = json.load(open(f("peer-diff") + ".json"))["result"]["content"][0]["text"]
    if text.count("\ndiff --git ") + text.startswith("diff --git ") != len(numstat):
        fail(f"peer git_diff_unstaged: {text.count('diff --git ')} file headers, git diff --numstat {len(numstat)}")
    rec["peer_checked"] = True
print(json.dumps(rec))
EOF
}

measure() { # state round
  local state="$1" round="$2" tag="$1 round $2/$ROUNDS"
  log "git $tag: git status --porcelain=v2"
  "$RTCLIENT" --label "cli-status-$state" --exec "$N" --warmup 2 --out "$BENCH_OUT/git-cli-status-$state.txt" \
    -- "${G[@]}" status --porcelain=v2 >>"$RESULTS"
  log "git $tag: mish git/status"
  "$RTCLIENT" --label "mish-status-$state" --method git/status --params '{"max_entries":100000}' \
    --expect '"truncated":false' --warmup 3 --seq "$N" --dump "$BENCH_OUT/git-mish-status-$state.json" \
    --server-stderr "$BENCH_OUT/git-mish.stderr" -- "$MISH" serve --root "$REPO" >>"$RESULTS"
  log "git $tag: mish git/status, first call on a new server"
  "$RTCLIENT" --label "mish-status-first-$state" --init --method git/status --params '{"max_entries":100000}' \
    --expect '"truncated":false' --warmup 0 --seq 1 --dump "$BENCH_OUT/git-mish-status-first-$state.json" \
    --server-stderr "$BENCH_OUT/git-mish.stderr" -- "$MISH" serve --root "$REPO" >>"$RESULTS"
  log "git $tag: mish tools/call git_status"
  "$RTCLIENT" --label "mish-mcp-status-$state" --init \
    --params '{"name":"git_status","arguments":{"max_entries":100000}}' --expect '"truncated":false' --warmup 3 \
    --seq "$N" --dump "$BENCH_OUT/git-mish-mcp-status-$state.json" --server-stderr "$BENCH_OUT/git-mish.stderr" \
    -- "$MISH" serve --root "$REPO" >>"$RESULTS"
  log "git $tag: peer git_status"
  peer_client "peer-status-$state" "$PEER_N" "{\"name\":\"git_status\",\"arguments\":{\"repo_path\":\"$REPO\"}}" \
    "$([ "$state" = clean ] && echo 'working tree clean' || echo 'modified:')"

  log "git $tag: git diff"
  "$RTCLIENT" --label "cli-diff-$state" --exec "$N" --warmup 2 --out "$BENCH_OUT/git-cli-diff-$state.txt" \
    -- "${G[@]}" diff >>"$RESULTS"
  log "git $tag: mish git/diff"
  "$RTCLIENT" --label "mish-diff-$state" --method git/diff --params '{"max_bytes":10485760}' \
    --expect '"truncated":false' --warmup 3 --seq "$N" --dump "$BENCH_OUT/git-mish-diff-$state.json" \
    --server-stderr "$BENCH_OUT/git-mish.stderr" -- "$MISH" serve --root "$REPO" >>"$RESULTS"
  log "git $tag: mish tools/call git_diff"
  "$RTCLIENT" --label "mish-mcp-diff-$state" --init \
    --params '{"name":"git_diff","arguments":{"max_bytes":10485760}}' --expect '"truncated":false' --warmup 3 \
    --seq "$N" --dump "$BENCH_OUT/git-mish-mcp-diff-$state.json" --server-stderr "$BENCH_OUT/git-mish.stderr" \
    -- "$MISH" serve --root "$REPO" >>"$RESULTS"
  log "git $tag: peer git_diff_unstaged"
  peer_client "peer-diff-$state" "$PEER_N" \
    "{\"name\":\"git_diff_unstaged\",\"arguments\":{\"repo_path\":\"$REPO\"}}" 'Unstaged changes'
}

log "git: clean state"
make_clean
CLEAN_EXPECT='{"status_entries":0,"diff_files":0}'
for round in $(seq 1 "$ROUNDS"); do measure clean "$round"; done
check clean "$CLEAN_EXPECT"

log "git: dirty state (60 modified, 20 deleted, 20 untracked)"
DIRTY_EXPECT="$(python3 "$BENCH_DIR/src/gitchanges.py" "$REPO" --seed "$SEED")"
printf '{"label":"changes","expect":%s}\n' "$DIRTY_EXPECT" >>"$RESULTS"
settle
for round in $(seq 1 "$ROUNDS"); do measure dirty "$round"; done
check dirty "$DIRTY_EXPECT"

make_clean # leave the kept repository clean for the next run
if [ -n "$PEER_SKIP" ]; then
  python3 -c 'import json, sys; print(json.dumps({"label": "peer-skip", "reason": sys.argv[1]}))' "$PEER_SKIP" \
    >>"$RESULTS"
fi

python3 "$BENCH_DIR/src/summarize.py" git "$RESULTS" | tee "$BENCH_OUT/git.md"
