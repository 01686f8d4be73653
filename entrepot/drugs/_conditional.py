"""Conditional Poisson regression: a rate per stratum (person) conditioned away.

Given each stratum's total events n_i, the events fall in its rows as a
multinomial with probabilities p_ij = d_ij·exp(x_ij·β) / Σ_k d_ik·exp(x_ik·β),
d being the days (exposure time). The log-likelihood
Σ y_ij·(x_ij·β + log d_ij) − Σ n_i·log Σ_k d_ik·exp(x_ik·β) is concave; Newton's
method with step halving maximises it, and the inverse of its negative
Hessian estimates β's covariance. When some coefficients grow without bound
(every stratum with time in a risk window has its events there), they are
fitted at the likelihood's limit and profiled for a lower bound: where the
profile log-likelihood is χ²₁(0.95) / 2 below its supremum. Nuisance
covariates (age bands, seasons) that diverge are found by a linear program
and taken to their limit too, where the rows they push to probability 0
leave the likelihood.
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
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """β, its covariance, and whether Newton's steps converged within
    `iterations` (from `start`, else 0), from rows sorted by stratum (`days` > 0).

    The covariates are indicators, mostly zero (windows, age bands, seasons):
    they are held as a sparse matrix, which makes each Newton step's
    information matrix cost the rows' nonzero entries, not rows × columns²."""
    from scipy import sparse

    starts = np.flatnonzero(np.r_[True, strata[1:] != strata[:-1]])
    size = np.diff(np.r_[starts, len(days)])
    n = np.add.reduceat(events, starts).astype(float)
    offset = np.log(days)
    beta = np.zeros(x.shape[1]) if start is None else start
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
    converged = False
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
            converged = True
            break
    return beta, covariance(information(p)[1]), converged


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


#: Newton's steps within which fits whose β are all finite converge (10 at
#: most on the tests' hospital); a fit still moving after them is taken to
#: the limit of its diverging nuisance covariates, if it has some.
FEW_STEPS = 12
#: A |β| taken for a divergence (a ratio of 5·10⁸): Newton's steps that far
#: out can meet the tolerance on rounding errors.
DIVERGED = 20.0


def fit_with_limits(
    strata: np.ndarray,
    x: np.ndarray,
    days: np.ndarray,
    events: np.ndarray,
    indicators: list[int],
    columns: list[int] | None = None,
) -> Fit:
    """The conditional Poisson fit of `columns` (None: all) at the
    likelihood's limit. When the β of some `indicators` (0/1 columns, one at
    most per row: risk windows) is +∞ (the largest set of them such that
    every stratum with a row in one has all its events in such rows), those
    strata keep only those rows (the others' probability is 0 at the limit)
    and one of the set is the reference of the others. The other columns
    (nuisance: age bands, seasons) are taken to their limit when Newton's
    method has not converged in `FEW_STEPS` and a linear program finds them
    diverging (`_finite_rows`). Columns that no longer vary, or depend on the
    others, are left out."""
    face = _face(strata, x, events, indicators, columns, nuisance=False)
    fit, converged = _fit_face(face, strata, x, days, events, FEW_STEPS)
    if converged and not (np.abs(fit.beta) > DIVERGED).any():
        return fit
    limit = _face(strata, x, events, indicators, columns, nuisance=True)
    if (limit.rows == face.rows).all():  # no nuisance covariate diverges
        return _fit_face(face, strata, x, days, events, start=fit.beta)[0]
    return _fit_face(limit, strata, x, days, events)[0]


@dataclass(frozen=True)
class _Face:
    """The rows and columns fitted at a limit, and the indicators at +∞."""

    rows: np.ndarray
    columns: list[int]
    unbounded: list[int]


