"""Visits of a kind (hospital stay, emergency, ICU...)."""

from entrepot.cohort.criteria._domain import Domain, column

DOMAIN = Domain(
    name="visit",
    table="visit_occurrence",
    id="visit_occurrence_id",
    start="visit_start_date",
    end=lambda t: t.visit_end_date,
    concept="visit_concept_id",
    source_concept="visit_source_concept_id",
    type_concept="visit_type_concept_id",
    links=("provider", "care_site"),
    attributes={"care_site": column("care_site_id")},  # a unit (ICU...)
)
