"""Plausibility: no event recorded twice.

Two rows are the same event when they agree on what defines it: the fields the
CDM requires (person, concept, date, type), times, end, visit, value and source
values (two unmapped rows, concept 0, with different source codes are two events).
"""

from __future__ import annotations

from entrepot.quality._model import Source
from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s
from entrepot.warehouse.cdm import cdm_table

_ALSO = {
    "visit_occurrence_id",
    "value_as_number",
    "value_as_concept_id",
    "value_as_string",
    "unit_concept_id",
    "quantity",
    "note_title",
}


def _defining(table: str) -> list[str]:
    """The fields that say what an event is, when and how much."""
    return [
        f.name
        for f in cdm_table(table).fields
        if not f.primary_key
        and (
            f.required
            or f.name in _ALSO
            or f.name.endswith(("_datetime", "_end_date", "_source_value"))
        )
    ]


def _source(table: str) -> Source:
    def build(ctx):
        t = ctx.table(table)
        key = ctx.key(table)
        same = [c for c in _defining(table) if c in t.columns and c != key]
        return t.group_by(same).aggregate(_n=t.count(), _id=t[key].min())

    return Source(("duplicates", table), (table,), build)


def _measure(r):
    return r._n.sum(), (r._n - 1).sum()


def _make(ctx, family):
    for table in s.EVENT_DATES:
        yield family.check(
            ctx,
            table,
            None,
            f"{table}: no two rows alike in everything but their id",
            _source(table),
            needs=((table, ctx.key(table) if ctx.has(table) else None),),
            measure=_measure,
            violators=lambda r: r.filter(r._n > 1),
        )


family = register(
    Family("duplicate_event", "plausibility", "no event recorded twice", _make)
)
