"""Relations checks are measured on; one scan serves every check sharing one."""

from __future__ import annotations

import ibis.expr.types as ir

from entrepot.quality._context import Context
from entrepot.quality._model import Source
from entrepot.warehouse.cdm import cdm_tables

#: Tables of events in a person's history, with the date that places each.
EVENT_DATES = {
    "visit_occurrence": "visit_start_date",
    "visit_detail": "visit_detail_start_date",
    "condition_occurrence": "condition_start_date",
    "drug_exposure": "drug_exposure_start_date",
    "procedure_occurrence": "procedure_date",
    "device_exposure": "device_exposure_start_date",
    "measurement": "measurement_date",
    "observation": "observation_date",
    "note": "note_date",
    "specimen": "specimen_date",
}


def clinical_tables() -> list[str]:
    return [n for n, t in cdm_tables().items() if t.role == "cdm"]


def person_tables() -> list[str]:
    """Clinical tables whose rows belong to a person (person itself excepted)."""
    return [
        n
        for n in clinical_tables()
        if n != "person" and "person_id" in cdm_tables()[n].columns
    ]


def date_fields(table: str) -> list[str]:
    return [f.name for f in cdm_tables()[table].fields if f.datatype == "date"]


def rows(table: str) -> Source:
    """A table's rows, one each."""
    return Source(("rows", table), (table,), lambda ctx: ctx.rows(table))


def person_rows(table: str) -> Source:
    """A table's rows with their person's birth, sex, death and last follow-up."""

    def build(ctx: Context) -> ir.Table:
        r = ctx.rows(table)
        return r.left_join(ctx.persons, "person_id").drop("person_id_right")

    return Source(
        ("person_rows", table),
        (table, "person", "death", "observation_period"),
        build,
    )


def values(
    table: str,
    field: str,
    target: str = "concept",
    key: str = "concept_id",
) -> Source:
    """Distinct values of a field, counted (`_n`), with `_found` (the row they refer
    to exists) and, for concepts, that concept's domain, standard flag and vocabulary."""

    def build(ctx: Context) -> ir.Table:
        t = ctx.table(table)
        values = t.group_by(_value=t[field]).aggregate(_n=t.count())
        columns = ("domain_id", "standard_concept", "vocabulary_id")
        ref = ctx.table(target)
        ref = ref.group_by(_key=ref[key]).aggregate(
            **{c: ref[c].max() for c in columns if target == "concept"}
        )
        joined = values.left_join(ref, values._value == ref._key)
        return joined.mutate(_found=joined._key.notnull(), _id=joined._value)

    def example_ids(ctx: Context, violating: ir.Table) -> ir.Table:
        t = ctx.rows(table)
        return t.semi_join(violating, t[field] == violating._value).select("_id")

    return Source(("values", table, field, target), (table, target), build, example_ids)


def during_observation(table: str, date_field: str) -> Source:
    """Distinct (person, date) of a table's events, counted (`_n`), with `_inside`:
    whether an observation period of the person holds the date."""

    def build(ctx: Context) -> ir.Table:
        t = ctx.table(table)
        events = t.group_by("person_id", _date=t[date_field]).aggregate(_n=t.count())
        o = ctx.table("observation_period")
        inside = (
            events.inner_join(
                o,
                [
                    events.person_id == o.person_id,
                    events._date >= o.observation_period_start_date,
                    events._date <= o.observation_period_end_date,
                ],
            )
            .select(_p=events.person_id, _d=events._date)
            .distinct()
        )
        joined = events.left_join(
            inside, [events.person_id == inside._p, events._date == inside._d]
        )
        return joined.mutate(_inside=joined._p.notnull()).drop("_p", "_d")

    def example_ids(ctx: Context, violating: ir.Table) -> ir.Table:
        r = ctx.rows(table)
        return r.semi_join(
            violating,
            [r.person_id == violating.person_id, r[date_field] == violating._date],
        ).select("_id")

    return Source(
        ("during_observation", table, date_field),
        (table, "observation_period"),
        build,
        example_ids,
    )
