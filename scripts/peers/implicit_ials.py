#!/usr/bin/env python3
"""Train implicit's iALS on the MovieLens split of BENCHMARKS.md section 2.

Usage: implicit_ials.py --data DIR [--factors 64] [--iterations 15]
       [--regularization 30] [--alpha 1] [--threads 2] [--json FILE]

The peer of `quiver bench rec`: the same per-user chronological split, the
same candidates (catalogue minus the user's train items, ties to the smaller
movieId) and the same metrics, re-implemented here so that neither side
scores the other. Every rating is one interaction. implicit takes the
confidence matrix directly and treats c - 1 as the extra weight of an
observed pair, so our c = 1 + alpha*1 is passed as a matrix of 1 + alpha.
Prints the training seconds and test NDCG@10 / Recall@10.
"""
import argparse
import csv
import json
import math
import os
import sys
import time


def load(data):
    rows = []
    with open(os.path.join(data, "ratings.csv"), newline="") as f:
        r = csv.reader(f)
        next(r)
        for u, m, v, t in r:
            rows.append((int(u), int(m), float(v), int(t)))
    users = sorted({x[0] for x in rows})
    movies = sorted({x[1] for x in rows})
    uix = {u: k for k, u in enumerate(users)}
    mix = {m: k for k, m in enumerate(movies)}
    return [(uix[u], mix[m], v, t) for u, m, v, t in rows], len(users), len(movies)


def chrono_split(rows, users):
    """Last (n + 4) // 5 of each user's ratings by (time, movie) held out."""
    by_user = [[] for _ in range(users)]
    for r in rows:
        by_user[r[0]].append(r)
    train, test = [], []
    for rs in by_user:
        rs.sort(key=lambda r: (r[3], r[1]))
        cut = len(rs) - (len(rs) + 4) // 5
        train += rs[:cut]
        test += rs[cut:]
    return train, test


def user_metrics(ranked, truth):
    """Recall@10, Recall@20, NDCG@10 and HR@10 of one list (BENCHMARKS.md)."""
    if not truth:
        return 0.0, 0.0, 0.0, 0.0
    hits10 = hits20 = 0
    dcg = 0.0
    for pos, i in enumerate(ranked[:20]):
        if i in truth:
            hits20 += 1
            if pos < 10:
                hits10 += 1
                dcg += 1 / math.log2(pos + 2)
    idcg = sum(1 / math.log2(p + 2) for p in range(min(10, len(truth))))
    return (hits10 / min(10, len(truth)), hits20 / min(20, len(truth)), dcg / idcg, 1.0 if hits10 else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--regularization", type=float, default=30)
    ap.add_argument("--alpha", type=float, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args()

    # implicit parallelises over rows itself; a BLAS thread pool under it
    # only contends for the same cores.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np
    import scipy.sparse as sp
    import implicit
    from implicit.cpu.als import AlternatingLeastSquares

    rows, users, items = load(args.data)
    train, test = chrono_split(rows, users)
    u = np.array([r[0] for r in train], dtype=np.int32)
    i = np.array([r[1] for r in train], dtype=np.int32)
    conf = np.full(len(train), 1 + args.alpha, dtype=np.float32)
    ui = sp.csr_matrix((conf, (u, i)), shape=(users, items))
    model = AlternatingLeastSquares(factors=args.factors, regularization=args.regularization, alpha=1.0,
                                    iterations=args.iterations, use_cg=True, num_threads=args.threads,
                                    random_state=args.seed, calculate_training_loss=False)
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(ui, show_progress=False)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu

    catalogue = np.zeros(items, dtype=bool)
    catalogue[i] = True
    truth = [set() for _ in range(users)]
    for r in test:
        truth[r[0]].add(r[1])
    scores = model.user_factors @ model.item_factors.T
    totals = np.zeros(4)
    seen = set()
    for user in range(users):
        s = scores[user].astype(np.float64)
        allowed = catalogue.copy()
        allowed[ui.indices[ui.indptr[user]:ui.indptr[user + 1]]] = False
        s[~allowed] = -np.inf
        # Score descending, ties to the smaller index: a stable sort on -s.
        ranked = np.argsort(-s, kind="stable")[:20].tolist()
        totals += user_metrics(ranked, truth[user])
        seen.update(ranked[:10])
    m = totals / users
    res = {"engine": "implicit " + implicit.__version__, "factors": args.factors, "iterations": args.iterations,
           "regularization": args.regularization, "alpha": args.alpha, "threads": args.threads,
           "train_seconds": seconds, "train_cpu_seconds": cpu_seconds,
           "recall_at_10": m[0], "recall_at_20": m[1], "ndcg_at_10": m[2], "hr_at_10": m[3],
           "coverage_at_10": len(seen) / int(catalogue.sum())}
    print(f"implicit {implicit.__version__} iALS f={args.factors} it={args.iterations} λ={args.regularization} "
          f"α={args.alpha}: train {seconds:.2f}s wall, {cpu_seconds:.2f} CPU s; "
          f"test NDCG@10 {m[2]:.4f} Recall@10 {m[0]:.4f} Recall@20 {m[1]:.4f} HR@10 {m[3]:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
