"""Device exposures (implants, catheters, pacemakers...), with quantity and
unique device identifier."""

from entrepot.cohort.criteria._domain import Domain, column, end_or_next_day

DOMAIN = Domain(
    name="device",
    table="device_exposure",
    id="device_exposure_id",
    start="device_exposure_start_date",
    end=end_or_next_day("device_exposure_end_date", "device_exposure_start_date"),
    concept="device_concept_id",
    source_concept="device_source_concept_id",
    type_concept="device_type_concept_id",
    links=("provider",),
    attributes={
        "quantity": column("quantity"),
        "unique_device_id": column("unique_device_id"),
    },
)
