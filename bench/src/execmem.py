#!/usr/bin/env python3
"""Memory of a process while a command it runs prints a lot: samples VmRSS from /proc/PID/status.

    execmem.py mish MISH ROOT COMMAND [INTERVAL_MS]   mish serve --root ROOT runs exec/run {"command": COMMAND}
    execmem.py python COMMAND [INTERVAL_MS]           a Python process runs subprocess.run(capture_output=True)

Prints one JSON line: VmRSS before the command (the process started and idle; mish has also run one /bin/true so
its exec machinery exists), the largest sample while it runs, after it (result sent, or dropped for Python), the
kernel's high-water mark (VmHWM, which also catches a peak between samples), the sample count and the wall time.
mish's result is checked: exit code 0, not an error, stdout.bytes the expected count, stdout.truncated true.
Environment: EXPECT_BYTES (1000000000), SERVER_STDERR (a file for mish's log; default inherited).
"""

import json
import os
import select
import subprocess
import sys
import time


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise SystemExit(f"no {field} for pid {pid}")


class Watched:
    """A child process whose stdout is read line by line while its VmRSS is sampled every `interval` seconds."""

    def __init__(self, argv, interval, stderr):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        self.interval, self.buf, self.samples = interval, b"", []

    def send(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def line(self, sample=False):
        next_sample = time.monotonic()
        while b"\n" not in self.buf:
            if sample and time.monotonic() >= next_sample:
                self.samples.append(status_kb(self.proc.pid, "VmRSS"))
                next_sample += self.interval
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, next_sample - time.monotonic()))
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
                if not chunk:
                    raise SystemExit("the process closed its stdout (exited?)")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def rss(self):
        return status_kb(self.proc.pid, "VmRSS")

    def finish(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def rpc(w, id, method, params):
    w.send(json.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
    while True:
        reply = json.loads(w.line(sample=True))
        if reply.get("id") == id:
            if "error" in reply:
                raise SystemExit(f"{method}: {reply['error']}")
            return reply["result"]


def measure_mish(mish, root, command, interval, expect_bytes):
    stderr = os.environ.get("SERVER_STDERR")
    w = Watched([mish, "serve", "--root", root], interval, open(stderr, "a") if stderr else None)
    rpc(w, 1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "execmem", "version": "1"}})
    w.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
    rpc(w, 2, "tools/call", {"name": "exec_run", "arguments": {"argv": ["/bin/true"]}})
    time.sleep(0.5)
    before = w.rss()
    w.samples = []
    start = time.monotonic()
    result = rpc(w, 3, "tools/call", {"name": "exec_run", "arguments": {
        "command": command, "yield_ms": 300000, "timeout_ms": 600000}})
    seconds = time.monotonic() - start
    time.sleep(0.5)
    after, hwm = w.rss(), status_kb(w.proc.pid, "VmHWM")
    w.finish()
    s = result.get("structuredContent", {})
    out = s.get("stdout", {})
    problems = [p for p, bad in (("isError", result.get("isError")), ("still running", s.get("running")),
                                 (f"exit_code {s.get('exit_code')}", s.get("exit_code") != 0),
                                 (f"stdout.bytes {out.get('bytes')}", out.get("bytes") != expect_bytes),
                                 ("stdout not truncated", out.get("truncated") is not True)) if bad]
    if problems:
        raise SystemExit("mish exec/run result: " + ", ".join(problems) + "\n" + json.dumps(result)[:2000])
    return dict(before=before, after=after, hwm=hwm, seconds=seconds, samples=w.samples, stdout_bytes=out["bytes"],
                truncated=out["truncated"], kept_bytes=len(out.get("text", "").encode()),
                layers=sorted(k for k, v in s.get("sandbox", {}).items() if v.get("enforced")))


PEER = """
import subprocess, sys
sys.stdin.readline()
r = subprocess.run(["/bin/bash", "-c", sys.argv[1]], capture_output=True)
n = len(r.stdout)
del r
print(n, flush=True)
sys.stdin.readline()
"""


def measure_python(command, interval, expect_bytes):
    w = Watched([sys.executable, "-c", PEER, command], interval, None)
    time.sleep(0.5)
    before = w.rss()
    start = time.monotonic()
    w.send("go")
    n = int(w.line(sample=True))
    seconds = time.monotonic() - start
    time.sleep(0.5)
    after, hwm = w.rss(), status_kb(w.proc.pid, "VmHWM")
    w.finish()
    if n != expect_bytes:
        raise SystemExit(f"python captured {n} bytes, expected {expect_bytes}")
    return dict(before=before, after=after, hwm=hwm, seconds=seconds, samples=w.samples, stdout_bytes=n,
                truncated=False, kept_bytes=n)


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    expect = int(os.environ.get("EXPECT_BYTES", "1000000000"))
    if kind == "mish":
        mish, root, command = args[:3]
        interval = float(args[3] if len(args) > 3 else 50) / 1e3
        r = measure_mish(mish, root, command, interval, expect)
    else:
        command = args[0]
        interval = float(args[1] if len(args) > 1 else 50) / 1e3
        r = measure_python(command, interval, expect)
    samples = r.pop("samples")
    if not samples:
        raise SystemExit("no samples taken")
    r.update(label=f"mem-{kind}", command=command, rss_before_kb=r.pop("before"), rss_max_kb=max(samples),
             rss_after_kb=r.pop("after"), hwm_kb=r.pop("hwm"), n_samples=len(samples),
             seconds=round(r["seconds"], 3))
    print(json.dumps(r))


if __name__ == "__main__":
    main()
