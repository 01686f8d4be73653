"""Criterion types: one module per CDM domain, all read the same way."""

from entrepot.cohort.criteria import (
    cohort,
    condition,
    condition_era,
    death,
    device,
    dose_era,
    drug,
    drug_era,
    episode,
    extraction,
    measurement,
    note_mention,
    observation,
    observation_period,
    payer_plan_period,
    procedure,
    specimen,
    visit,
    visit_detail,
)
from entrepot.cohort.criteria._domain import Domain

DOMAINS: dict[str, Domain] = {
    m.DOMAIN.name: m.DOMAIN
    for m in (
        condition,
        drug,
        procedure,
        measurement,
        observation,
        visit,
        death,
        observation_period,
        note_mention,
        condition_era,
        drug_era,
        dose_era,
        device,
        specimen,
        visit_detail,
        payer_plan_period,
        episode,
        extraction,
        cohort,
    )
}

__all__ = ["DOMAINS", "Domain"]
