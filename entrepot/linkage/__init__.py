"""Linkage: data from outside the hospital joined to its patients.

- `link_area`: ecological (open) data of the patients' commune or postcode;
- `link_study`: a research database's REDCap export (cohorts, registries, trials).
"""

from entrepot.linkage._area import AreaLink, link_area
from entrepot.linkage._study import StudyLink, link_study

__all__ = ["AreaLink", "StudyLink", "link_area", "link_study"]
