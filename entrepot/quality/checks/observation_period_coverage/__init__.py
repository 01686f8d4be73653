"""Completeness: every person has at least one observation period."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    yield family.check(
        ctx,
        "person",
        None,
        "persons with no observation period: their records fall outside any follow-up",
        s.person_rows("person"),
        needs=(("person", "person_id"), ("observation_period", "person_id")),
        violated=lambda r: r._last_seen.isnull(),
    )


family = register(
    Family(
        "observation_period_coverage",
        "completeness",
        "persons have an observation period",
        _make,
    )
)
