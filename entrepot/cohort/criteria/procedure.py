"""Procedure occurrences (acts: CCAM...)."""

from entrepot.cohort.criteria._domain import Domain, column, next_day

DOMAIN = Domain(
    name="procedure",
    table="procedure_occurrence",
    id="procedure_occurrence_id",
    start="procedure_date",
    end=next_day("procedure_date"),
    concept="procedure_concept_id",
    source_concept="procedure_source_concept_id",
    type_concept="procedure_type_concept_id",
    links=("provider",),
    attributes={
        "modifier": column("modifier_concept_id"),
        "quantity": column("quantity"),
    },
)
