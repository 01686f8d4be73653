"""Plausibility: nothing happens to a person before their birth."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    for table in s.person_tables():
        for field in s.date_fields(table):
            yield family.check(
                ctx,
                table,
                field,
                f"{table}.{field} is not before the person's birth",
                s.person_rows(table),
                needs=((table, field), ("person", "year_of_birth")),
                violated=lambda r, f=field: r[f] < r._birth,
            )


family = register(
    Family("before_birth", "plausibility", "no event before birth", _make)
)
