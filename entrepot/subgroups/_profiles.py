"""What each cluster looks like: per feature, its mean (numbers), its
prevalence (flags) or the share of each level (categories), among members
with the value known, and the share of members missing it."""

from __future__ import annotations

import numpy as np

from entrepot.subgroups._matrix import FLAG, FeatureMatrix


def profiles(m: FeatureMatrix, labels: np.ndarray, k: int) -> list[dict]:
    """One profile per cluster (clusters numbered from 1)."""
    return [_profile(m, labels == c) for c in range(k)]


def _profile(m: FeatureMatrix, members: np.ndarray) -> dict:
    found = {}
    for j, name in enumerate(m.numeric):
        values = m.numbers[members, j]
        known = values[~np.isnan(values)]
        found[name] = {"mean": _round(known.mean()) if known.size else None}
        found[name]["missing"] = _round(1 - known.size / max(members.sum(), 1))
    for j, name in enumerate(m.coded):
        codes = m.codes[members, j]
        known = codes[codes >= 0]
        shares = np.bincount(known, minlength=len(m.levels[name])) / max(known.size, 1)
        if m.kinds[name] == FLAG:
            found[name] = {"prevalence": _round(shares[1]) if known.size else None}
        else:
            found[name] = {
                "shares": {
                    str(level): _round(s)
                    for level, s in zip(m.levels[name], shares, strict=True)
                }
            }
        found[name]["missing"] = _round(1 - known.size / max(members.sum(), 1))
    return found


def _round(value: float) -> float:
    return round(float(value), 4)
