"""What a schema's extraction found in a cohort's notes, for review: the
persons behind each field's values, and a page of notes with their values and
evidence. Results only: what a user may see of them is the release gate's."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort import cohort_notes
from entrepot.extraction._result import Backend
from entrepot.extraction._schema import Schema, SchemaField
from entrepot.extraction._warehouse import _mine, extraction_table, typed_value
from entrepot.privacy import Decision

#: Field types whose values are counted one by one; others as stated or not.
CATEGORICAL = ("boolean", "enum")
NULL, STATED = "null", "stated"


def value_keys(field: SchemaField) -> list[str]:
    """The values a field's persons are counted under, as stored."""
    if field.type == "boolean":
        return ["true", "false", NULL]
    return [*(field.values or ()), NULL] if field.type == "enum" else [STATED, NULL]


def _extracted(
    wh,
    decision: Decision,
    schema: Schema,
    backend: Backend,
    cohort: int | str,
    note_titles: list[str] | None,
) -> ir.Table:
    """The note_extraction rows of this schema read by this backend and
    model, of the notes in the perimeter, the cohort and the titles."""
    notes = cohort_notes(wh, decision, cohort, note_titles)
    rows = extraction_table(wh)
    rows = rows.filter(_mine(rows, schema, backend))
    return rows.semi_join(notes, rows.note_id == notes.note_id)


def extraction_persons(
    wh,
    decision: Decision,
    schema: Schema,
    backend: Backend,
    cohort: int | str,
    note_titles: list[str] | None = None,
) -> dict:
    """`{"notes": n, "person_ids": [...], "fields": {field: {value: [person
    ids]}}}`: the notes read, their persons, and for each field the persons
    with a note of each value (a categorical field's values, else `stated`;
    `null` when not stated): a person is under each value their notes hold."""
    rows = _extracted(wh, decision, schema, backend, cohort, note_titles)
    categorical = [f.name for f in schema.fields if f.type in CATEGORICAL]
    value = ibis.ifelse(
        rows.field.isin(categorical) & rows.value.notnull(),
        rows.value,
        ibis.ifelse(rows.value.isnull(), NULL, STATED),
    )
    pairs = (
        rows.select("field", "person_id", value=value)
        .distinct()
        .order_by(["field", "value", "person_id"])
        .to_pyarrow()
        .to_pylist()
    )
    fields = {f.name: {v: [] for v in value_keys(f)} for f in schema.fields}
    for p in pairs:
        fields[p["field"]][p["value"]].append(p["person_id"])
    notes = rows.select("note_id", "person_id").distinct()
    return {
        "notes": int(notes.count().to_pyarrow().as_py()),
        "person_ids": sorted({p["person_id"] for p in pairs}),
        "fields": fields,
    }


def extracted_notes(
    wh,
    decision: Decision,
    schema: Schema,
    backend: Backend,
    cohort: int | str,
    note_titles: list[str] | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
) -> dict:
    """`{"total": n, "notes": [...]}`: the notes read, `limit` from `offset`
    in the order of their ids, each with its date, title, text, values and
    evidence (`{field: [start, end]}`, offsets into the text)."""
    rows = _extracted(wh, decision, schema, backend, cohort, note_titles)
    ids = rows.select("note_id").distinct()
    total = int(ids.count().to_pyarrow().as_py())
    page = ids.order_by("note_id").limit(limit, offset=offset)
    notes = decision.table(wh, "note")
    shown = (
        notes.semi_join(page, notes.note_id == page.note_id)
        .select("note_id", "person_id", "note_date", "note_title", "note_text")
        .order_by("note_id")
        .to_pyarrow()
        .to_pylist()
    )
    found = rows.semi_join(page, rows.note_id == page.note_id)
    values: dict[int, dict] = {n["note_id"]: {} for n in shown}
    evidence: dict[int, dict] = {n["note_id"]: {} for n in shown}
    for r in found.to_pyarrow().to_pylist():
        values[r["note_id"]][r["field"]] = typed_value(r["field_type"], r["value"])
        if r["evidence_start"] is not None:
            span = [r["evidence_start"], r["evidence_end"]]
            evidence[r["note_id"]][r["field"]] = span
    return {
        "total": total,
        "notes": [
            {
                "note_id": n["note_id"],
                "person_id": n["person_id"],
                "note_date": n["note_date"].isoformat(),
                "note_title": n["note_title"],
                "text": n["note_text"],
                "fields": values[n["note_id"]],
                "evidence": evidence[n["note_id"]],
            }
            for n in shown
        ],
    }
