"""Observations (facts that are neither conditions nor measurements)."""

from entrepot.cohort.criteria._domain import VALUES, Domain, column, next_day

DOMAIN = Domain(
    name="observation",
    table="observation",
    id="observation_id",
    start="observation_date",
    end=next_day("observation_date"),
    concept="observation_concept_id",
    source_concept="observation_source_concept_id",
    type_concept="observation_type_concept_id",
    links=("provider",),
    attributes=VALUES
    | {
        "qualifier": column("qualifier_concept_id"),
        "value_text": column("value_as_string"),
    },
)
