#!/usr/bin/env python3
"""Turns a benchmark's raw JSON lines (rtclient's summaries plus context lines) into a Markdown table with ratios.

    summarize.py rpc|grep|edit|exec|git|hub RESULTS.jsonl

When a label/phase was measured in several rounds, each figure is the median over the rounds.
"""

import json
import statistics
import sys

FIELDS = ("p50_ms", "p99_ms", "mean_ms", "min_ms", "max_ms", "calls_per_s", "reply_bytes")


def load(path):
    context, groups = {}, {}
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        rec = json.loads(line)
        if "phase" not in rec:
            context.setdefault(rec["label"], []).append(rec)
            continue
        groups.setdefault((rec["label"], rec["phase"]), []).append(rec)
    merged = {}
    for key, recs in groups.items():
        m = {f: statistics.median(r[f] for r in recs) for f in FIELDS if f in recs[0]}
        m["n"] = recs[0]["n"]
        m["rounds"] = len(recs)
        m["samples_ms"] = [s for r in recs for s in r.get("samples_ms", [])]
        merged[key] = m
    return context, merged


def ms(x):
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "n/a"


def header(context):
    out = []
    for c in context.get("context", [])[:1]:
        out.append(f"Measured {c['date']} on {c['cores']} cores (load average at start {c['loadavg']}), "
                   f"{c['mish']} at {c['commit']}.")
    for c in context.get("peer-info", [])[:1]:
        out.append(f"Peer: {c['package']} (MCP Python SDK {c['mcp_sdk']}).")
    for c in context.get("tools", [])[:1]:
        out.append(" ".join(f"{k}: {v}." for k, v in c.items() if k != "label"))
    return out


def rpc(context, m):
    lines = ["## RPC round trip (tools/call, 4 KB file)", ""] + header(context) + [""]
    lines += ["| server | layout | phase | n × rounds | p50 ms | p99 ms | mean ms | calls/s | reply bytes |",
              "|---|---|---|---|---|---|---|---|---|"]
    layouts = (("", "spread"), ("@split", "split"), ("@1core", "1 core"))
    for suffix, layout in layouts:
        for label in ("floor", "work", "mish", "peer"):
            for phase in ("sequential", "concurrent"):
                r = m.get((label + suffix, phase))
                if r:
                    lines.append(f"| {label} | {layout} | {phase} | {r['n']} × {r['rounds']} | {ms(r['p50_ms'])} | "
                                 f"{ms(r['p99_ms'])} | {ms(r['mean_ms'])} | {r['calls_per_s']:.0f} | "
                                 f"{r['reply_bytes']:.0f} |")
    lines += ["", "| ratio | layout | sequential p50 | sequential mean | 8-way p50 | 8-way calls/s |",
              "|---|---|---|---|---|---|"]
    for suffix, layout in layouts:
        for name, num, den in (("mish / floor (target ≤ 1.5×)", "mish", "floor"),
                               ("mish / work floor (same work in C)", "mish", "work"), ("peer / mish", "peer", "mish")):
            a, b = m.get((num + suffix, "sequential")), m.get((den + suffix, "sequential"))
            ac, bc = m.get((num + suffix, "concurrent")), m.get((den + suffix, "concurrent"))
            if not (a and b and ac and bc):
                continue
            # Throughput is inverted (den/num) so every column reads "how many times slower num is than den".
            lines.append(f"| {name} | {layout} | {ratio(a['p50_ms'], b['p50_ms'])} | "
                         f"{ratio(a['mean_ms'], b['mean_ms'])} | {ratio(ac['p50_ms'], bc['p50_ms'])} | "
                         f"{ratio(bc['calls_per_s'], ac['calls_per_s'])} |")
    lines += ["", "Every ratio reads as “times slower”: for calls/s it is the denominator's rate over the "
              "numerator's. Layouts: “spread”, placement left to the scheduler (the floor is bimodal there: same "
              "core or not); “split”, client on core 0 and server on core 1 (every round trip crosses cores); "
              "“1 core”, both on core 0. The work floor (work) is a small C server doing mish's fs_read work per "
              "call (openat2, fstat, read, SHA-256, line facts, escaping) and sending a byte-identical reply, so "
              "mish / work floor shows what mish adds beyond the work itself."]
    return lines


