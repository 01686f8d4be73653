"""Incremental ingestion: a night's changes (an `op` column, or a full
snapshot) applied to a warehouse give, table by table and id by id, the
warehouse a first ingestion of the final extracts gives."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from entrepot.cli import main
from entrepot.errors import InputFileError
from entrepot.ingest import ingest_raw
from entrepot.privacy import SecretKey, person_id
from entrepot.warehouse import Warehouse

KEY = SecretKey(bytes.fromhex("5a" * 32))
#: Tables compared whole: every table ingestion writes, what derives from
#: notes, and the fingerprints of the source rows.
TABLES = (
    "location",
    "care_site",
    "person",
    "death",
    "observation_period",
    "visit_occurrence",
    "visit_detail",
    "condition_occurrence",
    "observation",
    "procedure_occurrence",
    "measurement",
    "drug_exposure",
    "note",
    "note_nlp",
    "note_nlp_state",
    "note_extraction",
    "source_row",
)


def read(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with path.open(encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    return header, rows


def write(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, header)
        out.writeheader()
        out.writerows(rows)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    """A small raw hospital (`first`), the same after a night of corrections
    (`final`), and that night as change files with an `op` column (`delta`)."""
    from entrepot.synth import generate_hospital

    folder = tmp_path_factory.mktemp("delta")
    first, final, delta = folder / "first", folder / "final", folder / "delta"
    generate_hospital(
        folder / "synth.duckdb", patients=20, seed=5, raw=first, workers=1
    )
    shutil.copytree(first, final)
    delta.mkdir()
    changes: dict[str, list[dict]] = {}
    files = {p.stem: read(p) for p in first.glob("*.csv")}
    patients = files["patients"][1]
    with_notes = {d["ipp"] for d in files["documents"][1]}
    gone = next(p["ipp"] for p in patients if p["ipp"] in with_notes)  # deleted
    moved = next(p for p in patients if p["ipp"] != gone)  # moved house, died
    stays = [s for s in files["stays"][1] if s["ipp"] not in (gone, moved["ipp"])]
    longer, dropped_stay = stays[0], stays[-1]
    lab = [r for r in files["lab"][1] if r["ipp"] != gone]
    docs = [d for d in files["documents"][1] if d["ipp"] != gone]
    pmsi = [r for r in files["pmsi"][1] if r["ipp"] != gone]

    def change(name, op, row, new=None):
        changes.setdefault(name, []).append({**(new or row), "op": op})
        rows = files[name][1]
        if op == "delete":
            rows.remove(row)
        elif op == "update":
            rows[rows.index(row)] = new
        else:
            rows.append(new)

    change("patients", "delete", next(p for p in patients if p["ipp"] == gone))
    for name in files:  # the final extracts have none of the deleted patient's rows
        files[name] = (files[name][0], [r for r in files[name][1] if r["ipp"] != gone])
    change(
        "patients",
        "update",
        moved,
        {**moved, "postcode": "59000", "city": "Lille", "death_date": "2024-02-01"},
    )
    change("stays", "update", longer, {**longer, "discharge": "2024-12-31 10:00:00"})
    change("stays", "delete", dropped_stay)
    change("lab", "update", lab[0], {**lab[0], "high": "999"})
    change("lab", "delete", lab[1])
    change("lab", "insert", None, {**lab[2], "taken_at": "2024-06-01 08:00:00"})
    change("pmsi", "delete", pmsi[0])
    change("pmsi", "insert", None, {**pmsi[1], "cim10": "I10", "type": "DAS"})
    change("documents", "update", docs[0], {**docs[0], "text": "Compte rendu corrigé."})
    change("documents", "delete", docs[1])
    new_doc = {**docs[2], "document_id": "999999", "text": "Nouveau courrier."}
    change("documents", "insert", None, new_doc)
    # the patients of changed documents, so that their names are found in them
    noted = {d["ipp"] for d in changes["documents"]}
    for p in files["patients"][1]:
        if p["ipp"] in noted and p["ipp"] != moved["ipp"]:
            changes["patients"].append({**p, "op": "update"})
    for name, (header, rows) in files.items():
        write(final / f"{name}.csv", header, rows)
        write(delta / f"{name}.csv", [*header, "op"], changes.get(name, []))
    theirs = {  # the deleted patient's rows in the first extracts
        name: sum(r["ipp"] == gone for r in read(first / f"{name}.csv")[1])
        for name in ("lab", "documents")
    }
    touched = {r["ipp"] for rows in changes.values() for r in rows}
    calm = next(p["ipp"] for p in patients if p["ipp"] not in touched)
    return {
        "first": first,
        "final": final,
        "delta": delta,
        "theirs": theirs,
        "gone": gone,
        "calm": calm,
    }


def ingested(folder: Path, path: Path) -> Warehouse:
    wh = Warehouse.create(path)
    ingest_raw(wh, folder, key=KEY)
    return wh


def content(wh: Warehouse) -> dict[str, list]:
    """Every table's rows, sorted (ids included)."""
    out = {}
    for name in TABLES:
        rows = wh.table(name).to_pyarrow().to_pylist()
        out[name] = sorted(rows, key=repr)
    return out


