"""Conformance: numbers and dates stored as text can be read as such (date formats).

`Context.table` keeps the text as `_raw_<field>` beside the parsed value.
"""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    for table in s.clinical_tables():
        schema = ctx.schema(table)
        if schema is None:
            continue
        for f in ctx.specs[table].fields:
            if (
                f.name in schema
                and schema[f.name].is_string()
                and not f.dtype.is_string()
            ):
                yield family.check(
                    ctx,
                    table,
                    f.name,
                    f"{table}.{f.name} is text that must read as {f.datatype}",
                    s.rows(table),
                    scope=lambda r, name=f.name: r[f"_raw_{name}"].notnull(),
                    violated=lambda r, name=f.name: r[name].isnull(),
                )


family = register(
    Family(
        "value_format",
        "conformance",
        "numbers and dates stored as text are well formed",
        _make,
    )
)
