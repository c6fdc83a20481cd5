"""What every ANN peer script shares: reading the .fvecs/.ivecs set, timing
the build with its RSS growth, the sweep (recall@10, queries/s one query at a
time on one thread, batch throughput) and the JSON that compare.py and
`quiver bench plot` read.

A peer supplies an Engine: build(base) once, then for each sweep point
set(point), one(query) -> ids and batch(queries) -> ids rows.
"""
import argparse
import json
import os
import sys
import threading
import time

import numpy as np


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        sys.exit(f"{path}: empty")
    dim = int(raw[0])
    rows = raw.reshape(-1, dim + 1)
    if not (rows[:, 0] == dim).all():
        sys.exit(f"{path}: rows of different dimensions")
    return np.ascontiguousarray(rows[:, 1:]).view(dtype)


def load(data, limit=0):
    """The base, queries and ground truth; limit > 0 keeps the first limit
    queries."""
    base = read_vecs(os.path.join(data, "base.fvecs"), np.float32)
    queries = read_vecs(os.path.join(data, "query.fvecs"), np.float32)
    gt = read_vecs(os.path.join(data, "groundtruth.ivecs"), np.int32)
    if len(gt) != len(queries):
        sys.exit(f"{data}: {len(gt)} ground-truth rows for {len(queries)} queries")
    if limit > 0:
        queries, gt = queries[:limit], gt[:limit]
    return base, queries, gt


def proc_status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def parse_ints(text):
    return [int(x) for x in text.split(",") if x.strip()]


def common_args(description):
    """The flags every peer takes, the same names as hnswlib_ann.py's."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="directory with base.fvecs, query.fvecs, groundtruth.ivecs")
    p.add_argument("--k", type=int, default=10, help="neighbours asked per query (recall is @10)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="build and batch-query threads")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--queries", type=int, default=0,
                   help="time and score only the first N queries (0: all), for a peer too slow one at a time")
    return p


class Heartbeat:
    """Logs a line every `every` seconds while a long call with no progress
    of its own (a one-shot build) runs."""

    def __init__(self, what, every=10.0):
        self.what, self.every = what, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        start = time.perf_counter()
        while not self.stop.wait(self.every):
            log(f"{self.what}: still running, elapsed {time.perf_counter() - start:.0f}s, "
                f"load average {os.getloadavg()[0]:.2f}")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def chunked_add(name, n, add, chunk=None):
    """Calls add(lo, hi) over [0, n) in chunks with a progress line every few
    seconds."""
    chunk = chunk or max(10000, n // 50)
    start = last = time.perf_counter()
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        add(lo, hi)
        now = time.perf_counter()
        if now - last >= 2 or hi == n:
            el = now - start
            log(f"{name} build: {hi}/{n} vectors ({100 * hi / n:.0f}%), {hi / el:.0f} vectors/s, "
                f"elapsed {el:.0f}s, ETA {(n - hi) * el / hi:.0f}s")
            last = now


def timed_build(name, build, base):
    """Runs build(base) and returns (index, seconds, stats): wall and CPU
    time and the growth of VmRSS over the build."""
    rss0 = proc_status("VmRSS")
    cpu0, start = time.process_time(), time.perf_counter()
    index = build(base)
    seconds = time.perf_counter() - start
    stats = {"build_cpu_seconds": time.process_time() - cpu0, "memory_bytes": proc_status("VmRSS") - rss0}
    log(f"{name} build: {seconds:.1f}s ({len(base) / seconds:.0f} vectors/s, {stats['build_cpu_seconds']:.1f} CPU s, "
        f"load average {os.getloadavg()[0]:.2f}), RSS growth {stats['memory_bytes'] / 2**20:.1f} MiB")
    return index, seconds, stats


def recall_at(labels, gt, k):
    hits = sum(len(set(row[:k].tolist()) & set(g[:k].tolist())) for row, g in zip(labels, gt))
    return hits / (k * len(gt))


def sweep(name, points, set_point, one, batch, queries, gt, k, threads, describe):
    """For each point: recall@10 and queries/s one at a time (after 50
    untimed warm-up queries), queries per CPU second, then batch throughput.
    describe(point) gives the run's own fields ({"ef": ...} at least)."""
    runs = []
    for point in points:
        set_point(point, 1)
        for q in queries[:50]:
            one(q)
        labels = np.empty((len(queries), k), dtype=np.int64)
        cpu0, start = time.process_time(), time.perf_counter()
        for i, q in enumerate(queries):
            ids = one(q)
            labels[i, :] = -1
            labels[i, :len(ids)] = ids[:k]
        single = len(queries) / (time.perf_counter() - start)
        single_cpu = len(queries) / max(time.process_time() - cpu0, 1e-9)
        set_point(point, threads)
        start = time.perf_counter()
        batch(queries)
        all_cores = len(queries) / (time.perf_counter() - start)
        run = {**describe(point), "recall_at_10": recall_at(labels, gt, 10), "qps_single": single,
               "qps_all_cores": all_cores, "qps_single_cpu": single_cpu}
        log(f"{name} {describe(point)}: recall@10 {run['recall_at_10']:.4f}, {single:.0f} q/s single, "
            f"{all_cores:.0f} q/s with {threads} threads, load average {os.getloadavg()[0]:.2f}")
        runs.append(run)
    return runs


def write_json(path, out):
    if not path:
        return
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
    log(f"wrote {path}")
