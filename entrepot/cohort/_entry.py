"""Entry events: primary events in an observation period, limited, qualified."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import Context
from entrepot.cohort._events import events
from entrepot.cohort._groups import KEY, group_hits, with_observation
from entrepot.cohort._model import Entry, Limit

INDEX_COLUMNS = (
    "person_id",
    "event_id",
    "start_date",
    "end_date",
    "visit_occurrence_id",
    "op_start_date",
    "op_end_date",
)


def first_per_person(rows: ir.Table, limit: Limit, *tie: str) -> ir.Table:
    """Each person's first (or last) row by start date; every row for 'all'."""
    if limit == "all":
        return rows
    start = ibis.desc("start_date") if limit == "last" else ibis.asc("start_date")
    order = ibis.row_number().over(group_by="person_id", order_by=[start, *tie])
    return rows.filter(order == 0)


def primary_events(ctx: Context, entry: Entry) -> ir.Table:
    """Primary events numbered per person (event_id), with their observation period.

    The observation period must cover `prior_days` before and `post_days` after.
    """
    found = [events(ctx, e) for e in entry.events]
    rows = found[0] if len(found) == 1 else ibis.union(*found, distinct=False)
    rows = with_observation(ctx, rows)
    if entry.prior_days:  # zero days: implied by the join
        rows = rows.filter(
            rows.op_start_date + ibis.interval(days=entry.prior_days) <= rows.start_date
        )
    if entry.post_days:
        rows = rows.filter(
            rows.start_date + ibis.interval(days=entry.post_days) <= rows.op_end_date
        )
    start = ibis.desc("start_date") if entry.limit == "last" else ibis.asc("start_date")
    ordinal = ibis.row_number().over(
        group_by="person_id", order_by=[start, ibis.asc("event_id")]
    )
    rows = rows.mutate(event_id=(ordinal + 1).cast("int64"))
    if entry.limit != "all":
        rows = rows.filter(rows.event_id == 1)
    return rows.select(*INDEX_COLUMNS)


def qualified_events(ctx: Context, entry: Entry, primary: ir.Table) -> ir.Table:
    """Primary events that meet the entry's additional criteria, then its limit."""
    if entry.criteria is None:
        return primary
    hits = group_hits(ctx, entry.criteria, primary)
    rows = primary.semi_join(hits, KEY)
    return first_per_person(rows, entry.criteria_limit, "event_id")
