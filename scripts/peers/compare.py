#!/usr/bin/env python3
"""Compare `quiver bench ann` with its peers from their JSON results.

Usage: compare.py QUIVER.json PEER.json [MORE.json ...]

Each file has the shape {"library" or "engine", "build_seconds",
"memory_bytes", "runs": [{"ef", "recall_at_10", "qps_single", "qps_all_cores"}]}.
Files of the same engine are rounds of one job (run A B A B). Prints, for the
first Quiver file and the first file of each peer, a side-by-side table and
Quiver/peer ratios; then one summary over every engine and round: single-thread
QPS at recall@10 = 0.90 and 0.95, build time and memory, and Quiver's ratio to
each. QPS at a recall is read off the recall/QPS Pareto frontier that
ann-benchmarks plots (no point both more accurate and faster is left out),
linearly between the two frontier points around the target.
"""
import json
import sys

TARGETS = (0.90, 0.95)

# Section 1 of BENCHMARKS.md, quoted as anchors only: other runs, other days.
ANCHORS = """anchors from BENCHMARKS.md (other jobs, not comparable to the figures above):
  hnswlib -march=native, 100k subset, quiet machine: recall 0.975 at ef=200 ~1,400 q/s; 0.924 at ef=80 ~2,300 q/s; build 82 s
  hnswlib generic Debian build, full 331k: 0.954 at ef=200 850-1,450 q/s; 0.893 at ef=80 2,500-3,200 q/s; build 250-460 s; index ~208 MB"""


def frontier(runs, key="qps_single"):
    """The runs on the recall/QPS Pareto frontier, by ascending recall: as
    ann-benchmarks builds its curves, walk from the highest recall down and
    keep each run faster than every more accurate one."""
    best, out = None, []
    for r in sorted(runs, key=lambda r: (-r["recall_at_10"], -r[key])):
        if best is None or r[key] > best:
            out.append(r)
            best = r[key]
    return out[::-1]


def interpolate(runs, target, key="qps_single"):
    """QPS at recall@10 == target on the frontier through runs.

    Returns (qps, note): note is "" for an interpolated or exact value,
    "lower bound" when even the least accurate run exceeds the target (the
    curve's QPS at the target is at least that run's), and qps is None with
    note "not reached" when no run reaches the target.
    """
    pts = frontier(runs, key)
    if not pts or pts[-1]["recall_at_10"] < target:
        return None, "not reached"
    if pts[0]["recall_at_10"] >= target:
        return pts[0][key], "lower bound"
    for a, b in zip(pts, pts[1:]):
        ra, rb = a["recall_at_10"], b["recall_at_10"]
        if ra < target <= rb:
            t = (target - ra) / (rb - ra)
            return a[key] + t * (b[key] - a[key]), ""
    raise AssertionError("unreachable: some run reaches the target")


def fmt_qps(qps, note):
    if qps is None:
        return note
    return f"{qps:,.0f}" + (f" ({note})" if note else "")


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def table(q, p):
    by_ef = {}
    for side, res in (("q", q), ("p", p)):
        for r in res["runs"]:
            by_ef.setdefault(r["ef"], {})[side] = r
    lines = [f"{'ef':>5} | {'quiver R@10':>11} {'q/s 1 thr':>10} {'q/s all':>9} | "
             f"{'peer R@10':>9} {'q/s 1 thr':>10} {'q/s all':>9} | {'1-thr ratio':>11}"]
    for ef in sorted(by_ef):
        cells = []
        for side in ("q", "p"):
            r = by_ef[ef].get(side)
            w = 11 if side == "q" else 9
            cells.append(f"{r['recall_at_10']:>{w}.4f} {r['qps_single']:>10,.0f} {r['qps_all_cores']:>9,.0f}"
                         if r else f"{'-':>{w}} {'-':>10} {'-':>9}")
        rq, rp = by_ef[ef].get("q"), by_ef[ef].get("p")
        rat = ratio(rq["qps_single"], rp["qps_single"]) if rq and rp else "-"
        lines.append(f"{ef:>5} | {cells[0]} | {cells[1]} | {rat:>11}")
    return "\n".join(lines)


def report(q, p, peer, anchors=ANCHORS):
    if any("leaves_to_search" in r for r in p["runs"]):
        body = own_points(p, peer)
    else:
        body = table(q, p)
    out = [f"Quiver vs {peer}: same data, same job (first round)", "", body, ""]
    series = [("qps_single", "QPS one query at a time, 1 thread"), ("qps_all_cores", "QPS all cores (batch)")]
    if all("qps_single_cpu" in r for r in q["runs"] + p["runs"]):
        series.append(("qps_single_cpu", "queries per CPU second, 1 thread"))
    for key, label in series:
        for t in TARGETS:
            qq, qn = interpolate(q["runs"], t, key)
            pq, pn = interpolate(p["runs"], t, key)
            exact = not qn and not pn
            r = ratio(qq, pq) if exact else ("n/a" if qq is None or pq is None else ratio(qq, pq) + " (bound)")
            out.append(f"{label} at recall@10={t:.2f}: quiver {fmt_qps(qq, qn)}, {peer} {fmt_qps(pq, pn)}, "
                       f"quiver/{peer} = {r}")
    out.append(f"build time: quiver {q['build_seconds']:.1f}s, {peer} {p['build_seconds']:.1f}s, "
               f"quiver/{peer} = {ratio(q['build_seconds'], p['build_seconds'])} (lower is better)")
    if "build_cpu_seconds" in q and "build_cpu_seconds" in p:
        out.append(f"build CPU time: quiver {q['build_cpu_seconds']:.1f}s, {peer} {p['build_cpu_seconds']:.1f}s, "
                   f"quiver/{peer} = {ratio(q['build_cpu_seconds'], p['build_cpu_seconds'])}")
    mem = (f"memory: quiver {q['memory_bytes'] / 2**20:,.1f} MiB, {peer} {p['memory_bytes'] / 2**20:,.1f} MiB "
           f"(RSS growth), quiver/{peer} = {ratio(q['memory_bytes'], p['memory_bytes'])}")
    if "index_size_bytes" in p:
        mem += (f"; vs {peer}'s own index size estimate {p['index_size_bytes'] / 2**20:,.1f} MiB: "
                f"{ratio(q['memory_bytes'], p['index_size_bytes'])}")
    out.append(mem)
    if anchors:
        out += ["", anchors]
    return "\n".join(out)