def grep(context, m):
    lines = ["## Grep (generated tree, warm cache, median of the timed runs)", ""] + header(context) + [""]
    lines += ["| search | rg ms | mish fs/grep ms | mish / rg (target ≤ 1.5×) | matches |", "|---|---|---|---|---|"]
    for kind in ("literal", "regex"):
        rg, mi = m.get((f"rg-{kind}", "exec")), m.get((f"mish-{kind}", "sequential"))
        count = next((c.get("matches") for c in context.get(f"check-{kind}", [])), "?")
        if rg and mi:
            lines.append(f"| {kind} | {ms(rg['p50_ms'])} | {ms(mi['p50_ms'])} | {ratio(mi['p50_ms'], rg['p50_ms'])} | "
                         f"{count} |")
    lines += ["", "Runs (ms):", ""]
    for (label, phase), r in sorted(m.items()):
        lines.append(f"- {label}: " + ", ".join(ms(s) for s in r["samples_ms"]))
    return lines


def edit(context, m):
    lines = ["## Edit (10 MB file, one unique replacement near the middle, median of the timed runs)", ""]
    lines += header(context) + [""]
    mi = m.get(("mish-fs-edit", "sequential"))
    lines += ["| editor | median ms | p99 ms | min ms | vs mish |", "|---|---|---|---|---|"]
    order = ("mish-fs-edit", "sed-i", "python-replace-write", "python-replace-atomic-fsync")
    for label in order:
        r = next((v for (lb, _), v in m.items() if lb == label), None)
        if r:
            rel = ratio(r["p50_ms"], mi["p50_ms"]) if mi else "n/a"
            lines.append(f"| {label} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {ms(r['min_ms'])} | {rel} |")
    if mi:
        lines += ["", f"Target: mish fs/edit ≤ 50 ms; measured median {ms(mi['p50_ms'])} ms."]
    lines += ["", "Runs (ms):", ""]
    for (label, phase), r in sorted(m.items()):
        lines.append(f"- {label}: " + ", ".join(ms(s) for s in r["samples_ms"]))
    return lines


