"""Checks of your own, declared in the configuration file (`extra_checks`)."""

from __future__ import annotations

import ibis

from entrepot.quality._config import ExtraCheck
from entrepot.quality._model import Check
from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s
from entrepot.warehouse.cdm import cdm_table

_CATEGORY = {
    "value_range": "plausibility",
    "not_null": "completeness",
    "allowed_values": "conformance",
}


def _concept_field(table: str) -> str:
    """The field saying what a row is (measurement_concept_id...)."""
    return next(
        f.name for f in cdm_table(table).fields if f.name.endswith("_concept_id")
    )


def _predicates(spec: ExtraCheck):
    """(scope, violated) of a declared check."""
    f = spec.field
    if spec.kind == "not_null":
        return None, lambda r: r[f].isnull()
    if spec.kind == "allowed_values":
        return (lambda r: r[f].notnull()), (lambda r: ~r[f].isin(spec.values))

    def scope(r):
        inside = r[f].notnull()
        if spec.concept_id is not None:
            inside &= r[_concept_field(spec.table)] == spec.concept_id
        return inside

    def violated(r):
        out = ibis.literal(False)
        if spec.minimum is not None:
            out |= r[f] < spec.minimum
        if spec.maximum is not None:
            out |= r[f] > spec.maximum
        return out

    return scope, violated


def _describe(spec: ExtraCheck) -> str:
    if spec.description:
        return spec.description
    if spec.kind == "not_null":
        return f"{spec.table}.{spec.field} is filled"
    if spec.kind == "allowed_values":
        return f"{spec.table}.{spec.field} is one of {', '.join(map(str, spec.values))}"
    return f"{spec.table}.{spec.field} between {spec.minimum} and {spec.maximum}"


def _make(ctx, family):
    for spec in ctx.config.extra_checks:
        scope, violated = _predicates(spec)
        yield Check(
            name=spec.name,
            category=spec.category or _CATEGORY[spec.kind],
            table=spec.table,
            field=spec.field,
            description=_describe(spec),
            threshold=ctx.config.threshold(
                spec.name, spec.table, spec.field, spec.threshold
            ),
            source=s.rows(spec.table),
            needs=((spec.table, spec.field),),
            scope=scope,
            violated=violated,
        )


family = register(Family("extra", "plausibility", "checks of the configuration", _make))
