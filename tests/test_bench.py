"""Small runs of the benchmarks, so they cannot rot (no timing assertion: machines are noisy)."""

from bench import deid, load


def test_load_benchmark_runs_small():
    figures = load.run(rows=20_000, persons=500, repeat=1)
    assert figures["rows"] == 20_000
    assert figures["raw_rows_per_s"] > 0 and figures["entrepot_rows_per_s"] > 0
    assert (
        abs(figures["ratio"] - figures["raw_seconds"] / figures["entrepot_seconds"])
        < 0.01
    )


def test_deid_benchmark_shows_the_published_figure_without_a_ratio(capsys):
    result = deid.main(["--patients", "20"])
    out = capsys.readouterr().out
    assert 0 < result["f1"] <= 1 and 0 < result["recall_all"] <= 1
    assert result["published_on_real_notes"] == {
        "f1": 0.887,
        "fully_deidentified": 0.32,
    }
    assert not any("ratio" in key for key in result)
    assert "published figure, for context (real notes, not comparable: no ratio)" in out
    assert " x" not in out and "(x" not in out
