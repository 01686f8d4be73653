"""Linkage of the warehouse's patients with outside sources: INSEE's death records."""

from entrepot.linkage._insee import (
    DeathRecords,
    Rejected,
    read_insee_deaths,
    write_insee_deaths,
)

__all__ = [
    "DeathRecords",
    "Rejected",
    "read_insee_deaths",
    "write_insee_deaths",
]
