"""`run_nlp`: notes into note_nlp, incremental, parallel, resumable."""

from __future__ import annotations

import json
import re
from datetime import date

import pyarrow as pa
import pytest

from entrepot.cli import main
from entrepot.nlp import VERSION, run_nlp
from entrepot.warehouse.vocabulary import local_concept_id


def add_notes(wh, texts: dict[int, str]) -> None:
    """Append notes (of person 1) with these ids and texts."""
    schema = wh.table("note").schema().to_pyarrow()
    rows = [
        {"note_id": i, "person_id": 1, "note_date": date(2024, 1, 2),
         "note_type_concept_id": 32817, "note_class_concept_id": 0,
         "note_title": "Test", "note_text": text, "encoding_concept_id": 0,
         "language_concept_id": 0}
        for i, text in texts.items()
    ]  # fmt: skip
    with wh.store.transaction() as tx:
        tx.append(
            "cdm",
            "note",
            wh.store.from_arrow(pa.Table.from_pylist(rows, schema=schema)),
        )


def mentions(wh, note_id: int | None = None) -> list[dict]:
    t = wh.table("note_nlp")
    if note_id is not None:
        t = t.filter(t.note_id == note_id)
    return t.order_by(["note_id", "note_nlp_id"]).to_pyarrow().to_pylist()


def content(wh) -> list[tuple]:
    """note_nlp without its ids and times: what a run found."""
    offset = next(c for c in wh.table("note_nlp").columns if "offset" in c)
    return sorted(
        (r["note_id"], r[offset], r["lexical_variant"], r["note_nlp_concept_id"],
         r["term_exists"], r["term_temporal"], r["term_modifiers"])
        for r in mentions(wh)
    )  # fmt: skip


def test_mentions_have_omop_columns(hospital):
    add_notes(hospital, {900_001: "Antécédents :\nHTA.\nHDM :\nPas de sclérodermie."})
    result = run_nlp(hospital, workers=1)
    assert result["processed"] == result["notes"] > 200
    assert result["skipped"] == 0
    hta, scs = mentions(hospital, 900_001)
    offset = next(c for c in hta if "offset" in c)
    assert (hta["lexical_variant"], hta[offset], hta["term_exists"]) == (
        "HTA",
        "14-17",
        "Y",
    )
    assert hta["term_temporal"] == "past"
    assert hta["note_nlp_concept_id"] == local_concept_id("CIM10", "I10")
    assert (scs["term_exists"], scs["term_temporal"]) == ("N", "present")
    assert scs["term_modifiers"] == (
        "label=DISEASE,negation=true,hypothesis=false,family=false,history=false,"
        "reported=false,section=histoire_de_la_maladie"
    )
    assert scs["snippet"] == "Pas de sclérodermie."
    assert hta["nlp_system"] == VERSION
    assert hospital.count("note_nlp") == result["mentions"]


def test_only_new_and_changed_notes_are_processed(hospital):
    first = run_nlp(hospital, workers=1)
    assert run_nlp(hospital, workers=1)["notes"] == 0
    note_id = mentions(hospital)[0]["note_id"]
    hospital.con.raw_sql(
        f"UPDATE note SET note_text = 'Pas de fièvre.' WHERE note_id = {note_id}"
    )
    add_notes(hospital, {900_002: "Suspicion de lupus."})
    again = run_nlp(hospital, workers=1)
    assert (again["notes"], again["mentions"]) == (2, 2)
    assert [
        (m["lexical_variant"], m["term_exists"]) for m in mentions(hospital, note_id)
    ] == [("fièvre", "N")]
    ids = [m["note_nlp_id"] for m in mentions(hospital)]
    assert len(ids) == len(set(ids))
    assert hospital.count("note_nlp") < first["mentions"] + 2


def test_bad_documents_are_skipped_and_counted(hospital):
    add_notes(
        hospital,
        {
            900_010: "",
            900_011: "   \n ",
            900_012: "Toux\x00 et fièvre",
            900_013: "Toux. " * 200_000,
            900_014: "Toux.",
        },
    )
    result = run_nlp(hospital, workers=2)
    assert result["skipped_by_reason"] == {
        "empty": 2, "control-characters": 1, "too-large": 1,
    }  # fmt: skip
    assert [m["lexical_variant"] for m in mentions(hospital, 900_014)] == ["Toux"]
    assert run_nlp(hospital, workers=1)["notes"] == 0  # skips are remembered


def test_parallel_run_finds_the_same(hospital, hospital_file, tmp_path):
    import shutil

    from entrepot.warehouse import Warehouse

    run_nlp(hospital, workers=3, batch_size=70)
    shutil.copy(hospital_file, tmp_path / "serial.duckdb")
    with Warehouse.open(tmp_path / "serial.duckdb") as serial:
        run_nlp(serial, workers=1)
        assert content(hospital) == content(serial)


def test_notes_are_picked_by_a_query_of_constant_size(hospital):
    import ibis

    from entrepot.nlp._changes import among

    note = hospital.table("note")
    ids = sorted(note.note_id.to_pyarrow().to_pylist())
    picked = note.filter(among(hospital, note.note_id, ids[::3])).note_id
    assert sorted(picked.to_pyarrow().to_pylist()) == ids[::3]
    few = ibis.to_sql(note.filter(among(hospital, note.note_id, ids[:2])))
    many = ibis.to_sql(note.filter(among(hospital, note.note_id, range(20_000))))

    # not one literal per id, as an IN list had (only the bounds and the
    # name of the ids' table differ)
    def shape(sql):
        return re.sub(r"\d+", "0", re.sub(r"memtable_\w+", "memtable", sql))

    assert shape(many) == shape(few)


class Stop(Exception):
    pass


def test_a_run_stopped_midway_leaves_note_nlp_consistent(
    hospital, hospital_file, tmp_path
):
    import shutil

    from entrepot.warehouse import Warehouse

    def stop(label: str) -> None:
        raise Stop(label)

    with pytest.raises(Stop, match="50 notes"):
        run_nlp(hospital, workers=2, batch_size=50, progress=stop)
    state = hospital.store.table("entrepot", "note_nlp_state").to_pyarrow().to_pylist()
    assert len(state) == 50
    assert hospital.count("note_nlp") == sum(s["mentions"] for s in state)
    assert {m["note_id"] for m in mentions(hospital)} <= {s["note_id"] for s in state}
    rest = run_nlp(hospital, workers=2, batch_size=50)
    assert rest["notes"] == hospital.count("note") - 50
    shutil.copy(hospital_file, tmp_path / "whole.duckdb")
    with Warehouse.open(tmp_path / "whole.duckdb") as whole:
        run_nlp(whole, workers=1)
        assert content(hospital) == content(whole)


def test_run_command(hospital_file, tmp_path, capsys):
    import shutil

    shutil.copy(hospital_file, tmp_path / "eds.duckdb")
    args = [
        "nlp",
        "run",
        "-w",
        str(tmp_path / "eds.duckdb"),
        "--json",
        "--workers",
        "2",
    ]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["processed"] > 200 and result["mentions"] > 1000
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == 0
