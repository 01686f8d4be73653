"""Bounds (`gte`, `lt`, `between`...) and concepts as Ibis conditions."""

from __future__ import annotations

import operator
from collections.abc import Callable

import ibis.expr.types as ir

from entrepot.cohort._model import Concepts, ConceptSelection, Range

_OPS = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "neq": operator.ne,
}


def in_range(value: ir.Value, bounds: Range | None) -> list[ir.BooleanValue]:
    """The conditions `value` must satisfy (none without bounds)."""
    if bounds is None:
        return []
    conditions = [
        op(value, getattr(bounds, name))
        for name, op in _OPS.items()
        if getattr(bounds, name) is not None
    ]
    if bounds.between is not None:
        conditions.append(value.between(*bounds.between))
    if bounds.not_between is not None:
        conditions.append(~value.between(*bounds.not_between))
    return conditions


def in_concepts(
    value: ir.Value, wanted: Concepts, ids: Callable[[str], list[int]]
) -> ir.BooleanValue:
    """Whether a concept id is one of `wanted` (ids, or a concept set's
    selection: `ids` resolves a set's name)."""
    if not isinstance(wanted, ConceptSelection):
        return value.isin(wanted)
    if wanted.concept_set is None:
        return value.isnull() if wanted.exclude else value.notnull()
    inside = value.isin(ids(wanted.concept_set))
    return ~inside if wanted.exclude else inside