@pytest.fixture(scope="module")
def whole(sources, tmp_path_factory) -> tuple[dict, dict, list]:
    """A first ingestion of the final extracts: the tables of `content`, every
    table of `everything`, and the identity vault."""
    from entrepot.privacy import read_identities

    with ingested(sources["final"], tmp_path_factory.mktemp("d") / "eds.duckdb") as wh:
        vault = read_identities(wh, KEY).sort_by("person_id").to_pylist()
        return content(wh), everything(wh), vault


@pytest.fixture(scope="module")
def direct(whole) -> dict[str, list]:
    """Every table of a first ingestion of the final extracts."""
    return whole[0]


def everything(wh: Warehouse) -> dict[str, list]:
    """Every table of the warehouse and of entrepot's bookkeeping, sorted,
    less what names a load or a moment (load ids, times), the logs, and the
    digests of the files beside it (the vault, sealed with a random nonce:
    compared decrypted)."""
    out = {}
    for schema in ("cdm", "entrepot"):
        for name in wh.tables(schema):
            if name in ("load_log", "audit_log", "audit_anchor", "file_beside"):
                continue
            rows = wh.table(name).to_pyarrow()
            moments = ("load_id", "loaded_at", "written_at")
            keep = [c for c in rows.column_names if c not in moments]
            out[name] = sorted(rows.select(keep).to_pylist(), key=repr)
    return out


def test_a_delta_gives_the_warehouse_of_the_final_extracts(sources, direct, tmp_path):
    with ingested(sources["first"], tmp_path / "eds.duckdb") as wh:
        result = ingest_raw(wh, sources["delta"], key=KEY)
        got = content(wh)
    assert {t: len(r) for t, r in got.items()} == {t: len(r) for t, r in direct.items()}
    assert got == direct
    assert result.sources["lab"] == {
        "inserted": 1,
        "updated": 1,
        "deleted": 1,
        "unchanged": 0,
    }
    assert result.sources["patients"]["deleted"] == 1
    theirs = sources["theirs"]
    assert result.tables["measurement"] == {
        "inserted": 1,
        "updated": 1,
        "deleted": 1 + theirs["lab"],
    }
    assert result.tables["note"] == {
        "inserted": 1,
        "updated": 1,
        "deleted": 1 + theirs["documents"],
    }
    assert result.tables["person"] == {"inserted": 0, "updated": 1, "deleted": 1}


