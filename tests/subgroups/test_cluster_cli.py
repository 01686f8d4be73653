"""`entrepot cluster` run for real: files in and out, one-line errors, and
the release gate when a warehouse is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from entrepot.cohort import list_cohorts
from entrepot.privacy import add_project, add_user, entries
from entrepot.warehouse import Warehouse

from ..cohort.conftest import build_tiny
from .conftest import cli

PASSWORD = "correct horse battery"


def features(n: int = 60, first: int = 1) -> pa.Table:
    """Two groups of persons (ids first..): young smokers, old non-smokers."""
    rng = np.random.default_rng(0)
    group = np.arange(n) % 2
    return pa.table(
        {
            "person_id": range(first, first + n),
            "age": rng.normal(30 + 40 * group, 3),
            "smoker": group == 0,
            "subset": np.where(group == 0, "limited", "diffuse"),
        }
    )


def run(capsys, *args: str, code: int = 0):
    return cli(capsys, "cluster", *args, code=code)


def test_a_parquet_file_clustered_and_written(capsys, tmp_path):
    pq.write_table(features(), tmp_path / "f.parquet")
    result = run(
        capsys, tmp_path / "f.parquet", "--json", "--out", tmp_path / "c.parquet"
    )
    assert (result["k"], result["method"], result["n"]) == (2, "lca", 60)
    assert result["sizes"] == [30, 30]
    assert set(result["indices"]) == {
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
    }
    assert result["stability"]["mean"] == 1.0
    assert len(result["stability"]["per_cluster_jaccard"]) == 2
    assert "pareto" not in result
    ages = sorted(p["age"]["mean"] for p in result["profiles"])
    assert ages[0] == pytest.approx(30, abs=2) and ages[1] == pytest.approx(70, abs=2)
    written = pq.read_table(tmp_path / "c.parquet")
    assert written.column_names == ["person_id", "cluster"]
    rows = written.to_pylist()
    assert [r["person_id"] for r in rows] == list(range(1, 61))
    smokers = {r["cluster"] for r in rows if r["person_id"] % 2 == 1}
    assert len(smokers) == 1 and {r["cluster"] for r in rows} == {1, 2}


def test_a_csv_file_whose_first_column_is_the_id(capsys, tmp_path):
    from pyarrow import csv

    table = features().rename_columns(["patient", "age", "smoker", "subset"])
    csv.write_csv(table, tmp_path / "f.csv")
    result = run(
        capsys, tmp_path / "f.csv", "--k", "2", "--json", "--out", tmp_path / "c.csv"
    )
    assert result["k"] == 2 and result["choice"]["rule"] == "k given"
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0] == '"person_id","cluster"' and len(lines) == 61


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.parquet"], "missing.parquet: no such features file"),
        (["ids.parquet"], "no feature columns (only the id column 'person_id')"),
        (
            ["f.parquet", "--k", "61"],
            "--k 61: a partition of 60 persons needs 2 ≤ k < 60",
        ),  # fmt: skip
        (["f.parquet", "--k", "many"], "--k many: a number of clusters, or auto"),
        (
            ["f.parquet", "--method", "kmeans"],
            "unknown method 'kmeans': choose one of lca, ward, kprototypes, gmm, hdbscan, mvmc",
        ),  # fmt: skip
        (
            ["f.parquet", "--method", "hdbscan", "--k", "3"],
            "hdbscan finds its own number of clusters: use --k auto",
        ),  # fmt: skip
        (["f.parquet", "--save-cohorts"], "--save-cohorts: name the warehouse (-w)"),
        (["f.parquet", "--views", "v.yaml"], "--views: only for --method mvmc"),
        (["not.parquet"], "not.parquet: not a Parquet or CSV file"),
    ],
)
def test_bad_input_is_one_line(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENTREPOT_WAREHOUSE", raising=False)
    pq.write_table(features(), "f.parquet")
    pq.write_table(pa.table({"person_id": [1, 2, 3]}), "ids.parquet")
    Path("not.parquet").write_text("person_id,age\n")
    err = run(capsys, *args, code=2)
    assert err.startswith("entrepot: error: ") and message in err
    assert len(err.splitlines()) == 1


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The tiny warehouse (persons 1 to 5), a project `all` of everyone and
    its researcher rita."""
    folder = tmp_path_factory.mktemp("cluster")
    with build_tiny(str(folder / "eds.duckdb")) as wh:
        add_project(wh, "all")
        add_user(wh, "rita", "researcher", PASSWORD, projects=["all"])
    return folder / "eds.duckdb"


