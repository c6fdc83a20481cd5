#!/usr/bin/env python3
"""Compare `quiver bench ann` with a peer (hnswlib) from their JSON results.

Usage: compare.py QUIVER.json PEER.json

Both files have the shape {"build_seconds", "memory_bytes", "runs": [{"ef",
"recall_at_10", "qps_single", "qps_all_cores"}]}. Prints a side-by-side table,
then Quiver/peer ratios: single-thread QPS at equal recall (linear interpolation
on each recall-QPS curve at recall@10 = 0.90 and 0.95), build time and memory.
"""
import json
import sys

TARGETS = (0.90, 0.95)

# Section 1 of BENCHMARKS.md, quoted as anchors only: other runs, other days.
ANCHORS = """anchors from BENCHMARKS.md (other jobs, not comparable to the figures above):
  hnswlib -march=native, 100k subset, quiet machine: recall 0.975 at ef=200 ~1,400 q/s; 0.924 at ef=80 ~2,300 q/s; build 82 s
  hnswlib generic Debian build, full 331k: 0.954 at ef=200 850-1,450 q/s; 0.893 at ef=80 2,500-3,200 q/s; build 250-460 s; index ~208 MB"""


def interpolate(runs, target, key="qps_single"):
    """QPS at recall@10 == target on the curve through runs taken in ef order.

    Returns (qps, note): note is "" for an interpolated or exact value,
    "lower bound" when even the smallest ef exceeds the target (the curve's
    QPS at the target is at least the smallest ef's), and qps is None with note
    "not reached" when no run reaches the target.
    """
    pts = sorted(runs, key=lambda r: r["ef"])
    if not pts or max(r["recall_at_10"] for r in pts) < target:
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


def report(q, p, peer):
    out = [f"Quiver vs {peer}: same data, same M/efConstruction, same job", "", table(q, p), ""]
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
    out += ["", ANCHORS]
    return "\n".join(out)


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    with open(argv[1]) as f:
        q = json.load(f)
    with open(argv[2]) as f:
        p = json.load(f)
    peer = p.get("library", "peer").split()[0]
    print(report(q, p, peer))


if __name__ == "__main__":
    main(sys.argv)
