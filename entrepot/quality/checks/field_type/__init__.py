"""Conformance: each field is stored with its CDM type (integer, float, text, date)."""

from __future__ import annotations

import ibis

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s
from entrepot.warehouse._validation import _same_family


def _make(ctx, family):
    for table in s.clinical_tables():
        schema = ctx.schema(table)
        if schema is None:
            continue
        for f in ctx.specs[table].fields:
            if f.name not in schema:
                continue
            wrong = not _same_family(schema[f.name], f.dtype)
            yield family.check(
                ctx,
                table,
                f.name,
                f"{table}.{f.name} is stored as {f.datatype} (found {schema[f.name]})",
                s.rows(table),
                violated=lambda r, wrong=wrong: ibis.literal(wrong),
                examples=False,
            )


family = register(
    Family("field_type", "conformance", "fields have their CDM type", _make)
)
