"""Drug exposures (prescriptions, administrations, dispensings)."""

import ibis

from entrepot.cohort.criteria._domain import ONE_DAY, Domain


def exposure_end(t, days_supply: int | None = None):
    """Circe's end of an exposure: its end date, else start plus days supply,
    else the day after the start; or start plus a fixed `days_supply`."""
    start = t.drug_exposure_start_date
    if days_supply is not None:
        return start + ibis.interval(days=days_supply)
    supply = t.days_supply.cast("int64").as_interval("D")
    return ibis.coalesce(t.drug_exposure_end_date, start + supply, start + ONE_DAY)


DOMAIN = Domain(
    name="drug",
    table="drug_exposure",
    id="drug_exposure_id",
    start="drug_exposure_start_date",
    end=exposure_end,
    concept="drug_concept_id",
    source_concept="drug_source_concept_id",
    type_concept="drug_type_concept_id",
)
