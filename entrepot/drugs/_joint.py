"""The multiple-exposure self-controlled case series (Simpson et al. 2013).

One conditional Poisson model per outcome, over the cases, with every drug's
risk windows as covariates at once (and the age bands and seasons), as OHDSI's
SelfControlledCaseSeries fits all drugs' eras together: each drug's IRR is
then adjusted for the others' windows, which a drug's own case series counts
as its control time (another drug's events there lower its IRR; a drug started
with a culprit takes the culprit's events). The intervals are those of
`sccs_intervals` cut at every drug's window bounds: a day is in at most one
window of each drug (its lowest-numbered), and in the windows of as many
drugs as cover it (their log IRRs add). No prior: the estimates are the
maximum of the likelihood, at its limit where a window's β diverges (as in
`fit_intervals`); a drug whose windows cannot be told from the others' (always
taken together) gets an error.
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.drugs._cases import Outcome, cases, exposure_starts_each
from entrepot.drugs._conditional import (
    fit_with_limits,
    independent,
    lower_bound,
    varies,
)
from entrepot.drugs._sccs import (
    DEFAULT_WINDOWS,
    SccsResult,
    _checked,
    _cuts,
    _risk_windows,
    described,
    estimates,
    levels,
)
from entrepot.errors import DrugInputError
from entrepot.privacy import Decision
from entrepot.warehouse.eras import PERSISTENCE_DAYS

#: The ridge on the drugs' log IRRs: a normal prior N(0, 5²), weak (a window
#: with 3 events has an information near 3, 75 times the prior's 0.04), which
#: keeps β finite and unique where windows of drugs taken together could
#: otherwise trade their effects without end.
RIDGE = 1 / 5**2


def sccs_joint(
    wh,
    outcome: Outcome,
    drugs: list[str],
    *,
    windows=DEFAULT_WINDOWS,
    age_band_years: int | None = 5,
    season: str | None = "quarter",
    gap_days: int = PERSISTENCE_DAYS,
    start_day: bool = True,
    decision: Decision | None = None,
) -> dict[str, SccsResult | DrugInputError]:
    """Each drug's case series (ATC codes, upper-cased as the keys), all
    fitted in one model where every drug's windows are covariates; a drug
    that cannot be estimated gets an error, as `sccs_each` gives."""
    windows = _checked(windows, age_band_years, season)
    drugs = sorted({d.strip().upper() for d in drugs})
    if not drugs:
        return {}
    segments, covered = joint_intervals(
        wh,
        outcome,
        drugs,
        windows=[*windows, (0, 0)] if start_day else windows,
        age_band_years=age_band_years,
        season=season,
        gap_days=gap_days,
        decision=decision or Decision.unscoped(wh),
    )
    return fit_joint(segments, covered, drugs, windows, start_day)


def joint_intervals(
    wh, outcome, drugs, *, windows, age_band_years, season, gap_days, decision
) -> tuple[pa.Table, pa.Table]:
    """The cases' segments (person_id, day, age_band, season, days, events),
    cut at every drug's window bounds and the months, sorted; and the windows
    covering them (person_id, day, drug, window: the drug's lowest-numbered)."""
    c = wh.store.materialize(cases(wh, decision, outcome))
    starts = exposure_starts_each(
        wh, decision, drugs, gap_days, persons=c.select("person_id")
    )
    risks = wh.store.materialize(_risk_windows(wh.store.materialize(starts), windows))
    units = c.mutate(drug=ibis.literal("", "string"))
    cuts = _cuts(wh, units, risks.mutate(drug=ibis.literal("", "string")))
    order = ibis.window(group_by=["drug", "person_id"], order_by="day")
    segs = cuts.mutate(next_day=cuts.day.lead().over(order))
    segs = segs.filter(segs.next_day.notnull())
    segs = described(segs.join(units, ["drug", "person_id"]), age_band_years, season)
    segs = wh.store.materialize(
        segs.select("person_id", "day", "age_band", "season", "days", "events")
    )
    hit = segs.join(
        risks,
        [
            segs.person_id == risks.person_id,
            risks.w_start <= segs.day,
            segs.day < risks.w_stop,
        ],
    )
    covered = hit.group_by(
        person_id=segs.person_id, day=segs.day, drug=risks.drug
    ).aggregate(window=hit.window.min())
    order_by = [("person_id", "ascending"), ("day", "ascending")]
    return segs.to_pyarrow().sort_by(order_by), covered.to_pyarrow()


def fit_joint(
    segments: pa.Table, covered: pa.Table, drugs, windows, start_day: bool
) -> dict[str, SccsResult | DrugInputError]:
    """The model of `sccs_joint` over the tables of `joint_intervals`."""
    n_windows = len(windows) + bool(start_day)
    person = segments["person_id"].to_numpy()
    cases = len(np.unique(person))
    if not cases:
        raise DrugInputError("no case of the outcome in the warehouse")
    days = segments["days"].to_numpy().astype(float)
    ys = segments["events"].to_numpy()
    # each covering window's row: segments are sorted by (person, day)
    key = _key(segments["person_id"], segments["day"])
    row = np.searchsorted(key, _key(covered["person_id"], covered["day"]))
    index = {d: i for i, d in enumerate(drugs)}
    drug = np.array([index[d] for d in covered["drug"].to_pylist()], np.int64)
    column = drug * n_windows + covered["window"].to_numpy() - 1
    width = len(drugs) * n_windows
    x = np.zeros((len(person), width))
    x[row, column] = 1.0
    events = ys @ x
    window_days = days @ x
    exposed_rows = (
        x.reshape(len(person), len(drugs), n_windows)[:, :, : len(windows)].any(axis=2)
        & (days > 0)[:, None]
    )
    # a window without events: rate 0, its rows leave the likelihood
    keep = (days > 0) & ~x[:, events == 0].any(axis=1)
    col = {"age_band": segments["age_band"].to_numpy()}
    col["season"] = segments["season"].to_numpy()
    for name in col:  # a level without events: rate 0
        keep &= np.isin(col[name], np.unique(col[name][ys > 0]))
    at = [k for k in range(width) if events[k]]
    nuisance = [m for name in col for m in levels(col[name][keep], days[keep])]
    x = np.column_stack([x[keep][:, at], *nuisance])
    person, days, ys = person[keep], days[keep], ys[keep]
    kept = independent(person, x, ys, list(np.flatnonzero(varies(person, x))))
    x = x[:, kept]
    # the reported windows may reach +∞; start days and the rest stay finite
    indicators = [
        i
        for i, k in enumerate(kept)
        if k < len(at) and at[k] % n_windows < len(windows)
    ]
    penalty = np.full(x.shape[1], RIDGE)
    fit = fit_with_limits(person, x, days, ys, indicators, penalty=penalty)
    found: dict[int, tuple] = {}
    for i in indicators:
        k = at[kept[i]]
        if i in fit.unbounded:
            low = lower_bound(
                person, x, days, ys, indicators, i, fit.log_likelihood, penalty
            )
            found[k] = (math.inf, None, int(events[k]), low)
        elif i in fit.columns:
            f = fit.columns.index(i)
            found[k] = (float(fit.beta[f]), math.sqrt(fit.cov[f, f]), int(events[k]))
    out: dict[str, SccsResult | DrugInputError] = {}
    for d, name in enumerate(drugs):
        first = d * n_windows
        exposed = len(np.unique(segments["person_id"].to_numpy()[exposed_rows[:, d]]))
        mine = {
            w: found[first + w - 1]
            for w in range(1, len(windows) + 1)
            if first + w - 1 in found
        }
        lost = [
            w
            for w in range(1, len(windows) + 1)
            if events[first + w - 1] and w not in mine
        ]
        if not exposed:
            out[name] = DrugInputError(f"no case of the outcome was exposed to {name}")
        elif lost:
            out[name] = DrugInputError(
                f"{name}'s risk windows cannot be told from control time and the "
                "other drugs' windows"
            )
        else:
            by_window = np.r_[0.0, window_days[first : first + len(windows)]]
            out[name] = SccsResult(
                name, cases, exposed, estimates(by_window, windows, mine)
            )
    return out


def _key(person: pa.ChunkedArray, day: pa.ChunkedArray) -> np.ndarray:
    """(person, day) as one sortable integer."""
    days = pc.cast(day, pa.int32()).to_numpy().astype(np.int64)
    return person.to_numpy().astype(np.int64) * (1 << 24) + days
