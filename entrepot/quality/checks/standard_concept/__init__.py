"""Conformance: concept fields (not *_source_concept_id) hold standard concepts."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s
from entrepot.quality.checks.concept_domain import concept_fields


def _make(ctx, family):
    for table, field, _ in concept_fields(ctx, source=False):
        yield family.check(
            ctx,
            table,
            field,
            f"{table}.{field} holds standard concepts (standard_concept = 'S')",
            s.values(table, field),
            needs=((table, field), ("concept", "standard_concept")),
            scope=lambda r: r._found & (r._value != 0),
            violated=lambda r: r.standard_concept.fill_null("") != "S",
        )


family = register(
    Family("standard_concept", "conformance", "concepts are standard", _make)
)
