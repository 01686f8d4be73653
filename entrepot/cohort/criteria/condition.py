"""Condition occurrences (diagnoses)."""

from entrepot.cohort.criteria._domain import Domain, column, end_or_next_day

DOMAIN = Domain(
    name="condition",
    table="condition_occurrence",
    id="condition_occurrence_id",
    start="condition_start_date",
    end=end_or_next_day("condition_end_date", "condition_start_date"),
    concept="condition_concept_id",
    source_concept="condition_source_concept_id",
    type_concept="condition_type_concept_id",
    links=("provider",),
    attributes={
        "stop_reason": column("stop_reason"),
        "condition_status": column("condition_status_concept_id"),
    },
)
