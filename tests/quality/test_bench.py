"""bench/quality.py runs (tiny), so that it cannot rot; no timing is asserted."""

from __future__ import annotations

import pytest

from bench.quality import run


def test_bench_reports_its_figures(tmp_path):
    f = run(patients=30, workers=1, folder=tmp_path)
    assert f["patients"] == 30 and f["checks"] == sum(f["status"].values())
    assert f["status"]["error"] == 0
    assert set(f["seconds_by_family"]) >= {
        "before_birth",
        "lab_value_range",
        "foreign_key",
    }
    assert abs(f["total_seconds"] - f["checks_seconds"] - f["describe_seconds"]) < 0.02
    assert f["target_seconds"] == 120 * 30 / 100_000
    b = f["baseline"]
    assert b["same_counts"] is True and b["checks"] > 50
    assert b["ratio"] == pytest.approx(b["entrepot_seconds"] / b["sql_seconds"], 0.02)
