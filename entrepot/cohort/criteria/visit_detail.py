"""Visit details: the parts of a visit (a stay in one unit: ICU, ward...)."""

from entrepot.cohort.criteria._domain import Domain, column

DOMAIN = Domain(
    name="visit_detail",
    table="visit_detail",
    id="visit_detail_id",
    start="visit_detail_start_date",
    end=column("visit_detail_end_date"),
    concept="visit_detail_concept_id",
    source_concept="visit_detail_source_concept_id",
    type_concept="visit_detail_type_concept_id",
    links=("provider", "care_site"),
    attributes={"care_site": column("care_site_id")},  # a unit (ICU...)
)
