"""pytest scripts/peers: the interpolation of compare.py."""
import pytest

from compare import interpolate, report

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
