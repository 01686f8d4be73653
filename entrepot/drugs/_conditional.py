"""Conditional Poisson regression: a rate per stratum (person) conditioned away.

Given each stratum's total events n_i, the events fall in its rows as a
multinomial with probabilities p_ij = d_ij·exp(x_ij·β) / Σ_k d_ik·exp(x_ik·β),
d being the days (exposure time). The log-likelihood
Σ y_ij·(x_ij·β + log d_ij) − Σ n_i·log Σ_k d_ik·exp(x_ik·β) is concave; Newton's
method with step halving maximises it, and the inverse of its negative
Hessian estimates β's covariance. When some coefficients grow without bound
(every stratum with time in a risk window has its events there), they are
fitted at the likelihood's limit and profiled for a lower bound: where the
profile log-likelihood is χ²₁(0.95) / 2 below its supremum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entrepot.drugs._intervals import Z95
from entrepot.errors import DrugInputError

#: The lowest and highest log ratio a lower bound is looked for within.
UNBOUNDED = 50.0


def fit_conditional_poisson(
    strata: np.ndarray,
    x: np.ndarray,
    days: np.ndarray,
    events: np.ndarray,
    *,
    tolerance: float = 1e-10,
    iterations: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """β and its covariance, from rows sorted by stratum (`days` > 0).

    The covariates are indicators, mostly zero (windows, age bands, seasons):
    they are held as a sparse matrix, which makes each Newton step's
    information matrix cost the rows' nonzero entries, not rows × columns²."""
    from scipy import sparse

    starts = np.flatnonzero(np.r_[True, strata[1:] != strata[:-1]])
    size = np.diff(np.r_[starts, len(days)])
    n = np.add.reduceat(events, starts).astype(float)
    offset = np.log(days)
    beta = np.zeros(x.shape[1])
    xs = sparse.csr_matrix(x)
    member = sparse.csr_matrix(  # stratum × row
        (
            np.ones(len(days)),
            (np.repeat(np.arange(len(starts)), size), np.arange(len(days))),
        ),
        shape=(len(starts), len(days)),
    )

    def evaluate(beta):
        eta = xs @ beta + offset
        top = np.maximum.reduceat(eta, starts)
        w = np.exp(eta - np.repeat(top, size))
        total = np.add.reduceat(w, starts)
        ll = events @ eta - n @ (np.log(total) + top)
        return ll, w / np.repeat(total, size)

    def information(p):  # minus the Hessian
        expected = np.repeat(n, size) * p
        mean = (member @ (sparse.diags(p) @ xs)).toarray()  # per stratum, Σ p·x
        gram = (xs.T @ (sparse.diags(expected) @ xs)).toarray()
        return expected, gram - (mean * n[:, None]).T @ mean

    ll, p = evaluate(beta)
    for _ in range(iterations):
        expected, info = information(p)
        try:
            step = np.linalg.solve(info, xs.T @ (events - expected))
        except np.linalg.LinAlgError:
            raise DrugInputError(
                "the model cannot be fitted: a covariate does not vary within cases"
            ) from None
        for _ in range(50):
            new_ll, new_p = evaluate(beta + step)
            if new_ll >= ll - 1e-12:
                break
            step = step / 2
        beta, gain = beta + step, new_ll - ll
        ll, p = new_ll, new_p
        if abs(gain) < tolerance:
            break
    return beta, covariance(information(p)[1])


def covariance(information: np.ndarray) -> np.ndarray:
    """The information's inverse. Where a nuisance covariate diverges (its
    level has no event: β → ±∞), the information vanishes along that
    direction: the inverse is taken on the other directions, and a column
    with a share in the vanishing ones gets an infinite variance."""
    values, vectors = np.linalg.eigh(information)
    flat = values <= 1e-9 * max(values.max(initial=0.0), 1e-300)
    kept = vectors[:, ~flat]
    cov = (kept / values[~flat]) @ kept.T
    mixed = (vectors[:, flat] ** 2).sum(axis=1) > 1e-6
    cov[mixed, :] = cov[:, mixed] = 0.0
    cov[mixed, mixed] = np.inf
    return cov


def log_likelihood(
    strata: np.ndarray, x: np.ndarray, days: np.ndarray, events: np.ndarray, beta
) -> float:
    """The conditional log-likelihood at β (rows sorted by stratum)."""
    starts = np.flatnonzero(np.r_[True, strata[1:] != strata[:-1]])
    size = np.diff(np.r_[starts, len(days)])
    eta = x @ np.asarray(beta, float) + np.log(days)
    top = np.maximum.reduceat(eta, starts)
    total = np.add.reduceat(np.exp(eta - np.repeat(top, size)), starts)
    n = np.add.reduceat(events, starts).astype(float)
    return float(events @ eta - n @ (np.log(total) + top))


