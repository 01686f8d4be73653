"""Cohort exit: end strategies, censoring, then periods merged (era pad)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import Context
from entrepot.cohort._events import events
from entrepot.cohort._model import DateOffset, DrugEra, Exit
from entrepot.cohort.criteria.drug import exposure_end

END_KEY = ["event_id", "person_id"]


def cohort_periods(ctx: Context, exit: Exit, included: ir.Table) -> ir.Table:
    """(person_id, start_date, end_date): one period per included event, merged."""
    ends = [_strategy_end(ctx, exit, included)]
    if exit.offset is None:
        ends.append(included.select(*END_KEY, end_date=included.op_end_date))
    ends += [_censor_end(ctx, c, included) for c in exit.censoring]
    ends = [e for e in ends if e is not None]
    candidates = ibis.union(*ends, distinct=False) if len(ends) > 1 else ends[0]
    joined = included.join(
        candidates,
        (included.event_id == candidates.event_id)
        & (included.person_id == candidates.person_id)
        & (candidates.end_date >= included.start_date),
    )
    rows = joined.group_by(
        [included.person_id, included.event_id, included.start_date]
    ).aggregate(end_date=candidates.end_date.min())
    periods = merge_periods(
        rows.select("person_id", "start_date", "end_date"), exit.era_pad
    )
    return _clip(periods, exit)


def _strategy_end(ctx: Context, exit: Exit, included: ir.Table) -> ir.Table | None:
    if exit.offset is not None:
        return _offset_end(exit.offset, included)
    if exit.drug_era is not None:
        return _drug_era_end(ctx, exit.drug_era, included)
    return None


def _offset_end(offset: DateOffset, included: ir.Table) -> ir.Table:
    """A fixed offset from the start or end date, never past the observation."""
    date = included.end_date if offset.date == "end" else included.start_date
    end = date + ibis.interval(days=offset.days)
    end = ibis.ifelse(end > included.op_end_date, included.op_end_date, end)
    return included.select(*END_KEY, end_date=end)


def _drug_era_end(ctx: Context, era: DrugEra, included: ir.Table) -> ir.Table:
    """The end of the era of exposure (gap days allowed) that holds the start."""
    ids = ctx.ids(era.concept_set)
    persons = included.select("person_id").distinct()
    drugs = ctx.table("drug_exposure")
    drugs = drugs.mutate(person_id=drugs.person_id.cast("int64"))
    drugs = drugs.semi_join(persons, "person_id")
    exposures = ibis.union(
        *[
            drugs.filter(drugs[column].isin(ids))
            for column in ("drug_concept_id", "drug_source_concept_id")
        ],
        distinct=False,
    )
    stretch = ibis.interval(days=era.offset)  # the gap is merge_periods' pad
    exposures = exposures.select(
        "person_id",
        start_date=exposures.drug_exposure_start_date.cast("date"),
        end_date=(exposure_end(exposures, era.days_supply) + stretch).cast("date"),
    )
    eras = merge_periods(exposures, era.gap_days)
    joined = included.join(
        eras,
        (included.person_id == eras.person_id)
        & included.start_date.between(eras.start_date, eras.end_date),
    )
    return joined.select(included.event_id, included.person_id, end_date=eras.end_date)


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
        end_date=rows.start_date.min()
    )


def merge_periods(rows: ir.Table, pad: int) -> ir.Table:
    """Overlapping periods of a person merged, after padding their ends by `pad`
    days (then removed): Circe's era constructor."""
    padding = ibis.interval(days=pad)
    rows = rows.select("person_id", "start_date", end_date=rows.end_date + padding)
    before = ibis.window(
        group_by="person_id", order_by=["start_date", "end_date"], rows=(None, -1)
    )
    rows = rows.mutate(
        is_start=ibis.ifelse(rows.end_date.max().over(before) >= rows.start_date, 0, 1)
    )
    running = ibis.window(
        group_by="person_id",
        order_by=["start_date", ibis.desc("is_start"), "end_date"],
        rows=(None, 0),
    )
    rows = rows.mutate(group_idx=rows.is_start.sum().over(running))
    merged = rows.group_by(["person_id", "group_idx"]).aggregate(
        start_date=rows.start_date.min(), end_date=rows.end_date.max() - padding
    )
    return merged.select("person_id", "start_date", "end_date")


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
