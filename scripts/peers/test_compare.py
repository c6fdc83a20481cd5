"""pytest scripts/peers: the interpolation of compare.py."""
import pytest

from compare import frontier, group, interpolate, report, summary

RUNS = [
    {"ef": 40, "recall_at_10": 0.92, "qps_single": 2000.0, "qps_all_cores": 3000.0},
    {"ef": 10, "recall_at_10": 0.70, "qps_single": 8000.0, "qps_all_cores": 9000.0},
    {"ef": 20, "recall_at_10": 0.85, "qps_single": 4000.0, "qps_all_cores": 6000.0},
    {"ef": 80, "recall_at_10": 0.96, "qps_single": 1000.0, "qps_all_cores": 1500.0},
]


def test_interpolates_between_bracketing_ef_points():
    # 0.90 lies 5/7 of the way from (0.85, 4000) to (0.92, 2000).
    assert interpolate(RUNS, 0.90) == (pytest.approx(4000 - 2000 * 5 / 7), "")
    # 0.95 lies 3/4 of the way from (0.92, 2000) to (0.96, 1000).
    assert interpolate(RUNS, 0.95) == (pytest.approx(1250), "")
    assert interpolate(RUNS, 0.95, "qps_all_cores") == (pytest.approx(1875), "")


def test_exact_point_and_edges():
    assert interpolate(RUNS, 0.92) == (2000.0, "")
    assert interpolate(RUNS, 0.97) == (None, "not reached")
    assert interpolate(RUNS, 0.50) == (8000.0, "lower bound")
    assert interpolate([], 0.9) == (None, "not reached")


def test_report_mentions_not_reached():
    q = {"build_seconds": 10, "memory_bytes": 2 << 20, "runs": RUNS}
    p = {"build_seconds": 5, "memory_bytes": 1 << 20, "index_size_bytes": 1 << 20, "runs": RUNS[:3]}
    text = report(q, p, "hnswlib")
    assert "not reached" in text
    assert "quiver/hnswlib = 2.00x (lower is better)" in text


# A ScaNN-like sweep over two knobs: (0.80, 3000) is beaten by (0.90, 3500),
# so the frontier skips it.
SCANN = [
    {"ef": 2, "leaves_to_search": 2, "reorder": 30, "recall_at_10": 0.60, "qps_single": 9000.0, "qps_all_cores": 1.0},
    {"ef": 4, "leaves_to_search": 4, "reorder": 30, "recall_at_10": 0.80, "qps_single": 3000.0, "qps_all_cores": 1.0},
    {"ef": 6, "leaves_to_search": 6, "reorder": 40, "recall_at_10": 0.90, "qps_single": 3500.0, "qps_all_cores": 1.0},
    {"ef": 8, "leaves_to_search": 8, "reorder": 90, "recall_at_10": 0.98, "qps_single": 1500.0, "qps_all_cores": 1.0},
]


def test_frontier_drops_dominated_points():
    assert [r["recall_at_10"] for r in frontier(SCANN)] == [0.60, 0.90, 0.98]
    # Monotone curves are their own frontier.
    assert [r["ef"] for r in frontier(RUNS)] == [10, 20, 40, 80]


def test_interpolates_on_the_frontier():
    # 0.70 lies halfway from (0.60, 9000) to (0.90, 3500), not on the dominated point.
    assert interpolate(SCANN, 0.75) == (pytest.approx(9000 - 5500 / 2), "")
    # 0.95 lies 5/8 of the way from (0.90, 3500) to (0.98, 1500).
    assert interpolate(SCANN, 0.95) == (pytest.approx(3500 - 2000 * 5 / 8), "")


def result(name, runs, build=10.0, mem=100 << 20, key="library"):
    return {key: name, "build_seconds": build, "memory_bytes": mem, "runs": runs}


def test_summary_means_rounds_and_ratios():
    q = [result("quiver", RUNS, key="engine"), result("quiver", [dict(r, qps_single=r["qps_single"] * 3) for r in RUNS],
                                                     key="engine")]
    h = [result("hnswlib 0.8.0", RUNS, build=20.0, mem=200 << 20)] * 2
    s = [result("scann 1.4.2", SCANN, build=5.0, mem=50 << 20)]
    rounds = group([q[0], h[0], s[0], q[1], h[1]])
    assert list(rounds) == ["quiver", "hnswlib 0.8.0", "scann 1.4.2"]
    text = summary(rounds)
    lines = {ln.split()[0]: ln for ln in text.splitlines() if ln.split() and ln.split()[0] in ("quiver", "hnswlib", "scann")}
    # Quiver's mean at 0.95 is 2 x 1250 = 2500 (rounds 1250 and 3750); hnswlib's 1250: ratio 2.00x.
    assert "2,500 (1,250/3,750)" in lines["quiver"]
    assert "1,250 (1,250/1,250)  2.00x" in lines["hnswlib"]
    # Build 10 s against 20 s and 5 s; memory 100 MiB against 200 and 50.
    assert "20.0  0.50x" in lines["hnswlib"] and "5.0  2.00x" in lines["scann"]
    assert "200.0  0.50x" in lines["hnswlib"] and "50.0  2.00x" in lines["scann"]
    # ScaNN at 0.90 is exactly its (0.90, 3500) point.
    assert "3,500 (3,500)" in lines["scann"]


def test_group_needs_quiver_and_report_lists_scann_points():
    with pytest.raises(SystemExit):
        group([result("hnswlib 0.8.0", RUNS)])
    text = report(result("quiver", RUNS, key="engine"), result("scann 1.4.2", SCANN), "scann", "")
    assert "leaves=6 reorder=40" in text
    assert "anchors" not in text


def test_summary_on_cpu_seconds():
    cpu = [dict(r, qps_single_cpu=r["qps_single"] * 2) for r in RUNS]
    rounds = group([result("quiver", cpu, key="engine"), result("hnswlib 0.8.0", [dict(r, qps_single_cpu=r["qps_single"])
                                                                                   for r in RUNS])])
    text = summary(rounds, "qps_single_cpu")
    assert "queries per CPU second" in text
    # Quiver's 2,500 per CPU second at 0.95 against hnswlib's 1,250.
    assert "1,250 (1,250)  2.00x" in text
