"""What sets a cluster apart: standardised mean differences (SMD) of each
feature between its members and the rest, among persons with the value
known (missing values stay missing).

Numbers: (mean - mean of the rest) / sqrt((variance + variance of the
rest) / 2). Flags, and each level of a category (as a flag): the same with
prevalences p, variances p (1 - p). With no spread on either side, an SMD
is infinite where the values differ (a flag all members have and no one
else: it separates the cluster completely), undefined (None) where not.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa


def differences(features: pa.Table, labels: np.ndarray) -> dict[object, list[dict]]:
    """For each cluster (`labels`, one per row of `features`): one row per
    feature (every column but `person_id`) and level, {"feature",
    "level", "kind", "cluster", "rest", "smd", "counts"}, "counts" the
    persons behind the figures (for the release gate)."""
    names = [c for c in features.column_names if c != "person_id"]
    columns = [_columns(features, name) for name in names]
    return {
        c: [
            _difference(name, level, kind, values, labels == c)
            for found in columns
            for name, level, kind, values in found
        ]
        for c in dict.fromkeys(labels.tolist())
    }


def _columns(features: pa.Table, name: str) -> list[tuple]:
    """(feature, level, kind, values as floats with NaN missing) of a column:
    one per level for a category."""
    column = features[name]
    kind = column.type
    if pa.types.is_boolean(kind):
        return [(name, None, "flag", _floats(column.cast(pa.float64())))]
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return [(name, None, "number", _floats(column.cast(pa.float64())))]
    text = np.array(column.cast(pa.string()).to_pylist(), dtype=object)
    known = np.array([v is not None for v in text])
    levels = sorted({v for v in text[known]})
    return [
        (name, level, "level", np.where(known, (text == level).astype(float), np.nan))
        for level in levels
    ]


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    return column.to_numpy().astype(float)  # nulls become NaN


def _difference(name, level, kind, values: np.ndarray, members: np.ndarray) -> dict:
    known = ~np.isnan(values)
    inside, rest = values[members & known], values[~members & known]
    if kind == "number":
        means = [_mean(inside), _mean(rest)]
        spread = [_var(inside), _var(rest)]
        counts = [inside.size, rest.size]
    else:
        means = [_mean(inside), _mean(rest)]
        spread = [m * (1 - m) if m is not None else None for m in means]
        counts = [
            int(inside.sum()),
            int(inside.size - inside.sum()),
            int(rest.sum()),
            int(rest.size - rest.sum()),
        ]
    smd = None
    if None not in means and None not in spread:
        pooled = math.sqrt((spread[0] + spread[1]) / 2)
        if pooled > 0:
            smd = round((means[0] - means[1]) / pooled, 4)
        elif means[0] != means[1]:  # all of one side and none of the other
            smd = math.copysign(math.inf, means[0] - means[1])
    return {
        "feature": name,
        "level": level,
        "kind": kind,
        "cluster": _round(means[0]),
        "rest": _round(means[1]),
        "smd": smd,
        "counts": counts,
    }


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None


def _var(values: np.ndarray) -> float | None:
    return float(values.var(ddof=1)) if values.size > 1 else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
