"""Linkage: data from outside the hospital joined to its patients.

- `link_deaths`: INSEE's death records (`read_insee_deaths`), compared with the
  identity vault;
- `link_area`: ecological (open) data of the patients' commune or postcode;
- `link_study`: a research database's REDCap export (cohorts, registries, trials).
"""

from entrepot.linkage._area import AreaLink, link_area
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
from entrepot.linkage._study import StudyLink, link_study

__all__ = [
    "REVIEW_FROM",
    "THRESHOLD",
    "AreaLink",
    "DeathLinkage",
    "DeathRecords",
    "Rejected",
    "StudyLink",
    "link_area",
    "link_deaths",
    "link_study",
    "linked_deaths",
    "read_insee_deaths",
    "review_list",
    "write_insee_deaths",
]
