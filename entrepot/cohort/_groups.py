"""Criteria around index events: windows, occurrence counts, demographics, groups.

Each function takes index events (person_id, event_id, start_date, end_date,
visit_occurrence_id, op_start_date, op_end_date) and returns the (person_id,
event_id) pairs that satisfy the criterion, with Circe's semantics.
"""

from __future__ import annotations

import operator

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import Context, typed, where
from entrepot.cohort._events import events
from entrepot.cohort._model import Criterion, Demographics, Group, Window, gender_ids
from entrepot.cohort._ranges import in_concepts, in_range

KEY = ["person_id", "event_id"]
_COMPARE = {"at_least": operator.ge, "at_most": operator.le, "exactly": operator.eq}
_DISTINCT = {
    "concept": "a_concept_id",
    "start_date": "a_start_date",
    "visit": "a_visit_occurrence_id",
}


def with_observation(ctx: Context, rows: ir.Table) -> ir.Table:
    """Events with the observation period that contains their start."""
    op = ctx.table("observation_period")
    op = op.select(
        op_person_id=typed(op.person_id, "int64"),
        op_start_date=typed(op.observation_period_start_date, "date"),
        op_end_date=typed(op.observation_period_end_date, "date"),
    )
    joined = rows.join(
        op,
        (rows.person_id == op.op_person_id)
        & (op.op_start_date <= rows.start_date)
        & (op.op_end_date >= rows.start_date),
    )
    return joined.drop("op_person_id")


def group_hits(ctx: Context, group: Group, index: ir.Table) -> ir.Table:
    """Index events satisfying a group: all, any, at least or at most n parts."""
    parts = (
        [criterion_hits(ctx, c, index) for c in group.criteria]
        + [demographic_hits(ctx, d, index) for d in group.demographics]
        + [group_hits(ctx, g, index) for g in group.groups]
    )
    return combined(group, parts, index)


def combined(group: Group, parts: list[ir.Table], index: ir.Table) -> ir.Table:
    """Index events satisfying `group`, given the hits of each of its parts
    (criteria, demographics, then groups)."""
    if not parts:
        return index.select(*KEY)
    hits = ibis.union(*[p.select(*KEY) for p in parts], distinct=False)
    counts = hits.group_by(KEY).aggregate(n=hits.count())
    if group.type == "all":
        return counts.filter(counts.n == len(parts)).select(*KEY)
    if group.type == "any":
        return counts.select(*KEY)
    if group.type == "at_least" and group.count > 0:
        return counts.filter(counts.n >= group.count).select(*KEY)
    compare = operator.ge if group.type == "at_least" else operator.le
    return _with_zero_counts(index, counts, compare, group.count)


def _with_zero_counts(index, counts, compare, count: int) -> ir.Table:
    """Index events whose count (zero when absent) passes `compare`."""
    base = index.select(*KEY)
    joined = base.left_join(counts, KEY).select(
        *[base[k] for k in KEY], n=ibis.coalesce(counts.n, 0)
    )
    return joined.filter(compare(joined.n, count)).select(*KEY)


def criterion_hits(ctx: Context, criterion: Criterion, index: ir.Table) -> ir.Table:
    """Index events with the required number of events in the window."""
    other = events(ctx, criterion.event, persons=index.select("person_id"))
    other = other.rename({f"a_{c}": c for c in other.columns})
    p = index.select(
        *KEY,
        "start_date",
        "end_date",
        "visit_occurrence_id",
        "op_start_date",
        "op_end_date",
    )
    joined = p.join(other, p.person_id == other.a_person_id)
    joined = where(joined, _window_conditions(joined, criterion))
    occurrence = criterion.occurrence
    if occurrence.distinct is None:
        n = joined.a_event_id.count()
    else:
        n = joined[_DISTINCT[occurrence.distinct]].nunique()
    counts = joined.group_by(KEY).aggregate(n=n)
    compare = _COMPARE[occurrence.type]
    if occurrence.type == "at_most" or occurrence.count == 0:
        return _with_zero_counts(index, counts, compare, occurrence.count)
    return counts.filter(compare(counts.n, occurrence.count)).select(*KEY)


def _window_conditions(j: ir.Table, criterion: Criterion) -> list[ir.BooleanValue]:
    check = not criterion.ignore_observation_period
    conditions = []
    if check:
        conditions += [
            j.a_start_date >= j.op_start_date,
            j.a_start_date <= j.op_end_date,
        ]
    for window, default_event in (
        (criterion.window, "start"),
        (criterion.end_window, "end"),
    ):
        if window is not None:
            conditions += _bounds(j, window, window.event or default_event, check)
    if criterion.same_visit:
        conditions.append(j.a_visit_occurrence_id == j.visit_occurrence_id)
    return conditions


def _bounds(
    j: ir.Table, window: Window, event: str, check: bool
) -> list[ir.BooleanValue]:
    index_date = j.end_date if window.index == "end" else j.start_date
    event_date = j.a_end_date if event == "end" else j.a_start_date
    conditions = []
    days = event_date.delta(index_date, unit="day")  # not date + interval: a
    # timestamp on DuckDB, which casts each joined row's date to compare
    for bound, compare in ((window.start, operator.ge), (window.end, operator.le)):
        if isinstance(bound, int):
            conditions.append(compare(days, bound))
        elif check:
            limit = j.op_start_date if bound == "observation_start" else j.op_end_date
            conditions.append(compare(event_date, limit))
    return conditions


def demographic_hits(ctx: Context, d: Demographics, index: ir.Table) -> ir.Table:
    """Index events whose person matches age, gender, race, ethnicity and dates
    at the index."""
    person = ctx.persons()
    j = index.join(person, index.person_id == person.pid)
    conditions = (
        in_range(j.start_date.year() - j.year_of_birth, d.age)
        + in_range(j.start_date, d.start_date)
        + in_range(j.end_date, d.end_date)
    )
    if d.gender is not None:
        conditions.append(
            in_concepts(j.gender_concept_id, gender_ids(d.gender), ctx.ids)
        )
    for name in ("race", "ethnicity"):
        if getattr(d, name) is not None:
            column = j[f"{name}_concept_id"]
            conditions.append(in_concepts(column, getattr(d, name), ctx.ids))
    return where(j, conditions).select(*KEY).distinct()