def exec_(context, m):
    lines = ["## Exec (launching /bin/true; memory while a command prints a lot)", ""] + header(context) + [""]
    for c in context.get("layers-mish", []) + context.get("layers-mish-none", []):
        lines.append(f"Profile {c['profile']}: enforced {', '.join(c['enforced']) or 'nothing'}; "
                     f"off {', '.join(c['off']) or 'nothing'}.")
    rows = (("bare", "exec", "bare posix_spawn + waitpid (floor)"),
            ("mish", "sequential", "mish exec/run, profile workspace-write (round trip)"),
            ("mish-none", "sequential", "mish exec/run, profile none (round trip)"),
            ("bwrap", "exec", "bwrap --unshare-all … --cap-drop ALL (whole command)"),
            ("mish-fs-read", "sequential", "mish tools/call fs_read, 3-byte file (no launch)"))
    lines += ["", "| launcher | n × rounds | p50 ms | p99 ms | mean ms | min ms |", "|---|---|---|---|---|---|"]
    for label, phase, name in rows:
        r = m.get((label, phase))
        if r:
            lines.append(f"| {name} | {r['n']} × {r['rounds']} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | "
                         f"{ms(r['mean_ms'])} | {ms(r['min_ms'])} |")
    get = {label: m.get((label, phase)) for label, phase, _ in rows}
    if all(get.values()):
        def diff(*terms):  # terms: (sign, label); the figure for p50 and for mean
            return [sum(sign * get[label][f] for sign, label in terms) for f in ("p50_ms", "mean_ms")]
        mish, bwrap, rpc = get["mish"], get["bwrap"], get["mish-fs-read"]
        lines += ["", "| comparison | p50 | mean | target |", "|---|---|---|---|"]
        for name, (a, b), target in (
                ("mish − bare", diff((1, "mish"), (-1, "bare")), "**≤ 2 ms**"),
                ("mish − fs_read round trip − bare (launch alone over the floor)",
                 diff((1, "mish"), (-1, "mish-fs-read"), (-1, "bare")), ""),
                ("mish − mish profile none (the sandbox layers)", diff((1, "mish"), (-1, "mish-none")), ""),
                ("mish profile none − fs_read round trip − bare (launcher without layers)",
                 diff((1, "mish-none"), (-1, "mish-fs-read"), (-1, "bare")), "")):
            lines.append(f"| {name} | {a:+.2f} ms | {b:+.2f} ms | {target} |")
        lines.append(f"| mish / bwrap | {ratio(mish['p50_ms'], bwrap['p50_ms'])} | "
                     f"{ratio(mish['mean_ms'], bwrap['mean_ms'])} | **≤ 0.3×** |")
        lines.append(f"| (mish − fs_read round trip) / bwrap | "
                     f"{ratio(mish['p50_ms'] - rpc['p50_ms'], bwrap['p50_ms'])} | "
                     f"{ratio(mish['mean_ms'] - rpc['mean_ms'], bwrap['mean_ms'])} | |")
    mem = [c for k in ("mem-mish", "mem-python") for c in context.get(k, [])]
    if mem:
        mb = lambda kb: f"{kb / 1024:.1f}"
        lines += ["", f"Memory while `{mem[0]['command']}` runs (VmRSS sampled every 50 ms; MB):", "",
                  "| process | before | max during | after | growth (max − before) | VmHWM | samples | wall s | "
                  "stdout bytes | kept in the result |", "|---|---|---|---|---|---|---|---|---|---|"]
        names = {"mem-mish": "mish server, exec/run (workspace-write)",
                 "mem-python": "Python, subprocess.run(capture_output=True)"}
        for c in mem:
            kept = f"{c['kept_bytes']:,} bytes" + (" (truncated: true)" if c["truncated"] else "")
            lines.append(f"| {names[c['label']]} | {mb(c['rss_before_kb'])} | {mb(c['rss_max_kb'])} | "
                         f"{mb(c['rss_after_kb'])} | **{mb(c['rss_max_kb'] - c['rss_before_kb'])}** | "
                         f"{mb(c['hwm_kb'])} | {c['n_samples']} | {c['seconds']:.1f} | {c['stdout_bytes']:,} | "
                         f"{kept} |")
        lines += ["", "Target: mish flat (its growth a few MB at most, whatever the output size). “after” is 0.5 s "
                  "after the result (Python: after dropping it); VmHWM is the kernel's peak since the process "
                  "started, so it also catches a peak between samples."]
    lines += ["", "The mish launch figures are client round trips: they include the JSON-RPC round trip, which the "
              "fs_read row measures alone. bare and bwrap are timed from spawn to exit by the same client."]
    return lines


