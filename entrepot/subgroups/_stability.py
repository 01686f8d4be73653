"""Bootstrap resamples: the consensus they reach, and how stable each cluster is.

Stability follows Hennig's clusterwise bootstrap (`fpc::clusterboot`): for
each resample, a cluster's members that were drawn are compared with every
cluster found in the resample; its Jaccard similarity to the closest one is
recorded. A cluster whose mean is below 0.5 is dissolved; 0.6–0.75 shows a
pattern; above 0.85 it is highly stable (Hennig 2007).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entrepot.subgroups._methods import cut


@dataclass(frozen=True)
class Resample:
    """The distinct persons a bootstrap resample drew, and the clusters a
    method found among them (label per person, -1: none)."""

    index: np.ndarray
    labels: np.ndarray


def draws(n: int, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`count` bootstrap resamples of n persons (drawn with replacement)."""
    return [rng.integers(0, n, n) for _ in range(count)]


def distinct(drawn: np.ndarray, labels: np.ndarray) -> Resample:
    """A resample's distinct persons with their labels."""
    index, first = np.unique(drawn, return_index=True)
    return Resample(index, np.asarray(labels)[first])


def consensus(n: int, resamples: list[Resample], k: int) -> np.ndarray:
    """The partition into k clusters that the resamples agree on: the share
    of resamples drawing two persons that put them together, clustered by
    average linkage (Monti's consensus clustering)."""
    drawn = np.zeros((n, len(resamples)), np.float32)
    members = []
    for b, r in enumerate(resamples):
        drawn[r.index, b] = 1
        clusters = np.unique(r.labels[r.labels >= 0])
        block = np.zeros((n, clusters.size), np.float32)
        kept = r.labels >= 0
        block[r.index[kept], np.searchsorted(clusters, r.labels[kept])] = 1
        members.append(block)
    together = np.hstack(members)
    together = together @ together.T  # resamples putting i and j together
    both = drawn @ drawn.T  # resamples drawing i and j
    share = np.divide(together, both, out=np.zeros_like(both), where=both > 0)
    np.fill_diagonal(share, 1.0)
    return cut(1.0 - share.astype(float), "average", [k])[k]


def jaccard(labels: np.ndarray, k: int, resamples: list[Resample]) -> np.ndarray:
    """Per resample (rows) and cluster (columns), the Jaccard similarity of
    the cluster's drawn members to the closest cluster of the resample (NaN
    when none of its members was drawn)."""
    found = np.full((len(resamples), k), np.nan)
    for b, r in enumerate(resamples):
        mine = labels[r.index]
        theirs = r.labels
        clusters = np.unique(theirs[theirs >= 0])
        if not clusters.size:
            found[b] = 0.0
            continue
        both = np.zeros((k, clusters.size))
        for j, c in enumerate(clusters):
            both[:, j] = np.bincount(mine[theirs == c], minlength=k)
        drawn = np.bincount(mine, minlength=k)[:, None]
        sizes = np.array([(theirs == c).sum() for c in clusters])[None, :]
        union = drawn + sizes - both
        best = (both / np.where(union > 0, union, 1)).max(axis=1)
        found[b] = np.where(drawn[:, 0] > 0, best, np.nan)
    return found


def summary(found: np.ndarray) -> list[dict]:
    """Per cluster: the mean Jaccard over resamples, the 2.5 % and 97.5 %
    quantiles of its values, and the share of resamples where it dissolved
    (Jaccard below 0.5)."""
    rows = []
    for column in found.T:
        values = column[~np.isnan(column)]
        if not values.size:
            rows.append({"mean": None, "interval": None, "dissolved": None})
            continue
        low, high = np.quantile(values, [0.025, 0.975])
        rows.append(
            {
                "mean": round(float(values.mean()), 4),
                "interval": [round(float(low), 4), round(float(high), 4)],
                "dissolved": round(float((values < 0.5).mean()), 4),
            }
        )
    return rows
