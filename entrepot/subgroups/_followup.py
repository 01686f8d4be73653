"""Follow-up from the index date to death, as the release gate's perimeter
shows it.

Death is the earliest `death_date` of OMOP `death`. A person without one is
censored at the end of their last observation period, or, without any, at
the warehouse's last date (the latest observation period end or death date
it holds). A death or an end recorded before the index date counts as at the
index date (0 days).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from entrepot.privacy import Decision

RULE = (
    "death: the earliest death_date of OMOP death; otherwise censored at the end "
    "of the person's last observation period, or, without one, at the warehouse's "
    "last date (its latest observation period end or death date); an end before "
    "the index date counts as 0 days"
)


def followup(wh, decision: Decision, index: ir.Table) -> pa.Table | None:
    """(person_id, days, died) of each person of `index` (person_id,
    index_date), or None when the perimeter has no `death` table, or neither
    a death nor an observation period."""
    death = decision.visible(wh, "death")
    if death is None:
        return None
    deaths = death.group_by(d_person=death.person_id.cast("int64")).aggregate(
        death_date=death.death_date.min()
    )
    observed = decision.visible(wh, "observation_period")
    lasts = [deaths.death_date.max()]
    if observed is not None:
        ends = observed.group_by(o_person=observed.person_id.cast("int64")).aggregate(
            end_date=observed.observation_period_end_date.max()
        )
        lasts.append(ends.end_date.max())
    lasts = [d for d in (x.to_pyarrow().as_py() for x in lasts) if d is not None]
    if not lasts:
        return None  # no death and no observation period: nothing to follow
    rows = index.left_join(deaths, index.person_id == deaths.d_person)
    end = rows.death_date
    if observed is not None:
        rows = rows.left_join(ends, rows.person_id == ends.o_person)
        end = end.coalesce(rows.end_date)
    end = end.coalesce(ibis.literal(max(lasts), type="date"))
    rows = rows.select(
        person_id=rows.person_id,
        days=end.delta(rows.index_date, unit="day"),
        died=rows.death_date.notnull(),
    )
    found = rows.to_pyarrow()
    days = np.clip(found["days"].to_numpy(zero_copy_only=False), 0, None)
    return found.set_column(1, "days", pa.array(days, pa.float64()))
