"""Re-runs recompute only tables whose content changed (a hash of every row)."""

from __future__ import annotations

import json
import shutil

import duckdb

from entrepot.cli import main
from entrepot.quality import run_checks
from entrepot.warehouse import Warehouse

from .conftest import TODAY, sql

FAMILIES = ["before_birth", "end_before_start", "required_field"]


def test_rerun_reuses_unchanged_tables_and_sees_new_rows(synthetic):
    first = run_checks(synthetic, only=FAMILIES, today=TODAY)
    assert first.summary["incremental"]["saved"] is True
    assert first.summary["incremental"]["reused_tables"] == []
    state = dict(
        sql(synthetic, "SELECT table_name, max_id FROM entrepot.quality_state")
    )
    assert (
        state["measurement"]
        == sql(synthetic, "SELECT max(measurement_id) FROM measurement")[0][0]
    )

    again = run_checks(synthetic, only=FAMILIES, today=TODAY)
    assert again.summary["incremental"]["recomputed_tables"] == []
    assert all(c.reused for c in again.checks)
    assert [(c.id, c.status) for c in again.checks] == [
        (c.id, c.status) for c in first.checks
    ]

    sql(  # a new lab result, dated before its patient's birth
        synthetic,
        "INSERT INTO measurement SELECT * REPLACE (99999999 AS measurement_id, "
        "DATE '1901-01-01' AS measurement_date) FROM measurement WHERE measurement_id = 1",
    )
    third = run_checks(synthetic, only=FAMILIES, today=TODAY)
    assert third.summary["incremental"]["recomputed_tables"] == ["measurement"]
    assert "drug_exposure" in third.summary["incremental"]["reused_tables"]
    found = third.by_id()["before_birth:measurement.measurement_date"]
    assert (found.status, found.violating_rows, found.examples) == (
        "fail",
        1,
        [99999999],
    )
    assert not found.reused


def test_person_change_invalidates_tables_that_join_it(synthetic):
    run_checks(synthetic, only=["before_birth"], today=TODAY)
    sql(
        synthetic,
        "INSERT INTO person SELECT * REPLACE (99999 AS person_id) FROM person LIMIT 1",
    )
    again = run_checks(synthetic, only=["before_birth"], today=TODAY)
    assert "measurement" in again.summary["incremental"]["recomputed_tables"]


def test_full_run_stores_nothing(synthetic):
    report = run_checks(
        synthetic, only=["end_before_start"], incremental=False, today=TODAY
    )
    assert report.summary["incremental"]["saved"] is False
    assert sql(synthetic, "SELECT count(*) FROM entrepot.quality_state") == [(0,)]


def test_update_in_place_through_duckdb_is_seen(synthetic_file, tmp_path):
    """The same row count and largest id, other content: checked again, and failing."""
    path = tmp_path / "chu.duckdb"
    shutil.copy(synthetic_file, path)
    with Warehouse.open(path) as wh:
        first = run_checks(wh, only=["age_over_120"], today=TODAY)
    assert first.by_id()["age_over_120:person.year_of_birth"].status == "pass"
    con = duckdb.connect(str(path))
    con.execute("UPDATE person SET year_of_birth = 1800 WHERE person_id = 1")
    con.close()
    with Warehouse.open(path) as wh:
        again = run_checks(wh, only=["age_over_120"], today=TODAY)
    found = again.by_id()["age_over_120:person.year_of_birth"]
    assert (found.status, found.violating_rows, found.examples, found.reused) == (
        "fail",
        1,
        [1],
        False,
    )
    assert again.summary["incremental"]["recomputed_tables"] == ["person"]
    assert again.summary["incremental"]["reused_tables"] == []
    assert again.summary["incremental"]["method"] == "content_hash"


def test_cli_says_how_unchanged_tables_were_proven(synthetic, capsys):
    path = str(synthetic.uri)
    synthetic.close()
    args = ["quality", "-w", path, "--only", "end_before_start"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert (
        "results of 11 unchanged tables were reused (proven unchanged by a content hash of every row"
        in " ".join(out.split())
    )
    assert main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["incremental"]["method"] == "content_hash"


def test_renamed_column_is_a_change(synthetic):
    """Same values under another name: the table's structure is part of its hash."""
    run_checks(synthetic, only=["required_field"], today=TODAY)
    sql(synthetic, "ALTER TABLE person RENAME COLUMN year_of_birth TO column2")
    again = run_checks(synthetic, only=["required_field"], today=TODAY)
    found = again.by_id()["required_field:person.year_of_birth"]
    assert (found.status, found.reason, found.reused) == (
        "fail",
        "person.year_of_birth is missing",
        False,
    )
