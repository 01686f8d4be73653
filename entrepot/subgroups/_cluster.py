"""Clustering persons described by mixed features, with k chosen by validity
and stability, the partition a consensus of bootstrap resamples.

Steps: fit on a sample of persons (all of them up to `sample`); for each
candidate k, cluster `resamples` bootstrap resamples, cut their consensus
into k clusters, and score it (silhouette on Gower's distances, clusterwise
bootstrap Jaccard); keep the k that `RULE` says; give every person outside
the sample the cluster whose prototype is nearest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from entrepot.errors import ParameterError
from entrepot.subgroups._gower import IMPUTATION, Scale, nearest, prototypes
from entrepot.subgroups._latent import RULE as LATENT_RULE
from entrepot.subgroups._latent import latent_classes
from entrepot.subgroups._matrix import FeatureMatrix
from entrepot.subgroups._methods import METHODS
from entrepot.subgroups._profiles import profiles
from entrepot.subgroups._sample import Sample
from entrepot.subgroups._stability import consensus, distinct, draws, jaccard, summary

DEFAULT_METHOD = "lca"
LATENT = "lca"
RULE = (
    "the k with the highest silhouette (Gower) times the mean bootstrap "
    "Jaccard of its least stable cluster"
)


@dataclass(frozen=True)
class Clustering:
    """A partition of persons into k clusters (numbered from 1), with how it
    was chosen and how good and stable it is."""

    method: str
    k: int
    ids: np.ndarray
    labels: np.ndarray  # cluster per person, 1..k
    sample: int
    indices: dict
    stability: list[dict]
    choice: dict
    profiles: list[dict]
    extra: dict = field(default_factory=dict)

    @property
    def sizes(self) -> list[int]:
        return np.bincount(self.labels, minlength=self.k + 1)[1:].tolist()

    def members(self) -> dict[int, list]:
        """The ids of each cluster's persons."""
        return {c: self.ids[self.labels == c].tolist() for c in range(1, self.k + 1)}

    def as_dict(self) -> dict:
        means = [s["mean"] for s in self.stability if s["mean"] is not None]
        return {
            "k": self.k,
            "method": self.method,
            "n": len(self.ids),
            "sample": self.sample,
            "sizes": self.sizes,
            "indices": self.indices,
            "stability": {
                "per_cluster_jaccard": self.stability,
                "mean": round(float(np.mean(means)), 4) if means else None,
            },
            "choice": self.choice,
            "imputation": IMPUTATION,
            "profiles": self.profiles,
        } | self.extra


def check_k(k: int | None, n: int) -> None:
    """Refuse a k no partition of n persons can have."""
    if k is not None and not 2 <= k < n:
        raise ParameterError(
            f"--k {k}: a partition of {n} persons needs 2 ≤ k < {n}"
            if k >= 2
            else f"--k {k}: at least 2 clusters"
        )


def check_method(method: str) -> None:
    known = [LATENT, *METHODS, "mvmc"]
    if method not in known:
        raise ParameterError(
            f"unknown method {method!r}: choose one of {', '.join(known)}"
        )


