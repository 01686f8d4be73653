"""Linkage: data from outside the hospital joined to its patients.

- `read_insee_deaths`, `write_insee_deaths`: INSEE's death records (fixed width);
- `link_area`: ecological (open) data of the patients' commune or postcode;
- `link_study`: a research database's REDCap export (cohorts, registries, trials).
"""

from entrepot.linkage._area import AreaLink, link_area
from entrepot.linkage._insee import (
    DeathRecords,
    Rejected,
    read_insee_deaths,
    write_insee_deaths,
)
from entrepot.linkage._study import StudyLink, link_study

__all__ = [
    "AreaLink",
    "DeathRecords",
    "Rejected",
    "StudyLink",
    "link_area",
    "link_study",
    "read_insee_deaths",
    "write_insee_deaths",
]
