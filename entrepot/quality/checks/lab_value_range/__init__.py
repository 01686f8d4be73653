"""Plausibility: lab values and vital signs within what a living patient can have.

Per LOINC test and UCUM unit, from the bundled list of tests
(`entrepot.warehouse.vocabulary.lab_tests`); tests are matched by their codes
in the concept table, so the check works with the bundled vocabulary and Athena's.
"""

from __future__ import annotations

import pyarrow as pa

from entrepot.quality._model import Source
from entrepot.quality._registry import Family, register
from entrepot.warehouse.vocabulary import lab_tests


def _ranged():
    return [t for t in lab_tests() if t.unit and t.minimum is not None]


def _ranges(ctx):
    """(measurement concept, unit concept) -> LOINC code, min and max: a small table."""
    c = ctx.table("concept")
    tests = c.filter(c.vocabulary_id == "LOINC").select(
        _test=c.concept_id, _loinc=c.concept_code
    )
    units = c.filter(c.vocabulary_id == "UCUM").select(
        _unit=c.concept_id, _ucum=c.concept_code
    )
    ranged = _ranged()
    limits = ctx.arrow(
        pa.table(
            {
                "_range_loinc": [t.loinc for t in ranged],
                "_range_ucum": [t.unit for t in ranged],
                "_min": [t.minimum for t in ranged],
                "_max": [t.maximum for t in ranged],
            }
        )
    )
    known = tests.inner_join(limits, tests._loinc == limits._range_loinc)
    known = known.inner_join(units, known._range_ucum == units._ucum)
    return known.select("_test", "_unit", "_loinc", "_min", "_max")


def _values(ctx):
    """Measurements of known tests in their unit, with `_out` (beyond the limits)."""
    m = ctx.rows("measurement")
    m = m.filter(m.value_as_number.notnull())
    r = _ranges(ctx)
    j = m.inner_join(
        r, [m.measurement_concept_id == r._test, m.unit_concept_id == r._unit]
    )
    return j.mutate(_out=(j.value_as_number < j._min) | (j.value_as_number > j._max))


def _build(ctx):
    v = _values(ctx)
    return v.group_by("_loinc").aggregate(_n=v.count(), _bad=v._out.sum())


def _example_ids(ctx, violating):
    v = _values(ctx)
    v = v.filter(v._out)
    return v.semi_join(violating, v._loinc == violating._loinc).select("_id")


SOURCE = Source(("lab_values",), ("measurement", "concept"), _build, _example_ids)


def _make(ctx, family):
    for test in _ranged():
        yield family.check(
            ctx,
            "measurement",
            "value_as_number",
            f"{test.name} (LOINC {test.loinc}) between {test.minimum:g} and "
            f"{test.maximum:g} {test.unit}",
            SOURCE,
            needs=(
                ("measurement", "value_as_number"),
                ("measurement", "unit_concept_id"),
                ("concept", "concept_code"),
            ),
            qualifier=test.loinc,
            measure=lambda g, code=test.loinc: (
                (g._loinc == code).ifelse(g._n, 0).sum(),
                (g._loinc == code).ifelse(g._bad, 0).sum(),
            ),
            violators=lambda g, code=test.loinc: g.filter(
                (g._loinc == code) & (g._bad > 0)
            ),
        )


family = register(
    Family(
        "lab_value_range",
        "plausibility",
        "lab values within physiological limits",
        _make,
    )
)
