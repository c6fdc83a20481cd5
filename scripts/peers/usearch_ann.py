#!/usr/bin/env python3
"""usearch's HNSW index on an ANN data set in .fvecs/.ivecs files, reported like `quiver bench ann`.

Inner product on the (already normalised) vectors, f32 storage, connectivity =
M, expansion_add = efConstruction, built with --threads threads; then for each
expansion_search (= ef): recall@10, queries/s one query at a time through
the compiled search_many(threads=1), and batch throughput with --threads threads. Logs and
records the SIMD kernels usearch picked (index.hardware_acceleration, e.g.
haswell = AVX2, sapphire = AVX-512 FP16). JSON as hnswlib_ann.py's.
"""
import importlib.metadata
import os

import numpy as np
from usearch.index import Index

import annpeer


def main():
    p = annpeer.common_args(__doc__)
    p.add_argument("--m", type=int, default=16, help="connectivity")
    p.add_argument("--ef-construction", type=int, default=200, help="expansion_add")
    p.add_argument("--ef", default="10,20,40,80,120,200,400", help="comma-separated expansion_search sweep")
    args = p.parse_args()
    efs = annpeer.parse_ints(args.ef)
    base, queries, gt = annpeer.load(args.data, args.queries)
    version = importlib.metadata.version("usearch")
    holder = {}

    def build(base):
        index = Index(ndim=base.shape[1], metric="ip", dtype="f32", connectivity=args.m,
                      expansion_add=args.ef_construction, expansion_search=max(efs))
        holder["hw"] = index.hardware_acceleration
        annpeer.log(f"usearch {version} (hardware_acceleration {holder['hw']}): {base.shape[0]} base, "
                    f"{queries.shape[0]} queries, dim {base.shape[1]}, connectivity={args.m}, "
                    f"expansion_add={args.ef_construction}, threads={args.threads}")
        annpeer.chunked_add("usearch", len(base),
                            lambda lo, hi: index.add(np.arange(lo, hi), base[lo:hi], threads=args.threads))
        return index

    index, build_seconds, stats = annpeer.timed_build("usearch", build, base)
    stats["index_size_bytes"] = int(index.memory_usage)

    # The one-at-a-time loop calls the compiled binding, as hnswlib's loop
    # calls its pybind knn_query: Index.search's Python wrapper costs more
    # than an HNSW query at small ef.
    compiled = index._compiled

    def set_point(ef, _threads):
        index.expansion_search = ef

    runs = annpeer.sweep("usearch", efs, set_point,
                         lambda q: compiled.search_many(q.reshape(1, -1), count=args.k, exact=False, threads=1)[0][0],
                         lambda qs: index.search(qs, args.k, threads=args.threads),
                         queries, gt, args.k, args.threads, lambda ef: {"ef": ef})
    annpeer.write_json(args.json, {
        "library": "usearch " + version,
        "simd": holder["hw"],
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
    main()
