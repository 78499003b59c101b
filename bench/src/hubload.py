#!/usr/bin/env python3
"""The hub benchmark's load generator: keeps every session of a running `mish hub` busy through the hub.

    hubload.py SOCKET GAP_MS PATH SIZE SESSION_ID...

One connection per session to the hub's unix socket (what `mish connect --session ID` does: a `{"connect": ID}`
line, then JSON-RPC through the hub's router, which records every call as an event, checks leases and forwards it to
that session's `mish serve`). On each connection a closed loop: one native `fs/read {"path": PATH}` in flight, the
next one sent GAP_MS after its reply (0: at once), so every session always has a call running or just answered.
Single-threaded (selectors), so the generator's own cost is one process. Every reply is checked (no error, `size`
equals SIZE); a bad one ends the run with exit status 1.

Prints `{"ready": true}` once every connection has had a reply, then runs until its stdin closes and prints one
JSON line: calls answered, calls/s, and the per-call latency it saw (p50, p99, max; ms).
"""

import heapq
import json
import os
import selectors
import socket
import sys
import time


def percentile(sorted_samples, q):
    return sorted_samples[max(0, -(-len(sorted_samples) * q // 100) - 1)]


class Stream:
    def __init__(self, path, session):
        self.session = session
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.sendall(json.dumps({"connect": session}).encode() + b"\n")
        hello = b""
        while not hello.endswith(b"\n"):
            chunk = self.sock.recv(1)
            if not chunk:
                sys.exit(f"hubload: the hub closed the connection for {session}")
            hello += chunk
        if "connected" not in json.loads(hello):
            sys.exit(f"hubload: cannot connect to {session}: {hello.decode().strip()}")
        self.sock.setblocking(False)
        self.buf = b""
        self.next_id = 0
        self.sent_at = 0
        self.answered = 0
        self.index = 0


def main():
    path, gap_ms, read_path, size = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    streams = [Stream(path, s) for s in sys.argv[5:]]
    for index, st in enumerate(streams):
        st.index = index
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
    for st in streams:
        sel.register(st.sock, selectors.EVENT_READ, st)
    gap_ns = int(gap_ms * 1e6)
    timers = []  # (due_ns, index) of streams waiting to send
    samples = []
    ready = False
    started = None

    def send(st):
        st.next_id += 1
        req = {"jsonrpc": "2.0", "id": st.next_id, "method": "fs/read", "params": {"path": read_path}}
        st.sent_at = time.perf_counter_ns()
        st.sock.sendall(json.dumps(req).encode() + b"\n")  # small: fits the socket buffer

    for st in streams:
        send(st)
    while True:
        timeout = None
        if timers:
            timeout = max(0.0, (timers[0][0] - time.perf_counter_ns()) / 1e9)
        for key, _ in sel.select(timeout):
            st = key.data
            if st is None:  # stdin: closed (or anything written) ends the run
                os.read(sys.stdin.fileno(), 4096)
                elapsed = (time.perf_counter_ns() - started) / 1e9 if started else 0.0
                samples.sort()
                out = {"sessions": len(streams), "gap_ms": gap_ms, "calls": len(samples), "seconds": round(elapsed, 3),
                       "calls_per_s": round(len(samples) / elapsed, 1) if elapsed else 0.0}
                if samples:
                    out.update(p50_ms=round(percentile(samples, 50), 4), p99_ms=round(percentile(samples, 99), 4),
                               max_ms=round(samples[-1], 4))
                print(json.dumps(out), flush=True)
                return
            data = st.sock.recv(1 << 20)
            if not data:
                sys.exit(f"hubload: the hub closed the connection of {st.session}")
            st.buf += data
            while b"\n" in st.buf:
                line, st.buf = st.buf.split(b"\n", 1)
                now = time.perf_counter_ns()
                reply = json.loads(line)
                if reply.get("id") != st.next_id:
                    continue  # a notification
                result = reply.get("result")
                if not isinstance(result, dict) or result.get("size") != size:
                    sys.exit(f"hubload: bad reply from {st.session}: {line[:500]!r}")
                st.answered += 1
                if ready:
                    samples.append((now - st.sent_at) / 1e6)
                elif all(s.answered for s in streams):
                    ready = True
                    started = time.perf_counter_ns()
                    print(json.dumps({"ready": True}), flush=True)
                if gap_ns:
                    heapq.heappush(timers, (now + gap_ns, st.index))
                else:
                    send(st)
        now = time.perf_counter_ns()
        while timers and timers[0][0] <= now:
            send(streams[heapq.heappop(timers)[1]])


if __name__ == "__main__":
    main()
