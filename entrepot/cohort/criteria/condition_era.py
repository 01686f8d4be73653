"""Condition eras: a person's occurrences of one condition, merged (30-day gaps
by OHDSI's convention), with how many occurrences each era holds."""

from entrepot.cohort.criteria._domain import Domain, column

DOMAIN = Domain(
    name="condition_era",
    table="condition_era",
    id="condition_era_id",
    start="condition_era_start_date",
    end=column("condition_era_end_date"),
    concept="condition_concept_id",
    has_visit=False,
    attributes={"occurrence_count": column("condition_occurrence_count")},
)
