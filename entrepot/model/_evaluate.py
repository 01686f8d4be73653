"""How well a model's predicted risks fit what happened: discrimination,
calibration, overall accuracy and clinical usefulness.

- AUROC and AUPRC (average precision), each with a percentile bootstrap 95%
  interval (persons resampled; resamples with one class skipped);
- calibration: `e_o` (expected over observed events), calibration-in-the-large
  (the intercept of a logistic recalibration with the model's log-odds as an
  offset: 0 when the average risk is right), `slope` and `intercept` of the
  logistic recalibration on the model's log-odds (slope 1, intercept 0 when
  perfect; slope < 1: predictions too extreme), and the curve: the mean
  predicted risk and observed rate in tenths of predicted risk;
- the Brier score;
- net benefit at thresholds 1% to 99% (decision curve), beside treating all.

`RESULTS_SCHEMA` below is the contract of `results.json` (and `--json`).
"""

from __future__ import annotations

import numpy as np

#: results.json, as `entrepot model train/validate --json` prints it
RESULTS_SCHEMA = """
{
  "evaluated": "test" | "external",      # the split the figures below are on
  "auroc": float, "auroc_ci": [lo, hi],   # bootstrap 95% percentile interval
  "auprc": float, "auprc_ci": [lo, hi],
  "brier": float,
  "calibration": {"e_o": float, "in_the_large": float, "slope": float,
                  "intercept": float, "expected": float, "observed": int|str,
                  "curve": [{"n": int|str, "mean_predicted": float,
                             "observed": float|null}]},
  "net_benefit": [{"threshold": float, "model": float, "treat_all": float}],
  "subgroups": {"sex"|"age_band"|COVARIATE: {GROUP: {
        "n": int|str, "events": int|str, "auroc": float|null,
        "auprc": float|null, "brier": float|null,
        "calibration": {"e_o", "in_the_large", "slope"} | null,
        "flags": ["auroc", "miscalibrated"], "masked": bool}}},
  "subgroup_rule": str,                   # the tolerance and the flags' rule
  "n": {"train"|"test"|"unused"|"external": {"persons": int|str,
                                              "events": int|str}},
  "train": {"auroc", "auprc", "brier"},   # apparent performance (train only)
  "model": {"learner", "settings", "cv_auroc", "covariates": int,
            "nonzero": int|null},
  "learners": [{"learner", "settings", "cv_auroc", "selected"}],
  "attrition": [{"rule": str, "persons": int|str}],
  "study": {"name", "description", "source", "target", "outcome",
            "time_at_risk": {"start", "end", "anchor"},
            "censoring": {... , "rule": str}, "split": {..., "rule": str},
            "covariates": {...}, "learners": [...], "subgroups": {...},
            "dates": {SPLIT: [first index date, last]}},
  "warehouse": str                        # the warehouse's engine
}
"""

THRESHOLDS = np.round(np.arange(0.01, 1.0, 0.01), 2)
EPS = 1e-6


