"""Time to onset: days from starting a drug to the outcome, among exposed cases.

The onset is counted from the start of the exposure episode (refills merged,
as in `drug_era`) that precedes each case's first outcome, when it is
`min_days` to `max_days` before. Onsets on the day of the start are left out
by default: in a hospital, a diagnosis and the drugs of the same admission
are recorded on one day, which says nothing of a latency. Besides the median,
pharmacovigilance fits a Weibull distribution (Cornelius et al., Drug Saf 2012; Leroy et al. 2014): a shape
below 1 says the hazard falls after the start (an early, immunoallergic
reaction), 1 a constant hazard (no link with the start), above 1 a hazard that
rises (a delayed or cumulative effect).

The fit is by maximum likelihood with each onset known to the day (the onset
on day d lies in [d, d + 1)) and the window's truncation (only onsets from
`min_days` to `max_days` are seen):
L = Π (F(d + 1) − F(d)) / (F(max_days + 1) − F(min_days)). When the onsets
are spread over the whole window, the truncated likelihood can rise toward a
small shape and an unbounded scale: the shape is then still read (a falling
hazard), the scale and the fitted median are not, the empirical median is.
The 95 % CIs are Wald's on the log scale, from the curvature of the log-likelihood.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ibis.expr.types as ir
import numpy as np

from entrepot.drugs._cases import Outcome, cases, exposure_starts_each
from entrepot.drugs._intervals import log_interval
from entrepot.errors import DrugInputError
from entrepot.privacy import Decision
from entrepot.warehouse.eras import PERSISTENCE_DAYS

#: onsets needed for a Weibull fit (on at least two different days)
MIN_ONSETS = 3


@dataclass(frozen=True)
class Weibull:
    """A Weibull fit: shape k, scale λ (days), with 95 % CIs, and its median."""

    shape: float
    shape_ci: tuple[float, float]
    scale: float
    scale_ci: tuple[float, float]

    @property
    def median(self) -> float:
        return self.scale * math.log(2) ** (1 / self.shape)


@dataclass(frozen=True)
class Onset:
    """Onsets of the outcome after starting the drug, their median, the fit."""

    drug: str
    min_days: int
    max_days: int
    days: list[int]
    median_days: float | None
    weibull: Weibull | None  # None with fewer than MIN_ONSETS onsets

    def to_dict(self) -> dict:
        w = self.weibull
        return {
            "drug": self.drug,
            "min_days": self.min_days,
            "max_days": self.max_days,
            "cases": len(self.days),
            "median_onset_days": self.median_days,
            "weibull": None if w is None else {**w.__dict__, "median": w.median},
        }


def onset_days(
    wh,
    outcome: Outcome,
    drug: str,
    *,
    min_days: int = 1,
    max_days: int = 90,
    gap_days: int = PERSISTENCE_DAYS,
    decision: Decision | None = None,
) -> list[int]:
    """Each exposed case's days from the latest start of `drug` on or before
    its first outcome, when `min_days` to `max_days`; sorted."""
    each = onset_days_each(
        wh,
        outcome,
        [drug],
        min_days=min_days,
        max_days=max_days,
        gap_days=gap_days,
        decision=decision,
    )
    return each[drug.strip().upper()]


def onset_days_each(
    wh,
    outcome: Outcome,
    drugs: list[str],
    *,
    min_days: int = 1,
    max_days: int = 90,
    gap_days: int = PERSISTENCE_DAYS,
    decision: Decision | None = None,
) -> dict[str, list[int]]:
    """`onset_days` of each drug (ATC codes, upper-cased as the keys), in one
    query."""
    if not drugs:
        return {}
    decision = decision or Decision.unscoped(wh)
    c = cases(wh, decision, outcome)
    starts = exposure_starts_each(
        wh, decision, drugs, gap_days, persons=c.select("person_id")
    )
    codes = sorted({d.strip().upper() for d in drugs})
    return case_onsets(c, starts, codes, min_days, max_days)


def case_onsets(
    c: ir.Table, starts: ir.Table, drugs: list[str], min_days: int, max_days: int
) -> dict[str, list[int]]:
    """The onsets of each of `drugs` (as in the `drug` column of `starts`, a
    table of `exposure_starts_each`) among the cases `c`, sorted."""
    if not 0 <= min_days <= max_days:
        raise DrugInputError(
            f"the onset window must be 0 ≤ first day ≤ last day: {min_days}-{max_days}"
        )
    pairs = c.join(
        starts,
        [c.person_id == starts.person_id, starts.exposure_start <= c.outcome_date],
    )
    latest = pairs.group_by("drug", "person_id", "outcome_date").aggregate(
        start=pairs.exposure_start.max()
    )
    latest = latest.mutate(days=latest.outcome_date.delta(latest.start, unit="day"))
    latest = latest.filter(latest.days.between(min_days, max_days))
    rows = latest.select("drug", "days").to_pyarrow().to_pylist()
    out: dict[str, list[int]] = {d: [] for d in drugs}
    for r in rows:
        out[r["drug"]].append(int(r["days"]))
    return {d: sorted(days) for d, days in out.items()}


def time_to_onset(
    wh,
    outcome: Outcome,
    drug: str,
    *,
    min_days: int = 1,
    max_days: int = 90,
    gap_days: int = PERSISTENCE_DAYS,
    decision: Decision | None = None,
) -> Onset:
    """The onsets of `outcome` after starting `drug`, their median and
    Weibull fit."""
    days = onset_days(
        wh,
        outcome,
        drug,
        min_days=min_days,
        max_days=max_days,
        gap_days=gap_days,
        decision=decision,
    )
    median = float(np.median(days)) if days else None
    try:
        fit = fit_weibull(days, max_days, min_days)
    except DrugInputError:  # too few onsets, or a fit that diverges
        fit = None
    return Onset(drug, min_days, max_days, days, median, fit)


def fit_weibull(days: list[int], max_days: int, min_days: int = 0) -> Weibull:
    """The maximum-likelihood Weibull of onsets known to the day, seen only
    from `min_days` to `max_days`."""
    from scipy.optimize import minimize  # imported when fitting only

    d = np.asarray(days, float)
    if (
        len(set(days)) < 2
        or len(d) < MIN_ONSETS
        or not 0 <= min_days <= d.min() <= d.max() <= max_days
    ):
        raise DrugInputError(
            f"a Weibull fit needs ≥ {MIN_ONSETS} onsets, not all on the same day, "
            f"within {min_days}-{max_days} days"
        )

    def minus_ll(theta: np.ndarray) -> float:
        k, scale = np.exp(theta)
        upper = ((d + 1) / scale) ** k
        lower = (d / scale) ** k
        # log(F(d + 1) − F(d)) = −lower + log(1 − exp(lower − upper))
        cell = -lower + np.log(-np.expm1(lower - upper))
        # log(F(max + 1) − F(min)), the same way
        first, last = (min_days / scale) ** k, ((max_days + 1) / scale) ** k
        window = -first + np.log(-np.expm1(first - last))
        return -float(np.sum(cell) - len(d) * window)

    start = np.array([0.0, math.log(float(np.mean(d)) + 1)])
    theta = minimize(
        minus_ll,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 2000},
    ).x
    se = np.sqrt(np.diag(np.linalg.inv(_hessian(minus_ll, theta))))

    def interval(i: int) -> tuple[float, float]:
        return log_interval(theta[i], se[i], "the Weibull fit")

    return Weibull(math.exp(theta[0]), interval(0), math.exp(theta[1]), interval(1))


def _hessian(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central differences of a function of a few parameters."""
    n = len(x)
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            out[i, j] = (
                f(x + e_i + e_j)
                - f(x + e_i - e_j)
                - f(x - e_i + e_j)
                + f(x - e_i - e_j)
            ) / (4 * h * h)
    return out
