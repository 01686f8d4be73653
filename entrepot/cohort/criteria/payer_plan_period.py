"""Payer plan periods (health insurance coverage): the concept is the payer's.

As in Circe, `first` is a person's first period of any payer: the concept
sets (payer, plan) apply after it.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import Context
from entrepot.cohort._model import Event
from entrepot.cohort.criteria._domain import Domain, column


def periods(ctx: Context, event: Event) -> ir.Table:
    """The periods, only each person's first one for a `first` event."""
    t = ctx.table("payer_plan_period")
    if not event.first:
        return t
    order = ibis.row_number().over(
        group_by="person_id",
        order_by=["payer_plan_period_start_date", "payer_plan_period_id"],
    )
    return t.filter(order == 0)


DOMAIN = Domain(
    name="payer_plan_period",
    table="payer_plan_period",
    id="payer_plan_period_id",
    start="payer_plan_period_start_date",
    end=column("payer_plan_period_end_date"),
    concept="payer_concept_id",
    source_concept="payer_source_concept_id",
    has_visit=False,
    periods=True,
    attributes={
        f"{name}_concept_set": column(f"{name}_concept_id")
        for name in (
            "plan",
            "sponsor",
            "stop_reason",
            "plan_source",
            "sponsor_source",
            "stop_reason_source",
        )
    },
    rows=periods,
)
