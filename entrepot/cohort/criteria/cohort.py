"""Membership in a saved cohort: `{cohort: {cohort: 3}}` selects the entries
of cohort 3 (results.cohort), dated by them, without a visit or a concept."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import Context
from entrepot.cohort._model import Event
from entrepot.cohort._results import results_table
from entrepot.cohort.criteria._domain import Domain, column


def entries(ctx: Context, event: Event) -> ir.Table:
    """The cohort's entries, numbered per person by their start."""
    rows = results_table(ctx.wh, "cohort")
    rows = rows.filter(rows.cohort_definition_id == event.cohort)
    number = ibis.row_number().over(
        group_by="subject_id", order_by=["cohort_start_date", "cohort_end_date"]
    )
    return rows.select(
        person_id=rows.subject_id,
        entry_id=number + 1,
        cohort_start_date=rows.cohort_start_date,
        cohort_end_date=rows.cohort_end_date,
    )


DOMAIN = Domain(
    name="cohort",
    table="cohort",
    id="entry_id",
    start="cohort_start_date",
    end=column("cohort_end_date"),
    has_visit=False,
    rows=entries,
    reveals=("person",),  # who is in a cohort: persons the project sees
)
