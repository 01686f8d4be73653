"""Observation periods, as events."""

from entrepot.cohort.criteria._domain import Domain

DOMAIN = Domain(
    name="observation_period",
    table="observation_period",
    id="observation_period_id",
    start="observation_period_start_date",
    end=lambda t: t.observation_period_end_date,
    type_concept="period_type_concept_id",
    has_visit=False,
    periods=True,
)
