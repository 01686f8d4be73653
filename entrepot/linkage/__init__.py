"""Linkage with data from outside the hospital: vital status from INSEE's
death records, compared with the identity vault."""

from entrepot.linkage._deaths import (
    REVIEW_FROM,
    THRESHOLD,
    DeathLinkage,
    link_deaths,
    linked_deaths,
    review_list,
)

__all__ = [
    "REVIEW_FROM",
    "THRESHOLD",
    "DeathLinkage",
    "link_deaths",
    "linked_deaths",
    "review_list",
]
