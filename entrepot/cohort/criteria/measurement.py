"""Measurements (lab results, vital signs), with value, unit, operator and
reference range."""

import ibis.expr.types as ir

from entrepot.cohort._context import typed
from entrepot.cohort.criteria._domain import VALUES, Domain, column, next_day

#: the value concepts Circe's `Abnormal` counts as abnormal
ABNORMAL = (4155142, 4155143)


def _number(name: str):
    """A column as a number, even where a warehouse stores text (Eunomia)."""
    return lambda t: typed(t[name], "float64")


def _ratio(bound: str):
    """The value over a bound of the range (none when the bound is 0)."""
    return lambda t: VALUES["value"](t) / _number(bound)(t).nullif(0)


def _abnormal(t: ir.Table) -> ir.BooleanValue:
    value = VALUES["value"](t)
    return (
        (value < _number("range_low")(t))
        | (value > _number("range_high")(t))
        | t.value_as_concept_id.isin(ABNORMAL)
    )


DOMAIN = Domain(
    name="measurement",
    table="measurement",
    id="measurement_id",
    start="measurement_date",
    end=next_day("measurement_date"),
    concept="measurement_concept_id",
    source_concept="measurement_source_concept_id",
    type_concept="measurement_type_concept_id",
    links=("provider",),
    attributes=VALUES
    | {
        "operator": column("operator_concept_id"),
        "range_low": _number("range_low"),
        "range_high": _number("range_high"),
        "range_low_ratio": _ratio("range_low"),
        "range_high_ratio": _ratio("range_high"),
        "abnormal": _abnormal,
    },
)
