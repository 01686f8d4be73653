"""Measurements (lab results, vital signs), with value and unit."""

from entrepot.cohort.criteria._domain import VALUES, Domain, next_day

DOMAIN = Domain(
    name="measurement",
    table="measurement",
    id="measurement_id",
    start="measurement_date",
    end=next_day("measurement_date"),
    concept="measurement_concept_id",
    source_concept="measurement_source_concept_id",
    type_concept="measurement_type_concept_id",
    links=("provider",),
    attributes=VALUES,
)