def evaluate(y: np.ndarray, p: np.ndarray, *, bootstrap: int = 200, seed: int = 0):
    """The figures of predicted risks `p` against outcomes `y` (0/1)."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    auroc, auprc = discrimination(y, p)
    auroc_ci, auprc_ci = _bootstrap(y, p, bootstrap, seed)
    return {
        "auroc": auroc,
        "auroc_ci": auroc_ci,
        "auprc": auprc,
        "auprc_ci": auprc_ci,
        "brier": _round(np.mean((p - y) ** 2)),
        "calibration": calibration(y, p) | {"curve": calibration_curve(y, p)},
        "net_benefit": net_benefit(y, p),
    }


def discrimination(y: np.ndarray, p: np.ndarray) -> tuple[float | None, float | None]:
    """AUROC and AUPRC (None with one class only)."""
    if len(np.unique(y)) < 2:
        return None, None
    return _round(auroc(y, p)), _round(average_precision(y, p))


def auroc(y: np.ndarray, p: np.ndarray) -> float:
    """The area under the ROC curve: the Mann-Whitney statistic (ties count
    half), as scikit-learn's `roc_auc_score` but vectorised for resamples."""
    from scipy.stats import rankdata

    positives = y == 1
    n1 = positives.sum()
    n0 = len(y) - n1
    ranks = rankdata(p)
    return float((ranks[positives].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """Average precision (the step-wise area under the precision-recall
    curve over distinct thresholds), as scikit-learn's `average_precision_score`."""
    order = np.argsort(-p, kind="mergesort")
    p, y = p[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(p)), len(y) - 1]
    tps = np.cumsum(y)[last]
    precision = tps / (last + 1)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _bootstrap(y, p, n: int, seed: int) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    aurocs, auprcs = [], []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        if y[i].min() == y[i].max():
            continue
        aurocs.append(auroc(y[i], p[i]))
        auprcs.append(average_precision(y[i], p[i]))
    if not aurocs:
        return [None, None], [None, None]
    return (
        [_round(v) for v in np.percentile(aurocs, [2.5, 97.5])],
        [_round(v) for v in np.percentile(auprcs, [2.5, 97.5])],
    )


def calibration(y: np.ndarray, p: np.ndarray) -> dict:
    """E/O, calibration-in-the-large, slope and intercept (see the module)."""
    logit = _logit(p)
    observed, expected = int(y.sum()), float(p.sum())
    in_large = _newton(np.zeros((len(y), 0)), y, logit)
    intercept, slope = _newton(logit[:, None], y, np.zeros(len(y)))
    return {
        "e_o": _round(expected / observed) if observed else None,
        "in_the_large": _round(in_large[0]),
        "slope": _round(slope),
        "intercept": _round(intercept),
        "expected": _round(expected),
        "observed": observed,
    }


def calibration_curve(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    """Mean predicted risk and observed rate in tenths of predicted risk."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    if len(edges) < 2:
        which = np.zeros(len(p), dtype=int)
    points = []
    for b in np.unique(which):
        inside = which == b
        points.append(
            {
                "n": int(inside.sum()),
                "mean_predicted": _round(p[inside].mean()),
                "observed": _round(y[inside].mean()),
            }
        )
    return points


def net_benefit(y: np.ndarray, p: np.ndarray) -> list[dict]:
    """Net benefit of treating those above each threshold, and of treating all."""
    n, prevalence = len(y), y.mean()
    points = []
    for t in THRESHOLDS:
        treated = p >= t
        tp = np.sum(treated & (y == 1)) / n
        fp = np.sum(treated & (y == 0)) / n
        odds = t / (1 - t)
        points.append(
            {
                "threshold": float(t),
                "model": _round(tp - fp * odds),
                "treat_all": _round(prevalence - (1 - prevalence) * odds),
            }
        )
    return points


def miscalibration_p(y: np.ndarray, p: np.ndarray) -> float:
    """Two-sided p-value of observed events against expected (normal
    approximation of the sum of Bernoulli draws with the predicted risks)."""
    from scipy.stats import norm

    variance = float(np.sum(p * (1 - p)))
    if variance <= 0:
        return 1.0
    z = (y.sum() - p.sum()) / np.sqrt(variance)
    return float(2 * norm.sf(abs(z)))


def slope_p(y: np.ndarray, p: np.ndarray) -> float:
    """Two-sided p-value of the calibration slope against 1 (Wald test of the
    logistic regression of the outcome on the predicted log-odds)."""
    from scipy.stats import norm

    logit = _logit(p)
    beta = _newton(logit[:, None], y, np.zeros(len(y)))
    design = np.column_stack([np.ones(len(y)), logit])
    mu = 1 / (1 + np.exp(-np.clip(design @ beta, -30, 30)))
    information = (design * (mu * (1 - mu))[:, None]).T @ design
    try:
        variance = np.linalg.inv(information)[1, 1]
    except np.linalg.LinAlgError:
        return 1.0
    if not np.isfinite(variance) or variance <= 0:
        return 1.0
    return float(2 * norm.sf(abs(beta[1] - 1) / np.sqrt(variance)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def _newton(x: np.ndarray, y: np.ndarray, offset: np.ndarray, steps: int = 50):
    """Maximum-likelihood logistic regression of y on [1, x] with an offset
    (a handful of parameters: Newton's method)."""
    design = np.column_stack([np.ones(len(y)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(steps):
        eta = np.clip(design @ beta + offset, -30, 30)
        mu = 1 / (1 + np.exp(-eta))
        gradient = design.T @ (y - mu)
        hessian = (design * (mu * (1 - mu))[:, None]).T @ design
        try:
            step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        except np.linalg.LinAlgError:
            break
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def _round(value) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), 4)
