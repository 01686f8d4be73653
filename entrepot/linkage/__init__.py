"""Linkage of the warehouse's patients with outside sources: INSEE's death
records, read from their files and compared with the identity vault."""

from entrepot.linkage._deaths import (
    REVIEW_FROM,
    THRESHOLD,
    DeathLinkage,
    link_deaths,
    linked_deaths,
    review_list,
)
from entrepot.linkage._insee import (
    DeathRecords,
    Rejected,
    read_insee_deaths,
    write_insee_deaths,
)

__all__ = [
    "REVIEW_FROM",
    "THRESHOLD",
    "DeathLinkage",
    "DeathRecords",
    "Rejected",
    "link_deaths",
    "linked_deaths",
    "read_insee_deaths",
    "review_list",
    "write_insee_deaths",
]
