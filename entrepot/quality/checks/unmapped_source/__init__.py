"""Completeness: source codes mapped to a concept (concept_id 0 means unmapped)."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s
from entrepot.quality.checks.concept_domain import concept_fields

#: Fields whose concept describes the record itself rather than what it is.
_NOT_CODES = ("Type Concept", "Metadata")


def _make(ctx, family):
    for table, field, domain in concept_fields(ctx, source=False):
        if domain in _NOT_CODES:
            continue
        yield family.check(
            ctx,
            table,
            field,
            f"share of {table} rows whose {field} is 0 (source code not mapped)",
            s.values(table, field),
            needs=((table, field),),
            scope=lambda r: r._value.notnull(),
            violated=lambda r: r._value == 0,
        )


family = register(
    Family("unmapped_source", "completeness", "source codes are mapped", _make)
)
