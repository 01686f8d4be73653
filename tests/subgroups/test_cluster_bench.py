"""A small run of bench/cluster.py, so that it cannot rot (no timing
assertion: machines are noisy)."""

from __future__ import annotations

import json

from bench import cluster as bench


def test_cluster_benchmark_runs_small(capsys, tmp_path):
    figures = bench.main(
        [
            "--patients",
            "400",
            "--features",
            "9",
            "--groups",
            "3",
            "--json",
            str(tmp_path / "c.json"),
        ]  # fmt: skip
    )
    assert json.loads((tmp_path / "c.json").read_text()) == figures
    assert (figures["patients"], figures["features"], figures["planted_k"]) == (
        400,
        9,
        3,
    )
    ours, theirs = figures["entrepot"], figures["kprototypes"]
    assert ours["sample"] == 400 and 2 <= ours["k"] <= 8 and theirs["k"] == 3
    assert -1 <= ours["ari"] <= 1 and -1 <= theirs["ari"] <= 1
    low = (ours["seconds"] - 0.005) / (theirs["seconds"] + 0.005)  # seconds shown
    high = (ours["seconds"] + 0.005) / max(theirs["seconds"] - 0.005, 1e-9)  # rounded
    assert low - 0.001 <= figures["ratio"] <= high + 0.001
    out = capsys.readouterr().out
    assert "400 patients × 9 mixed features, 3 planted groups" in out
    assert (
        "baseline, kmodes k-prototypes" in out
        and "ratio entrepot / k-prototypes" in out
    )


def test_the_planted_table_has_the_features_asked():
    table, truth = bench.planted(50, 30, 4)
    kinds = [str(table.schema.field(c).type) for c in table.column_names[1:]]
    assert table.column_names[0] == "person_id" and len(kinds) == 30
    assert (kinds.count("double"), kinds.count("bool"), kinds.count("string")) == (
        15,
        10,
        5,
    )
    assert len(truth) == 50 and set(truth) <= {0, 1, 2, 3}


def test_the_labelled_sets_are_scored():
    found = bench.labelled(("iris",), ("ward", "mvmc"), resamples=3, k_max=3)
    assert set(found["iris"]) == {"ward", "mvmc"}
    for r in found["iris"].values():
        assert r["truth_k"] == 3 and r["k"] in (2, 3) and 0.4 < r["ari"] <= 1
