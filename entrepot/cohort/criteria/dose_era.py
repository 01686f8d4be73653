"""Dose eras: continuous exposure to one ingredient at a constant dose."""

from entrepot.cohort.criteria._domain import Domain, column

DOMAIN = Domain(
    name="dose_era",
    table="dose_era",
    id="dose_era_id",
    start="dose_era_start_date",
    end=column("dose_era_end_date"),
    concept="drug_concept_id",
    has_visit=False,
    attributes={"value": column("dose_value"), "unit": column("unit_concept_id")},
)
