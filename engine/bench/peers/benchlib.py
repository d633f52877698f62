"""Shared helpers for Workbench's benchmark peers (see engine/bench/doc.go).

A peer script is run as `python3 SCRIPT OPTIONS_JSON` with the same
environment and thread count as our side. It reads the options with
options(), times its work with measure() (the same protocol as Go's
bench.Measure), prints progress to stderr with log(), and ends with
report(value, **fields), which prints the JSON result on stdout.
"""

import json
import statistics
import sys
import time

WARMUP_CALLS, WARMUP_TIME = 2, 0.2
MIN_CALLS, MIN_TIME, MAX_CALLS = 5, 1.0, 1000


_min_time = MIN_TIME


def options():
    """The bench options: threads, seed, device, sizes, params, min_time, and
    dir, a scratch folder shared with our side for this run."""
    global _min_time
    opts = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    _min_time = opts.get("min_time") or MIN_TIME
    opts.setdefault("threads", 1)
    opts.setdefault("seed", 1)
    opts["sizes"] = opts.get("sizes") or []
    opts["params"] = opts.get("params") or {}
    return opts


class Timing(tuple):
    """(best, median, calls) seconds per call; .cpu is the mean processor
    time per call summed over the process's threads (see Go's Timing.CPU)."""
    cpu = float("nan")


def measure(f):
    """Best and median seconds per call of f, and the number of calls, as a
    Timing (unpack it as a 3-tuple; .cpu holds the processor time)."""
    start, n = time.perf_counter(), 0
    while n < WARMUP_CALLS or time.perf_counter() - start < WARMUP_TIME:
        f()
        n += 1
    times = []
    cpu0 = time.process_time()
    start = time.perf_counter()
    while len(times) < MAX_CALLS and (len(times) < MIN_CALLS or time.perf_counter() - start < _min_time):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    t = Timing((min(times), statistics.median(times), len(times)))
    t.cpu = (time.process_time() - cpu0) / len(times)
    return t


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def report(value, **fields):
    """Print the result line the harness reads (the last line of stdout)."""
    print(json.dumps({"value": value, "fields": fields}), flush=True)


def profile_rows(p, fwd_ops, bwd_nodes):
    """Time per layer type from a torch.profiler run: the inclusive CPU time
    of each layer's top-level aten op (forward, by name in fwd_ops) and of
    its autograd node (backward, the first (pattern, kind) of bwd_nodes whose
    pattern the node's name holds). Returns the rows, largest first, and
    them as a table."""
    rows = {}
    for e in p.key_averages():
        kind, fwd = None, True
        if e.key in fwd_ops:
            kind = fwd_ops[e.key]
        elif e.key.startswith("autograd::engine::evaluate_function: "):
            node, fwd = e.key.split(": ", 1)[1], False
            kind = next((k for pat, k in bwd_nodes if pat in node), "other")
        if kind is None:
            continue
        r = rows.setdefault(kind, {"kind": kind, "forward_s": 0.0, "backward_s": 0.0, "calls": 0})
        if fwd:
            r["forward_s"] += e.cpu_time_total / 1e6
            r["calls"] += e.count
        else:
            r["backward_s"] += e.cpu_time_total / 1e6
    out = sorted(rows.values(), key=lambda r: -(r["forward_s"] + r["backward_s"]))
    tf, tb = sum(r["forward_s"] for r in out), sum(r["backward_s"] for r in out)
    lines = ["%-22s %6s %10s %10s %7s" % ("layer type", "calls", "fwd ms", "bwd ms", "share")]
    for r in out:
        lines.append("%-22s %6d %10.1f %10.1f %6.1f%%" % (r["kind"], r["calls"], 1e3 * r["forward_s"], 1e3 * r["backward_s"],
                                                       100 * (r["forward_s"] + r["backward_s"]) / max(tf + tb, 1e-12)))
    lines.append("%-22s %6s %10.1f %10.1f" % ("total", "", 1e3 * tf, 1e3 * tb))
    return out, "\n".join(lines)