def git(context, m):
    def ratio(a, b):  # the warm status ratios are far from 1 either way: keep two significant digits
        if not b:
            return "n/a"
        x = a / b
        return f"{x:.0f}×" if x >= 100 else f"{x:.2f}×" if x >= 0.1 else f"{x:.2g}×"

    lines = ["## Git (status and diff on a generated repository, warm cache)", ""] + header(context) + [""]
    rows = (("cli-status", "exec", "`git status --porcelain=v2` (whole command)"),
            ("mish-status-first", "sequential", "mish git/status, first call on a new server (full status)"),
            ("mish-status", "sequential", "mish git/status (native, running server)"),
            ("mish-mcp-status", "sequential", "mish tools/call git_status"),
            ("peer-status", "sequential", "peer tools/call git_status"),
            ("cli-diff", "exec", "`git diff` (whole command)"),
            ("mish-diff", "sequential", "mish git/diff, full patches (native)"),
            ("mish-mcp-diff", "sequential", "mish tools/call git_diff"),
            ("peer-diff", "sequential", "peer tools/call git_diff_unstaged"))
    states = (("clean", "clean"), ("dirty", "100 changes"))
    lines += ["| state | tool | n × rounds | p50 ms | p99 ms | mean ms | min ms | reply bytes |",
              "|---|---|---|---|---|---|---|---|"]
    for state, state_name in states:
        for label, phase, name in rows:
            r = m.get((f"{label}-{state}", phase))
            if r:
                size = f"{r['reply_bytes']:.0f}" if phase != "exec" else "—"
                lines.append(f"| {state_name} | {name} | {r['n']} × {r['rounds']} | {ms(r['p50_ms'])} | "
                             f"{ms(r['p99_ms'])} | {ms(r['mean_ms'])} | {ms(r['min_ms'])} | {size} |")
    lines += ["", "| ratio | state | p50 | mean | target |", "|---|---|---|---|---|"]
    for name, num, den, target in (("mish git/status (warm) / git status --porcelain=v2", "mish-status", "cli-status",
                                    "**≤ 1.0×**"),
                                   ("mish git/status first call / git status --porcelain=v2",
                                    "mish-status-first", "cli-status", ""),
                                   ("mish git/diff / git diff", "mish-diff", "cli-diff", ""),
                                   ("peer git_status / mish git_status (tools/call, warm)", "peer-status",
                                    "mish-mcp-status", ""),
                                   ("peer git_status / mish git/status first call", "peer-status",
                                    "mish-status-first", ""),
                                   ("peer git_diff_unstaged / mish git_diff (tools/call)", "peer-diff",
                                    "mish-mcp-diff", "")):
        for state, state_name in states:
            a = m.get((f"{num}-{state}", "sequential"))
            b = m.get((f"{den}-{state}", "exec" if den.startswith("cli") else "sequential"))
            if a and b:
                lines.append(f"| {name} | {state_name} | {ratio(a['p50_ms'], b['p50_ms'])} | "
                             f"{ratio(a['mean_ms'], b['mean_ms'])} | {target} |")
    checks = []
    for c in context.get("check-clean", []) + context.get("check-dirty", []):
        state = "clean" if c["label"] == "check-clean" else "100 changes"
        checks.append(f"{state}: {c['status_entries']} status entries, {c['diff_files']} diff files "
                      f"(+{c['additions']} −{c['deletions']} lines, {c['cli_diff_bytes']:,} bytes of `git diff`)")
    for c in context.get("changes", [])[:1]:
        e = c["expect"]
        lines += ["", f"The changes: {e['modified']} files modified (one line replaced, one inserted), "
                  f"{e['deleted']} deleted, {e['untracked']} new untracked files; nothing staged."]
    if checks:
        peer = all(c.get("peer_checked") for c in context.get("check-clean", []) + context.get("check-dirty", []))
        lines += ["", "Answers checked (mish, native and tools/call, against the git CLI"
                  + ("; the peer's diff headers too" if peer else "") + "): " + "; ".join(checks) + "."]
    for c in context.get("peer-skip", [])[:1]:
        lines += ["", f"Peer skipped: {c['reason']}"]
    lines += ["", "The CLI figures are whole commands (fork to exit, output to a file); mish and the peer are client "
              "round trips on a server already running, so they include the JSON-RPC round trip. The peer runs "
              "`git status` (long format) and `git diff` through GitPython. mish keeps what git/status learned and "
              "watches the work tree with inotify, so a warm call recomputes only directories that changed (none "
              "here); the first call on a new server is the full status (median over the rounds, one call each)."]
    return lines


