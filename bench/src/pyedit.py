#!/usr/bin/env python3
"""The Python peer of the edit benchmark: str.replace on the whole file, then write it back, in one process.

    pyedit.py FILE OLD NEW RUNS WARMUP MODE        (MODE: write | atomic)

Each run reads the file, checks OLD occurs exactly once (as mish's fs/edit does), replaces it and writes the file;
the runs alternate OLD→NEW and NEW→OLD so every write changes the file. `write` rewrites in place (open "w");
`atomic` writes a temp file beside it, fsyncs it and renames it over the original (what fs/edit does). Prints one
summary line in rtclient's format; interpreter start-up is not timed (the peer is "already running").
"""

import json
import os
import statistics
import sys
import time


def edit(path, old, new, mode):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if text.count(old) != 1:
        sys.exit(f"pyedit: {old!r} does not occur exactly once in {path}")
    text = text.replace(old, new, 1)
    if mode == "write":
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        tmp = f"{path}.pyedit-tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def main():
    path, old, new, runs, warmup, mode = sys.argv[1:7]
    runs, warmup = int(runs), int(warmup)
    pairs = [(old, new), (new, old)]
    turn = 0
    for _ in range(warmup):
        edit(path, *pairs[turn % 2], mode)
        turn += 1
    samples = []
    t0 = time.perf_counter()
    for _ in range(runs):
        start = time.perf_counter()
        edit(path, *pairs[turn % 2], mode)
        samples.append((time.perf_counter() - start) * 1e3)
        turn += 1
    wall = (time.perf_counter() - t0) * 1e3
    ordered = sorted(samples)
    print(json.dumps({
        "label": f"python-replace-{'write' if mode == 'write' else 'atomic-fsync'}", "phase": "inprocess",
        "n": runs, "concurrency": 1, "p50_ms": statistics.median(samples),
        "p99_ms": ordered[max(0, -(-99 * runs // 100) - 1)], "mean_ms": statistics.fmean(samples),
        "min_ms": ordered[0], "max_ms": ordered[-1], "calls_per_s": runs / (wall / 1e3), "reply_bytes": 0,
        "samples_ms": [round(s, 4) for s in samples],
    }))


if __name__ == "__main__":
    main()
