"""Mentions found in notes by text processing (`entrepot nlp run` -> note_nlp).

A mention counts on its note's date, in its note's visit. By default negated,
hypothetical and family-history mentions do not count (as in report search).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import Context
from entrepot.cohort._model import Event
from entrepot.cohort.criteria._domain import Domain, next_day

#: qualifier of the definition -> its flag in note_nlp.term_modifiers
FLAGS = {
    "negated": "negation",
    "hypothesis": "hypothesis",
    "family": "family",
    "history": "history",
    "reported": "reported",
}


def titled(notes: ir.Table, titles: list[str]) -> ir.Table:
    """Notes of these titles (any case, spaces around ignored)."""
    wanted = [title.strip().lower() for title in titles]
    # not `strip()`: Ibis's PySpark backend also strips the letters f and v
    title = notes.note_title.re_replace(r"^\s+|\s+$", "").lower()
    return notes.filter(title.isin(wanted))


def mentions(ctx: Context, event: Event) -> ir.Table:
    """note_nlp joined to its note, only the mentions `event` counts."""
    nlp, note = ctx.table("note_nlp"), ctx.table("note")
    modifiers = nlp.term_modifiers.fill_null("")
    conditions = [~modifiers.contains(f"{FLAGS[q]}=true") for q in event.excluded]
    if event.label is not None:
        conditions.append(
            ibis.or_(
                *(modifiers.startswith(f"label={label},") for label in event.label)
            )
        )
    nlp = nlp.filter(*conditions) if conditions else nlp
    joined = nlp.join(note, nlp.note_id == note.note_id)
    if event.note_title is not None:
        joined = titled(joined, event.note_title)
    return joined.select(
        "person_id",
        "note_nlp_id",
        "note_date",
        "visit_occurrence_id",
        "note_nlp_concept_id",
        "note_type_concept_id",
    )


DOMAIN = Domain(
    name="note_mention",
    table="note_nlp",
    id="note_nlp_id",
    start="note_date",
    end=next_day("note_date"),
    concept="note_nlp_concept_id",
    type_concept="note_type_concept_id",
    rows=mentions,
    reveals=("note",),  # mentions are what its notes say
)