def hub(context, m):
    lines = ["## Hub (spawn to ready, routing overhead under load, memory per idle session)", ""] + header(context)
    one = lambda label: next(iter(context.get(label, [])), None)
    fill = one("pool-fill")
    if fill:
        lines += ["", f"The pool of {fill['trees']} worktrees filled in {fill['seconds']:.1f} s after the hub started "
                  f"(per worktree: {', '.join(f'{x:.1f}' for x in fill['per_tree_s'])} s)."]
    lines += ["", "| spawn | n | p50 ms | max ms | min ms | request → session.spawned (p50) | → session.ready | "
              "→ reply |",
              "|---|---|---|---|---|---|---|---|"]
    rows = (("spawn-pool", "spawn", "mish hub/spawn, pool full (from the pool)"),
            ("spawn-pool-empty", "spawn", "mish hub/spawn, pool empty"),
            ("spawn-back-to-back", "spawn", "mish hub/spawn, back to back (from the pool, refill running)"),
            ("cli-worktree-add", "exec", "`git worktree add -b BRANCH PATH COMMIT` (whole command)"),
            ("hub-refill", "refill", "the hub's pool refill after each pool-full spawn (in the background)"))
    for label, phase, name in rows:
        r = m.get((label, phase))
        if not r:
            continue
        split = next((x for x in context.get("spawn-split", []) if x["group"] == label), {})
        lines.append(f"| {name} | {r['n']} | {ms(r['p50_ms'])} | {ms(r['max_ms'])} | {ms(r['min_ms'])} | "
                     + " | ".join(f"{ms(split[k])}" if k in split else "—" for k in
                                  ("request_to_spawned_ms", "spawned_to_ready_ms", "ready_to_reply_ms")) + " |")
    pool, cli = m.get(("spawn-pool", "spawn")), m.get(("cli-worktree-add", "exec"))
    if pool and cli:
        met = "met" if pool["max_ms"] <= 50 else "met at p50, not at max" if pool["p50_ms"] <= 50 else "not met"
        lines += ["", "| ratio | p50 | max | target |", "|---|---|---|---|",
                  f"| mish hub/spawn from the pool / git worktree add | {ratio(pool['p50_ms'], cli['p50_ms'])} | "
                  f"{ratio(pool['max_ms'], cli['max_ms'])} | ≤ 50 ms from the pool: {ms(pool['p50_ms'])} ms p50, "
                  f"{ms(pool['max_ms'])} ms max ({met}) |"]
        refill = m.get(("hub-refill", "refill"))
        if refill:
            lines.append(f"| the hub's own refill (its checkout) / git worktree add | "
                         f"{ratio(refill['p50_ms'], cli['p50_ms'])} | {ratio(refill['max_ms'], cli['max_ms'])} | |")
    if not m.get(("spawn-pool-empty", "spawn")):
        lines += ["", "No spawn found the pool empty (session.ready's from_pool was true for every one)."]
    short = {"spawn-pool": "pool full", "spawn-pool-empty": "pool empty", "spawn-back-to-back": "back to back",
             "cli-worktree-add": "git worktree add", "hub-refill": "the hub's refill"}
    lines += ["", "Each spawn (ms, in order): " + "; ".join(
        f"{short[label]}: " + ", ".join(ms(x) for x in m[(label, phase)]["samples_ms"])
        for label, phase, _ in rows if (label, phase) in m) + "."]
    chk = one("check-spawn")
    if chk:
        lines += ["", f"Checked: {chk['sessions']} spawn replies with state ready and branch mish/<id>; hub/sessions "
                  f"lists them ready with a pid; git lists each worktree locked, on refs/heads/mish/<id> at the base "
                  f"{chk['base'][:12]} ({chk['worktrees']} worktrees with the pool's; about {chk['disk_used_gb']} GB "
                  "of disk for them)."]
    wait = one("pool-refill-wait")
    if wait:
        lines += ["", f"Before the memory and routing measurements the driver waited {wait['seconds']:.1f} s for the pool to "
                  "be full again (the refills after the back-to-back spawns), so neither is measured beside a checkout."]

    lines += ["", "| fs/read of a 4 KB file | state | n × rounds | p50 ms | p99 ms | mean ms | max ms |",
              "|---|---|---|---|---|---|---|"]
    names = {"hub-call": "hub/call → the session's server", "direct": "direct: `mish serve --root WORKTREE` of its own"}
    for phase in ("idle", "load"):
        for label in ("hub-call", "direct"):
            r = m.get((label, phase))
            if r:
                lines.append(f"| {names[label]} | {phase} | {r['n']} × {r['rounds']} | {ms(r['p50_ms'])} | "
                             f"{ms(r['p99_ms'])} | {ms(r['mean_ms'])} | {ms(r['max_ms'])} |")
    lines += ["", "| hub/call − direct | p50 | p99 | mean | target |", "|---|---|---|---|---|"]
    for phase in ("idle", "load"):
        h, d = m.get(("hub-call", phase)), m.get(("direct", phase))
        if h and d:
            target = f"hub/call p99 ≤ 5 ms: {ms(h['p99_ms'])} ms ({'met' if h['p99_ms'] <= 5 else 'not met'})" \
                if phase == "load" else ""
            lines.append(f"| {phase} | {h['p50_ms'] - d['p50_ms']:+.3f} ms | {h['p99_ms'] - d['p99_ms']:+.3f} ms | "
                         f"{h['mean_ms'] - d['mean_ms']:+.3f} ms | {target} |")
    ld = one("load")
    if ld:
        gap = f"the next sent {ld['gap_ms']:g} ms after each reply" if ld["gap_ms"] else "the next sent on each reply"
        lines += ["", f"Load: {ld['sessions']} sessions, each with one fs/read of a {ld['load_file_bytes']:,}-byte file "
                  f"in flight at all times through the hub's socket ({gap}): {ld['calls_per_s']:,.0f} calls/s over "
                  f"{ld['seconds']:.0f} s, p50 {ms(ld['p50_ms'])} ms, p99 {ms(ld['p99_ms'])} ms, max "
                  f"{ms(ld['max_ms'])} ms as the load generator saw them; CPU {ld['cpu_busy_pct']:.0f} % busy "
                  f"({ld['cores']} cores) while measuring; load average {ld['loadavg_start']:.1f} → "
                  f"{ld['loadavg_end']:.1f}."]
        cpu, secs = ld.get("cpu_seconds"), ld.get("measure_seconds")
        h = m.get(("hub-call", "load"))
        if cpu and secs and h:
            routed = ld["calls_per_s"] * secs + h["n"] * h["rounds"]
            lines[-1] += (f" CPU time over the {secs:.1f} s measured: " + ", ".join(
                f"{k.replace('_', ' ')} {v:.1f} s" for k, v in cpu.items()) + f"; about {routed:,.0f} calls went "
                f"through the hub, {cpu['hub'] / routed * 1e6:.0f} µs of hub CPU and "
                f"{cpu['sessions'] / routed * 1e6:.0f} µs of session-server CPU per call.")

    mem = context.get("mem-idle", []) + context.get("mem-after-load", [])
    if mem:
        mb = lambda kb: f"{kb / 1024:.1f}"
        lines += ["", "| memory (MB) | sessions | VmRSS per session, mean | max | min | its RssAnon, mean | its PSS, "
                  "mean | processes under the servers | hub VmRSS | hub RssAnon | hub threads |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for c in mem:
            when = "idle (only spawned)" if c["label"] == "mem-idle" else "after the load"
            under = str(c["descendants"]) + (f" ({', '.join(f'{k} ×{v}' for k, v in c['descendant_names'].items())})"
                                             if c["descendants"] else "")
            lines.append(f"| {when} | {c['sessions']} | **{mb(c['mean_kb'])}** | {mb(c['max_kb'])} | "
                         f"{mb(c['min_kb'])} | {mb(c['anon_mean_kb'])} | {mb(c['pss_mean_kb'])} | {under} | "
                         f"{mb(c['hub_kb'])} (peak {mb(c['hub_hwm_kb'])}) | {mb(c['hub_anon_kb'])} | "
                         f"{c['hub_threads']} |")
        idle = next((c for c in mem if c["label"] == "mem-idle"), None)
        if idle:
            lines += ["", f"Target ≤ 15 MB per idle session: mean {mb(idle['mean_kb'])} MB, max {mb(idle['max_kb'])} MB "
                      f"({'met' if idle['max_kb'] <= 15 * 1024 else 'not met'}). Each figure sums over the "
                      "session's `mish serve` and every process under it. VmRSS counts the pages of the mish binary "
                      "and shared libraries in every session; RssAnon is what each process allocated itself; PSS "
                      "divides shared pages among the processes that map them."]
    ex = one("hub-exit")
    if ex:
        lines += ["", f"The hub exited {ex['seconds']} s after its input closed" if not ex["killed"]
                  else "The hub did not exit within 60 s of its input closing (killed)."]
        lines[-1] += "."
    lines += ["", "Spawn times are client round trips of hub/spawn on the hub's stdio; the split comes from the hub's "
              "own events (ms clock). The CLI figure is the whole `git worktree add` (a full checkout); a spawn from "
              "the pool only moves a prepared worktree's HEAD to a new branch and starts its server."]
    return lines


def main():
    kind, path = sys.argv[1], sys.argv[2]
    context, merged = load(path)
    print("\n".join({"rpc": rpc, "grep": grep, "edit": edit, "exec": exec_, "git": git, "hub": hub}[kind](context, merged)))


if __name__ == "__main__":
    main()
