"""What the self-controlled designs read: cases of an outcome with their
observation period, and the starts of a drug's exposure episodes.

An outcome is a concept set of conditions (each person's first occurrence) or a
saved cohort (each person's first entry). A drug is an ATC code, of an
ingredient or of a class, resolved with its descendants as cohort criteria
resolve it. Everything is read inside the release gate's perimeter.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.cohort import ConceptSet, Event, EventReader, find_cohort, index_dates
from entrepot.errors import DrugInputError
from entrepot.privacy import Decision
from entrepot.warehouse.eras import PERSISTENCE_DAYS, merge_periods

#: An outcome: a concept set of conditions, or a saved cohort's id or name.
Outcome = ConceptSet | int | str


def cases(wh, decision: Decision, outcome: Outcome) -> ir.Table:
    """(person_id, outcome_date, obs_start, obs_end, birth_year, birth_month):
    each person's first outcome, inside the observation period that holds it."""
    first = first_outcomes(wh, decision, outcome)
    op = decision.table(wh, "observation_period")
    op = op.select(
        op_person=op.person_id.cast("int64"),
        obs_start=op.observation_period_start_date.cast("date"),
        obs_end=op.observation_period_end_date.cast("date"),
    )
    held = first.join(
        op,
        [
            first.person_id == op.op_person,
            op.obs_start <= first.outcome_date,
            first.outcome_date <= op.obs_end,
        ],
    )
    person = decision.table(wh, "person")
    person = person.select(
        p_person=person.person_id.cast("int64"),
        birth_year=person.year_of_birth.cast("int64"),
        birth_month=person.month_of_birth.cast("int64").fill_null(1),
    )
    rows = held.join(person, held.person_id == person.p_person)
    return rows.select(
        "person_id", "outcome_date", "obs_start", "obs_end", "birth_year", "birth_month"
    )


def first_outcomes(wh, decision: Decision, outcome: Outcome) -> ir.Table:
    """(person_id, outcome_date): each person's first outcome in the perimeter."""
    if isinstance(outcome, ConceptSet):
        reader = EventReader(wh, {"outcome": outcome}, "outcome", decision)
        decision.table(wh, "condition_occurrence")  # refuses it outside the perimeter
        rows = reader.rows(Event(domain="condition", concept_set="outcome"))
        rows = decision.narrow(wh, rows, "person_id", "start_date")
        return rows.group_by(person_id=rows.person_id.cast("int64")).aggregate(
            outcome_date=rows.start_date.cast("date").min()
        )
    first = index_dates(wh, decision, find_cohort(wh, decision, outcome))
    return first.select("person_id", outcome_date=first.index_date.cast("date"))


def exposure_starts(
    wh, decision: Decision, atc: str, gap_days: int = PERSISTENCE_DAYS
) -> ir.Table:
    """(person_id, exposure_start): the starts of a drug's exposure episodes,
    exposures merged when one starts at most `gap_days` after the previous
    ends (refills of one treatment are one exposure, as in `drug_era`)."""
    starts = exposure_starts_each(wh, decision, [atc], gap_days)
    return starts.select("person_id", "exposure_start")


def exposure_starts_each(
    wh,
    decision: Decision,
    atcs: list[str],
    gap_days: int = PERSISTENCE_DAYS,
    persons: ir.Table | None = None,
) -> ir.Table:
    """(drug, person_id, exposure_start): the starts of each drug's exposure
    episodes (`drug` the ATC code as given, upper-cased), as `exposure_starts`
    gives them, read in one scan; of `persons` only (a person_id column) when
    given."""
    if gap_days < 0:
        raise DrugInputError(f"the gap between exposures must be ≥ 0 days: {gap_days}")
    codes = sorted({a.strip().upper() for a in atcs})
    sets = {
        code: ConceptSet.model_validate(
            {"items": [{"vocabulary": "ATC", "code": code, "descendants": True}]}
        )
        for code in codes
    }
    every = ConceptSet(items=[i for s in sets.values() for i in s.items])
    reader = EventReader(
        wh, {**sets, "any drug": every}, f"drug {', '.join(codes)}", decision
    )
    decision.table(wh, "drug_exposure")  # refuses it outside the perimeter
    rows = reader.rows(Event(domain="drug", concept_set="any drug"))
    rows = decision.narrow(wh, rows, "person_id", "start_date")
    if persons is not None:
        rows = rows.semi_join(persons, "person_id")
    ids = reader.context.concepts
    mapping = wh.store.from_arrow(
        pa.table(
            {
                "m_concept": pa.array([i for c in codes for i in ids[c]], pa.int64()),
                "drug": pa.array([c for c in codes for _ in ids[c]], pa.string()),
            }
        )
    )
    rows = rows.join(mapping, rows.concept_id.cast("int64") == mapping.m_concept)
    rows = rows.select(
        "drug",
        person_id=rows.person_id.cast("int64"),
        start_date=rows.start_date.cast("date"),
        end_date=ibis.greatest(
            rows.end_date.cast("date"), rows.start_date.cast("date")
        ),
    )
    episodes = merge_periods(rows, gap_days, keys=("drug", "person_id"))
    return episodes.select("drug", "person_id", exposure_start=episodes.start_date)
