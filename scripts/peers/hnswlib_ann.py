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
import importlib.metadata
import os

import hnswlib
import numpy as np

import annpeer


def main():
    p = annpeer.common_args(__doc__)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--ef", default="10,20,40,80,120,200,400", help="comma-separated ef sweep")
    p.add_argument("--space", default="cosine", choices=["cosine", "ip", "l2"])
    p.add_argument("--seed", type=int, default=100)
    args = p.parse_args()
    efs = annpeer.parse_ints(args.ef)
    if args.k < 10:
        p.error("--k must be at least 10 for recall@10")
    base, queries, gt = annpeer.load(args.data, args.queries)
    version = importlib.metadata.version("hnswlib")
    annpeer.log(f"hnswlib {version}: {base.shape[0]} base, {queries.shape[0]} queries, dim {base.shape[1]}, "
                f"M={args.m}, efConstruction={args.ef_construction}, threads={args.threads}, space={args.space}")

    def build(base):
        index = hnswlib.Index(space=args.space, dim=base.shape[1])
        index.init_index(max_elements=len(base), M=args.m, ef_construction=args.ef_construction, random_seed=args.seed)
        index.set_num_threads(args.threads)
        annpeer.chunked_add("hnswlib", len(base),
                            lambda lo, hi: index.add_items(base[lo:hi], np.arange(lo, hi), num_threads=args.threads))
        return index

    index, build_seconds, stats = annpeer.timed_build("hnswlib", build, base)
    stats["index_size_bytes"] = int(index.index_file_size())

    def set_point(ef, threads):
        index.set_ef(ef)
        index.set_num_threads(threads)

    runs = annpeer.sweep("hnswlib", efs, set_point,
                         lambda q: index.knn_query(q.reshape(1, -1), k=args.k)[0][0],
                         lambda qs: index.knn_query(qs, k=args.k, num_threads=args.threads),
                         queries, gt, args.k, args.threads, lambda ef: {"ef": ef})
    annpeer.write_json(args.json, {
        "library": "hnswlib " + version,
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
    })


if __name__ == "__main__":
    main()
