"""Fields read from notes by an extraction (`entrepot extract` ->
`entrepot.note_extraction`): `{extraction: {schema: brain_mri, field:
explains_headache, value: true}}` selects the notes where that field has that
value (a number also a range; no value: any value), each once whichever
backend read it, on its note's date, in its note's visit.
"""

from __future__ import annotations

import ibis.expr.types as ir

from entrepot.cohort._context import Context
from entrepot.cohort._model import Event, Range
from entrepot.cohort._ranges import in_range
from entrepot.cohort.criteria._domain import Domain, next_day

TABLE = "note_extraction"


def _matches(value: ir.StringValue, wanted) -> list[ir.BooleanValue]:
    """Conditions on a stored value (text: booleans and numbers as JSON)."""
    if wanted is None:
        return [value.notnull()]
    if isinstance(wanted, Range):
        return in_range(value.try_cast("float64"), wanted)
    if isinstance(wanted, bool):
        return [value == ("true" if wanted else "false")]
    if isinstance(wanted, float):
        return [value.try_cast("float64") == wanted]
    return [value == wanted]


def extracted(ctx: Context, event: Event) -> ir.Table:
    """The notes whose field has the value asked, one row per note."""
    found, note = ctx.table(TABLE), ctx.table("note")
    found = found.filter(
        found.schema_name == event.extraction_schema,
        found.field == event.field,
        *_matches(found.value, event.value),
    )
    notes = note.semi_join(found, note.note_id == found.note_id)
    return notes.select(
        "person_id",
        "note_id",
        "note_date",
        "visit_occurrence_id",
        "note_type_concept_id",
    )


DOMAIN = Domain(
    name="extraction",
    table=TABLE,
    id="note_id",
    start="note_date",
    end=next_day("note_date"),
    type_concept="note_type_concept_id",
    rows=extracted,
    reveals=("note",),  # extractions are what its notes say
    reads=("value",),
)
