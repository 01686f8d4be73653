"""Conformance: concepts come from the domain their field expects (a drug in drug_concept_id)."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def concept_fields(ctx, *, source: bool = True):
    """(table, field, domain) of the concept fields of clinical tables."""
    for table in s.clinical_tables():
        for f in ctx.specs[table].fields:
            if f.fk_table == "concept" and f.fk_domain:
                if source or not f.name.endswith("source_concept_id"):
                    yield table, f.name, f.fk_domain.strip()


def _make(ctx, family):
    for table, field, domain in concept_fields(ctx):
        yield family.check(
            ctx,
            table,
            field,
            f"{table}.{field} holds concepts of domain {domain}",
            s.values(table, field),
            needs=((table, field), ("concept", "domain_id")),
            scope=lambda r: r._found & (r._value != 0),
            violated=lambda r, d=domain: r.domain_id != d,
        )


family = register(
    Family("concept_domain", "conformance", "concepts are of the right domain", _make)
)
