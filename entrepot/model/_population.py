"""The study population, computed in the engine: each person of the target
cohort at their first entry (the index date), labelled with whether the
outcome starts in the time-at-risk, with PatientLevelPrediction's rules for
prior outcomes and loss to follow-up (`Censoring`)."""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np

from entrepot.cohort import compile_definition
from entrepot.errors import StudyError
from entrepot.model._study import LoadedStudy
from entrepot.privacy import Decision


@dataclass(frozen=True)
class Population:
    """`index`: the engine's (person_id, index_date) of the persons kept;
    `person_ids`, `index_dates`, `y` the same, fetched, sorted by person;
    `attrition`: persons left after each rule."""

    index: ir.Table
    person_ids: np.ndarray
    index_dates: np.ndarray
    y: np.ndarray
    attrition: list[dict]


def study_population(wh, decision: Decision, loaded: LoadedStudy) -> Population:
    """The labelled persons of a study, inside the decision's perimeter."""
    study = loaded.study
    tar, rules = study.time_at_risk, study.censoring
    target = _periods(wh, decision, loaded, "target")
    first = target.group_by("person_id").aggregate(index_date=target.start_date.min())
    outcome = _periods(wh, decision, loaded, "outcome")
    found = first.left_join(outcome, first.person_id == outcome.person_id)
    days = found.start_date.delta(found.index_date, unit="day")
    within = (days >= tar.start) & (days <= tar.end)
    labelled = found.group_by(found.person_id, found.index_date).aggregate(
        y=within.fill_null(False).any(),
        prior=(days < tar.start).fill_null(False).any(),
    )
    op = decision.table(wh, "observation_period")
    op = op.select(
        person_id=op.person_id.cast("int64"),
        start=op.observation_period_start_date,
        end=op.observation_period_end_date,
    )
    joined = labelled.left_join(
        op,
        (labelled.person_id == op.person_id)
        & (op.start <= labelled.index_date)
        & (op.end >= labelled.index_date),
    )
    observed = joined.end.delta(joined.index_date, unit="day")
    people = joined.group_by(
        joined.person_id, joined.index_date, joined.y, joined.prior
    ).aggregate(observed=observed.max().fill_null(-1))
    at_risk = ibis.least(people.observed, tar.end) - tar.start + 1
    keep_prior = ~people.prior if rules.remove_prior_outcome else ibis.literal(True)
    keep_time = ibis.literal(True)
    if rules.require_time_at_risk:
        keep_time = at_risk >= rules.min_time_at_risk
        if rules.include_all_outcomes:
            keep_time |= people.y
    people = people.mutate(keep_prior=keep_prior, keep_time=keep_time)
    figures = (
        people.aggregate(
            target=people.count(),
            prior=people.keep_prior.cast("int64").sum(),
            kept=(people.keep_prior & people.keep_time).cast("int64").sum(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    kept = people.filter(people.keep_prior, people.keep_time)
    rows = kept.select("person_id", "index_date", "y").order_by("person_id")
    table = rows.to_pyarrow()
    if table.num_rows == 0:
        raise StudyError(f"{loaded.source}: no person of the target cohort is left")
    attrition = [
        {"rule": "first entry in the target cohort", "persons": figures["target"]},
        {"rule": "no outcome before the time-at-risk", "persons": figures["prior"]},
        {"rule": "enough time at risk (or the outcome)", "persons": figures["kept"]},
    ]
    return Population(
        index=kept.select("person_id", "index_date"),
        person_ids=table["person_id"].to_numpy(),
        index_dates=table["index_date"].to_numpy(zero_copy_only=False),
        y=table["y"].to_numpy(zero_copy_only=False).astype(np.int8),
        attrition=attrition,
    )


def _periods(wh, decision: Decision, loaded: LoadedStudy, which: str) -> ir.Table:
    """A cohort's entries (person_id int64, start_date), in the perimeter."""
    definition = loaded.cohort(which)
    periods = compile_definition(wh, definition, f"{loaded.source}: {which}").periods()
    periods = periods.select(
        person_id=periods.person_id.cast("int64"), start_date=periods.start_date
    )
    return decision.narrow(wh, periods, "person_id", "start_date")
