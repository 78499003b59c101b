#!/usr/bin/env python3
"""Generates the grep benchmark's tree (and the git benchmark's files): deterministic for a given seed and size.

    gentree.py DIR [--files 100000] [--seed 1] [--rare 20] [--handlers 0.005] [--size 2048] [--mtime T]

FILES source-like files of about --size bytes (Rust, Python, Swift, C, Go flavours) in nested directories
(DIR/dNN/dNN/dNN/, 100 files a leaf), a rare literal (RARE_LITERAL below) in exactly --rare files, and lines
matching the regex `fn\\s+\\w+_handler` in about --handlers of the files (1 to 3 each). Nothing else in the tree
contains the literal or matches the regex, so both searches have a known answer, written to DIR/../<name>.expect.json.
With --mtime T every file's modification time is T (seconds since the epoch): the git benchmark sets one in the past,
so that no file is "racily clean" against the index git writes next and each status call costs the same.
"""

import argparse
import json
import os
import random
import sys

RARE_LITERAL = "qzx_needle_7f3a9"

WORDS = (
    "alpha beta gamma delta value index count buffer parse render state config node tree token stream reader writer "
    "cache entry table range offset length width height frame layer event queue task worker pool client server "
    "request response header body path name kind mode flag level scope block chunk slice window cursor limit total "
    "result error status option input output source target record field column row key item list map set"
).split()
TYPES = "Int String Bool Vec<u8> Option<usize> Result<(), Error> Data Array Dictionary u32 i64 f64".split()
EXTS = (".rs", ".py", ".swift", ".c", ".go")


def ident(rng):
    n = rng.randint(1, 3)
    return "_".join(rng.choice(WORDS) for _ in range(n))


def line_for(rng, ext):
    r = rng.random()
    a, b, c = ident(rng), ident(rng), ident(rng)
    if ext == ".rs":
        if r < 0.15:
            return f"pub fn {a}({b}: {rng.choice(TYPES)}) -> {rng.choice(TYPES)} {{"
        if r < 0.3:
            return f"    let {a} = {b}.{c}();"
        if r < 0.4:
            return f"    // {a} {b} {c}: keep the {rng.choice(WORDS)} in order"
        if r < 0.5:
            return "}"
        return f"    if {a} > {rng.randint(0, 999)} {{ {b}.push({c}); }}"
    if ext == ".py":
        if r < 0.15:
            return f"def {a}({b}, {c}=None):"
        if r < 0.3:
            return f"    {a} = {b}.{c}({rng.randint(0, 99)})"
        if r < 0.45:
            return f"    # {a} {b} {c}"
        return f"    if {a} is not None and {b} < {rng.randint(0, 999)}: return {c}"
    if ext == ".swift":
        if r < 0.15:
            return f"func {a}(_ {b}: {rng.choice(TYPES)}) -> {rng.choice(TYPES)} {{"
        if r < 0.3:
            return f"    let {a} = {b}.{c}"
        if r < 0.4:
            return f"    /// {a} {b} {c}"
        if r < 0.5:
            return "}"
        return f"    guard {a} < {rng.randint(0, 999)} else {{ return {b} }}"
    if ext == ".c":
        if r < 0.15:
            return f"static int {a}(const char *{b}, size_t {c}) {{"
        if r < 0.3:
            return f"  {a} = {b}->{c};"
        if r < 0.4:
            return f"  /* {a} {b} {c} */"
        if r < 0.5:
            return "}"
        return f"  if ({a} > {rng.randint(0, 999)}) return {b}({c});"
    # .go
    if r < 0.15:
        return f"func {a}({b} int) error {{"
    if r < 0.3:
        return f"\t{a} := {b}.{c}()"
    if r < 0.4:
        return f"\t// {a} {b} {c}"
    if r < 0.5:
        return "}"
    return f"\tif {a} > {rng.randint(0, 999)} {{ return {b} }}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rare", type=int, default=20)
    ap.add_argument("--handlers", type=float, default=0.005)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--mtime", type=int, default=None)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    rare_files = set(rng.sample(range(args.files), args.rare))
    handler_files = set(rng.sample(range(args.files), int(args.files * args.handlers)))
    expect = {"files": args.files, "literal": RARE_LITERAL, "literal_lines": 0, "regex": r"fn\s+\w+_handler",
              "regex_lines": 0, "bytes": 0}

    os.makedirs(args.dir, exist_ok=True)
    for i in range(args.files):
        leaf, num = divmod(i, 100)
        d = os.path.join(args.dir, f"d{leaf // 100:02d}", f"d{(leaf // 10) % 10:02d}", f"d{leaf % 10:02d}")
        if num == 0:
            os.makedirs(d, exist_ok=True)
        ext = EXTS[i % len(EXTS)]
        lines, size = [], 0
        while size < args.size:
            line = line_for(rng, ext)
            lines.append(line)
            size += len(line) + 1
        if i in rare_files:
            lines.insert(rng.randrange(len(lines)), f"    // TODO {RARE_LITERAL}: remove once migrated")
            expect["literal_lines"] += 1
        if i in handler_files:
            for _ in range(rng.randint(1, 3)):
                name = f"{ident(rng)}_handler"
                spacing = rng.choice([" ", "  ", "\t"])
                lines.insert(rng.randrange(len(lines)), f"pub fn{spacing}{name}(req: Request) -> Response {{")
                expect["regex_lines"] += 1
        data = ("\n".join(lines) + "\n").encode()
        expect["bytes"] += len(data)
        path = os.path.join(d, f"f{num:02d}{ext}")
        with open(path, "wb") as f:
            f.write(data)
        if args.mtime is not None:
            os.utime(path, (args.mtime, args.mtime))
    expect_path = os.path.join(os.path.dirname(os.path.abspath(args.dir)), os.path.basename(args.dir) + ".expect.json")
    with open(expect_path, "w") as f:
        json.dump(expect, f)
    json.dump(expect, sys.stdout)
    print()


if __name__ == "__main__":
    main()
