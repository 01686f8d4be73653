"""Drug exposures (prescriptions, administrations, dispensings)."""

from entrepot.cohort.criteria._domain import Domain, column
from entrepot.warehouse.eras import exposure_end

DOMAIN = Domain(
    name="drug",
    table="drug_exposure",
    id="drug_exposure_id",
    start="drug_exposure_start_date",
    end=exposure_end,
    concept="drug_concept_id",
    source_concept="drug_source_concept_id",
    type_concept="drug_type_concept_id",
    links=("provider",),
    attributes={
        "stop_reason": column("stop_reason"),
        "refills": column("refills"),
        "quantity": column("quantity"),
        "days_supply": column("days_supply"),
        "route": column("route_concept_id"),
        "lot_number": column("lot_number"),
    },
)
