"""Opt-out on each engine: a patient erased from every table at once, and
left out of every later load."""

import json

import pyarrow as pa
import pytest

from entrepot.errors import KeyFileError
from entrepot.ingest import ingest_raw, read_extract
from entrepot.privacy import (
    SecretKey,
    entries,
    on_optout,
    optout_add,
    optout_list,
    optout_remove,
    person_id,
    verify,
)
from entrepot.privacy._tables import person_tables
from tests.privacy.conftest import KEY

FILLED = ("person", "visit_occurrence", "measurement", "note", "drug_exposure")


def _rows_of(wh, pid: int) -> dict[str, int]:
    """Rows of this person in every table that holds persons (but the registry)."""
    out = {}
    for name, column in person_tables(wh).items():
        if name == "optout":
            continue
        t = wh.table(name)
        out[name] = int(t.filter(t[column] == pid).count().to_pyarrow().as_py())
    return out


def _busy_patient(hospital) -> str:
    docs = read_extract(hospital / "raw" / "documents.csv")
    return max(set(docs["ipp"].to_pylist()), key=docs["ipp"].to_pylist().count)


def test_an_opted_out_patient_is_erased_everywhere_and_never_comes_back(
    hospital, ingested_on
):
    wh = ingested_on
    ipp = _busy_patient(hospital)
    pid = person_id(KEY, ipp)
    notes = wh.table("note")
    note_ids = notes.filter(notes.person_id == pid).note_id.to_pyarrow().to_pylist()
    cohort = pa.table(
        {
            "cohort_definition_id": pa.array([1, 1], pa.int64()),
            "subject_id": pa.array([pid, 7], pa.int64()),
            "cohort_start_date": pa.array([None, None], pa.date32()),
            "cohort_end_date": pa.array([None, None], pa.date32()),
        }
    )
    with wh.store.transaction() as tx:
        tx.append("results", "cohort", wh.store.from_arrow(cohort))
    called = []
    on_optout(lambda wh, ids: called.append(ids))
    before = _rows_of(wh, pid)
    assert all(before[name] for name in (*FILLED, "cohort"))
    others = wh.count("measurement") - before["measurement"]

    result = optout_add(wh, KEY, [ipp], user="dpo")
    assert result["patients"] == 1 and result["rows_removed"]["note"] == len(note_ids)
    assert result["rows_removed"] == {n: c for n, c in before.items() if c}
    assert not any(_rows_of(wh, pid).values())
    assert wh.count("cohort") == 1 and wh.count("measurement") == others
    assert called[-1] == [pid]
    assert [r["person_id"] for r in optout_list(wh)] == [pid]
    assert ipp not in str(optout_list(wh))

    reload = ingest_raw(wh, hospital / "raw", key=KEY)  # a later load
    assert reload.opted_out_rows > 0 and sum(reload.loaded.values()) == 0
    assert not any(_rows_of(wh, pid).values())
    actions = [e["action"] for e in entries(wh)]
    assert "optout.add" in actions and actions[-1] == "ingest"
    assert verify(wh)["ok"] is True

    optout_remove(wh, KEY, [ipp], user="dpo")
    ingest_raw(wh, hospital / "raw", key=KEY)
    assert _rows_of(wh, pid)["note"] == len(note_ids)


def test_another_key_is_refused_and_changes_nothing(hospital, ingested_on):
    """Its pseudonyms would match no one: the patient would stay, and come back."""
    ingested = ingested_on
    ipp = _busy_patient(hospital)
    other = SecretKey(b"k" * 32)
    before = ingested.counts()
    with pytest.raises(KeyFileError, match="another key"):
        optout_add(ingested, other, [ipp], user="dpo")
    assert ingested.counts() == before and optout_list(ingested) == []
    optout_add(ingested, KEY, [ipp], user="dpo")
    with pytest.raises(KeyFileError, match="another key"):
        optout_remove(ingested, other, [ipp], user="dpo")
    assert [r["person_id"] for r in optout_list(ingested)] == [person_id(KEY, ipp)]


def test_opt_out_is_idempotent_and_final(hospital, ingested_on):
    """Add, add again, reload, re-ingest, rotate the key: the patient never
    comes back, and the registry keeps exactly one registration."""
    from entrepot.ingest import rekey_maps
    from entrepot.privacy import rotate_key

    wh = ingested_on
    ipp = _busy_patient(hospital)
    first = optout_add(wh, KEY, [ipp], user="dpo")
    again = optout_add(wh, KEY, [ipp], user="dpo")
    assert (first["new"], again["new"]) == (1, 0)
    assert [r["person_id"] for r in optout_list(wh)] == [person_id(KEY, ipp)]
    for _ in range(2):  # a reload, then a re-ingestion of the same extracts
        ingest_raw(wh, hospital / "raw", key=KEY)
        assert not any(_rows_of(wh, person_id(KEY, ipp)).values())
    new = SecretKey(bytes.fromhex("5a" * 32))
    ipps = read_extract(hospital / "raw" / "patients.csv")["ipp"].to_pylist()
    maps = rekey_maps(hospital / "raw", KEY, new)
    rotate_key(wh, KEY, new, maps, ipps=ipps, user="dpo")  # dates are shifted
    assert [r["person_id"] for r in optout_list(wh)] == [person_id(new, ipp)]
    ingest_raw(wh, hospital / "raw", key=new)
    assert not any(_rows_of(wh, person_id(new, ipp)).values())
    assert optout_add(wh, new, [ipp], user="dpo")["new"] == 0
    assert len(optout_list(wh)) == 1


def test_an_objection_erases_the_patients_gold_annotations(hospital, ingested):
    """Gold spans quote the note's text: they leave with the patient's notes."""
    ipp = _busy_patient(hospital)
    pid = person_id(KEY, ipp)
    notes = ingested.table("note")
    mine = notes.filter(notes.person_id == pid).note_id.to_pyarrow().to_pylist()
    other = notes.filter(notes.person_id != pid).note_id.to_pyarrow().to_pylist()[:2]
    span = {"start": 0, "end": 4, "kind": "identifier", "label": "NOM", "text": "Nom"}
    spans = pa.Table.from_pylist([span | {"note_id": n} for n in [*mine, *other]])
    with ingested.store.transaction() as tx:
        tx.append("entrepot", "note_annotation", ingested.store.from_arrow(spans))
    result = optout_add(ingested, KEY, [ipp], user="dpo")
    assert result["rows_removed"]["note_annotation"] == len(mine)
    gold = ingested.table("note_annotation").note_id.to_pyarrow().to_pylist()
    assert sorted(gold) == sorted(other)


def test_the_audit_anchor_is_kept_beside_the_warehouse(
    hospital, ingested_on, engine, tmp_path, monkeypatch
):
    """`eds.duckdb.audit-anchor` beside a file, `eds.audit-anchor` beside a
    `spark:eds` folder: one line per head recorded, the last the log's."""
    monkeypatch.delenv("ENTREPOT_AUDIT_ANCHOR", raising=False)
    name = {"duckdb": "eds.duckdb.audit-anchor", "spark": "eds.audit-anchor"}[engine]
    optout_add(ingested_on, KEY, [_busy_patient(hospital)], user="dpo")
    result = verify(ingested_on)
    assert result["ok"] is True
    assert result["anchor"]["file"] == str(tmp_path / name)
    lines = (tmp_path / name).read_text().splitlines()
    last = json.loads(lines[-1])["entries"]
    assert result["anchor"]["entries"] == result["entries"] == last
