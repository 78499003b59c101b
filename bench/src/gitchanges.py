#!/usr/bin/env python3
"""Makes the git benchmark's "dirty" state: a deterministic set of changes to a clean work tree.

    gitchanges.py REPO [--modified 60] [--deleted 20] [--new 20] [--seed 1]

Picks files among the tracked ones (`git ls-files`, in its order) with a seeded generator: --modified of them get
one line replaced and one line inserted (+2 −1 each, and a different size, so a status sees it from the stat alone),
--deleted are removed, and --new untracked files are written beside some others (in directories that already hold
tracked files, so git's "normal" untracked mode lists each file, not a collapsed directory). Nothing is staged.
Prints the expected answers as JSON: status entries (porcelain v2 lines), diff files (numstat lines) and the diff's
line totals.
"""

import argparse
import json
import os
import random
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("--modified", type=int, default=60)
    ap.add_argument("--deleted", type=int, default=20)
    ap.add_argument("--new", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    tracked = subprocess.run(["git", "-C", args.repo, "ls-files", "-z"], check=True,
                             capture_output=True).stdout.decode().split("\0")
    tracked = [p for p in tracked if p]
    rng = random.Random(args.seed)
    picked = rng.sample(tracked, args.modified + args.deleted + args.new)
    modified = picked[:args.modified]
    deleted = picked[args.modified:args.modified + args.deleted]
    beside = picked[args.modified + args.deleted:]

    additions = deletions = 0
    for n, path in enumerate(modified):
        full = os.path.join(args.repo, path)
        lines = open(full, "rb").read().decode().split("\n")[:-1]
        at = rng.randrange(len(lines))
        lines[at] = f"    // changed by the git benchmark ({n}): {lines[at].strip()}"
        lines.insert(rng.randrange(len(lines) + 1), f"    // added by the git benchmark, change {n} of {args.seed}")
        with open(full, "wb") as f:
            f.write(("\n".join(lines) + "\n").encode())
        additions += 2
        deletions += 1
    for path in deleted:
        full = os.path.join(args.repo, path)
        deletions += sum(1 for _ in open(full, "rb"))
        os.remove(full)
    new_paths = []
    for n, path in enumerate(beside):
        new = os.path.join(os.path.dirname(path), f"untracked_{n:03d}.txt")
        with open(os.path.join(args.repo, new), "w") as f:
            f.write(f"a new file, not yet added ({n})\n" * (1 + rng.randrange(20)))
        new_paths.append(new)

    expect = {"status_entries": len(picked), "diff_files": len(modified) + len(deleted), "additions": additions,
              "deletions": deletions, "modified": len(modified), "deleted": len(deleted), "untracked": len(new_paths)}
    json.dump(expect, sys.stdout)
    print()


if __name__ == "__main__":
    main()
