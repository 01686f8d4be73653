"""Plan the documents of each stay, write them, and gather them as Arrow tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from random import Random

import pyarrow as pa

from entrepot.synth.notes._compose import Writer
from entrepot.synth.notes._documents import (
    consultation_letter,
    discharge_letter,
    emergency_report,
    mri_report,
    nursing_note,
    pathology_report,
    prescription,
)
from entrepot.synth.notes._record import lexicon, read_record
from entrepot.synth.notes._text import Doc
from entrepot.warehouse.cdm import cdm_table
from entrepot.warehouse.vocabulary._standard import FRENCH, UTF8

EHR = 32817


#: note_title of each kind of document (note_source_value).
TITLES = {
    "CRH": "Compte rendu d'hospitalisation",
    "CR-CONSULT": "Compte rendu de consultation",
    "CR-HDJ": "Compte rendu d'hôpital de jour",
    "CR-URG": "Compte rendu de passage aux urgences",
    "CR-IRM": "IRM cérébrale",
    "CR-ANAPATH": "Compte rendu anatomopathologique",
    "ORDONNANCE": "Ordonnance",
    "NOTE-IDE": "Transmissions infirmières",
}
MAX_NURSING_NOTES = 5
Planned = tuple[datetime, str, Callable[[], Doc]]


@cache
def bookkeeping_schema(name: str) -> pa.Schema:
    """The Arrow schema of a bookkeeping table (``note_annotation``, ``synth_truth``)."""
    from entrepot.warehouse._warehouse import BOOKKEEPING

    return BOOKKEEPING[name].to_pyarrow()


def write_notes(
    tables: dict[str, pa.Table],
    identities: pa.Table,
    stays: pa.Table,
    *,
    seed: int,
    first_note_id: int,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Write every document of the chunk's stays; returns ``(note, annotations,
    truth)``, truth being the gold values of the notes an extraction schema
    reads (``synth_truth`` rows, one per note and field).

    Each stay has its own random generator, seeded from ``seed`` and its
    visit_occurrence_id, so a stay's documents do not depend on the chunk.
    """
    lex = lexicon()
    notes: dict[str, list] = {k: [] for k in ("id", "person", "date", "dt", "title")}
    notes |= {"text": [], "visit": [], "source": []}
    spans: list[tuple] = []
    gold: list[tuple] = []
    note_id = first_note_id
    for stay in read_record(tables, identities, stays):
        rng = Random(seed * 1_000_003 + stay.visit_id)
        for when, source, write in sorted(_plan(Writer(stay, rng, lex)), key=_by_time):
            doc = write()
            notes["id"].append(note_id)
            notes["person"].append(stay.person.person_id)
            notes["date"].append(when.date())
            notes["dt"].append(when)
            notes["title"].append(TITLES[source])
            notes["text"].append(doc.text())
            notes["visit"].append(stay.visit_id)
            notes["source"].append(source)
            spans += [(note_id, *span) for span in doc.spans]
            if doc.gold:
                schema, subtype, fields = doc.gold
                gold += [
                    (stay.person.person_id, schema, subtype, when.date(), note_id,
                     name, None if value is None else json.dumps(value))
                    for name, value in fields.items()
                ]  # fmt: skip
            note_id += 1
    return (
        _note_table(notes),
        _rows(spans, "note_annotation"),
        _rows(gold, "synth_truth"),
    )


def _by_time(planned: Planned) -> datetime:
    return planned[0]


def _at(day: date, rng: Random, first: int, last: int) -> datetime:
    """A time of that day between two hours."""
    minute = int(rng.random() * 60 * (last - first))
    return datetime(day.year, day.month, day.day) + timedelta(
        hours=first, minutes=minute
    )


def _plan(w: Writer) -> list[Planned]:
    """Which documents a stay has, when, and how to write each."""
    stay, rng = w.stay, w.rng
    start, end = stay.start, stay.end if stay.end >= stay.start else stay.start
    death = stay.person.death
    dead = death is not None and start <= death <= end
    plan: list[Planned] = []
    kind = stay.kind

    def nursing(day: date, index: int = 0) -> None:
        when = _at(day, rng, 6, 22)
        hour = f"{when.hour:02d}h{when.minute:02d}"
        plan.append((when, "NOTE-IDE", lambda: nursing_note(w, day, hour, index)))

    if kind == "MCO":
        n_days = (end - start).days + 1
        for i in range(min(n_days, MAX_NURSING_NOTES)):
            nursing(start + timedelta(days=i), i)
        plan.append(
            (_at(end, rng, 14, 19), "CRH", lambda: discharge_letter(w, end, dead))
        )
        if stay.drugs and not dead:
            plan.append(
                (_at(end, rng, 11, 14), "ORDONNANCE", lambda: prescription(w, end))
            )
    elif kind == "URG":
        plan.append(
            (_at(start, rng, 0, 24), "CR-URG", lambda: emergency_report(w, start))
        )
        if rng.random() < 0.6:
            nursing(start)
    else:
        hdj = kind == "HDJ"
        source = "CR-HDJ" if hdj else "CR-CONSULT"
        plan.append((_at(start, rng, 9, 17), source,
                     lambda: consultation_letter(w, start, day_hospital=hdj)))  # fmt: skip
        if hdj:
            nursing(start)
        if stay.drugs and rng.random() < 0.8:
            plan.append(
                (_at(start, rng, 9, 18), "ORDONNANCE", lambda: prescription(w, start))
            )
    if w.mri:
        mri = w.mri_day()
        plan.append((_at(mri, rng, 8, 20), "CR-IRM", lambda: mri_report(w, mri)))
    if w.skin and kind != "URG":
        biopsy = min(start + timedelta(days=1), end)
        plan.append(
            (_at(biopsy, rng, 9, 18), "CR-ANAPATH", lambda: pathology_report(w, biopsy))
        )
    return plan


def _note_table(notes: dict[str, list]) -> pa.Table:
    schema = cdm_table("note").arrow_schema
    n = len(notes["id"])
    columns = {
        "note_id": notes["id"],
        "person_id": notes["person"],
        "note_date": notes["date"],
        "note_datetime": notes["dt"],
        "note_type_concept_id": [EHR] * n,
        "note_class_concept_id": [0] * n,
        "note_title": notes["title"],
        "note_text": notes["text"],
        "encoding_concept_id": [UTF8] * n,
        "language_concept_id": [FRENCH] * n,
        "visit_occurrence_id": notes["visit"],
        "note_source_value": notes["source"],
    }
    arrays = [
        pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(n, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _rows(rows: list[tuple], table: str) -> pa.Table:
    """A bookkeeping table from its rows, as tuples in the order of its columns;
    the columns after a row's last value are null (synth_truth's drug events')."""
    schema = bookkeeping_schema(table)
    columns = list(zip(*rows, strict=True)) if rows else []
    columns += [(None,) * len(rows)] * (len(schema) - len(columns))
    arrays = [pa.array(col, f.type) for col, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)
