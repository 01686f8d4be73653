"""A small run of bench/drugs.py, so it cannot rot (no timing assertion)."""

from bench import drugs


def test_drugs_benchmark_runs_small():
    figures = drugs.run(patients=300)
    assert figures["rows"] == drugs.drug_exposure(300).num_rows
    assert 300 * 2 <= figures["rows"] <= 300 * 16
    assert figures["rows_per_s"] > 0
    assert 0 < figures["patients_with_interactions"] <= 300
    assert figures["by_level"]["contre-indication"] > 0
