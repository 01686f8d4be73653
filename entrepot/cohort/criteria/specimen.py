"""Specimens (samples taken from a person): no visit in the CDM, one day long."""

from entrepot.cohort.criteria._domain import Domain, column, next_day

DOMAIN = Domain(
    name="specimen",
    table="specimen",
    id="specimen_id",
    start="specimen_date",
    end=next_day("specimen_date"),
    concept="specimen_concept_id",
    type_concept="specimen_type_concept_id",
    has_visit=False,
    attributes={
        "quantity": column("quantity"),
        "unit": column("unit_concept_id"),
        "anatomic_site": column("anatomic_site_concept_id"),
        "disease_status": column("disease_status_concept_id"),
        "source_id": column("specimen_source_id"),
    },
)
