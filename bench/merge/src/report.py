#!/usr/bin/env python3
"""The merge benchmark's table: reads bench/out/merge.jsonl (written by bench/merge/run.sh) and prints markdown.

Percentiles are nearest-rank (p90 of 30 samples is the 27th fastest). Exits 1 when the three merges did not write
the same tree, so a wrong merge is never reported as a fast one.
"""
import json
import math
import sys


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main(path):
    rows = {}
    for line in open(path):
        line = line.strip()
        if line:
            record = json.loads(line)
            rows[record["label"]] = record
    context, tools = rows["context"], rows["tools"]
    mish = rows["mish-inprocess"]["result"]
    mish_ms = mish["ms"]
    measures = [
        ("mish, in-process", "merge base + 3 trees + `MergeRepository.mergeTrees`, one repository handle "
         f"(`mish merge-tree --repeat {len(mish_ms)}`; first run {mish_ms[0]:.2f} ms)", mish_ms),
        ("mish, process", "`mish merge-tree A B`, fork to exit", rows["mish-process"]["samples_ms"]),
        ("mish, process start", "`mish --version`, fork to exit: the floor of the row above",
         rows["mish-version"]["samples_ms"]),
        ("git CLI, process", "`git merge-tree --write-tree A B`, fork to exit", rows["git-merge-tree"]["samples_ms"]),
        (f"libgit2 {rows['libgit2']['version']}, in-process",
         "`git_merge_commits` + `git_index_write_tree_to` (bench/merge/src/merge_libgit2.c)", rows["libgit2"]["ms"]),
    ]
    stats = {name: (percentile(s, 50), percentile(s, 90)) for name, _, s in measures}

    trees = {"mish": mish.get("tree"), "git": rows["git-tree"]["tree"], "libgit2": rows["libgit2"]["tree"],
             "mish (process)": rows["mish-process-tree"]["tree"]}
    agree = len(set(trees.values())) == 1 and None not in trees.values()

    out = ["## merge", ""]
    out.append(f"{context['date']}, {context['cores']} cores, load {context['loadavg']}, {context['mish']} "
               f"({context['commit']}), {tools['git']}; {tools['repository']}.")
    out.append("")
    out.append(f"Two branches off main: {tools['branches']}. mish read {mish['trees_visited']} trees and merged "
               f"{mish['files_merged']} file(s) line by line.")
    out.append("")
    out.append("| measure | what | n | p50 ms | p90 ms |")
    out.append("|---|---|---:|---:|---:|")
    for name, what, samples in measures:
        p50, p90 = stats[name]
        out.append(f"| {name} | {what} | {len(samples)} | {p50:.2f} | {p90:.2f} |")
    out.append("")
    mish_in, mish_proc = stats["mish, in-process"], stats["mish, process"]
    git_proc, lib = stats["git CLI, process"], stats[measures[4][0]]
    out.append("| ratio (p50) | value |")
    out.append("|---|---:|")
    out.append(f"| libgit2 in-process / mish in-process | {lib[0] / mish_in[0]:.0f}× |")
    out.append(f"| git CLI process / mish in-process (what the lander saves by not spawning git) | "
               f"{git_proc[0] / mish_in[0]:.1f}× |")
    out.append(f"| git CLI process / mish process | {git_proc[0] / mish_proc[0]:.2f}× |")
    out.append("")
    target = "met" if mish_in[1] <= 20 else "NOT met"
    start = stats["mish, process start"]
    out.append(f"Target mish ≤ 20 ms: {target} (in-process p90 {mish_in[1]:.2f} ms). A whole `mish merge-tree` "
               f"process takes {mish_proc[0]:.1f} ms (p50), {start[0]:.1f} ms of it the start of any mish process; "
               "the hub's lander merges in-process.")
    out.append("")
    if agree:
        out.append(f"Same tree from all three: `{trees['mish']}`.")
    else:
        out.append("**Trees differ:** " + ", ".join(f"{k} `{v}`" for k, v in trees.items()))
    print("\n".join(out))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