def test_a_snapshot_gives_the_warehouse_of_the_final_extracts(
    sources, direct, tmp_path, capsys
):
    """By the command: `entrepot ingest DIR --snapshot`."""
    key = tmp_path / "key"
    key.write_text("5a" * 32 + "\n")
    os.chmod(key, 0o600)
    path = tmp_path / "eds.duckdb"
    ingested(sources["first"], path).close()
    capsys.readouterr()
    command = ["ingest", str(sources["final"]), "--snapshot", "--key-file", str(key)]
    assert main([*command, "-w", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert snapshot_of(path) == direct
    lab = result["sources"]["lab"]
    assert (lab["inserted"], lab["updated"]) == (1, 1)
    assert lab["deleted"] == 1 + sources["theirs"]["lab"]
    assert result["sources"]["patients"]["deleted"] == 1
    with Warehouse.open(path, read_only=True) as wh:
        log = wh.table("audit_log").to_pyarrow().to_pylist()[-1]
    assert log["action"] == "ingest"
    audited = json.loads(log["parameters"])  # per table and per source, as printed
    assert audited["tables"] == result["tables"]
    assert audited["sources"] == result["sources"]


def snapshot_of(path: Path) -> dict[str, list]:
    with Warehouse.open(path, read_only=True) as wh:
        return content(wh)


@pytest.mark.parametrize(
    "name, line, reason",
    [
        ("lab", "bogus", "op 'bogus' is not one of insert, update, delete"),
        ("stays", None, "missing column(s) discharge"),
    ],
)
def test_a_bad_delta_leaves_the_warehouse_as_it_was(
    sources, tmp_path, name, line, reason
):
    delta = tmp_path / "delta"
    shutil.copytree(sources["delta"], delta)
    header, rows = read(delta / f"{name}.csv")
    if line:  # a bad op on the last line of the file
        rows[-1]["op"] = line
    else:
        header.remove("discharge")
        rows = [{k: v for k, v in r.items() if k != "discharge"} for r in rows]
    write(delta / f"{name}.csv", header, rows)
    path = tmp_path / "eds.duckdb"
    ingested(sources["first"], path).close()
    before = snapshot_of(path)
    with Warehouse.open(path) as wh, pytest.raises(InputFileError) as e:
        ingest_raw(wh, delta, key=KEY)
    assert reason in str(e.value) and "\n" not in str(e.value)
    assert snapshot_of(path) == before


def test_a_bad_row_of_a_delta_is_quarantined_and_the_rest_applied(sources, tmp_path):
    delta = tmp_path / "delta"
    shutil.copytree(sources["delta"], delta)
    header, rows = read(delta / "lab.csv")
    bad = {**rows[-1], "ipp": "0000000000", "op": "insert"}  # no such patient
    write(delta / "lab.csv", header, [*rows, bad])
    with ingested(sources["first"], tmp_path / "eds.duckdb") as wh:
        result = ingest_raw(wh, delta, key=KEY)
        q = wh.table("quarantine").to_pyarrow().to_pylist()
    assert result.quarantined["measurement"] == 1
    assert result.tables["measurement"]["inserted"] == 1
    unknown = person_id(KEY, "0000000000")
    assert [r["reason"] for r in q] == [f"person_id {unknown} is not in person"]


def test_deletion_reaches_text_results_the_search_index_and_cohorts(sources, tmp_path):
    from entrepot.nlp import run_nlp
    from entrepot.search import update_index

    with ingested(sources["first"], tmp_path / "eds.duckdb") as wh:
        run_nlp(wh, workers=1)
        update_index(wh, workers=1)
        gone, calm = (person_id(KEY, sources[k]) for k in ("gone", "calm"))
        day = pa.scalar(wh.table("person").to_pyarrow()["birth_datetime"][0]).as_py()
        wh.load(
            {
                "cohort": pa.table(
                    {
                        "cohort_definition_id": [1, 1, 2],
                        "subject_id": [gone, calm, calm],
                        "cohort_start_date": [day.date()] * 3,
                        "cohort_end_date": [day.date()] * 3,
                    }
                )
            }
        )
        notes = wh.count("note")
        result = ingest_raw(wh, sources["delta"], key=KEY)
        cohort = wh.table("cohort").to_pyarrow().to_pylist()
        note_ids = set(wh.table("note").note_id.to_pyarrow().to_pylist())
        mentioned = set(wh.table("note_nlp").note_id.to_pyarrow().to_pylist())
        read_before = wh.count("note_nlp_state")
        again = run_nlp(wh, workers=1)
        index = update_index(wh, workers=1)
    assert mentioned <= note_ids
    assert read_before == len(note_ids) - 2  # the changed and the new notes
    assert (again["notes"], again["removed_notes"]) == (2, 0)
    assert (index["indexed"], index["removed"]) == (2, 0)
    assert index["notes"] == len(note_ids) < notes
    assert sorted((r["cohort_definition_id"], r["subject_id"]) for r in cohort) == [
        (1, calm),
        (2, calm),
    ]
    assert result.stale_cohorts == [1]


@pytest.mark.spark
def test_a_delta_on_spark_gives_the_same_rows(sources, direct, tmp_path, spark_session):
    """The same delta on a Spark warehouse: every table holds the same ids
    (and as many rows) as the first ingestion of the final extracts."""
    ids = {t: "row_id" if t == "source_row" else None for t in TABLES}
    with Warehouse.create(f"spark:{tmp_path / 'eds'}", vocabulary=False) as wh:
        ingest_raw(wh, sources["first"], key=KEY)
        result = ingest_raw(wh, sources["delta"], key=KEY)
        got = {}
        for t in TABLES:
            rows = wh.table(t).to_pyarrow()
            got[t] = sorted(rows[ids[t] or rows.column_names[0]].to_pylist())
    wanted = {
        t: sorted(r[ids[t] or next(iter(r))] for r in rows)
        for t, rows in direct.items()
    }
    assert got == wanted
    assert result.tables["measurement"]["updated"] == 1


#: Shards of 3 patients read 8 KiB at a time: every extract spans several
#: blocks and every patient's rows meet those of other shards in them.
SMALL = {"patients_per_shard": 3, "block_bytes": 8192}


def test_ingestion_in_shards_gives_the_warehouse_of_whole_files(
    sources, whole, tmp_path
):
    """Extracts read in small blocks and built in shards of 3 patients give
    every table of the warehouse, and the identity vault, that whole files
    give: a first ingestion, a delta and a snapshot, with the same counts."""
    from entrepot.privacy import read_identities

    with Warehouse.create(tmp_path / "final.duckdb") as wh:
        first = ingest_raw(wh, sources["final"], key=KEY, **SMALL)
        vault = read_identities(wh, KEY).sort_by("person_id").to_pylist()
        assert (everything(wh), vault) == whole[1:]
    assert first.loaded["measurement"] == len(whole[0]["measurement"]) > 100
    path = tmp_path / "eds.duckdb"
    with Warehouse.create(path) as wh:
        ingest_raw(wh, sources["first"], key=KEY, **SMALL)
    shutil.copy(path, tmp_path / "snapshot.duckdb")
    with Warehouse.open(path) as wh:
        delta = ingest_raw(wh, sources["delta"], key=KEY, **SMALL)
        assert content(wh) == whole[0]
    with Warehouse.open(tmp_path / "snapshot.duckdb") as wh:
        snapshot = ingest_raw(wh, sources["final"], key=KEY, snapshot=True, **SMALL)
        assert content(wh) == whole[0]
    theirs = sources["theirs"]
    assert delta.sources["lab"] == {
        "inserted": 1,
        "updated": 1,
        "deleted": 1,
        "unchanged": 0,
    }
    assert delta.tables["measurement"] == {
        "inserted": 1,
        "updated": 1,
        "deleted": 1 + theirs["lab"],
    }
    assert delta.tables["note"] == {
        "inserted": 1,
        "updated": 1,
        "deleted": 1 + theirs["documents"],
    }
    assert delta.tables["person"] == {"inserted": 0, "updated": 1, "deleted": 1}
    lab = snapshot.sources["lab"]
    assert (lab["inserted"], lab["updated"]) == (1, 1)
    assert lab["deleted"] == 1 + theirs["lab"]
    assert snapshot.sources["patients"]["deleted"] == 1


def test_a_bad_op_in_a_later_block_names_its_line(sources, tmp_path):
    delta = tmp_path / "delta"
    shutil.copytree(sources["first"], delta)
    header, rows = read(delta / "lab.csv")
    rows = [{**r, "op": "insert"} for r in rows]
    rows[-1]["op"] = "bogus"
    write(delta / "lab.csv", [*header, "op"], rows)
    with Warehouse.create(tmp_path / "eds.duckdb") as wh:
        with pytest.raises(InputFileError) as e:
            ingest_raw(wh, delta, key=KEY, **SMALL)
        assert wh.count("person") == 0
    assert str(e.value) == (
        f"{delta / 'lab.csv'}: line {len(rows) + 1}: op 'bogus' is not one of "
        "insert, update, delete; nothing was ingested"
    )
