"""bench/synth.py runs (tiny), so that it cannot rot; no timing is asserted."""

from __future__ import annotations

import pytest

from bench.synth import run


@pytest.fixture(scope="module")
def figures() -> dict:
    """One small run, read by both tests."""
    return run(patients=60, workers=1, notes=(False,))


def test_bench_reports_its_figures(figures):
    f = figures["without_notes"]
    assert f["rows_per_table"]["person"] == 60
    assert f["patients_per_minute"] > 0 and f["rows_per_second"] > 0


def test_synthea_is_a_published_figure_not_a_ratio(figures):
    """Synthea is not run here: its speed is context, never a divisor."""
    assert figures["published_figure"] == {
        "generator": "Synthea",
        "patients_per_minute": 1_000,
        "measured_here": False,
    }
    assert not any("ratio" in key for key in figures["without_notes"])
    assert "baseline" not in figures
