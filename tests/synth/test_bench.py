"""bench/synth.py runs (tiny), so that it cannot rot; no timing is asserted."""

from __future__ import annotations

from bench.synth import run


def test_bench_reports_its_figures():
    figures = run(patients=60, workers=1, notes=(False,))
    f = figures["without_notes"]
    assert f["rows_per_table"]["person"] == 60
    assert f["patients_per_minute"] > 0 and f["rows_per_second"] > 0
    assert f["ratio_to_synthea"] == round(f["patients_per_minute"] / 1000, 1)
