"""Cohort exit: end strategies, censoring, then periods merged (era pad)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import Context
from entrepot.cohort._events import events
from entrepot.cohort._model import DateOffset, DrugEra, Exit
from entrepot.warehouse.eras import exposure_end, merge_periods

END_KEY = ["event_id", "person_id"]


def cohort_periods(
    ctx: Context, exit: Exit, included: ir.Table, single: bool = False
) -> ir.Table:
    """(person_id, start_date, end_date): one period per included event, merged.

    Each event ends at the earliest of its strategy's end (when not before its
    start) and its censoring events: columns and left joins, no self-join.
    `single` (at most one event per person) skips the merge, a no-op then.
    """
    rows = _strategy_end(ctx, exit, included)
    if exit.censoring:
        first = _first_censor(ctx, exit.censoring, included)
        joined = rows.left_join(first, END_KEY)
        rows = joined.select(
            rows.person_id,
            rows.start_date,
            end_date=_earliest(rows.end_date, first.censor_date),
        )
    rows = rows.filter(rows.end_date.notnull())
    periods = rows.select("person_id", "start_date", "end_date")
    if not single:
        periods = merge_periods(periods, exit.era_pad)
    return _clip(periods, exit)


def _earliest(a: ir.DateValue, b: ir.DateValue) -> ir.DateValue:
    """The earlier of two dates, ignoring a null one (null when both are)."""
    return ibis.least(ibis.coalesce(a, b), ibis.coalesce(b, a))


def _strategy_end(ctx: Context, exit: Exit, included: ir.Table) -> ir.Table:
    """(person_id, event_id, start_date, end_date): the end before censoring,
    null when none is on or after the start."""
    if exit.offset is not None:
        end = _offset_end(exit.offset, included)
    elif exit.drug_era is not None:
        return _drug_era_end(ctx, exit.drug_era, included)
    else:
        end = included.op_end_date
    return included.select("person_id", "event_id", "start_date", end_date=end)


def _offset_end(offset: DateOffset, included: ir.Table) -> ir.DateValue:
    """A fixed offset from the start or end date, never past the observation."""
    date = included.end_date if offset.date == "end" else included.start_date
    end = date + ibis.interval(days=offset.days)
    end = ibis.ifelse(end > included.op_end_date, included.op_end_date, end)
    return ibis.ifelse(end >= included.start_date, end, ibis.null("date"))


def _drug_era_end(ctx: Context, era: DrugEra, included: ir.Table) -> ir.Table:
    """The end of the era of exposure (gap days allowed) that holds the start,
    or of the observation if earlier (eras are disjoint: one at most)."""
    ids = ctx.ids(era.concept_set)
    persons = included.select("person_id").distinct()
    drugs = ctx.table("drug_exposure")
    drugs = drugs.mutate(person_id=drugs.person_id.cast("int64"))
    drugs = drugs.semi_join(persons, "person_id")
    exposures = drugs.filter(
        drugs.drug_concept_id.isin(ids) | drugs.drug_source_concept_id.isin(ids)
    )  # one row for both: duplicates would merge into the same eras
    stretch = ibis.interval(days=era.offset)  # the gap is merge_periods' pad
    exposures = exposures.select(
        "person_id",
        start_date=exposures.drug_exposure_start_date.cast("date"),
        end_date=(exposure_end(exposures, era.days_supply) + stretch).cast("date"),
    )
    eras = merge_periods(exposures, era.gap_days)
    joined = included.left_join(
        eras,
        (included.person_id == eras.person_id)
        & included.start_date.between(eras.start_date, eras.end_date),
    )
    return joined.select(
        included.person_id,
        included.event_id,
        included.start_date,
        end_date=_earliest(eras.end_date, included.op_end_date),
    )


def _first_censor(ctx: Context, censoring: list, included: ir.Table) -> ir.Table:
    """(event_id, person_id, censor_date): the earliest of every censoring."""
    found = [_censor_end(ctx, c, included) for c in censoring]
    if len(found) == 1:
        return found[0]
    rows = ibis.union(*found, distinct=False)
    return rows.group_by(END_KEY).aggregate(censor_date=rows.censor_date.min())


def _censor_end(ctx: Context, censor, included: ir.Table) -> ir.Table:
    """The first censoring event from the start to the end of observation."""
    rows = events(ctx, censor)
    joined = included.join(
        rows,
        (rows.person_id == included.person_id)
        & (rows.start_date >= included.start_date)
        & (rows.start_date <= included.op_end_date),
    )
    return joined.group_by([included.event_id, included.person_id]).aggregate(
        censor_date=rows.start_date.min()
    )


def _clip(periods: ir.Table, exit: Exit) -> ir.Table:
    """Periods cut to the censor window; those left empty removed."""
    if exit.window_start is None and exit.window_end is None:
        return periods
    start, end = periods.start_date, periods.end_date
    if exit.window_start is not None:
        start = ibis.greatest(start, ibis.literal(exit.window_start))
    if exit.window_end is not None:
        end = ibis.least(end, ibis.literal(exit.window_end))
    clipped = periods.select("person_id", start_date=start, end_date=end)
    return clipped.filter(clipped.start_date <= clipped.end_date)
