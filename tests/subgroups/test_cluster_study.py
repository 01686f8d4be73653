"""The study end to end on the session's synthetic hospital, from the CLI:
cohort → features → clusters (saved as cohorts) → profiles and survival."""

from __future__ import annotations

import shutil

import pyarrow.parquet as pq

from .conftest import cli


def _run(capsys, *argv: str) -> dict:
    return cli(capsys, *argv, "--json")


def test_cohort_features_clusters_profiles(capsys, ssc_hospital, tmp_path):
    copy = tmp_path / "ssc.duckdb"
    shutil.copy(ssc_hospital, copy)
    w = ["-w", str(copy)]
    _run(capsys, "cohort", "run", "systemic_sclerosis", "--id", "1", *w)
    features, clusters = tmp_path / "features.parquet", tmp_path / "clusters.parquet"
    made = ["features", "1", "--spec", "systemic_sclerosis", "--out", str(features)]
    _run(capsys, *made, *w)
    persons = pq.read_table(features).column("person_id").to_pylist()
    found = _run(
        capsys, "cluster", str(features), "--k", "3", "--resamples", "5",
        "--out", str(clusters), "--save-cohorts", *w,
    )  # fmt: skip
    assert (found["k"], found["n"], sum(found["sizes"])) == (3, len(persons), len(persons))  # fmt: skip
    assert len(found["stability"]["per_cluster_jaccard"]) == 3
    written = pq.read_table(clusters).to_pydict()
    assert written["person_id"] == persons and set(written["cluster"]) == {1, 2, 3}
    assert [c["name"] for c in found["cohorts"]] == [
        f"features cluster {c}" for c in (1, 2, 3)
    ]
    profiled = _run(capsys, "profiles", str(clusters), "--cohort", "1", *w)
    assert [c["cluster"] for c in profiled["clusters"]] == [1, 2, 3]
    for c, size in zip(profiled["clusters"], found["sizes"], strict=True):
        assert c["size"] in (size, "<10", "*")  # profiles always masks
    assert 0 <= profiled["logrank"]["p"] <= 1
