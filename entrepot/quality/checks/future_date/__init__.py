"""Plausibility: no date lies in the future."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    for table in s.clinical_tables():
        for field in s.date_fields(table):
            yield family.check(
                ctx,
                table,
                field,
                f"{table}.{field} is not after the day of the check ({ctx.today})",
                s.rows(table),
                needs=((table, field),),
                violated=lambda r, f=field: r[f] > ctx.today,
            )


family = register(Family("future_date", "plausibility", "no date in the future", _make))
