"""Survival of clusters (lifelines): Kaplan-Meier curves read on a yearly
grid, a multi-group log-rank test, and a Cox model's hazard ratios of each
cluster against a reference (the largest)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from lifelines.statistics import multivariate_logrank_test

YEAR = 365.25  # days


def grid(days: np.ndarray) -> np.ndarray:
    """Whole years from 0 to the longest follow-up."""
    return np.arange(int(days.max() // YEAR) + 1 if days.size else 1, dtype=float)


def kaplan_meier(days: np.ndarray, died: np.ndarray, years: np.ndarray) -> dict:
    """Survival and its 95 % confidence interval at each of `years`, and the
    persons at risk then (followed that long at least); None where none is."""
    fitted = KaplanMeierFitter().fit(days, died)
    at = years * YEAR
    steps = np.searchsorted(fitted.survival_function_.index, at, side="right") - 1
    ci = fitted.confidence_interval_survival_function_.to_numpy()
    at_risk = [int((days >= t).sum()) for t in at]

    def read(values: np.ndarray) -> list[float | None]:
        return [
            round(float(values[s]), 4) if n else None
            for s, n in zip(steps, at_risk, strict=True)
        ]

    return {
        "times": years.tolist(),
        "survival": read(fitted.survival_function_.to_numpy()[:, 0]),
        "ci_low": read(ci[:, 0]),
        "ci_high": read(ci[:, 1]),
        "at_risk": at_risk,
    }


def logrank(days: np.ndarray, died: np.ndarray, labels: np.ndarray) -> dict | None:
    """The log-rank test that all clusters share one survival curve (None
    without a death)."""
    test = multivariate_logrank_test(days, labels, died)
    if not np.isfinite(test.p_value):  # no death at all
        return None
    return {
        "statistic": round(float(test.test_statistic), 4),
        "df": int(test.degrees_of_freedom),
        "p": float(test.p_value),
    }


def cox(
    days: np.ndarray, died: np.ndarray, labels: np.ndarray, reference
) -> dict[object, dict]:
    """Each cluster's hazard ratio against `reference` with its 95 % CI and
    p-value (the reference: 1, no interval), or None for every cluster where
    the model cannot be fitted (no death, a cluster without death)."""
    others = [c for c in dict.fromkeys(labels.tolist()) if c != reference]
    data = pd.DataFrame({"days": days, "died": died.astype(int)})
    for i, c in enumerate(others):
        data[f"c{i}"] = (labels == c).astype(int)
    found = {reference: {"hr": 1.0, "ci": None, "p": None, "reference": True}}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            fitted = CoxPHFitter().fit(data, "days", "died")
    except (ConvergenceError, ConvergenceWarning, ValueError, ZeroDivisionError):
        return found | {c: None for c in others}
    s = fitted.summary
    for i, c in enumerate(others):
        row = s.loc[f"c{i}"]
        found[c] = {
            "hr": round(float(row["exp(coef)"]), 4),
            "ci": [
                round(float(row["exp(coef) lower 95%"]), 4),
                round(float(row["exp(coef) upper 95%"]), 4),
            ],
            "p": float(row["p"]),
            "reference": False,
        }
    return found
