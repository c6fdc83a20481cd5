#!/usr/bin/env python3
"""ScaNN on an ANN data set in .fvecs/.ivecs files, reported like `quiver bench ann`.

The configuration of ann-benchmarks' angular run group scann1 (its
algorithms/scann config.yml and module.py): dot product on unit vectors, a
tree partition (spherical k-means, quantized centroids, trained on the whole
base), asymmetric hashing with 2 dimensions per block and anisotropic
quantization threshold 0.2, float32 re-ordering; the query sweep is pairs of
leaves_to_search and re-ordered neighbours. ann-benchmarks uses 2,000 leaves
for 1.18M GloVe vectors; --num-leaves defaults to 1,000 for the 50k-330k sets
here. Built with --threads training threads; then for each pair: recall@10,
queries/s one query at a time (searcher.search, single-threaded), and
search_batched_parallel with --threads threads. JSON as hnswlib_ann.py's, each
run with "leaves_to_search" and "reorder" (and "ef" = leaves_to_search).
"""
import importlib.metadata
import os

import numpy as np
import scann

import annpeer

SWEEP = "2:30,4:30,6:40,8:50,12:60,16:80,25:100,35:100,50:150,75:200,100:250,150:300"


def parse_sweep(text):
    out = []
    for pair in text.split(","):
        leaves, reorder = pair.split(":")
        out.append((int(leaves), int(reorder)))
    return out


def main():
    p = annpeer.common_args(__doc__)
    p.add_argument("--num-leaves", type=int, default=1000)
    p.add_argument("--dims-per-block", type=int, default=2)
    p.add_argument("--avq-threshold", type=float, default=0.2, help="anisotropic_quantization_threshold")
    p.add_argument("--sweep", default=SWEEP, help="comma-separated leaves_to_search:reorder pairs")
    args = p.parse_args()
    points = parse_sweep(args.sweep)
    base, queries, gt = annpeer.load(args.data, args.queries)
    version = importlib.metadata.version("scann")
    config = (f"tree(num_leaves={args.num_leaves}, spherical=True, quantize_centroids=True, "
              f"training_sample_size={len(base)}), score_ah({args.dims_per_block}, "
              f"anisotropic_quantization_threshold={args.avq_threshold}), reorder({max(r for _, r in points)})")
    annpeer.log(f"scann {version}: {base.shape[0]} base, {queries.shape[0]} queries, dim {base.shape[1]}, "
                f"{config}, threads={args.threads}")

    def build(base):
        builder = (scann.scann_ops_pybind.builder(base, args.k, "dot_product")
                   .tree(args.num_leaves, 1, training_sample_size=len(base), spherical=True, quantize_centroids=True)
                   .score_ah(args.dims_per_block, anisotropic_quantization_threshold=args.avq_threshold)
                   .reorder(max(r for _, r in points)))
        builder.set_n_training_threads(args.threads)
        with annpeer.Heartbeat("scann build"):
            return builder.build()

    searcher, build_seconds, stats = annpeer.timed_build("scann", build, base)

    current = [0, 0]  # the sweep point's leaves_to_search and reorder

    def set_point(point, threads):
        current[:] = point
        searcher.set_num_threads(threads)

    runs = annpeer.sweep("scann", points, set_point,
                         lambda q: searcher.search(q, args.k, current[1], current[0])[0],
                         lambda qs: searcher.search_batched_parallel(qs, args.k, current[1], current[0]),
                         queries, gt, args.k, args.threads,
                         lambda pt: {"ef": pt[0], "leaves_to_search": pt[0], "reorder": pt[1]})
    annpeer.write_json(args.json, {
        "library": "scann " + version,
        "config": config,
        "build_seconds": build_seconds,
        **stats,
        "threads": args.threads,
        "loadavg_at_end": os.getloadavg()[0],
        "space": "ip",
        "base": int(base.shape[0]),
        "queries": int(queries.shape[0]),
        "runs": runs,
    })


if __name__ == "__main__":
    main()