def cluster(
    m: FeatureMatrix,
    method: str = DEFAULT_METHOD,
    k: int | None = None,
    *,
    seed: int = 0,
    resamples: int = 30,
    sample: int = 2000,
    k_max: int = 8,
    views: dict[str, list[str]] | None = None,
) -> Clustering:
    """Cluster the persons of `m` with `method` into k clusters (None:
    chosen by `RULE` among 2..k_max); `views` (name: feature columns) for
    the multi-view method, mvmc."""
    check_method(method)
    check_k(k, m.n)
    if (method == "mvmc") != (views is not None):
        raise ParameterError(
            "--views: only for --method mvmc"
            if views is not None
            else "--method mvmc: give the views (--views VIEWS.yaml)"
        )
    if method == "hdbscan" and k is not None:
        raise ParameterError("hdbscan finds its own number of clusters: use --k auto")
    rng = np.random.default_rng(seed)
    scale = Scale.of(m)
    fitted = np.sort(rng.choice(m.n, sample, replace=False)) if m.n > sample else None
    s = Sample(m if fitted is None else m.rows(fitted), scale)
    check_k(k, s.n)
    if k is None and s.n < 3:
        raise ParameterError(f"--k auto: {s.n} persons cannot be split in 2 or more")
    if views is not None:
        from entrepot.subgroups._multiview import RULE as MULTIVIEW_RULE
        from entrepot.subgroups._multiview import MultiView

    ks = [k] if k else list(range(2, min(k_max, s.n - 1) + 1))
    extra = {}
    if method == LATENT:
        chosen = latent_classes(s, ks, draws(s.n, resamples, rng), seed, _by_size)
        return _clustering(
            m, s, method, fitted, scale, chosen.labels, chosen.k, chosen.stability,
            {"rule": _rule(method, k), "candidates": chosen.candidates}, extra,
        )  # fmt: skip
    fit = MultiView(views) if views is not None else METHODS[method]
    if method == "hdbscan":
        found = fit(s, np.arange(s.n), [0], seed)[0]
        ks = [max(int(found.max()) + 1, 1)]
        extra["noise"] = int((found < 0).sum())
    boots = draws(s.n, resamples, rng)
    fits = [fit(s, drawn, ks, seed + b + 1) for b, drawn in enumerate(boots)]
    fronts = {kk: fit.front(s, np.arange(s.n), kk, seed) for kk in ks if views}
    scored = {}
    for kk in ks:
        rs = [distinct(drawn, f[kk]) for drawn, f in zip(boots, fits, strict=True)]
        labels = _by_size(fronts[kk].labels if views else consensus(s.n, rs, kk))
        kk_found = int(labels.max()) + 1
        scored[kk] = (labels, kk_found, summary(jaccard(labels, kk_found, rs)))
    candidates = [_candidate(s, kk, scored[kk]) for kk in ks]
    chosen = ks[0] if len(ks) == 1 else _choose(candidates)
    labels, k_found, stability = scored[chosen]
    if views:
        extra["pareto"] = {"rule": MULTIVIEW_RULE, "views": views}
        extra["pareto"]["front"] = fronts[chosen].points
    return _clustering(
        m, s, method, fitted, scale, labels, k_found, stability,
        {"rule": _rule(method, k), "candidates": candidates}, extra,
    )  # fmt: skip


def _clustering(
    m, s, method, fitted, scale, labels, k, stability, choice, extra
) -> Clustering:
    """The partition of the fitted persons, extended to everyone: a person
    not fitted joins the cluster whose prototype is nearest."""
    everyone = labels
    if fitted is not None:
        centres = prototypes(s.matrix, labels, k)
        everyone = nearest(m, centres, scale)
        everyone[fitted] = labels
    return Clustering(
        method,
        k,
        m.ids,
        everyone + 1,
        s.n,
        _indices(s, labels),
        stability,
        choice,
        profiles(m, everyone, k),
        extra,
    )


def _rule(method: str, k: int | None) -> str:
    if method == "hdbscan":
        return "found by HDBSCAN"
    if k is not None:
        return "k given"
    return LATENT_RULE if method == LATENT else RULE


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0.. from the largest cluster to the smallest."""
    values, counts = np.unique(labels, return_counts=True)
    order = values[np.argsort(-counts, kind="stable")]
    renumber = np.empty(values.max() + 1, int)
    renumber[order] = np.arange(order.size)
    return renumber[labels]


def _candidate(s: Sample, k: int, scored) -> dict:
    labels, _, stability = scored
    means = [c["mean"] for c in stability]
    return {
        "k": k,
        **_indices(s, labels),
        "least_stable": min((m for m in means if m is not None), default=None),
    }


def _choose(candidates: list[dict]) -> int:
    def score(c: dict) -> float:
        if c["silhouette"] is None or c["least_stable"] is None:
            return -np.inf
        return c["silhouette"] * c["least_stable"]

    return max(candidates, key=score)["k"]


def _indices(s: Sample, labels: np.ndarray) -> dict:
    """Validity indices of the partition of the fitted persons: silhouette on
    Gower's distances, Calinski-Harabasz and Davies-Bouldin on the embedding."""
    from sklearn.metrics import (
        calinski_harabasz_score,
        davies_bouldin_score,
        silhouette_score,
    )

    if not 2 <= np.unique(labels).size < s.n:
        return dict.fromkeys(("silhouette", "calinski_harabasz", "davies_bouldin"))
    return {
        "silhouette": round(
            float(silhouette_score(s.distances, labels, metric="precomputed")), 4
        ),
        "calinski_harabasz": round(
            float(calinski_harabasz_score(s.vectors, labels)), 4
        ),
        "davies_bouldin": round(float(davies_bouldin_score(s.vectors, labels)), 4),
    }