def engine_name(res):
    """The engine's name and version: "quiver", "hnswlib 0.8.0", ..."""
    return res.get("library") or res.get("engine") or "peer"


def point_label(run):
    if "leaves_to_search" in run:
        return f"leaves={run['leaves_to_search']} reorder={run['reorder']}"
    if "probe" in run:
        return f"probe={run['probe']} reorder={run['reorder']}"
    return f"ef={run['ef']}"


def own_points(res, name):
    """A peer whose sweep is not over ef (ScaNN), listed on its own."""
    lines = [f"{name} sweep:"]
    for r in sorted(res["runs"], key=lambda r: r["recall_at_10"]):
        lines.append(f"  {point_label(r):>24}  R@10 {r['recall_at_10']:.4f}  {r['qps_single']:>9,.0f} q/s 1 thr"
                     f"  {r['qps_all_cores']:>9,.0f} q/s all")
    return "\n".join(lines)


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def summary(rounds, key="qps_single"):
    """rounds: engine name -> its results, one per round, Quiver first.

    One line per engine: QPS one at a time at each target recall (each
    round, then their mean), build time and memory (means), and Quiver's
    ratio of means to that engine."""
    names = list(rounds)
    quiver = names[0]
    at = {n: {t: [interpolate(r["runs"], t, key) for r in rounds[n]] for t in TARGETS} for n in names}
    what = {"qps_single": "single-thread QPS (one query at a time)",
            "qps_single_cpu": "queries per CPU second, one at a time (steadier on a loaded machine)"}[key]
    out = [f"summary: {what} at recall@10, each round then the mean; build and memory are means over rounds"]
    head = f"{'engine':<16} {'rounds':>6}"
    for t in TARGETS:
        head += f" | {'QPS@' + format(t, '.2f'):>22} {'q/' + 'x':>6}"
    head += f" | {'build s':>8} {'q/x':>6} | {'memory MiB':>10} {'q/x':>6}"
    out.append(head)
    qbuild = mean([r["build_seconds"] for r in rounds[quiver]])
    qmem = mean([r["memory_bytes"] for r in rounds[quiver]])
    for n in names:
        line = f"{n:<16} {len(rounds[n]):>6}"
        for t in TARGETS:
            vals = at[n][t]
            m = mean([v for v, _ in vals])
            bound = any(note == "lower bound" for _, note in vals)
            per = "/".join("-" if v is None else f"{v:,.0f}" for v, _ in vals)
            cell = ("not reached" if m is None else f"{m:,.0f}" + ("≥" if bound else "")) + f" ({per})"
            qm = mean([v for v, _ in at[quiver][t]])
            line += f" | {cell:>22} {ratio(qm, m) if n != quiver else '':>6}"
        build = mean([r["build_seconds"] for r in rounds[n]])
        mem = mean([r["memory_bytes"] for r in rounds[n]])
        line += f" | {build:>8.1f} {ratio(qbuild, build) if n != quiver else '':>6}"
        line += f" | {mem / 2**20:>10,.1f} {ratio(qmem, mem) if n != quiver else '':>6}"
        out.append(line)
    out.append("q/x: Quiver's mean over the engine's (QPS: higher is better for Quiver; build and memory: lower is);"
               " ≥ marks a lower bound (the sweep's least accurate point is already above the target)")
    for n in names[1:]:
        extra = [f"{k} {rounds[n][0][k]}" for k in ("simd", "config") if k in rounds[n][0]]
        if extra:
            out.append(f"{n}: " + "; ".join(extra))
    return "\n".join(out)


def group(results):
    """Results by engine name in first-seen order, Quiver first."""
    rounds = {}
    for res in results:
        rounds.setdefault(engine_name(res), []).append(res)
    # Quiver's graph is "quiver", its partitioned index "quiver-ivf".
    ours = next((n for n in rounds if n.split("-")[0] == "quiver"), None)
    if ours is None:
        raise SystemExit("compare.py: no Quiver result (engine \"quiver\" or \"quiver-ivf\") among the files")
    return {ours: rounds.pop(ours), **rounds}


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    results = []
    for path in argv[1:]:
        with open(path) as f:
            results.append(json.load(f))
    rounds = group(results)
    q = next(iter(rounds.values()))[0]
    for name, res in list(rounds.items())[1:]:
        peer = name.split()[0]
        print(report(q, res[0], peer, ANCHORS if peer == "hnswlib" else ""))
        print()
    print(summary(rounds))
    if all("qps_single_cpu" in r for res in rounds.values() for x in res for r in x["runs"]):
        print()
        print(summary(rounds, "qps_single_cpu"))


if __name__ == "__main__":
    main(sys.argv)
