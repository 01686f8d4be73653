"""Bounds (`gte`, `lt`, `between`...) as Ibis conditions."""

from __future__ import annotations

import operator

import ibis.expr.types as ir

from entrepot.cohort._model import Range

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
