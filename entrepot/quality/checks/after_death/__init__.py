"""Plausibility: nothing happens to a person after their death (setting `death_grace_days`)."""

from __future__ import annotations

import ibis

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    grace = ibis.interval(days=ctx.config.death_grace_days)
    for table in s.person_tables():
        if table == "death":
            continue
        for field in s.date_fields(table):
            yield family.check(
                ctx,
                table,
                field,
                f"{table}.{field} is not after the person's death",
                s.person_rows(table),
                needs=((table, field), ("death", "death_date")),
                violated=lambda r, f=field: r[f] > r._death + grace,
            )


family = register(Family("after_death", "plausibility", "no event after death", _make))
