"""A small run of bench/serve.py, so that it cannot rot (no timing assertion:
machines are noisy): the test hospital, 3 users, 5 seconds, with readers side
by side and with one lock."""

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
    names = {name for name, *_ in bench.MIX}
    asked = {key.rsplit(" (", 1)[0] for key in figures["load"]["by_request"]}
    assert names <= asked  # with readers; the baseline may ask fewer in 5 s
    for load in (figures["load"], figures["one_lock"]):  # readers, then the baseline
        assert load["overall"]["errors"] == 0, load["failures"]
        assert {key.rsplit(" (", 1)[0] for key in load["by_request"]} <= names
        assert {"cold", "warm"} >= {
            key.rsplit(" (", 1)[1].rstrip(")") for key in load["by_request"]
        }
        assert load["overall"]["requests"] == sum(r["requests"] for r in load["by_request"].values())  # fmt: skip
        assert load["overall"]["requests"] == load["cold"]["requests"] + load["warm"]["requests"]  # fmt: skip
        assert load["cold"]["requests"] > 0  # the first of each at least
        for row in [*load["by_request"].values(), load["cold"], load["warm"], load["overall"]]:  # fmt: skip
            if row["requests"]:
                assert 0 <= row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
            assert row["requests_per_s"] >= 0
    alone = figures["alone"]
    assert alone["overall"]["errors"] == 0
    assert alone["cold"]["requests"] == alone["warm"]["requests"] == 2 * len(bench.MIX)
    load, lock = figures["load"], figures["one_lock"]
    assert figures["ratio"] == round(load["overall"]["p95_ms"] / lock["overall"]["p95_ms"], 2)  # fmt: skip
    for k in ("cold", "warm"):
        if load[k]["p95_ms"] and lock[k]["p95_ms"]:
            assert figures["ratios"][k] == round(load[k]["p95_ms"] / lock[k]["p95_ms"], 2)  # fmt: skip
    assert figures["target_met"] == (load["cold"]["p95_ms"] <= bench.TARGET_P95_MS)
    printed = capsys.readouterr().out
    assert "overall" in printed and f"ratio {figures['ratio']}x" in printed
    assert all(key in printed for key in load["by_request"])
    for k in ("cold", "warm"):
        assert f"\n{k}: readers p50 {load[k]['p50_ms']} ms, p95 {load[k]['p95_ms']} ms" in printed  # fmt: skip
        assert f"one lock p50 {lock[k]['p50_ms']} ms, p95 {lock[k]['p95_ms']} ms" in printed  # fmt: skip


def test_the_mix_varies_its_parameters():
    """Most requests ask what was not asked before: a fixed mix measured the
    server's cache."""
    by_name = {name: variants for name, _, _, variants, _ in bench.MIX}
    assert len(by_name["search count"]) >= 50
    assert len(by_name["vocabulary"]) >= 20
    assert len(by_name["cohort count job"]) >= 20
    names = {body["name"] for _, body in by_name["cohort count job"]}
    assert len(names) == len(by_name["cohort count job"])  # each its own cohort
    projects = {p for _, (_, ps) in bench.USERS.items() for p in ps}
    assert len(projects) >= 3 and set(bench.PROJECTS) <= projects
