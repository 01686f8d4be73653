"""Deaths: one per person, its event id the person's id (as in Circe)."""

from entrepot.cohort.criteria._domain import Domain, next_day

DOMAIN = Domain(
    name="death",
    table="death",
    id="person_id",
    start="death_date",
    end=next_day("death_date"),
    concept="cause_concept_id",
    source_concept="cause_source_concept_id",
    type_concept="death_type_concept_id",
    has_visit=False,
)
