"""Completeness: fields a hospital warehouse should fill (setting `should_be_filled`)."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    for place in ctx.config.should_be_filled:
        table, _, field = place.partition(".")
        yield family.check(
            ctx,
            table,
            field,
            f"{table}.{field} should be filled",
            s.rows(table),
            needs=((table, field),),
            violated=lambda r, f=field: (
                r[f].isnull() | (r[f] == 0 if f.endswith("concept_id") else False)
            ),
        )


family = register(
    Family("missing_value", "completeness", "fields that should be are filled", _make)
)
