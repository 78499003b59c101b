#!/usr/bin/env python3
"""The hub benchmark's driver (bench/hub/run.sh): spawn to ready, routing overhead under load, memory per session.

    hubbench.py --mish MISH --repo REPO --rtclient RTCLIENT --f4k FILE --out DIR [--pool 4] [--spawns 8]
                [--sessions 64] [--n 1000] [--rounds 3] [--warmup 50] [--gap-ms 0] [--idle-s 5]

Starts `mish hub --repo REPO --pool POOL` on pipes and speaks native JSON-RPC to it, one request at a time (each
timed with time.perf_counter_ns from writing the request line to reading its reply line). Prints JSON lines on
stdout (rtclient's summary format where a figure has samples, so src/summarize.py reads them), in order:

1. Spawn to ready. Waits until the hub's events show the pool full (pool.prepared, less the trees spawns took).
   Then SPAWNS times: `sync`, hub/spawn timed to its reply; the pool is left to refill (events again); `sync`, the
   git CLI peer `git -C REPO worktree add -b bench-peer-I PATH COMMIT` timed as a whole process by rtclient --exec
   (a fresh branch each time, same base commit; kept until the caller's clean-up). The hub's own refill after each
   of these spawns (session.ready → the next pool.prepared) is recorded too. Then hub/spawn back to back, without
   waiting for the pool, up to SESSIONS sessions. Each spawn is split with the hub's own event times (request →
   session.spawned → session.ready → reply) and classed by session.ready's from_pool.
2. Checks: every spawn reply had state ready and branch mish/<id>; hub/sessions lists them all ready with a pid;
   each worktree exists, its HEAD is refs/heads/mish/<id> at the base commit, and git lists it locked.
3. Memory: after IDLE_S seconds with nothing sent, VmRSS of each session's `mish serve` and every process under it
   (from /proc), and the hub's own.
4. Routing: FILE copied into the first session's worktree as f4k.txt; a `mish serve --root THAT_WORKTREE` of its
   own is the direct peer. ROUNDS × (N hub/call {session_id, method: fs/read, params: {path: f4k.txt}} and N
   fs/read {path: f4k.txt} on the peer, alternating which goes first), every reply's content compared with the
   file: first with nothing else running ("idle"), then with src/hubload.py keeping every session busy through
   the hub's socket ("load"; the machine's CPU use over the phase is recorded). Memory again after the load.
5. The hub's input is closed; how long it takes to exit is recorded.
The caller removes the worktrees and branches (bench/hub/run.sh).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from hubclient import PROCS, Hub, Peer, end_children

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print(f"[bench] hub: {msg}", file=sys.stderr, flush=True)


def summary(label, phase, samples, wall_ms=None, reply_bytes=0, with_samples=False, **extra):
    """rtclient's summary line: p50 (median), p99 (nearest rank), mean, min, max."""
    s = sorted(samples)
    n = len(s)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    rec = {"label": label, "phase": phase, "n": n, "concurrency": 1, "p50_ms": round(median, 4),
           "p99_ms": round(s[max(0, -(-n * 99 // 100) - 1)], 4), "mean_ms": round(sum(s) / n, 4),
           "min_ms": round(s[0], 4), "max_ms": round(s[-1], 4),
           "calls_per_s": round(n / (wall_ms / 1e3), 1) if wall_ms else 0.0, "reply_bytes": reply_bytes}
    if with_samples:
        rec["samples_ms"] = [round(x, 3) for x in samples]
    rec.update(extra)
    return rec


def emit(rec):
    print(json.dumps(rec), flush=True)


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout.strip()


def proc_status(pid):
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields


def kb(fields, key):
    return int(fields.get(key, "0 kB").split()[0])


def children_map():
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree(pid, kids):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def memory(label, hub, sessions):
    """Per session, over its server and everything under it: VmRSS (the figure), its anonymous part (RssAnon: what
    the process itself allocated; the rest is mapped files such as the mish binary and libraries, shared between
    sessions) and PSS (shared pages divided among their users). The hub's own VmRSS. kB."""
    kids = children_map()
    rss, anon, pss, descendants, names = [], [], [], 0, {}
    for s in sessions:
        r = a = p_ = 0
        for p in tree(s["pid"], kids):
            st = proc_status(p)
            if st is None:
                continue
            r += kb(st, "VmRSS")
            a += kb(st, "RssAnon")
            p_ += pss_kb(p)
            if p != s["pid"]:
                descendants += 1
                names[st.get("Name", "?")] = names.get(st.get("Name", "?"), 0) + 1
        rss.append(r)
        anon.append(a)
        pss.append(p_)
    hs = proc_status(hub.proc.pid)
    mean = lambda xs: round(sum(xs) / len(xs), 1)
    return {"label": label, "sessions": len(rss), "per_session_kb": rss, "mean_kb": mean(rss), "max_kb": max(rss),
            "min_kb": min(rss), "anon_mean_kb": mean(anon), "anon_max_kb": max(anon), "pss_mean_kb": mean(pss),
            "pss_max_kb": max(pss), "descendants": descendants, "descendant_names": names,
            "hub_kb": kb(hs, "VmRSS"), "hub_anon_kb": kb(hs, "RssAnon"), "hub_hwm_kb": kb(hs, "VmHWM"),
            "hub_threads": int(hs.get("Threads", "0"))}


def cpu_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return sum(v), idle


def disk_free(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mish", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--rtclient", required=True)
    ap.add_argument("--f4k", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pool", type=int, default=4)
    ap.add_argument("--spawns", type=int, default=8)
    ap.add_argument("--sessions", type=int, default=64)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--gap-ms", type=float, default=0)
    ap.add_argument("--idle-s", type=float, default=5)
    a = ap.parse_args()
    repo, out = a.repo, a.out
    base = git(repo, "rev-parse", "HEAD^{commit}")
    f4k = open(a.f4k, encoding="utf-8").read()

    free_before = disk_free(repo)
    try:
        bench(a, repo, out, base, f4k, free_before)
    finally:  # on failure too: end what was started (the hub stops its sessions' servers at the end of its input)
        end_children()


def bench(a, repo, out, base, f4k, free_before):
    # 0. The hub, its pool filled.
    hub = Hub([a.mish, "hub", "--repo", repo, "--pool", str(a.pool), "--log-level", "warning"],
              open(os.path.join(out, "hub-mish.stderr"), "w"))
    started = time.time()
    log(f"waiting for the pool ({a.pool} worktrees)")
    hub.wait_until(lambda: hub.pool_count() >= a.pool, f"{a.pool} pool.prepared events")
    times = [e["time_ms"] for e in hub.events if e["kind"] == "pool.prepared"]
    emit({"label": "pool-fill", "trees": len(times), "seconds": round(times[-1] / 1e3 - started, 2),
          "per_tree_s": [round((b - a_) / 1e3, 2) for a_, b in zip([started * 1e3] + times, times)]})

    # 1. Spawns.
    spawned, details = [], []
    cli_samples = []

    def spawn(i, mode):
        os.sync()  # neither side inherits the other's writeback
        sent_ms = time.time() * 1e3
        ms, msg, _ = hub.call("hub/spawn", {"task": f"bench {i}"})
        r = msg["result"]
        if r.get("state") != "ready" or r.get("branch") != "mish/" + r.get("session_id", "?"):
            sys.exit(f"hubbench: spawn {i}: {json.dumps(r)}")
        spawned.append(r)
        sid = r["session_id"]
        hub.wait_until(lambda: hub.event("session.ready", sid), f"session.ready for {sid}", 30)
        sp, rd = hub.event("session.spawned", sid), hub.event("session.ready", sid)
        d = {"label": "spawn-detail", "i": i, "mode": mode, "session_id": sid, "ms": round(ms, 3),
             "from_pool": rd.get("from_pool"), "request_to_spawned_ms": round(sp["time_ms"] - sent_ms, 1),
             "spawned_to_ready_ms": rd["time_ms"] - sp["time_ms"],
             "ready_to_reply_ms": round(sent_ms + ms - rd["time_ms"], 1)}
        details.append(d)
        emit(d)
        return d

    refills = []
    for i in range(a.spawns):
        hub.wait_until(lambda: hub.pool_count() >= a.pool, "a full pool")
        time.sleep(0.2)
        d = spawn(i, "pool-full")
        log(f"spawn {i + 1}/{a.spawns} (pool full): {d['ms']:.1f} ms, from_pool {d['from_pool']}")
        hub.wait_until(lambda: hub.pool_count() >= a.pool, "a full pool")  # the peer runs on a quiet hub
        ready = hub.event("session.ready", d["session_id"])
        refill = next(e for e in hub.events if e["kind"] == "pool.prepared" and e["seq"] > ready["seq"])
        refills.append(refill["time_ms"] - ready["time_ms"])  # the hub's own checkout, off the spawn's path
        os.sync()
        # The peer's worktrees stay until the end: deleting 100k files just before the next checkout slows it
        # on ext4 without a journal (inode allocation skips recently freed inodes; see the README).
        branch, peer_path = f"bench-peer-{i}", f"{out}/hub-peer-wt-{i}"
        res = subprocess.run([a.rtclient, "--label", "cli-worktree-add", "--exec", "1", "--warmup", "0",
                              "--out", os.path.join(out, "hub-cli-worktree-add.txt"), "--samples", "--",
                              "git", "-C", repo, "worktree", "add", "-b", branch, peer_path, base],
                             capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"hubbench: git worktree add: {res.stderr[-1000:]}")
        cli_samples += json.loads(res.stdout)["samples_ms"]
        if git(peer_path, "symbolic-ref", "HEAD") != "refs/heads/" + branch or git(peer_path, "rev-parse", "HEAD") != base:
            sys.exit(f"hubbench: the CLI's worktree {peer_path} is not on {branch} at {base}")
        log(f"git worktree add {i + 1}/{a.spawns}: {cli_samples[-1]:.1f} ms (the hub's refill: {refills[-1]} ms)")
    i = a.spawns
    while len(spawned) < a.sessions:
        d = spawn(i, "back-to-back")
        if i % 8 == 7 or len(spawned) == a.sessions:
            log(f"spawn {len(spawned)}/{a.sessions} (back to back): {d['ms']:.1f} ms, from_pool {d['from_pool']}")
        i += 1

    groups = (("spawn-pool", lambda d: d["mode"] == "pool-full" and d["from_pool"]),
              ("spawn-pool-empty", lambda d: not d["from_pool"]),
              ("spawn-back-to-back", lambda d: d["mode"] == "back-to-back" and d["from_pool"]))
    for label, pred in groups:
        ds = [d for d in details if pred(d)]
        if ds:
            emit(summary(label, "spawn", [d["ms"] for d in ds], with_samples=True))
            median = lambda key: sorted(d[key] for d in ds)[len(ds) // 2]  # the split's medians
            emit({"label": "spawn-split", "group": label, "request_to_spawned_ms": median("request_to_spawned_ms"),
                  "spawned_to_ready_ms": median("spawned_to_ready_ms"), "ready_to_reply_ms": median("ready_to_reply_ms")})
    emit(summary("cli-worktree-add", "exec", cli_samples, with_samples=True))
    emit(summary("hub-refill", "refill", refills, with_samples=True))

    # 2. Checks.
    _, msg, _ = hub.call("hub/sessions", {})
    listed = {s["session_id"]: s for s in msg["result"]["sessions"]}
    worktrees, cur = {}, None
    for line in git(repo, "worktree", "list", "--porcelain").split("\n"):
        if line.startswith("worktree "):
            cur = line[9:]
            worktrees[cur] = {}
        elif cur and line:
            key, _, value = line.partition(" ")
            worktrees[cur][key] = value
    for r in spawned:
        sid, wt = r["session_id"], r["worktree"]
        s = listed.get(sid)
        if not s or s["state"] != "ready" or not s.get("pid"):
            sys.exit(f"hubbench: hub/sessions says {json.dumps(s)} for {sid}")
        r["pid"] = s["pid"]
        w = worktrees.get(wt)
        if not os.path.isdir(wt) or not w or w.get("branch") != f"refs/heads/mish/{sid}" or w.get("HEAD") != base \
                or "locked" not in w or r["base"] != base:
            sys.exit(f"hubbench: {sid}: worktree {wt}: {json.dumps(w)} (expected refs/heads/mish/{sid} at {base}, "
                     "locked)")
        if git(wt, "symbolic-ref", "HEAD") != f"refs/heads/mish/{sid}":
            sys.exit(f"hubbench: {wt} is not on mish/{sid}")
    emit({"label": "check-spawn", "sessions": len(spawned), "ready": len(spawned), "base": base,
          "pooled_now": hub.pool_count(), "worktrees": len(worktrees) - 1,
          "disk_used_gb": round((free_before - disk_free(repo)) / 1e9, 1)})
    log(f"{len(spawned)} sessions ready on their branches")

    # 3. Memory, idle. First the pool's refills (checkouts of the whole tree, seconds each on a large repository)
    # finish, so neither the memory nor the routing below is measured beside a checkout the hub is still running.
    t = time.monotonic()
    hub.wait_until(lambda: hub.pool_count() >= a.pool, "a full pool before the memory and routing measurements")
    emit({"label": "pool-refill-wait", "seconds": round(time.monotonic() - t, 1)})
    log(f"the pool was full again after {time.monotonic() - t:.1f} s")
    time.sleep(a.idle_s)
    emit(memory("mem-idle", hub, spawned))

    # 4. Routing.
    target = spawned[0]
    sid, wt = target["session_id"], target["worktree"]
    shutil.copyfile(a.f4k, os.path.join(wt, "f4k.txt"))
    direct = Peer([a.mish, "serve", "--root", wt, "--log-level", "warning"],
                  open(os.path.join(out, "hub-direct.stderr"), "w"))
    hub_params = {"session_id": sid, "method": "fs/read", "params": {"path": "f4k.txt"}}

    def check(msg, who):
        r = msg["result"]
        if r.get("content") != f4k or r.get("truncated"):
            sys.exit(f"hubbench: {who} fs/read f4k.txt: the content differs from the file: {json.dumps(r)[:500]}")

    def run(who, phase, n, keep=True):
        samples, size = [], 0
        wall = time.perf_counter_ns()
        for _ in range(n):
            if who == "hub-call":
                ms, msg, size = hub.call("hub/call", hub_params)
            else:
                ms, msg, size = direct.call("fs/read", {"path": "f4k.txt"})
            check(msg, who)
            samples.append(ms)
        if keep:
            emit(summary(who, phase, samples, (time.perf_counter_ns() - wall) / 1e6, size))
        return samples

    def measure(phase):
        for who in ("hub-call", "direct"):
            run(who, phase, a.warmup, keep=False)
        for r in range(a.rounds):
            for who in (("hub-call", "direct") if r % 2 == 0 else ("direct", "hub-call")):
                s = run(who, phase, a.n)
                log(f"{phase} round {r + 1}/{a.rounds}: {who} p50 {sorted(s)[len(s) // 2]:.3f} ms")

    measure("idle")
    load_file = git(wt, "ls-files").split("\n")[0]
    load_size = os.path.getsize(os.path.join(wt, load_file))
    socket_path = os.path.join(repo, ".mish", "hub.sock")
    load = subprocess.Popen([sys.executable, os.path.join(HERE, "hubload.py"), socket_path, str(a.gap_ms), load_file,
                             str(load_size)] + [s["session_id"] for s in spawned],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    PROCS.append(load)
    if json.loads(load.stdout.readline() or "{}").get("ready") is not True:
        sys.exit(f"hubbench: the load generator did not start (exit status {load.wait()})")
    time.sleep(2)
    who = {"hub": [hub.proc.pid], "sessions": [s["pid"] for s in spawned], "load_generator": [load.pid],
           "direct": [direct.proc.pid], "driver": [os.getpid()]}
    ticks = lambda: {k: sum(cpu_ticks(p) for p in pids) for k, pids in who.items()}
    cpu0, load_avg0, ticks0 = cpu_times(), os.getloadavg(), ticks()
    measure("load")
    cpu1, ticks1 = cpu_times(), ticks()
    load.stdin.close()
    stats = json.loads(load.stdout.readline() or "{}")
    if load.wait() != 0 or not stats.get("calls"):
        sys.exit(f"hubbench: the load generator failed: {stats}")
    busy = 1 - (cpu1[1] - cpu0[1]) / (cpu1[0] - cpu0[0])
    hz = os.sysconf("SC_CLK_TCK")
    cpu_s = {k: round((ticks1[k] - ticks0[k]) / hz, 2) for k in ticks0}
    emit({"label": "load", "load_file": load_file, "load_file_bytes": load_size, "cpu_busy_pct": round(busy * 100, 1),
          "cores": os.cpu_count(), "loadavg_start": load_avg0[0], "loadavg_end": os.getloadavg()[0],
          "cpu_seconds": cpu_s, "measure_seconds": round((cpu1[0] - cpu0[0]) / hz / os.cpu_count(), 2), **stats})
    direct.close()
    time.sleep(1)
    emit(memory("mem-after-load", hub, spawned))

    # 5. The end of the hub's input.
    seconds = hub.close()
    emit({"label": "hub-exit", "seconds": round(seconds, 2) if seconds is not None else None,
          "killed": seconds is None})


if __name__ == "__main__":
    main()
