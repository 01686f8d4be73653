"""Criterion types: one module per CDM domain, all read the same way."""

from entrepot.cohort.criteria import (
    condition,
    death,
    drug,
    measurement,
    observation,
    observation_period,
    procedure,
    visit,
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
    )
}

__all__ = ["DOMAINS", "Domain"]
