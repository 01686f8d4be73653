"""A warehouse of hand-written notes about four patients, and its index."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from entrepot.privacy import SecretKey, person_id
from entrepot.search import update_index

KEY = SecretKey(bytes.fromhex("8f" * 16 + "3c" * 16))
PATIENTS = {ipp: person_id(KEY, ipp) for ipp in ("IPP1", "IPP2", "IPP3", "IPP4")}
#: note_id -> (patient, date, title, text)
NOTES = {
    1: ("IPP1", date(2020, 3, 1), "Compte rendu de consultation",
        "Patiente suivie pour une Sclérodermie systémique.\nRaynaud ancien."),
    2: ("IPP2", date(2021, 5, 2), "Compte rendu de consultation",
        "Pas de sclérodermie. Lupus systémique connu."),
    3: ("IPP3", date(2022, 7, 3), "Compte rendu d'hospitalisation",
        "Sa sœur a une sclérodermie.\nLe patient a une toux."),
    4: ("IPP4", date(2023, 9, 4), "Compte rendu d'hospitalisation",
        "Suspicion de sclérodermie systémique, à confirmer."),
    5: ("IPP1", date(2024, 1, 5), "Ordonnance",
        "Antécédents :\nSCLERODERMIE diffuse.\nTraitement : méthotrexate."),
}  # fmt: skip


def add_notes(wh, notes: dict) -> None:
    """Notes `{note_id: (IPP of PATIENTS or a person id, date, title, text)}`."""
    schema = wh.table("note").schema().to_pyarrow()
    rows = [
        {"note_id": i, "person_id": PATIENTS.get(ipp, ipp), "note_date": day,
         "note_type_concept_id": 32817, "note_class_concept_id": 0,
         "note_title": title, "note_text": text, "encoding_concept_id": 0,
         "language_concept_id": 0}
        for i, (ipp, day, title, text) in notes.items()
    ]  # fmt: skip
    with wh.store.transaction() as tx:
        tx.append(
            "cdm",
            "note",
            wh.store.from_arrow(pa.Table.from_pylist(rows, schema=schema)),
        )


@pytest.fixture
def notes_warehouse(tmp_path, new_duckdb):
    with new_duckdb(tmp_path / "eds.duckdb") as wh:
        add_notes(wh, NOTES)
        yield wh


@pytest.fixture
def indexed(notes_warehouse):
    update_index(notes_warehouse, workers=1)
    return notes_warehouse
