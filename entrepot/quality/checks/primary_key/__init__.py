"""Conformance: primary keys are unique."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _measure(r):
    return r.count(), r.count() - r._id.nunique()


def _duplicated(r):
    counted = r.group_by("_id").aggregate(_copies=r.count())
    return counted.filter(counted._copies > 1)


def _make(ctx, family):
    for table in s.clinical_tables():
        for f in ctx.specs[table].fields:
            if f.primary_key:
                yield family.check(
                    ctx,
                    table,
                    f.name,
                    f"{table}.{f.name} identifies each row: no two rows share one",
                    s.rows(table),
                    needs=((table, f.name),),
                    measure=_measure,
                    violators=_duplicated,
                )


family = register(
    Family("primary_key", "conformance", "primary keys are unique", _make)
)
