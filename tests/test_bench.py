"""Small runs of the benchmarks, so they cannot rot (no timing assertion: machines are noisy)."""

from bench import load


def test_load_benchmark_runs_small():
    figures = load.run(rows=20_000, persons=500, repeat=1)
    assert figures["rows"] == 20_000
    assert figures["raw_rows_per_s"] > 0 and figures["entrepot_rows_per_s"] > 0
    assert (
        abs(figures["ratio"] - figures["raw_seconds"] / figures["entrepot_seconds"])
        < 0.01
    )