def varies(strata: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Columns that vary within at least one stratum (others have no
    information once strata are conditioned on)."""
    starts = np.flatnonzero(np.r_[True, strata[1:] != strata[:-1]])
    spread = np.maximum.reduceat(x, starts) - np.minimum.reduceat(x, starts)
    return (spread > 0).any(axis=0)


@dataclass(frozen=True)
class Fit:
    """A fit at the likelihood's limit: the columns fitted, their β and
    covariance, the log-likelihood, and the columns whose β is +∞."""

    columns: list[int]
    beta: np.ndarray
    cov: np.ndarray
    log_likelihood: float
    unbounded: list[int]


def fit_with_limits(
    strata: np.ndarray,
    x: np.ndarray,
    days: np.ndarray,
    events: np.ndarray,
    indicators: list[int],
    columns: list[int] | None = None,
) -> Fit:
    """The conditional Poisson fit of `columns` (None: all) when the β of
    some `indicators` (0/1 columns, one at most per row: risk windows) is
    +∞: the largest set of them such that every stratum with a row in one has
    all its events in such rows. Those strata then keep only those rows (the
    others' probability is 0 at the limit), one of the set is the reference
    of the others, and columns that no longer vary, or depend on the others,
    are left out."""
    columns = list(range(x.shape[1])) if columns is None else columns
    unbounded = _unbounded(strata, x, events, indicators)
    rows = np.ones(len(days), bool)
    if unbounded:
        inside = x[:, unbounded].any(axis=1)
        rows = ~np.isin(strata, strata[inside]) | inside
    kept = [c for c in columns if not unbounded or c != unbounded[0]]
    strata, x, days, events = strata[rows], x[rows], days[rows], events[rows]
    kept = [c for c, v in zip(kept, varies(strata, x[:, kept]), strict=True) if v]
    if unbounded or len(columns) < x.shape[1]:  # fewer strata: fewer columns
        kept = _independent(strata, x, events, kept)
    if kept:
        beta, cov = fit_conditional_poisson(strata, x[:, kept], days, events)
    else:
        beta, cov = np.zeros(0), np.zeros((0, 0))
    ll = log_likelihood(strata, x[:, kept], days, events, beta)
    return Fit(kept, beta, cov, ll, unbounded)


def _independent(strata, x, events, columns: list[int]) -> list[int]:
    """The columns, in order, that add to the rank of the information: the
    differences within the strata that have events (their Gram matrix's)."""
    starts = np.flatnonzero(np.r_[True, strata[1:] != strata[:-1]])
    size = np.diff(np.r_[starts, len(strata)])
    has = np.repeat(np.add.reduceat(events, starts) > 0, size)
    mean = np.add.reduceat(x[:, columns], starts) / size[:, None]
    centred = (x[:, columns] - np.repeat(mean, size, axis=0))[has]
    gram = centred.T @ centred
    chosen: list[int] = []
    for i in range(len(columns)):
        trial = [*chosen, i]
        if np.linalg.matrix_rank(gram[np.ix_(trial, trial)]) == len(trial):
            chosen.append(i)
    return [columns[i] for i in chosen]


def _unbounded(strata, x, events, indicators: list[int]) -> list[int]:
    """The largest set of `indicators` such that every stratum with a row in
    one of them has all its events in such rows."""
    found = list(indicators)
    while found:
        inside = x[:, found].any(axis=1)
        blocked = np.intersect1d(strata[inside], strata[~inside & (events > 0)])
        rows = inside & np.isin(strata, blocked)
        drop = [c for c in found if (x[rows, c] > 0).any()]
        if not drop:
            break
        found = [c for c in found if c not in drop]
    return found


def lower_bound(
    strata: np.ndarray,
    x: np.ndarray,
    days: np.ndarray,
    events: np.ndarray,
    indicators: list[int],
    column: int,
    supremum: float,
) -> float:
    """The 95 % profile-likelihood lower bound of the β of `column` (one of
    `indicators`, +∞ at the limit whose log-likelihood is `supremum`): where
    the log-likelihood maximised with that β fixed is χ²₁(0.95) / 2 below."""
    from scipy.optimize import brentq  # imported when bounding only

    others = [c for c in indicators if c != column]
    rest = [c for c in range(x.shape[1]) if c != column]

    def below(b: float) -> float:
        scaled = days * np.exp(b * x[:, column])
        fit = fit_with_limits(strata, x, scaled, events, others, rest)
        return fit.log_likelihood - (supremum - Z95**2 / 2)

    low = 0.0
    while below(low) > 0:
        if low <= -UNBOUNDED:
            return -np.inf
        low -= 5.0
    high = low + 5.0
    while below(high) <= 0 and high < UNBOUNDED:
        high += 5.0
    return float(brentq(below, low, high, xtol=1e-8))