def _face(strata, x, events, indicators, columns, *, nuisance: bool) -> _Face:
    """The face of the likelihood `fit_with_limits` fits: the indicators' limit,
    and the nuisance columns' too when `nuisance`."""
    columns = list(range(x.shape[1])) if columns is None else columns
    unbounded = _unbounded(strata, x, events, indicators)
    rows = np.ones(len(strata), bool)
    if unbounded:
        inside = x[:, unbounded].any(axis=1)
        rows = ~np.isin(strata, strata[inside]) | inside
    if nuisance:
        others = [c for c in columns if c not in indicators]
        rows[rows] = _finite_rows(strata[rows], x[rows][:, others], events[rows])
    kept = [c for c in columns if not unbounded or c != unbounded[0]]
    strata, x, events = strata[rows], x[rows], events[rows]
    kept = [c for c, v in zip(kept, varies(strata, x[:, kept]), strict=True) if v]
    if not rows.all() or len(columns) < x.shape[1]:  # fewer rows: fewer columns
        kept = _independent(strata, x, events, kept)
    return _Face(rows, kept, unbounded)


def _fit_face(
    face: _Face, strata, x, days, events, iterations: int = 100, start=None
) -> tuple[Fit, bool]:
    """The fit on a face, and whether it converged."""
    rows, kept = face.rows, face.columns
    strata, x, days, events = strata[rows], x[rows][:, kept], days[rows], events[rows]
    if kept:
        beta, cov, converged = fit_conditional_poisson(
            strata, x, days, events, iterations=iterations, start=start
        )
    else:
        beta, cov, converged = np.zeros(0), np.zeros((0, 0)), True
    ll = log_likelihood(strata, x, days, events, beta)
    return Fit(kept, beta, cov, ll, face.unbounded), converged


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


def _finite_rows(strata, x, events) -> np.ndarray:
    """The rows whose probability stays above 0 where the likelihood is
    highest, the β of the columns of `x` free to diverge.

    β diverges along a direction d when every event's row has the highest
    x·d of its stratum (the likelihood then grows, or stays, all the way):
    the rows below it get probability 0 at that limit. A linear program finds
    the direction with the most such rows (maximising the differences
    (x_event − x_row)·d, each capped at 1: any row one direction can push
    below is pushed below by their sum), and those rows are left out."""
    if not x.shape[1]:
        return np.ones(len(strata), bool)
    starts = np.flatnonzero(np.r_[True, strata[1:] != strata[:-1]])
    size = np.diff(np.r_[starts, len(strata)])
    stratum = np.repeat(np.arange(len(starts)), size)
    at = np.flatnonzero(events > 0)  # each event row against its stratum's rows
    length = size[stratum[at]]
    first = np.cumsum(length) - length
    rows = np.repeat(starts[stratum[at]] - first, length) + np.arange(length.sum())
    patterns, of = _patterns(x)  # the differences, as pairs of distinct rows of x
    code = np.repeat(of[at], length) * len(patterns) + of[rows]
    moving = code % len(patterns) != code // len(patterns)
    codes, which = np.unique(code[moving], return_inverse=True)
    if not len(codes):
        return np.ones(len(strata), bool)
    from scipy import sparse
    from scipy.optimize import linprog  # imported when a covariate can move

    unique = patterns[codes // len(patterns)] - patterns[codes % len(patterns)]
    m, k = unique.shape
    found = linprog(
        np.r_[np.zeros(k), -np.ones(m)],
        A_ub=sparse.hstack([sparse.csr_matrix(-unique), sparse.eye(m)]),
        b_ub=np.zeros(m),
        bounds=[(None, None)] * k + [(0, 1)] * m,
        method="highs",
    )
    below = found.x[k:] > 1e-7 if found.success else np.zeros(m, bool)
    if not below.any():  # none diverges (or not found: Newton's steps go on)
        return np.ones(len(strata), bool)
    kept = np.ones(len(strata), bool)
    kept[rows[moving][below[which.ravel()]]] = False
    return kept


def _patterns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of `x`, and the index of each row among them."""
    order = np.lexsort(x.T[::-1])
    ordered = x[order]
    new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
    of = np.empty(len(x), np.int64)
    of[order] = np.cumsum(new) - 1
    return ordered[new], of


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
    face = _face(strata, x, events, others, rest, nuisance=True)  # whatever b

    def below(b: float) -> float:
        scaled = days * np.exp(b * x[:, column])
        fit = _fit_face(face, strata, x, scaled, events)[0]
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
