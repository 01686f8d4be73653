"""Scoring predictions against labels, one function per task metric.

`parse` reads one prediction (a CSV cell) as the metric needs it, or raises
ValueError saying why; `score` compares parsed predictions with labels.
"""

from __future__ import annotations

import math


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _binary(text: str) -> int:
    if text not in ("0", "1"):
        raise ValueError("not 0 or 1")
    return int(text)


def _name(text: str) -> str:
    if not 0 < len(text) <= 64:
        raise ValueError("not a cluster name of 1 to 64 characters")
    return text


def _fields(text: str, known: list[str]) -> frozenset[str]:
    fields = frozenset(f for f in text.split(";") if f)
    unknown = sorted(fields - set(known))
    if unknown:
        raise ValueError(
            f"unknown field {unknown[0][:40]!r} (fields: {', '.join(known)})"
        )
    return fields


def parse(metric: str, text: str, fields: list[str]):
    """One prediction as `metric` reads it."""
    if metric == "auroc":
        return _number(text)
    if metric == "f1":
        return _binary(text)
    if metric == "ari":
        return _name(text)
    return _fields(text, fields)


def score(
    metric: str, labels: list[str], predictions: list, fields: list[str]
) -> float:
    """The metric of `predictions` against `labels` (same order)."""
    from sklearn.metrics import adjusted_rand_score, f1_score, roc_auc_score

    if metric == "auroc":
        truth = [int(x) for x in labels]
        if len(set(truth)) < 2:
            return float("nan")
        return float(roc_auc_score(truth, predictions))
    if metric == "f1":
        return float(f1_score([int(x) for x in labels], predictions, zero_division=0.0))
    if metric == "ari":
        return float(adjusted_rand_score(labels, predictions))
    truth = [frozenset(f for f in x.split(";") if f) for x in labels]
    return sum(
        f1_score(
            [f in t for t in truth], [f in p for p in predictions], zero_division=1.0
        )
        for f in fields
    ) / len(fields)
