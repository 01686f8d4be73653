"""A small run of bench/serve.py, so that it cannot rot (no timing assertion:
machines are noisy): the test hospital, 3 users, 5 seconds."""

from __future__ import annotations

import shutil

from bench import serve as bench


def test_serve_benchmark_runs_small(web_file, tmp_path, capsys):
    path = tmp_path / "eds.duckdb"
    shutil.copy(web_file, path)
    shutil.copytree(web_file.parent / "eds.duckdb.search", tmp_path / "eds.duckdb.search")  # fmt: skip
    figures = bench.run(users=3, seconds=5, warehouse=path, rounds=2, think=0.1)
    bench.report(figures)
    assert figures["patients"] == 300 and figures["not_served"] == []
    load = figures["load"]
    assert load["overall"]["errors"] == 0, load["failures"]
    names = {name for name, *_ in bench.MIX}
    assert names <= set(load["by_request"])
    assert load["overall"]["requests"] == sum(r["requests"] for r in load["by_request"].values())  # fmt: skip
    for row in [*load["by_request"].values(), load["overall"]]:
        assert 0 <= row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
        assert row["requests_per_s"] >= 0
    alone = figures["alone"]
    assert alone["errors"] == 0 and alone["requests"] == 2 * len(bench.MIX)
    assert figures["ratio"] == round(load["overall"]["p95_ms"] / alone["p95_ms"], 2)
    printed = capsys.readouterr().out
    assert "overall" in printed and f"ratio {figures['ratio']}x" in printed
