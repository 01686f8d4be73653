"""Conformance: references to persons, visits, concepts... point at existing rows."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    for table in s.clinical_tables():
        for f in ctx.specs[table].fields:
            if f.primary_key or not f.fk_table or f.fk_table not in ctx.specs:
                continue
            zero_is_none = f.fk_table == "concept"  # concept 0: "no matching concept"
            yield family.check(
                ctx,
                table,
                f.name,
                f"{table}.{f.name} refers to an existing {f.fk_table}.{f.fk_field}",
                s.values(table, f.name, f.fk_table, f.fk_field),
                needs=((table, f.name), (f.fk_table, f.fk_field)),
                scope=lambda r, z=zero_is_none: (
                    r._value.notnull() & (r._value != 0 if z else True)
                ),
                violated=lambda r: ~r._found,
            )


family = register(
    Family("foreign_key", "conformance", "references point at existing rows", _make)
)
