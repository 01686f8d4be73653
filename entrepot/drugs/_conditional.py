"""Conditional Poisson regression: a rate per stratum (person) conditioned away.

Given each stratum's total events n_i, the events fall in its rows as a
multinomial with probabilities p_ij = d_ij·exp(x_ij·β) / Σ_k d_ik·exp(x_ik·β),
d being the days (exposure time). The log-likelihood
Σ y_ij·(x_ij·β + log d_ij) − Σ n_i·log Σ_k d_ik·exp(x_ik·β) is concave; Newton's
method with step halving maximises it, and the inverse of its negative
Hessian estimates β's covariance.
"""

from __future__ import annotations

import numpy as np

from entrepot.errors import DrugInputError


def fit_conditional_poisson(
    strata: np.ndarray,
    x: np.ndarray,
    days: np.ndarray,
    events: np.ndarray,
    *,
    tolerance: float = 1e-10,
    iterations: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """β and its covariance, from rows sorted by stratum (`days` > 0)."""
    starts = np.flatnonzero(np.r_[True, strata[1:] != strata[:-1]])
    n = np.add.reduceat(events, starts).astype(float)
    offset = np.log(days)
    beta = np.zeros(x.shape[1])

    def evaluate(beta):
        eta = x @ beta + offset
        top = np.maximum.reduceat(eta, starts)
        w = np.exp(eta - np.repeat(top, size))
        total = np.add.reduceat(w, starts)
        ll = events @ eta - n @ (np.log(total) + top)
        return ll, w / np.repeat(total, size)

    def information(p):  # minus the Hessian
        expected = np.repeat(n, size) * p
        mean = np.add.reduceat(p[:, None] * x, starts)  # per stratum, Σ p·x
        return expected, (x * expected[:, None]).T @ x - (mean * n[:, None]).T @ mean

    size = np.diff(np.r_[starts, len(days)])
    ll, p = evaluate(beta)
    for _ in range(iterations):
        expected, info = information(p)
        try:
            step = np.linalg.solve(info, x.T @ (events - expected))
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
    return beta, np.linalg.inv(information(p)[1])
