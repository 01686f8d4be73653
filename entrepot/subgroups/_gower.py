"""Gower's distance between persons described by numbers, flags and categories.

A number differs by |x - y| / range (its range over every person); a flag or
a category by 0 (same) or 1 (different). The distance is the mean over the
features both persons have: a feature missing in either is left out of that
pair (Gower's own rule, no imputation). Methods that need vectors (a
Gaussian mixture, the Calinski-Harabasz and Davies-Bouldin indices) read an
embedding instead: missing values imputed (median, most frequent level),
numbers scaled to their range, categories one-hot, so that a mismatch counts
1 as in Gower's distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entrepot.subgroups._matrix import CATEGORY, FeatureMatrix

#: Distances computed per block of rows, to bound memory (block × other rows).
_BLOCK = 4_000_000

IMPUTATION = {
    "distances": "none: a feature missing in either person is left out of "
    "that pair's mean (Gower's rule)",
    "vectors": "median of each number, most frequent level of each flag or "
    "category (for the Gaussian mixture and the Calinski-Harabasz and "
    "Davies-Bouldin indices, the seeds of lca's starts)",
    "latent classes": "none: a missing value is left out of the person's "
    "likelihood (lca)",
}


@dataclass(frozen=True)
class Scale:
    """What Gower's distance and the embedding need, from every person."""

    low: np.ndarray
    ranges: np.ndarray
    medians: np.ndarray
    modes: np.ndarray

    @classmethod
    def of(cls, m: FeatureMatrix) -> Scale:
        numbers = m.numbers
        filled = ~np.isnan(numbers).all(axis=0)
        low = np.zeros(numbers.shape[1])
        high = np.ones(numbers.shape[1])
        medians = np.zeros(numbers.shape[1])
        if filled.any():
            low[filled] = np.nanmin(numbers[:, filled], axis=0)
            high[filled] = np.nanmax(numbers[:, filled], axis=0)
            medians[filled] = np.nanmedian(numbers[:, filled], axis=0)
        ranges = np.where(high > low, high - low, 1.0)
        modes = np.array(
            [max(_mode(m.codes[:, j]), 0) for j in range(m.codes.shape[1])], int
        )
        return cls(low, ranges, medians, modes)


def _mode(codes: np.ndarray) -> int:
    known = codes[codes >= 0]
    return int(np.bincount(known).argmax()) if known.size else -1


def gower(a: FeatureMatrix, b: FeatureMatrix, scale: Scale) -> np.ndarray:
    """Gower's distances between the persons of `a` (rows) and of `b`."""
    out = np.empty((a.n, b.n))
    step = max(1, _BLOCK // max(b.n, 1))
    x_numbers = (a.numbers - scale.low) / scale.ranges
    y_numbers = (b.numbers - scale.low) / scale.ranges
    for start in range(0, a.n, step):
        rows = slice(start, start + step)
        total = np.zeros((len(x_numbers[rows]), b.n))
        count = np.zeros_like(total)
        for j in range(x_numbers.shape[1]):
            d = np.abs(x_numbers[rows, j, None] - y_numbers[None, :, j])
            known = ~np.isnan(d)
            total += np.where(known, d, 0.0)
            count += known
        for j in range(a.codes.shape[1]):
            x, y = a.codes[rows, j, None], b.codes[None, :, j]
            known = (x >= 0) & (y >= 0)
            total += known & (x != y)
            count += known
        out[rows] = np.where(count > 0, total / np.maximum(count, 1), 1.0)
    return out


def embedding(m: FeatureMatrix, scale: Scale) -> np.ndarray:
    """Persons as vectors: imputed, numbers scaled to [0, 1], flags 0/1,
    categories one-hot over √2 (a mismatch: squared distance 1)."""
    numbers = np.where(np.isnan(m.numbers), scale.medians, m.numbers)
    parts = [(numbers - scale.low) / scale.ranges]
    codes = np.where(m.codes < 0, scale.modes, m.codes)
    for j, name in enumerate(m.coded):
        if m.kinds[name] == CATEGORY and len(m.levels[name]) > 2:
            parts.append(np.eye(len(m.levels[name]))[codes[:, j]] / np.sqrt(2))
        else:
            parts.append(codes[:, j, None].astype(float))
    return np.hstack(parts)


def prototypes(m: FeatureMatrix, labels: np.ndarray, k: int) -> FeatureMatrix:
    """Each cluster's prototype: the median of each number, the most frequent
    level of each flag or category (the centre that minimises Gower's
    distance to its members, feature by feature)."""
    numbers = np.full((k, m.numbers.shape[1]), np.nan)
    codes = np.full((k, m.codes.shape[1]), -1)
    for c in range(k):
        members = labels == c
        if not members.any():
            continue
        block = m.numbers[members]
        known = ~np.isnan(block).all(axis=0)
        numbers[c, known] = np.nanmedian(block[:, known], axis=0)
        codes[c] = [_mode(m.codes[members, j]) for j in range(m.codes.shape[1])]
    return FeatureMatrix(
        np.arange(k), m.numeric, m.coded, m.kinds, m.levels, numbers, codes
    )


def nearest(m: FeatureMatrix, centres: FeatureMatrix, scale: Scale) -> np.ndarray:
    """The index of the centre nearest each person (Gower's distance)."""
    return gower(m, centres, scale).argmin(axis=1)
