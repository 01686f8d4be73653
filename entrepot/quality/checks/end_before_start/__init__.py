"""Plausibility: nothing ends before it starts."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _pairs(table: str):
    """(start, end) date fields of a table, by their names."""
    dates = s.date_fields(table)
    for start in dates:
        if "_start_" in start or start.endswith("_start_date"):
            end = start.replace("_start_", "_end_")
            if end in dates:
                yield start, end


def _make(ctx, family):
    for table in s.clinical_tables():
        for start, end in _pairs(table):
            yield family.check(
                ctx,
                table,
                end,
                f"{table}.{end} is not before {start}",
                s.rows(table),
                needs=((table, start), (table, end)),
                violated=lambda r, a=start, b=end: r[b] < r[a],
            )


family = register(
    Family("end_before_start", "plausibility", "no end before start", _make)
)
