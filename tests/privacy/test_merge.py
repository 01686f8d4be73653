"""IPP merges: a merged warehouse is the one a load of the merged extracts
gives, and an unmerge gives back the original, every table compared."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from entrepot.cli import main
from entrepot.errors import InputFileError, ParameterError
from entrepot.ingest import ingest_raw
from entrepot.privacy import (
    Merge,
    entries,
    merge_log,
    merge_patients,
    opted_out,
    optout_add,
    person_id,
    unmerge_patients,
)
from entrepot.warehouse import Warehouse
from entrepot.warehouse.cdm import VOCABULARY_TABLES
from tests.privacy.conftest import KEY, table_rows

#: Row ids digested from source rows that include the IPP: a merge keeps them
#: (links to them hold), a load of the merged extracts draws others.
SOURCE_ROW_IDS = {
    "visit_detail_id",
    "condition_occurrence_id",
    "observation_id",
    "procedure_occurrence_id",
    "measurement_id",
    "drug_exposure_id",
}


def pick_pair(raw: Path) -> tuple[str, str]:
    """Two patients with stays, one of whom has notes."""
    with (raw / "stays.csv").open() as f:
        with_stays = {r["ipp"] for r in csv.DictReader(f)}
    with (raw / "documents.csv").open() as f:
        with_notes = [r["ipp"] for r in csv.DictReader(f)]
    old = next(i for i in with_notes if i in with_stays)
    new = next(i for i in sorted(with_stays) if i != old)
    return old, new


def merged_source(raw: Path, folder: Path, old: str, new: str) -> Path:
    """The extracts as the source would give them after the merge: the old IPP
    replaced by the new one, the old patient's identity gone."""
    folder.mkdir()
    for path in raw.glob("*.csv"):
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            header = reader.fieldnames
        if path.name == "patients.csv":
            rows = [r for r in rows if r["ipp"] != old]
        for r in rows:
            if r.get("ipp") == old:
                r["ipp"] = new
        with (folder / path.name).open("w", newline="") as f:
            writer = csv.DictWriter(f, header)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def contents(wh, *, vocabulary: bool = True) -> dict[str, list[tuple]]:
    """Every table of the CDM and results schemas (vocabulary tables too, or
    not), as sorted rows (source row ids left out)."""
    out = {}
    for schema in ("cdm", "results"):
        for name in wh.tables(schema):
            if not vocabulary and name in VOCABULARY_TABLES:
                continue
            out[name] = table_rows(wh, name, SOURCE_ROW_IDS)
    return out


@pytest.fixture(scope="module")
def pair(hospital) -> tuple[str, str]:
    return pick_pair(hospital / "raw")


@pytest.fixture(scope="module")
def merged_file(hospital, pair, tmp_path_factory) -> Path:
    """A warehouse ingested from the merged extracts."""
    folder = tmp_path_factory.mktemp("merged")
    raw = merged_source(hospital / "raw", folder / "raw", *pair)
    with Warehouse.create(folder / "eds.duckdb") as wh:
        ingest_raw(wh, raw, key=KEY)
    return folder / "eds.duckdb"


def test_a_merge_gives_the_warehouse_of_the_merged_source(
    ingested, ingested_file, merged_file, pair
):
    old, new = pair
    before = contents(ingested)
    done = merge_patients(ingested, KEY, [Merge(old, new)], user="dpo")
    with Warehouse.open(merged_file) as expected:
        want = contents(expected)
    got = contents(ingested)
    assert {n for n in got if got[n] != want[n]} == set()
    assert done["merges"] == 1 and done["rows_moved"]["person"] == 1
    assert done["rows_moved"]["note"] > 0
    p = ingested.table("person")
    assert not p.filter(p.person_id == person_id(KEY, old)).count().to_pyarrow().as_py()
    entry = entries(ingested)[-1]
    assert entry["action"] == "patients.merge" and entry["user"] == "dpo"
    assert old not in entry["parameters"] and new not in entry["parameters"]
    assert str(person_id(KEY, old)) in entry["parameters"]
    assert [(m["old_person_id"], m["new_person_id"]) for m in merge_log(ingested)] == [
        (person_id(KEY, old), person_id(KEY, new))
    ]

    unmerge_patients(ingested, KEY, old, new, user="dpo")
    assert contents(ingested) == before
    assert entries(ingested)[-1]["action"] == "patients.unmerge"
    assert merge_log(ingested) == []
    assert ingested.count("merge_row") == 0


def test_a_merge_keeps_row_ids_so_that_links_hold(ingested, pair):
    old, new = pair
    ids = set(ingested.table("note").note_id.to_pyarrow().to_pylist())
    merge_patients(ingested, KEY, [Merge(old, new)])
    n = ingested.table("note")
    assert set(n.note_id.to_pyarrow().to_pylist()) == ids
    mine = n.filter(n.person_id == person_id(KEY, old)).count().to_pyarrow().as_py()
    assert mine == 0


@pytest.mark.parametrize("objector", [0, 1])
def test_opt_out_of_either_patient_applies_to_the_merged_one(ingested, pair, objector):
    old, new = pair
    ids = [person_id(KEY, old), person_id(KEY, new)]
    optout_add(ingested, KEY, [pair[objector]])
    done = merge_patients(ingested, KEY, [Merge(old, new)])
    assert done["opted_out"] == 1
    assert set(ids) <= opted_out(ingested)
    for name in ("person", "visit_occurrence", "note", "observation_period"):
        t = ingested.table(name)
        assert t.filter(t.person_id.isin(ids)).count().to_pyarrow().as_py() == 0
    unmerge_patients(ingested, KEY, old, new)
    assert ids[objector] in opted_out(ingested)
    assert ids[1 - objector] not in opted_out(ingested)


