"""A schema's fields read from the warehouse's notes, into `note_extraction`
and `note_nlp`.

One row per note and field in `entrepot.note_extraction`, with its value (as
text, typed back by its field's type), its evidence and its provenance; a
boolean field found true is also a `note_nlp` row, so that a note mention
(`label: <field>`) finds it. Incremental: each note's rows carry a
fingerprint of its text and of what read it (schema version, backend, model,
prompt version), and a run reads only the notes whose fingerprint changed.
Atomic: the backend reads every note first, then one transaction replaces
the notes' rows in both tables; a backend that fails writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import ibis.expr.types as ir
import pyarrow as pa

from entrepot.cohort import cohort_notes
from entrepot.errors import ExtractionError
from entrepot.extraction._result import Backend, Extraction
from entrepot.extraction._schema import Schema, Value
from entrepot.nlp import note_fingerprints, pending, read_notes, snippet
from entrepot.privacy import Decision
from entrepot.warehouse import among
from entrepot.warehouse._warehouse import BOOKKEEPING

TABLE = "note_extraction"
COLUMNS = BOOKKEEPING[TABLE]
SYSTEM = "entrepot-extract"


def nlp_system(schema: Schema, backend: Backend) -> str:
    """note_nlp's nlp_system of an extraction: what read it, versions last
    (rows of older versions share what comes before them)."""
    versions = f"schema {schema.version}, prompt {backend.prompt_version or '-'}"
    return f"{_system_prefix(schema.name, backend)}{versions}"[:250]


def _system_prefix(schema_name: str, backend: Backend) -> str:
    return f"{SYSTEM} {schema_name} · {backend.name} {backend.model or '-'} · "


def value_text(value: Value) -> str | None:
    """A value as stored: booleans and numbers as JSON, texts as they are."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def typed_value(field_type: str, text: str | None) -> Value:
    """A stored value read back as its field's type."""
    if text is None or field_type not in ("boolean", "number"):
        return text
    return json.loads(text)


def extraction_table(wh) -> ir.Table:
    """`entrepot.note_extraction`, created empty in a warehouse made before it."""
    if not wh.has_table(TABLE):
        wh.store.create_table("entrepot", TABLE, COLUMNS)
    return wh.table(TABLE)


def read_extractions(wh, schema_name: str | None = None) -> list[dict]:
    """The rows of note_extraction (of one schema), their values typed,
    ordered by note and field."""
    t = extraction_table(wh)
    if schema_name is not None:
        t = t.filter(t.schema_name == schema_name)
    rows = t.order_by(["note_id", "schema_name", "backend", "model", "field"])
    found = rows.to_pyarrow().to_pylist()
    return [r | {"value": typed_value(r["field_type"], r["value"])} for r in found]


def _same(column: ir.Value, value: str | None) -> ir.BooleanValue:
    return column.isnull() if value is None else column == value


def _mine(t: ir.Table, schema: Schema, backend: Backend) -> ir.BooleanValue:
    """Rows of this schema read by this backend and model (any version)."""
    return (
        (t.schema_name == schema.name)
        & (t.backend == backend.name)
        & _same(t.model, backend.model)
    )


