#!/usr/bin/env python3
"""hnswlib on an ANN data set in .fvecs/.ivecs files, reported like `quiver bench ann`.

Measures, with the parameters given (the same as Quiver's run in the same job):
build time with --threads threads (and its CPU seconds); index memory as the growth of VmRSS over the
build (and hnswlib's own index_file_size() estimate); then for each ef: recall@10,
queries/s one query at a time on one thread (a loop of knn_query with one vector,
set_num_threads(1); also per CPU second, which a busy machine disturbs less), and batch throughput with --threads threads. Writes
{"build_seconds", "memory_bytes", "runs": [{"ef", "recall_at_10", "qps_single",
"qps_all_cores"}], ...extra fields} to --json. Progress goes to stderr.
"""
import argparse
import importlib.metadata
import json
import os
import sys
import time

import hnswlib
import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        sys.exit(f"{path}: empty")
    dim = int(raw[0])
    rows = raw.reshape(-1, dim + 1)
    if not (rows[:, 0] == dim).all():
        sys.exit(f"{path}: rows of different dimensions")
    return np.ascontiguousarray(rows[:, 1:]).view(dtype)


def proc_status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build(base, args):
    n, dim = base.shape
    rss0 = proc_status("VmRSS")
    cpu0 = time.process_time()
    start = time.perf_counter()
    index = hnswlib.Index(space=args.space, dim=dim)
    index.init_index(max_elements=n, M=args.m, ef_construction=args.ef_construction, random_seed=args.seed)
    index.set_num_threads(args.threads)
    chunk = max(10000, n // 50)
    last = start
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        index.add_items(base[lo:hi], np.arange(lo, hi), num_threads=args.threads)
        now = time.perf_counter()
        if now - last >= 2 or hi == n:
            el = now - start
            log(f"hnswlib build: {hi}/{n} vectors ({100 * hi / n:.0f}%), {hi / el:.0f} vectors/s, "
                f"elapsed {el:.0f}s, ETA {(n - hi) * el / hi:.0f}s")
            last = now
    seconds = time.perf_counter() - start
    stats = {
        "build_cpu_seconds": time.process_time() - cpu0,
        "memory_bytes": proc_status("VmRSS") - rss0,
        "index_size_bytes": int(index.index_file_size()),
    }
    return index, seconds, stats


def recall_at(labels, gt, k):
    hits = sum(len(set(row[:k].tolist()) & set(g[:k].tolist())) for row, g in zip(labels, gt))
    return hits / (k * len(gt))


def sweep(index, queries, gt, args):
    k = args.k
    runs = []
    for ef in args.ef:
        index.set_ef(ef)
        index.set_num_threads(1)
        for q in queries[:50]:
            index.knn_query(q.reshape(1, -1), k=k)
        labels = np.empty((len(queries), k), dtype=np.int64)
        cpu0, start = time.process_time(), time.perf_counter()
        for i in range(len(queries)):
            labels[i] = index.knn_query(queries[i:i + 1], k=k)[0][0]
        single = len(queries) / (time.perf_counter() - start)
        single_cpu = len(queries) / (time.process_time() - cpu0)
        index.set_num_threads(args.threads)
        start = time.perf_counter()
        index.knn_query(queries, k=k, num_threads=args.threads)
        batch = len(queries) / (time.perf_counter() - start)
        run = {"ef": ef, "recall_at_10": recall_at(labels, gt, 10), "qps_single": single, "qps_all_cores": batch,
               "qps_single_cpu": single_cpu}
        log(f"hnswlib ef={ef}: recall@10 {run['recall_at_10']:.4f}, {single:.0f} q/s single, "
            f"{batch:.0f} q/s with {args.threads} threads")
        runs.append(run)
    return runs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="directory with base.fvecs, query.fvecs, groundtruth.ivecs")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--ef", default="10,20,40,80,120,200,400", help="comma-separated ef sweep")
    p.add_argument("--k", type=int, default=10, help="neighbours asked per query (recall is @10)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="build and batch-query threads")
    p.add_argument("--space", default="cosine", choices=["cosine", "ip", "l2"])
    p.add_argument("--seed", type=int, default=100)
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    args.ef = [int(x) for x in args.ef.split(",")]
    if args.k < 10:
        p.error("--k must be at least 10 for recall@10")

    base = read_vecs(os.path.join(args.data, "base.fvecs"), np.float32)
    queries = read_vecs(os.path.join(args.data, "query.fvecs"), np.float32)
    gt = read_vecs(os.path.join(args.data, "groundtruth.ivecs"), np.int32)
    log(f"hnswlib {importlib.metadata.version('hnswlib')}: {base.shape[0]} base, {queries.shape[0]} queries, "
        f"dim {base.shape[1]}, M={args.m}, efConstruction={args.ef_construction}, threads={args.threads}, "
        f"space={args.space}")

    index, build_seconds, stats = build(base, args)
    log(f"hnswlib build: {build_seconds:.1f}s ({base.shape[0] / build_seconds:.0f} vectors/s, "
        f"{stats['build_cpu_seconds']:.1f} CPU s, load average {os.getloadavg()[0]:.2f}), "
        f"RSS growth {stats['memory_bytes'] / 2**20:.1f} MiB, index_file_size {stats['index_size_bytes'] / 2**20:.1f} MiB")
    runs = sweep(index, queries, gt, args)
    out = {
        "library": "hnswlib " + importlib.metadata.version("hnswlib"),
        "build_seconds": build_seconds,
        **stats,
        "threads": args.threads,
        "loadavg_at_end": os.getloadavg()[0],
        "m": args.m,
        "ef_construction": args.ef_construction,
        "space": args.space,
        "base": int(base.shape[0]),
        "queries": int(queries.shape[0]),
        "runs": runs,
    }
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        os.replace(args.json + ".tmp", args.json)
        log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
