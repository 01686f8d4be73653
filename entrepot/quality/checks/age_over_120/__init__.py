"""Plausibility: nobody is older than `max_age` (120) at death or last follow-up."""

from __future__ import annotations

import ibis

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    oldest = ctx.config.max_age

    def too_old(r):
        last = r._death.coalesce(r._last_seen, ibis.literal(ctx.today))
        return (last.year() - r._year_of_birth) > oldest

    yield family.check(
        ctx,
        "person",
        "year_of_birth",
        f"persons are at most {oldest} years old at death or last follow-up",
        s.person_rows("person"),
        needs=(("person", "year_of_birth"),),
        violated=too_old,
    )


family = register(
    Family("age_over_120", "plausibility", "no one older than 120", _make)
)