def extract_notes(
    wh,
    schema: Schema,
    backend: Backend,
    *,
    decision: Decision,
    cohort: int | str | None = None,
    note_titles: list[str] | None = None,
    batch_size: int = 64,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Read `schema` from the notes with `backend`; write what changed.

    The notes are those inside `decision`'s perimeter, of a saved cohort's
    persons (its id or name) and of these titles (any case) when given.
    Notes already read with the same schema version, backend, model and
    prompt version, and unchanged since, are skipped. `batch_size` notes go
    to the backend at once; `progress(label)` is called after each batch.
    Raises ExtractionError, with nothing written, when the backend fails or
    answers badly.
    """
    notes = cohort_notes(wh, decision, cohort, note_titles)
    notes = notes.filter(notes.note_text.notnull())
    current = note_fingerprints(wh, ("note_text",), nlp_system(schema, backend), notes)
    stored = extraction_table(wh)
    done = stored.filter(_mine(stored, schema, backend))
    todo, _ = pending(current, done.select("note_id", "fingerprint").distinct())
    todo = todo.to_pyarrow()
    notes_count = current.count().to_pyarrow().as_py()
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    rows: list[dict] = []
    mentions: list[dict] = []
    read = 0
    notes = read_notes(
        wh, wh.store.from_arrow(todo), ("person_id", "note_text"), batch_size
    )
    for batch in notes:
        texts = [n["note_text"] for n in batch]
        found = _checked(schema, backend, texts, backend.extract(schema, texts))
        for note, extraction in zip(batch, found, strict=True):
            provenance = {"fingerprint": note["fingerprint"], "extracted_at": now}
            rows += _rows(schema, backend, note, extraction, provenance)
            mentions += _mentions(schema, backend, note, extraction, now)
        read += len(batch)
        if progress:
            progress(f"{read} notes")
    written = _write(wh, schema, backend, todo["note_id"].to_pylist(), rows, mentions)
    return {
        "schema": schema.name,
        "schema_version": schema.version,
        "backend": backend.name,
        "model": backend.model,
        "notes": notes_count,
        "extracted": read,
        "skipped": notes_count - todo.num_rows,
        "rows": len(rows),
        "note_nlp_rows": written,
    }


def _checked(
    schema: Schema, backend: Backend, texts: Sequence[str], found: list[Extraction]
) -> list[Extraction]:
    """The backend's answers, refused unless one valid answer per text."""
    if len(found) != len(texts):
        raise ExtractionError(
            f"backend {backend.name} answered {len(found)} extractions "
            f"for {len(texts)} notes"
        )
    for extraction, text in zip(found, texts, strict=True):
        problems = schema.problems(extraction.fields) + [
            f"{name}: evidence {start}-{end} is not in the text"
            for name, (start, end) in extraction.evidence.items()
            if not 0 <= start <= end <= len(text)
        ]
        if problems:
            raise ExtractionError(
                f"backend {backend.name} answered badly: {'; '.join(problems)}"
            )
    return found


def _rows(
    schema: Schema, backend: Backend, note: dict, extraction: Extraction, more: dict
) -> list[dict]:
    """One note_extraction row per field of the schema."""
    rows = []
    for field in schema.fields:
        start, end = extraction.evidence.get(field.name, (None, None))
        rows.append(
            {
                "note_id": note["note_id"],
                "person_id": note["person_id"],
                "schema_name": schema.name,
                "schema_version": schema.version,
                "field": field.name,
                "field_type": field.type,
                "value": value_text(extraction.fields[field.name]),
                "evidence_start": start,
                "evidence_end": end,
                "backend": backend.name,
                "model": backend.model,
                "prompt_version": backend.prompt_version,
                **more,
            }
        )
    return rows


def _mentions(
    schema: Schema, backend: Backend, note: dict, extraction: Extraction, now
) -> list[dict]:
    """note_nlp rows (ids to come) of the boolean fields found true, with
    their evidence, as `entrepot nlp run` writes its mentions."""
    text = note["note_text"]
    found = []
    for field in schema.fields:
        if field.type != "boolean" or extraction.fields[field.name] is not True:
            continue
        span = extraction.evidence.get(field.name)
        found.append(
            {
                "note_id": note["note_id"],
                "section_concept_id": 0,
                "snippet": snippet(text, *span) if span else None,
                "offset": f"{span[0]}-{span[1]}" if span else None,
                "lexical_variant": (text[span[0] : span[1]] if span else field.name)[
                    :250
                ],
                "note_nlp_concept_id": 0,
                "note_nlp_source_concept_id": 0,
                "nlp_system": nlp_system(schema, backend),
                "nlp_date": now.date(),
                "nlp_datetime": now,
                "term_exists": "Y",
                "term_modifiers": f"label={field.name},schema={schema.name}",
            }
        )
    return found


def _write(
    wh,
    schema: Schema,
    backend: Backend,
    ids: list[int],
    rows: list[dict],
    mentions: list[dict],
) -> int:
    """Replace the notes' rows of this schema, backend and model in both
    tables, in one transaction; the number of note_nlp rows written."""
    if not ids:
        return 0
    stored = extraction_table(wh)
    redone = stored.filter(
        _mine(stored, schema, backend) & among(wh, stored.note_id, ids)
    )
    nlp = wh.table("note_nlp")
    # warehouses created before the spec's quotes were dropped name it '"offset"'
    offset = next(c for c in nlp.columns if c.strip('"') == "offset")
    first = (nlp.note_nlp_id.max().to_pyarrow().as_py() or 0) + 1
    for i, mention in enumerate(mentions):
        mention["note_nlp_id"] = first + i
        mention[offset] = mention.pop("offset")
    new_rows = wh.store.from_arrow(pa.Table.from_pylist(rows, COLUMNS.to_pyarrow()))
    new_mentions = wh.store.from_arrow(
        pa.Table.from_pylist(mentions, nlp.schema().to_pyarrow())
    )
    replaced = {}
    if redone.count().to_pyarrow().as_py():  # a new version, a changed note
        old = nlp.nlp_system.startswith(_system_prefix(schema.name, backend))
        gone = among(wh, nlp.note_id, ids) & old.fill_null(False)
        kept = stored.filter(
            ~(_mine(stored, schema, backend) & among(wh, stored.note_id, ids))
        )
        replaced = {
            ("cdm", "note_nlp"): wh.store.materialize(nlp.filter(~gone)),
            ("entrepot", TABLE): wh.store.materialize(kept),
        }
    with wh.store.transaction() as tx:
        for (where, name), rest in replaced.items():
            tx.replace(where, name, rest)
        tx.append("entrepot", TABLE, new_rows)
        if mentions:
            tx.append("cdm", "note_nlp", new_mentions)
    return len(mentions)
