"""Conformance: fields the CDM requires are there and filled.

A required field absent from a table that is there fails on every row of it,
as DQD's cdmField check does (a table of `column0..` holds none of its fields).
"""

from __future__ import annotations

import ibis

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    for table in s.clinical_tables():
        for f in ctx.specs[table].fields:
            if not f.required:
                continue
            description = (
                f"{table}.{f.name} is required by the CDM and must not be empty"
            )
            if ctx.has(table) and not ctx.has(table, f.name):
                yield family.check(
                    ctx,
                    table,
                    f.name,
                    description,
                    s.rows(table),
                    violated=lambda r: ibis.literal(True),
                    reason=f"{table}.{f.name} is missing",
                    examples=False,
                )
                continue
            yield family.check(
                ctx,
                table,
                f.name,
                description,
                s.rows(table),
                needs=((table, f.name),),
                violated=lambda r, name=f.name: r[name].isnull(),
            )


family = register(
    Family(
        "required_field", "conformance", "required fields are there and filled", _make
    )
)
