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
            "--resamples",
            "5",
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


def test_the_synthetic_study_is_scored_against_the_planted_subtypes(
    capsys, ssc_hospital, tmp_path
):
    """--synthetic on the session's systemic sclerosis hospital (placed where
    the bench keeps its hospitals, so that none is generated): cohort,
    features, clusters, and the planted subtypes' survival."""
    import shutil

    import duckdb

    shutil.copy(ssc_hospital, tmp_path / "ssc-200-0.3-5.duckdb")
    figures = bench.main(
        [
            "--synthetic",
            "--seeds",
            "5",
            "--patients",
            "200",
            "--share",
            "0.3",
            "--hospitals",
            str(tmp_path),
            "--methods",
            "ward,gmm",
            "--resamples",
            "3",
            "--json",
            str(tmp_path / "s.json"),
        ]  # fmt: skip
    )
    assert json.loads((tmp_path / "s.json").read_text()) == figures
    with duckdb.connect(str(ssc_hospital), read_only=True) as con:
        (planted,) = con.execute(
            "SELECT count(*) FROM entrepot.synth_truth "
            "WHERE module = 'systemic_sclerosis'"
        ).fetchone()
    (run,) = figures["runs"]
    assert run["seed"] == 5 and run["persons"] - run["without_subtype"] == planted
    assert run["planted_k"] == 6 and 0 < run["missing"] < 0.5
    assert 0 <= run["logrank_p"] <= 1
    assert set(run["methods"]) == {"ward", "gmm"}
    for m in run["methods"].values():
        assert 2 <= m["k"] <= 8 and -1 <= m["ari"] <= 1
    summary = figures["summary"]["ward"]
    assert summary["right_k"] == (run["methods"]["ward"]["k"] == 6)
    assert summary["mean_ari"] == summary["min_ari"] == run["methods"]["ward"]["ari"]
    out = capsys.readouterr().out
    assert "seed 5: " in out and "planted subtypes' log-rank p = " in out
    assert "ward: mean ARI " in out and "right k in " in out


def test_the_ceiling_scores_the_bayes_classifier_on_the_module(capsys, tmp_path):
    """--ceiling: the module's 30 variables, simulated; the Bayes classifier
    recovers most of the six subtypes, and no clustering could do better."""
    figures = bench.main(
        ["--ceiling", "--patients", "600", "--json", str(tmp_path / "b.json")]
    )
    assert json.loads((tmp_path / "b.json").read_text()) == figures
    assert (figures["studies"], figures["patients"], figures["variables"]) == (
        20,
        600,
        30,
    )
    assert 0.8 < figures["min_ari"] <= figures["mean_ari"] <= figures["max_ari"] < 1
    assert 0.9 < figures["accuracy"] < 1
    assert (
        "Bayes classifier on the module's model, 20 studies of 600"
        in capsys.readouterr().out
    )


def test_seeds_are_a_range_or_a_list():
    assert bench._seeds("0-3") == [0, 1, 2, 3] and bench._seeds("100,7") == [100, 7]
