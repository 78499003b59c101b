"""A JSON-RPC client for `mish serve` and `mish hub` on a child's stdio, shared by the hub and queue drivers
(src/hubbench.py, src/queuebench.py; imported as a sibling module, since they are run as `python3 bench/src/X.py`).

One request at a time, each timed with time.perf_counter_ns from writing the request line to reading its reply line.
Every process started through it (and any a driver appends to PROCS) is ended by end_children(), newest first.
A failure ends the run with a message prefixed by the driver's name (hubbench: …, queuebench: …).
"""

import json
import os
import subprocess
import sys
import time

PROCS = []  # every process started here, ended in this order reversed when the run ends (or fails)


def fail(msg):
    prog = os.path.splitext(os.path.basename(sys.argv[0]))[0] or "bench"
    sys.exit(f"{prog}: {msg}")


def end_children():
    """Closes each child's input (a hub stops its sessions' servers at the end of its input), newest first; kills
    what has not exited 15 s later."""
    for proc in reversed(PROCS):
        if proc.poll() is None:
            try:
                proc.stdin.close()
                proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()


class Peer:
    """A JSON-RPC server on a child's stdio, one request at a time."""

    def __init__(self, argv, stderr):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        PROCS.append(self.proc)
        self.fd = self.proc.stdin.fileno()
        self.next_id = 0

    def request(self, method, params):
        """Returns (ms, reply message, reply bytes), the message an error reply too; a closed output ends the run."""
        self.next_id += 1
        req = (json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\n").encode()
        start = time.perf_counter_ns()
        os.write(self.fd, req)
        while True:
            line = self.proc.stdout.readline()
            if not line:
                fail(f"{method}: the server closed its output (exit status {self.proc.poll()})")
            msg = json.loads(line)
            if msg.get("id") == self.next_id:
                break
        return (time.perf_counter_ns() - start) / 1e6, msg, len(line)

    def call(self, method, params):
        """Returns (ms, reply message, reply bytes); a JSON-RPC error ends the run."""
        ms, msg, size = self.request(method, params)
        if "error" in msg:
            fail(f"{method} {json.dumps(params)[:300]}: {json.dumps(msg['error'])[:1000]}")
        return ms, msg, size

    def result(self, method, params):
        """The reply's result; a JSON-RPC error ends the run."""
        return self.call(method, params)[1]["result"]

    def close(self, timeout=60):
        """Closes the child's input; the seconds it took to exit, or None if it had to be killed after TIMEOUT."""
        start = time.monotonic()
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        return time.monotonic() - start


class Hub(Peer):
    """`mish hub`: a Peer whose events are gathered as they are polled."""

    def __init__(self, argv, stderr):
        super().__init__(argv, stderr)
        self.seq = 0
        self.events = []

    def poll(self, wait_ms):
        """hub/events since the last poll, waiting up to WAIT_MS for the first; pages until none are left."""
        while True:
            r = self.result("hub/events", {"since_seq": self.seq, "limit": 10000, "wait_ms": wait_ms})
            self.events += r["events"]
            self.seq = r["next_seq"]
            if len(r["events"]) < 10000:
                return
            wait_ms = 0

    def wait_until(self, pred, what, timeout_s=600, required=True):
        """Polls until PRED() holds: True. After TIMEOUT_S the run ends, or with required=False, False."""
        deadline = time.monotonic() + timeout_s
        self.poll(0)
        while not pred():
            if time.monotonic() > deadline:
                if not required:
                    return False
                fail(f"no {what} after {timeout_s} s; events: {json.dumps(self.events[-5:])}")
            self.poll(2000)
        return True

    def pool_count(self):
        """Worktrees in the hub's pool: pool.prepared events less the sessions that took one."""
        prepared = sum(e["kind"] == "pool.prepared" for e in self.events)
        taken = sum(e["kind"] == "session.ready" and e.get("from_pool") is True for e in self.events)
        return prepared - taken

    def event(self, kind, session):
        """The first event of KIND for SESSION, or None."""
        return next((e for e in self.events if e["kind"] == kind and e["session_id"] == session), None)
