"""Performance per subgroup (sex, age bands, covariates the study names),
computed with fairlearn's MetricFrame, each compared with the whole.

A subgroup is flagged `auroc` when its AUROC differs from the whole's by more
than the study's tolerance, and `miscalibrated` when its E/O ratio is further
from 1 than the tolerance and its observed events differ from the expected
ones, or its calibration slope is further from 1 than its tolerance and
differs from 1 (each two-sided p < 0.05), so that chance in a small group is
not a flag.
"""

from __future__ import annotations

import numpy as np

from entrepot.model._covariates import CovariateMatrix
from entrepot.model._evaluate import (
    _round,
    calibration,
    discrimination,
    miscalibration_p,
    slope_p,
)
from entrepot.model._study import Subgroups

P_VALUE = 0.05


def subgroup_rule(settings: Subgroups) -> str:
    t = settings.tolerance
    return (
        f"flag auroc: |subgroup AUROC - overall| > {t.auroc}; flag miscalibrated: "
        f"|E/O - 1| > {t.e_o} and observed vs expected events p < {P_VALUE}, "
        f"or |slope - 1| > {t.slope} and slope vs 1 p < {P_VALUE}"
    )


def subgroup_labels(
    settings: Subgroups, matrix: CovariateMatrix
) -> dict[str, np.ndarray]:
    """Each subgroup variable's label per person (None: not in any group)."""
    found: dict[str, np.ndarray] = {}
    if settings.sex:
        sexes = np.full(len(matrix.person_ids), None, dtype=object)
        for sex in ("female", "male"):
            if f"sex:{sex}" in matrix.names:
                sexes[matrix.column(f"sex:{sex}") > 0] = sex
        found["sex"] = sexes
    if settings.age_bands and "age" in matrix.names:
        age = matrix.column("age")
        bounds = sorted(settings.age_bands)
        names = [
            f"{lo}-{hi - 1}" for lo, hi in zip(bounds, bounds[1:], strict=False)
        ] + [f"{bounds[-1]}+"]
        at = np.searchsorted(bounds, age, side="right") - 1
        found["age_band"] = np.array(
            [names[i] if i >= 0 else None for i in at], dtype=object
        )
    for name in settings.covariates:
        column = _covariate(name, matrix)
        found[name] = np.where(column > 0, "yes", "no").astype(object)
    return found


def _covariate(name: str, matrix: CovariateMatrix) -> np.ndarray:
    for candidate in (name, f"custom:{name}"):
        if candidate in matrix.names:
            return matrix.column(candidate)
    return np.zeros(len(matrix.person_ids))


def subgroup_figures(
    y: np.ndarray,
    p: np.ndarray,
    labels: dict[str, np.ndarray],
    settings: Subgroups,
) -> dict[str, dict[str, dict]]:
    """{variable: {group: figures}}, unmasked (the gate masks small groups)."""
    import pandas as pd
    from fairlearn.metrics import MetricFrame

    overall_auroc, _ = discrimination(y, p)
    metrics = {
        "n": lambda t, s: len(t),
        "events": lambda t, s: int(np.sum(t)),
        "auroc": lambda t, s: discrimination(t, s)[0],
        "auprc": lambda t, s: discrimination(t, s)[1],
        "brier": lambda t, s: _round(np.mean((s - t) ** 2)),
        "calibration": _calibration,
        "p_value": miscalibration_p,
        "slope_p": slope_p,
    }
    found = {}
    for variable, groups in labels.items():
        known = np.array([g is not None for g in groups])
        if not known.any():
            continue
        frame = MetricFrame(
            metrics=metrics,
            y_true=y[known],
            y_pred=p[known],
            sensitive_features=pd.Series(groups[known].astype(str), name=variable),
        )
        table = frame.by_group
        found[variable] = {
            str(group): _flagged(row.to_dict(), overall_auroc, settings)
            for group, row in table.iterrows()
        }
    return found


def _calibration(y: np.ndarray, p: np.ndarray) -> dict | None:
    if y.sum() == 0:
        return None
    c = calibration(np.asarray(y, dtype=int), np.asarray(p, dtype=float))
    return {k: c[k] for k in ("e_o", "in_the_large", "slope")}


def _flagged(figures: dict, overall: float | None, settings: Subgroups) -> dict:
    figures = {k: _none(v) for k, v in figures.items()}
    t = settings.tolerance
    flags = []
    auroc = figures["auroc"]
    if auroc is not None and overall is not None and abs(auroc - overall) > t.auroc:
        flags.append("auroc")
    found = figures["calibration"] or {}
    e_o, slope = found.get("e_o"), found.get("slope")
    if (e_o is not None and abs(e_o - 1) > t.e_o and figures["p_value"] < P_VALUE) or (
        slope is not None and abs(slope - 1) > t.slope and figures["slope_p"] < P_VALUE
    ):
        flags.append("miscalibrated")
    return {
        "n": int(figures["n"]),
        "events": int(figures["events"]),
        "auroc": auroc,
        "auprc": figures["auprc"],
        "brier": figures["brier"],
        "calibration": figures["calibration"],
        "flags": flags,
    }


def _none(value):
    """MetricFrame's NaN for a figure that does not exist, as None."""
    return None if isinstance(value, float) and np.isnan(value) else value
