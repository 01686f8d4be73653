"""Plausibility: events fall within one of the person's observation periods."""

from __future__ import annotations

from entrepot.quality._registry import Family, register
from entrepot.quality.checks import _sources as s


def _make(ctx, family):
    for table, field in s.EVENT_DATES.items():
        yield family.check(
            ctx,
            table,
            field,
            f"{table}.{field} falls within an observation period of the person",
            s.during_observation(table, field),
            needs=(
                (table, field),
                ("observation_period", "observation_period_start_date"),
                ("observation_period", "observation_period_end_date"),
            ),
            scope=lambda r: r._date.notnull(),
            violated=lambda r: ~r._inside,
        )


family = register(
    Family(
        "outside_observation",
        "plausibility",
        "events within observation periods",
        _make,
    )
)