def test_merging_an_unknown_ipp_is_refused_and_changes_nothing(ingested, pair):
    before = contents(ingested)
    audit = len(entries(ingested))
    with pytest.raises(ParameterError, match="not in the warehouse") as e:
        merge_patients(ingested, KEY, [Merge("0000000000", pair[1])])
    assert "\n" not in str(e.value) and "0000000000" not in str(e.value)
    with pytest.raises(ParameterError, match="no merge of these two patients"):
        unmerge_patients(ingested, KEY, *pair)
    assert contents(ingested) == before
    assert len(entries(ingested)) == audit


def test_merges_csv_is_applied_by_ingestion(hospital, pair, merged_file, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(hospital / "raw", raw)
    (raw / "merges.csv").write_text(
        f"old_ipp,new_ipp,merged_on\n{pair[0]},{pair[1]},2024-03-01\n"
    )
    with Warehouse.open(merged_file) as expected:
        want = contents(expected)
    with Warehouse.create(tmp_path / "eds.duckdb") as wh:
        assert ingest_raw(wh, raw, key=KEY).merges == 1
        assert contents(wh) == want
        assert [str(m["merged_on"]) for m in merge_log(wh)] == ["2024-03-01"]
        ingest_raw(wh, raw, key=KEY)  # again: the same warehouse
        assert contents(wh) == want
        assert len(merge_log(wh)) == 1
        unmerge_patients(wh, KEY, *pair)
        rows = len(wh.table("person").to_pyarrow())
    with Warehouse.open(tmp_path / "eds.duckdb") as wh:
        assert rows == 40


def test_a_wrong_merges_csv_stops_ingestion_before_any_write(hospital, pair, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(hospital / "raw", raw)
    (raw / "merges.csv").write_text(
        f"old_ipp,new_ipp,merged_on\n0000000000,{pair[1]},2024-03-01\n"
    )
    with Warehouse.create(tmp_path / "eds.duckdb") as wh:
        with pytest.raises(
            ParameterError, match=r"/raw/merges\.csv, line 2: the IPP to merge away"
        ):
            ingest_raw(wh, raw, key=KEY)
        assert wh.count("person") == 0
    (raw / "merges.csv").write_text(f"old_ipp,new_ipp,merged_on\n1,{pair[1]},3/1/24\n")
    with Warehouse.create(tmp_path / "eds2.duckdb") as wh:
        with pytest.raises(InputFileError, match="line 2: merged_on is not a date"):
            ingest_raw(wh, raw, key=KEY)


def test_the_cli_merges_and_unmerges(capsys, ingested_file, pair, key_file, tmp_path):
    path = tmp_path / "eds.duckdb"
    shutil.copy(ingested_file, path)
    common = ["-w", str(path), "--key-file", str(key_file), "--json"]
    assert main(["patients", "merge", "0000000000", pair[1], *common]) == 2
    err = capsys.readouterr().err
    assert err == (
        "entrepot: error: patients merge: the IPP to merge away is not in the "
        "warehouse; nothing was merged\n"
    )
    merge = ["patients", "merge", *pair, "--merged-on", "2024-03-01", *common]
    assert main(merge) == 0
    assert json.loads(capsys.readouterr().out)["rows_moved"]["person"] == 1
    assert main(["patients", "unmerge", *pair, *common]) == 0
    assert json.loads(capsys.readouterr().out)["rows_restored"]["person"] == 1
    with Warehouse.open(path, read_only=True) as wh:
        actions = [e["action"] for e in entries(wh)[-4:]]
    assert actions == [
        "authorise.ingest",
        "patients.merge",
        "authorise.ingest",
        "patients.unmerge",
    ]


@pytest.mark.spark
def test_on_spark_merges_and_unmerges_are_exact(
    spark_ingested, ingested, merged_file, pair, tmp_path
):
    source, _ = spark_ingested
    shutil.copytree(source, tmp_path / "eds")
    original = contents(ingested, vocabulary=False)  # Spark's has none
    with Warehouse.open(merged_file) as expected:
        want = contents(expected, vocabulary=False)
    ids = [person_id(KEY, i) for i in pair]
    with Warehouse.open(f"spark:{tmp_path / 'eds'}") as wh:
        merge_patients(wh, KEY, [Merge(*pair)])
        assert contents(wh, vocabulary=False) == want
        unmerge_patients(wh, KEY, *pair)
        assert contents(wh, vocabulary=False) == original
        optout_add(wh, KEY, [pair[1]])
        assert merge_patients(wh, KEY, [Merge(*pair)])["opted_out"] == 1
        assert set(ids) <= opted_out(wh)
        v = wh.table("visit_occurrence")
        assert v.filter(v.person_id.isin(ids)).count().to_pyarrow().as_py() == 0


def test_an_objection_under_the_merged_away_ipp_erases_the_survivor(ingested, pair):
    old, new = pair
    merge_patients(ingested, KEY, [Merge(old, new)])
    done = optout_add(ingested, KEY, [old])
    ids = {person_id(KEY, old), person_id(KEY, new)}
    assert ids <= opted_out(ingested) and done["patients"] == 2
    v = ingested.table("visit_occurrence")
    assert v.filter(v.person_id.isin(ids)).count().to_pyarrow().as_py() == 0
