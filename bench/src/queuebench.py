#!/usr/bin/env python3
"""The merge queue benchmark's driver (bench/queue/run.sh): landing throughput, batched vs one change at a time.

    queuebench.py run --mish MISH --repo REPO --out DIR [--batch-sizes 1,8,32] [--changes 32] [--pool 4]
                      [--gate-s 1] [--batch-wait-ms 500] [--parallel-gates 2] [--timeout-s 900]
    queuebench.py report RESULTS.jsonl      (the Markdown tables, on stdout)
    queuebench.py clean --repo REPO         (what a run leaves in REPO removed; main back at its start commit)

`run` measures each batch size in turn on the same repository, whose `main` is reset to the commit it had when the
run started (START) before each: the hub's .mish/ (journal, session and gate worktrees) removed, every worktree
pruned, the mish/* branches deleted, `main` checked out and hard-reset to START. Then, per batch size B:

1. REPO/.mish/config.json (the hub's state directory, never committed): target main, one post-merge command gate
   `sleep GATE_S` (timeout 60 s), queue {batch_size: B, batch_wait_ms, parallel_gates}.
2. `mish hub --repo REPO --pool POOL` on pipes, native JSON-RPC one request at a time. hub/queue must answer (a
   method-not-found error: this mish has no queue yet, exit 2) with target main at START and no items.
3. CHANGES sessions (hub/spawn {task: "queue bench NN"}, each `ready`); in each, through hub/call: fs/write
   file_NN.txt (a few lines naming NN and B), git/add {all: true}, git/commit {message, author}; the branch must then
   differ from START by exactly that file. Then the driver waits for the hub's worktree pool to be full again (its
   pool.prepared events), so no checkout of the pool's runs during the measurement, and 1 s more.
4. Measured: CHANGES hub/submit {session_id} back to back (each waits for its reply, none pipelined), then hub/events
   long-polled until every item is queue.landed or queue.rejected. The time is from the moment the first submit
   request is written (the driver's wall clock, ms) to the last queue.landed event's time_ms (the hub's wall clock,
   same machine). If no item leaves `queued` within 60 s (plus the batch wait) the queue does not land in this
   mish: exit 2.
5. From the hub's events: gate runs (gate.finished; cached results as well, which the hub returns without an event,
   from the items' gate lists), the gate intervals (gate.started → gate.finished, merged: the time a gate was running
   on the critical path) and so the queue's overhead (the wall time minus that), and each landing's phases (the
   previous landing's end or the first submit → its first item `merging` → `gating` → its gate finished →
   its last item queue.landed).
6. Checks: every item landed, none rejected; `git rev-list --first-parent START..main` is exactly the distinct
   landed_sha of the items (each a merge commit whose parents after the first are its batch's branch heads, in the
   batch's order), so main's first-parent history holds only queue commits; `git diff --name-status START main` is
   exactly the CHANGES added files, and each file on main has its content.
7. The hub's input is closed (it stops its sessions and gate servers); how long it took to exit is recorded.

Prints one JSON line per batch size (label "mode") and one with the ratios (label "ratios") on stdout.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from hubclient import Hub, end_children, fail

AUTHOR = {"name": "queue bench", "email": "bench@example.invalid"}


class Unsupported(Exception):
    """This mish cannot be measured (no queue method, or a queue that never lands): exit 2."""


def log(msg):
    print(f"[bench] queue: {msg}", file=sys.stderr, flush=True)


def emit(rec):
    print(json.dumps(rec), flush=True)


def now_ms():
    return time.time() * 1e3


def git(repo, *args, check=True):
    res = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)
    if check and res.returncode != 0:
        fail(f"git {' '.join(args)}: {res.stderr.strip()[-500:]}")
    return res.stdout.strip()


def clean(repo, start=None):
    """Removes what a hub run leaves: worktrees (unlocked first: git never prunes a locked one), .mish/, the mish/*
    branches; with START, main checked out and hard-reset to it."""
    if not os.path.isdir(os.path.join(repo, ".git")):
        return
    for line in git(repo, "worktree", "list", "--porcelain").split("\n"):
        if line.startswith("worktree ") and line[9:] != repo:
            git(repo, "worktree", "unlock", line[9:], check=False)
    shutil.rmtree(os.path.join(repo, ".mish"), ignore_errors=True)
    git(repo, "worktree", "prune")
    branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/mish/").split()
    if branches:
        git(repo, "branch", "-q", "-D", *branches)
    if start:
        git(repo, "checkout", "-q", "-f", "main")
        git(repo, "reset", "-q", "--hard", start)
        git(repo, "clean", "-q", "-fd")


def union_ms(intervals, lo, hi):
    """Total length of the union of [a, b] intervals, clipped to [lo, hi]."""
    total, end = 0.0, None
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in intervals):
        if b <= a:
            continue
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def median(xs):
    return statistics.median(xs) if xs else None


def content_for(i, batch_size):
    return (f"queue bench change {i:02d}\n"
            f"written by session {i:02d} of the batch_size {batch_size} run\n"
            "one file per session, so no two changes touch the same path\n")


def measure(a, repo, start, batch_size):
    label = "one-by-one" if batch_size == 1 else f"batched-{batch_size}"
    clean(repo, start)
    os.makedirs(os.path.join(repo, ".mish"), exist_ok=True)
    config = {"target": "main",
              "gates": [{"name": "gate", "command": f"sleep {a.gate_s:g}", "phase": "post-merge",
                         "timeout_ms": 60000}],
              "queue": {"batch_size": batch_size, "batch_wait_ms": a.batch_wait_ms,
                        "parallel_gates": a.parallel_gates}}
    with open(os.path.join(repo, ".mish", "config.json"), "w") as f:
        json.dump(config, f)

    hub = Hub([a.mish, "hub", "--repo", repo, "--pool", str(a.pool), "--log-level", "warning"],
              open(os.path.join(a.out, f"queue-hub-{label}.stderr"), "w"))
    _, msg, _ = hub.request("hub/queue", {})
    q, error = msg.get("result"), msg.get("error")
    if error is not None:
        if error.get("code") == -32601:
            raise Unsupported(f"this mish has no hub/queue ({error.get('message')})")
        fail(f"hub/queue: {json.dumps(error)}")
    if q["target"] != "main" or q["target_sha"] != start or q["items"]:
        fail(f"hub/queue on a fresh hub: {json.dumps(q)[:500]} (expected target main at {start}, no items)")

    # Sessions, each with one committed change.
    t = time.monotonic()
    sessions = []
    for i in range(a.changes):
        r = hub.result("hub/spawn", {"task": f"queue bench {i:02d}"})
        if r.get("state") != "ready" or r.get("branch") != "mish/" + r.get("session_id", "?"):
            fail(f"spawn {i}: {json.dumps(r)}")
        sessions.append(r)
    spawn_s = time.monotonic() - t
    t = time.monotonic()
    for i, s in enumerate(sessions):
        sid, path = s["session_id"], f"file_{i:02d}.txt"
        hub.result("hub/call", {"session_id": sid, "method": "fs/write",
                                "params": {"path": path, "content": content_for(i, batch_size)}})
        hub.result("hub/call", {"session_id": sid, "method": "git/add", "params": {"all": True}})
        hub.result("hub/call", {"session_id": sid, "method": "git/commit",
                                "params": {"message": f"Add {path}", "author": AUTHOR}})
        head = git(repo, "rev-parse", f"refs/heads/{s['branch']}")
        changed = git(repo, "diff", "--name-status", start, head).split("\n")
        if changed != [f"A\t{path}"]:
            fail(f"session {sid}: its branch {s['branch']} at {head} changes {changed}, expected only A {path}")
        s["head"], s["path"] = head, path
    commit_s = time.monotonic() - t
    log(f"{label}: {a.changes} sessions spawned ({spawn_s:.1f} s) and committed ({commit_s:.1f} s)")
    pool_full = hub.wait_until(lambda: hub.pool_count() >= a.pool, f"a pool of {a.pool}", 300, required=False)
    if not pool_full:
        log(f"{label}: the pool did not refill to {a.pool} within 300 s (has {hub.pool_count()}); measuring anyway")
    time.sleep(1)
    hub.poll(0)
    first_seq = hub.seq

    # The measurement: submit all, back to back, then wait for every item to land.
    load0 = os.getloadavg()[0]
    t0 = now_ms()
    submit_ms, items = [], {}
    for s in sessions:
        ms, msg, _ = hub.request("hub/submit", {"session_id": s["session_id"]})
        r, error = msg.get("result"), msg.get("error")
        if error is not None:
            if error.get("code") == -32601:
                raise Unsupported(f"this mish has no hub/submit ({error.get('message')})")
            fail(f"hub/submit {s['session_id']}: {json.dumps(error)[:1000]}")
        if r["item"]["head"] != s["head"] or r["item"]["state"] == "rejected":
            fail(f"hub/submit {s['session_id']}: {json.dumps(r)[:1000]} (head should be {s['head']})")
        submit_ms.append(ms)
        items[r["queue_id"]] = s
    submitted = now_ms()
    log(f"{label}: {a.changes} submits in {(submitted - t0) / 1e3:.2f} s; waiting for the landings")
    done = {}  # queue_id -> the queue.landed / queue.rejected event
    moved = False
    never_deadline = time.monotonic() + 60 + a.batch_wait_ms / 1e3
    deadline = time.monotonic() + a.timeout_s
    seen = first_seq
    while len(done) < len(items):
        hub.poll(2000)
        for e in hub.events:
            if e["seq"] <= seen:
                continue
            if e["kind"] in ("queue.landed", "queue.rejected") and e.get("queue_id") in items:
                done[e["queue_id"]] = e
            if e["kind"] == "queue.state" and e.get("state") != "queued" or e["kind"] in ("queue.landed", "queue.rejected"):
                moved = True
        seen = hub.seq
        if not moved and time.monotonic() > never_deadline:
            hub.close(10)
            raise Unsupported(f"no queued item left `queued` within {60 + a.batch_wait_ms / 1e3:.0f} s: this mish's "
                              "merge queue does not land")
        if time.monotonic() > deadline:
            q = hub.result("hub/queue", {})
            states = {}
            for it in q["items"]:
                states[it["state"]] = states.get(it["state"], 0) + 1
            fail(f"{label}: {len(done)} of {len(items)} items finished after {a.timeout_s} s; states {states}; "
                 f"last events {json.dumps(hub.events[-5:])[:1500]}")
    seen_ms = now_ms()
    load1 = os.getloadavg()[0]
    rejected = {k: e for k, e in done.items() if e["kind"] == "queue.rejected"}
    if rejected:
        fail(f"{label}: {len(rejected)} items rejected, e.g. {json.dumps(next(iter(rejected.values())))[:1500]}")
    t_end = max(e["time_ms"] for e in done.values())

    # The queue's own account, and the checks.
    q = hub.result("hub/queue", {})
    by_id = {it["queue_id"]: it for it in q["items"]}
    if set(by_id) != set(items) or any(it["state"] != "landed" or not it.get("landed_sha") for it in by_id.values()):
        fail(f"{label}: hub/queue: {json.dumps(q)[:2000]}")
    landings = {}  # landed_sha -> queue ids, in landing order
    for qid in sorted(by_id, key=lambda k: done[k]["seq"]):
        landings.setdefault(by_id[qid]["landed_sha"], []).append(qid)
    first_parent = git(repo, "rev-list", "--first-parent", f"{start}..main").split()
    first_parent.reverse()
    if first_parent != list(landings):
        fail(f"{label}: main's first-parent history since the start {first_parent} is not the landing commits "
             f"{list(landings)}")
    if q["target_sha"] != first_parent[-1]:
        fail(f"{label}: hub/queue's target_sha {q['target_sha']} is not main ({first_parent[-1]})")
    prev = start
    for sha, ids in landings.items():
        parents = git(repo, "rev-list", "--parents", "-n", "1", sha).split()[1:]
        batch = by_id[ids[0]].get("batch") or ids
        heads = [by_id[i]["head"] for i in batch]
        if sorted(batch) != sorted(ids) or parents != [prev] + heads:
            fail(f"{label}: landing {sha}: parents {parents}, expected {prev} then the heads of {batch} ({heads}); "
                 f"the items that name it: {ids}")
        prev = sha
    diff = sorted(git(repo, "diff", "--name-status", start, "main").split("\n"))
    expected = sorted(f"A\tfile_{i:02d}.txt" for i in range(a.changes))
    if diff != expected:
        fail(f"{label}: git diff START main: {diff[:10]}… expected the {a.changes} added files only")
    for i in range(a.changes):
        got = git(repo, "show", f"main:file_{i:02d}.txt") + "\n"
        if got != content_for(i, batch_size):
            fail(f"{label}: main:file_{i:02d}.txt is {got!r}")
    worktree_follows = all(os.path.isfile(os.path.join(repo, f"file_{i:02d}.txt")) for i in range(a.changes)) \
        and git(repo, "status", "--porcelain", "--untracked-files=no") == ""

    # The events of the measurement.
    ev = [e for e in hub.events if e["seq"] > first_seq]
    started = [e for e in ev if e["kind"] == "gate.started"]
    finished = [e for e in ev if e["kind"] == "gate.finished"]
    intervals, used = [], set()
    for s in started:
        f = next((f for f in finished if f["seq"] > s["seq"] and f["seq"] not in used and f.get("name") == s.get("gate")
                  and f.get("commit") == s.get("commit") and f.get("phase") == s.get("phase")), None)
        if f is None:
            fail(f"{label}: gate.started without its gate.finished: {json.dumps(s)}")
        used.add(f["seq"])
        intervals.append((s["time_ms"], f["time_ms"], s.get("commit")))
    gate_union = union_ms([(x, y) for x, y, _ in intervals], t0, t_end)
    gate_lengths = [y - x for x, y, _ in intervals]
    # Cached gate results come back without events: count them from the items' gate lists, once per landing.
    cached_runs = sum(1 for sha, ids in landings.items() for g in by_id[ids[0]]["gates"] if g.get("cached"))
    attempts2 = sum(1 for f in finished if f.get("attempts", 1) > 1)
    outcomes = {}
    for f in finished:
        outcomes[f.get("outcome")] = outcomes.get(f.get("outcome"), 0) + 1

    def last(kind, qid, state=None, before=None):
        xs = [e["time_ms"] for e in ev if e["kind"] == kind and e.get("queue_id") == qid
              and (state is None or e.get("state") == state) and (before is None or e["seq"] < before)]
        return xs[-1] if xs else None

    phases, prev_end = [], t0
    for n, (sha, ids) in enumerate(landings.items()):
        landed = max(done[i]["time_ms"] for i in ids)
        merging = min(x for x in (last("queue.state", i, "merging", done[i]["seq"]) for i in ids) if x is not None)
        gating = min(x for x in (last("queue.state", i, "gating", done[i]["seq"]) for i in ids) if x is not None)
        mine = [(x, y) for x, y, c in intervals if c == sha]
        gate_end = max((y for _, y in mine), default=gating)
        submitted_last = max(by_id[i]["submitted_ms"] for i in ids)
        phases.append({"landing": n + 1, "commit": sha, "size": len(ids), "queue_ids": ids,
                       "wait_ms": merging - prev_end, "merge_ms": gating - merging, "gate_ms": gate_end - gating,
                       "gate_runs": len(mine), "land_ms": landed - gate_end, "landed_at_ms": round(landed - t0),
                       "last_submit_at_ms": submitted_last - round(t0)})
        prev_end = landed

    wall = t_end - t0
    states_seen = {}
    for e in ev:
        if e["kind"] == "queue.state":
            states_seen[e.get("state")] = states_seen.get(e.get("state"), 0) + 1
    other = {}
    for e in ev:
        if e["kind"].startswith(("queue.", "gate.", "target.")) and e["kind"] not in (
                "queue.submitted", "queue.state", "queue.landed", "gate.started", "gate.finished"):
            other[e["kind"]] = other.get(e["kind"], 0) + 1
    exit_s = hub.close()
    rec = {"label": "mode", "mode": label, "batch_size": batch_size, "changes": a.changes, "pool": a.pool,
           "gate_s": a.gate_s, "batch_wait_ms": a.batch_wait_ms, "parallel_gates": a.parallel_gates,
           "seconds": round(wall / 1e3, 3), "landed_per_min": round(a.changes / (wall / 6e4), 1),
           "driver_seen_seconds": round((seen_ms - t0) / 1e3, 3),
           "submit_seconds": round((submitted - t0) / 1e3, 3), "submit_p50_ms": round(median(submit_ms), 2),
           "submit_max_ms": round(max(submit_ms), 2), "landings": len(landings),
           "batch_sizes": [len(ids) for ids in landings.values()],
           "gate_runs": len(finished), "gate_runs_cached": cached_runs, "gate_retries": attempts2,
           "gate_outcomes": outcomes, "gate_seconds": round(gate_union / 1e3, 3),
           "gate_run_p50_ms": median(gate_lengths), "gate_run_max_ms": max(gate_lengths, default=None),
           "overhead_seconds": round((wall - gate_union) / 1e3, 3),
           "overhead_per_landing_ms": round((wall - gate_union) / len(landings), 1),
           "phase_p50_ms": {k: median([p[k] for p in phases]) for k in ("wait_ms", "merge_ms", "gate_ms", "land_ms")},
           "landing_phases": phases, "queue_state_events": states_seen, "other_events": other,
           "worktree_follows_main": worktree_follows, "pool_full_before": pool_full,
           "spawn_seconds": round(spawn_s, 2), "commit_seconds": round(commit_s, 2),
           "loadavg_start": load0, "loadavg_end": load1,
           "hub_exit_seconds": round(exit_s, 2) if exit_s is not None else None,
           "checks": f"{a.changes} landed, none rejected; main's first-parent history since the start = the "
                     f"{len(landings)} landing commits (parents: previous, then the batch's heads); "
                     f"{a.changes} files added with their content, nothing else"}
    log(f"{label}: {a.changes} landed in {wall / 1e3:.2f} s ({len(landings)} landings, batches "
        f"{rec['batch_sizes']}), gates {gate_union / 1e3:.2f} s, overhead {(wall - gate_union) / 1e3:.2f} s")
    return rec


def run(a):
    repo = os.path.abspath(a.repo)
    start = git(repo, "rev-parse", "main^{commit}")
    sizes = [int(x) for x in a.batch_sizes.split(",")]
    recs = []
    try:
        for b in sizes:
            rec = measure(a, repo, start, b)
            emit(rec)
            recs.append(rec)
    except Unsupported as e:
        log(str(e) + "; skipping")
        sys.exit(2)
    finally:
        end_children()
        clean(repo, start)
    base = next((r for r in recs if r["batch_size"] == 1), None)
    if base:
        emit({"label": "ratios", "baseline": base["mode"], "throughput_vs_one_by_one":
              {r["mode"]: round(base["seconds"] / r["seconds"], 2) for r in recs if r is not base}})


# ---- report -------------------------------------------------------------------------------------------------------

def s(x):
    return "—" if x is None else f"{x:.2f}"


def report(path):
    recs = [json.loads(line) for line in open(path) if line.strip()]
    ctx = next((r for r in recs if r["label"] == "context"), None)
    tools = next((r for r in recs if r["label"] == "tools"), None)
    modes = [r for r in recs if r["label"] == "mode"]
    ratios = next((r for r in recs if r["label"] == "ratios"), None)
    out = ["## Merge queue (landing throughput: batched vs one change at a time)", ""]
    if ctx:
        out.append(f"Measured {ctx['date']} on {ctx['cores']} cores (load average at start {ctx['loadavg']}), "
                   f"{ctx['mish']} at {ctx['commit']}.")
    if tools:
        out.append(" ".join(f"{k}: {v}." for k, v in tools.items() if k != "label"))
    if not modes:
        return out + ["", "No results."]
    m0 = modes[0]
    out += ["", f"{m0['changes']} sessions, each adding its own file and committing, submitted back to back; one "
            f"post-merge gate `sleep {m0['gate_s']:g}`; batch_wait_ms {m0['batch_wait_ms']}, parallel_gates "
            f"{m0['parallel_gates']}, pool {m0['pool']}. Time from the first hub/submit to the last queue.landed.", ""]
    out += ["| mode | batch_size | total s | changes landed / min | landings (batch sizes) | gate runs (cached) | "
            "gate time s | queue overhead s | overhead / landing ms |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in modes:
        sizes = ", ".join(str(x) for x in r["batch_sizes"]) if r["landings"] <= 8 else \
            f"{r['landings']} × {r['batch_sizes'][0]}" if len(set(r["batch_sizes"])) == 1 else \
            ", ".join(str(x) for x in r["batch_sizes"])
        out.append(f"| {r['mode']} | {r['batch_size']} | **{r['seconds']:.2f}** | {r['landed_per_min']:.1f} | "
                   f"{r['landings']} ({sizes}) | {r['gate_runs']} ({r['gate_runs_cached']}) | {r['gate_seconds']:.2f} | "
                   f"{r['overhead_seconds']:.2f} | {r['overhead_per_landing_ms']:.0f} |")
    if ratios:
        out += ["", "| throughput vs one-by-one | ratio | target |", "|---|---|---|"]
        for mode, x in ratios["throughput_vs_one_by_one"].items():
            target = f"≥ 4×: {'met' if x >= 4 else 'not met'}" if mode == "batched-8" else ""
            out.append(f"| {mode} / one-by-one | **{x:.2f}×** | {target} |")
    out += ["", "| each landing (p50 ms) | wait (previous landing or first submit → merging) | merging → gating | "
            "gating → gate finished | gate finished → landed | one gate run (started → finished), p50 / max |",
            "|---|---|---|---|---|---|"]
    for r in modes:
        p = r["phase_p50_ms"]
        out.append(f"| {r['mode']} | {p['wait_ms']:.0f} | {p['merge_ms']:.0f} | {p['gate_ms']:.0f} | "
                   f"{p['land_ms']:.0f} | {r['gate_run_p50_ms']:.0f} / {r['gate_run_max_ms']:.0f} |")
    out += [""]
    for r in modes:
        extra = []
        if r["gate_retries"]:
            extra.append(f"{r['gate_retries']} gate runs needed a second attempt")
        if r["other_events"]:
            extra.append("other events: " + ", ".join(f"{k} ×{v}" for k, v in r["other_events"].items()))
        if not r["worktree_follows_main"]:
            extra.append("the main worktree's files did not follow main")
        if not r["pool_full_before"]:
            extra.append("the pool was not full when the submits began")
        out.append(f"- {r['mode']}: submits took {r['submit_seconds']:.2f} s (p50 {r['submit_p50_ms']:.1f} ms, max "
                   f"{r['submit_max_ms']:.1f} ms); the driver saw the last landing at {r['driver_seen_seconds']:.2f} s; "
                   f"gate outcomes {r['gate_outcomes']}; load average {r['loadavg_start']:.1f} → "
                   f"{r['loadavg_end']:.1f}; hub exit {r['hub_exit_seconds']} s after its input closed"
                   + (f"; {'; '.join(extra)}" if extra else "") + ". Checked: " + r["checks"] + ".")
    out += ["", "Gate time is the union of the gate.started → gate.finished intervals (a gate's scratch-worktree "
            "checkout, its sandboxed server and the command); the queue overhead is the rest of the wall time "
            "(batch wait, in-memory merge and commit, journal, compare-and-swap, the main worktree following, "
            "submits still arriving)."]
    return out


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--mish", required=True)
    r.add_argument("--repo", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--batch-sizes", default="1,8,32")
    r.add_argument("--changes", type=int, default=32)
    r.add_argument("--pool", type=int, default=4)
    r.add_argument("--gate-s", type=float, default=1)
    r.add_argument("--batch-wait-ms", type=int, default=500)
    r.add_argument("--parallel-gates", type=int, default=2)
    r.add_argument("--timeout-s", type=float, default=900)
    p = sub.add_parser("report")
    p.add_argument("results")
    c = sub.add_parser("clean")
    c.add_argument("--repo", required=True)
    c.add_argument("--start")
    a = ap.parse_args()
    if a.cmd == "run":
        if a.changes > 100:
            fail("--changes is at most 100 (file_NN.txt)")
        run(a)
    elif a.cmd == "report":
        print("\n".join(report(a.results)))
    else:
        clean(os.path.abspath(a.repo), a.start)


if __name__ == "__main__":
    main()
