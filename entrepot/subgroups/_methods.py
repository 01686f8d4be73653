"""Clustering methods: each partitions the persons of a resample into k
clusters for every k asked (labels 0..k-1; -1: noise, HDBSCAN only)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from entrepot.subgroups._gower import gower, prototypes
from entrepot.subgroups._sample import Sample

Partitions = dict[int, np.ndarray]
Method = Callable[[Sample, np.ndarray, list[int], int], Partitions]


def ward(sample: Sample, index: np.ndarray, ks: list[int], seed: int) -> Partitions:
    """Ward's hierarchical clustering of Gower's distances (as R's
    `hclust(daisy(x, "gower"), "ward.D2")`), one tree cut at each k."""
    return cut(sample.between(index), "ward", ks)


def cut(distances: np.ndarray, how: str, ks: list[int]) -> Partitions:
    """A hierarchical clustering (`how`: scipy's linkage) cut at each k."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    tree = linkage(squareform(distances, checks=False), how)
    return {k: _first_merges(tree, len(distances), k) for k in ks}


def _first_merges(tree: np.ndarray, n: int, k: int) -> np.ndarray:
    """The k clusters left after the tree's first n - k merges (exactly k,
    even where merges tie in height, unlike a cut at a height)."""
    merges = n - k
    root = np.arange(n + merges)
    for i in range(merges - 1, -1, -1):  # a merge's node is set before its parts
        root[int(tree[i, 0])] = root[int(tree[i, 1])] = root[n + i]
    return np.unique(root[:n], return_inverse=True)[1]


def kprototypes(
    sample: Sample, index: np.ndarray, ks: list[int], seed: int
) -> Partitions:
    """k-prototypes with Gower's distance: persons go to the nearest
    prototype (medians, most frequent levels), prototypes are recomputed,
    until nothing moves; seeded k-means++-style, best of 2 starts."""
    m = sample.matrix.rows(index)
    d = sample.between(index)
    rng = np.random.default_rng(seed)
    found = {}
    for k in ks:
        runs = [_kprototypes(m, d, k, sample, rng) for _ in range(2)]
        found[k] = min(runs, key=lambda run: run[0])[1]
    return found


def _kprototypes(m, d, k, sample: Sample, rng) -> tuple[float, np.ndarray]:
    seeds = [int(rng.integers(m.n))]
    for _ in range(1, k):
        weight = d[:, seeds].min(axis=1) ** 2
        total = weight.sum()
        p = weight / total if total > 0 else None
        seeds.append(int(rng.choice(m.n, p=p)))
    labels = d[:, seeds].argmin(axis=1)
    for _ in range(100):
        distance = gower(m, prototypes(m, labels, k), sample.scale)
        moved = distance.argmin(axis=1)
        if (moved == labels).all():
            break
        labels = moved
    return float(distance[np.arange(m.n), labels].sum()), labels


def gmm(sample: Sample, index: np.ndarray, ks: list[int], seed: int) -> Partitions:
    """A Gaussian mixture (diagonal covariances) on the embedding."""
    from sklearn.mixture import GaussianMixture

    x = sample.vectors[index]
    return {
        k: GaussianMixture(k, covariance_type="diag", random_state=seed).fit_predict(x)
        for k in ks
    }


def hdbscan(sample: Sample, index: np.ndarray, ks: list[int], seed: int) -> Partitions:
    """HDBSCAN on Gower's distances: it finds its own number of clusters
    (returned under each k asked), and leaves noise (-1)."""
    from sklearn.cluster import HDBSCAN

    size = max(5, len(index) // 50)
    labels = HDBSCAN(
        min_cluster_size=size, metric="precomputed", copy=True
    ).fit_predict(sample.between(index))
    return dict.fromkeys(ks, labels)


METHODS: dict[str, Method] = {
    "ward": ward,
    "kprototypes": kprototypes,
    "gmm": gmm,
    "hdbscan": hdbscan,
}
