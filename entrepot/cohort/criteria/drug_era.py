"""Drug eras: continuous exposure to one ingredient, with how many exposures
each era merges and the days without drug between them."""

from entrepot.cohort.criteria._domain import Domain, column

DOMAIN = Domain(
    name="drug_era",
    table="drug_era",
    id="drug_era_id",
    start="drug_era_start_date",
    end=column("drug_era_end_date"),
    concept="drug_concept_id",
    has_visit=False,
    attributes={
        "occurrence_count": column("drug_exposure_count"),
        "gap_days": column("gap_days"),
    },
)
