#!/usr/bin/env python3
"""faiss-cpu IndexHNSWFlat on an ANN data set in .fvecs/.ivecs files, reported like `quiver bench ann`.

Inner product on the (already normalised) vectors, M and efConstruction as
given, built with --threads OpenMP threads; then for each efSearch: recall@10,
queries/s one query at a time with one OpenMP thread, and batch throughput with
--threads threads. Logs and records which SIMD level faiss dispatched to (its
SIMDConfig, or get_compile_options() on older builds). JSON as hnswlib_ann.py's.
"""
import importlib.metadata
import os

import faiss
import numpy as np

import annpeer


def simd_level():
    cfg = getattr(faiss, "SIMDConfig", None)
    if cfg is not None and hasattr(cfg, "get_level_name"):
        return f"{cfg.get_level_name()} (dynamic dispatch; compile options {faiss.get_compile_options().strip()})"
    return faiss.get_compile_options().strip()


def main():
    p = annpeer.common_args(__doc__)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--ef", default="10,20,40,80,120,200,400", help="comma-separated efSearch sweep")
    args = p.parse_args()
    efs = annpeer.parse_ints(args.ef)
    base, queries, gt = annpeer.load(args.data, args.queries)
    version = importlib.metadata.version("faiss-cpu")
    simd = simd_level()
    annpeer.log(f"faiss-cpu {version} ({simd}): {base.shape[0]} base, {queries.shape[0]} queries, "
                f"dim {base.shape[1]}, HNSWFlat M={args.m}, efConstruction={args.ef_construction}, threads={args.threads}")

    def build(base):
        faiss.omp_set_num_threads(args.threads)
        index = faiss.IndexHNSWFlat(base.shape[1], args.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = args.ef_construction
        annpeer.chunked_add("faiss", len(base), lambda lo, hi: index.add(base[lo:hi]))
        return index

    index, build_seconds, stats = annpeer.timed_build("faiss", build, base)

    def set_point(ef, threads):
        index.hnsw.efSearch = ef
        faiss.omp_set_num_threads(threads)

    runs = annpeer.sweep("faiss", efs, set_point,
                         lambda q: index.search(q.reshape(1, -1), args.k)[1][0],
                         lambda qs: index.search(qs, args.k),
                         queries, gt, args.k, args.threads, lambda ef: {"ef": ef})
    annpeer.write_json(args.json, {
        "library": "faiss " + version,
        "simd": simd,
        "build_seconds": build_seconds,
        **stats,
        "threads": args.threads,
        "loadavg_at_end": os.getloadavg()[0],
        "m": args.m,
        "ef_construction": args.ef_construction,
        "space": "ip",
        "base": int(base.shape[0]),
        "queries": int(queries.shape[0]),
        "runs": runs,
    })


if __name__ == "__main__":
    np.random.seed(0)
    main()
