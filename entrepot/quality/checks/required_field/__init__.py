"""Conformance: fields the CDM requires are filled."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    for table in s.clinical_tables():
        for f in ctx.specs[table].fields:
            if f.required:
                yield family.check(
                    ctx,
                    table,
                    f.name,
                    f"{table}.{f.name} is required by the CDM and must not be empty",
                    s.rows(table),
                    needs=((table, f.name),),
                    violated=lambda r, name=f.name: r[name].isnull(),
                )


family = register(
    Family("required_field", "conformance", "required fields are filled", _make)
)