def test_with_a_warehouse_small_clusters_are_masked(
    capsys, tmp_path, warehouse, monkeypatch
):
    """Rita's sizes are masked (< 10 persons), their profiles withheld; the
    administrator's are exact; both audited as `cluster`."""
    pq.write_table(features(12), tmp_path / "f.parquet")
    args = [tmp_path / "f.parquet", "--k", "2", "--json", "-w", warehouse]
    exact = run(capsys, *args)
    assert exact["sizes"] == [6, 6] and all(exact["profiles"])
    monkeypatch.setenv("ENTREPOT_PASSWORD", PASSWORD)
    masked = run(capsys, *args, "--user", "rita", "--project", "all")
    assert masked["sizes"] == ["<10", "<10"] and masked["n"] == 12
    assert masked["profiles"] == [None, None]
    assert len(masked["stability"]["per_cluster_jaccard"]) == 2
    with Warehouse.open(warehouse, read_only=True) as wh:
        found = [e for e in entries(wh) if e["action"] == "cluster"]
    assert [(e["user"], e["project"], e["rows"], e["persons"]) for e in found[-2:]] == [
        ("root", None, 2, 12),
        ("rita", "all", 2, 12),
    ]


def test_a_masked_size_does_not_follow_from_the_others_and_n(
    capsys, tmp_path, warehouse, monkeypatch
):
    """20 young smokers, 20 old non-smokers and 4 in between: the small
    cluster reads "<10", and since n and the other sizes would give it back,
    the gate hides one more ("*"), as `entrepot profiles` does."""
    young, old = features(40).to_pandas(), features(4, first=41).to_pandas()
    old["age"], old["subset"] = 50.0, "other"
    table = pa.Table.from_pandas(pd.concat([young, old]), preserve_index=False)
    pq.write_table(table, tmp_path / "f.parquet")
    args = [tmp_path / "f.parquet", "--k", "3", "--json", "-w", warehouse]
    assert sorted(run(capsys, *args)["sizes"]) == [4, 20, 20]
    monkeypatch.setenv("ENTREPOT_PASSWORD", PASSWORD)
    masked = run(capsys, *args, "--user", "rita", "--project", "all")
    assert sorted(map(str, masked["sizes"])) == ["*", "20", "<10"]
    assert masked["n"] == 44


def test_clusters_saved_as_cohorts(capsys, tmp_path, warehouse):
    """Each cluster becomes a cohort of its persons known to the warehouse
    (1 to 5, over their observation period); run again, replaced."""
    pq.write_table(features(10), tmp_path / "scleroderma.parquet")
    args = [tmp_path / "scleroderma.parquet", "--k", "2", "--json", "-w", warehouse]
    result = run(capsys, *args, "--save-cohorts")
    names = [c["name"] for c in result["cohorts"]]
    assert names == ["scleroderma cluster 1", "scleroderma cluster 2"]
    again = run(capsys, *args, "--save-cohorts")
    assert again["cohorts"] == result["cohorts"]
    with Warehouse.open(warehouse, read_only=True) as wh:
        cohorts = {c["name"]: c for c in list_cohorts(wh)}
    persons = [cohorts[n]["persons"] for n in names]
    assert sorted(persons) == [2, 3]  # persons 1, 3, 5 (smokers) and 2, 4
