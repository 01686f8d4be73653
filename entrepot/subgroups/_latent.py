"""A latent class model of mixed features, fitted by EM (expectation-maximisation).

Each person belongs to one of k classes; given the class, every feature is
independent of the others: a number is normal (its mean and variance per
class), a flag or a category takes each level with the class's probability.
A missing value is left out of the person's likelihood (missing at random),
never imputed. Numbers are standardised first; a positive, right-skewed one
(its logarithm less skewed than itself: a CK, a CRP) is modelled on its
logarithm. Probabilities get a Dirichlet prior of half a person per level,
and variances a floor, so that no class collapses onto one value.

Each fit is the best (highest likelihood) of several starts, each seeded
k-means++-style on the persons' embedding. The partition is each person's
most probable class. Among the candidate k, from the lowest Bayesian
information criterion (BIC) up, the first whose every cluster is stable
(Hennig's clusterwise bootstrap Jaccard, mean ≥ 0.75: more than a pattern)
is kept: BIC alone adds classes for any departure from the model (a tail of
comorbid patients, a lab that a complication raises), that resamples do not
find again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entrepot.subgroups._matrix import FeatureMatrix
from entrepot.subgroups._sample import Sample
from entrepot.subgroups._stability import distinct, jaccard, summary

RULE = (
    "the k with the lowest BIC of the latent class model (EM) among those whose "
    "every cluster has a mean bootstrap Jaccard of at least 0.75; without one, "
    "the k whose least stable cluster is the most stable"
)
STABLE = 0.75
#: EM starts of the fit on the persons, and of each resample's fit.
STARTS, RESAMPLE_STARTS = 10, 3
#: Dirichlet prior on each level's probability, in persons per level.
_PRIOR = 0.5
#: Smallest variance of a standardised number within a class.
_FLOOR = 1e-2
_TOLERANCE = 1e-6
_ITERATIONS = 300


@dataclass(frozen=True)
class Data:
    """What EM reads: standardised numbers (0 where missing) and their
    mask, the one-hot levels of flags and categories (0 where missing), and
    which feature each level belongs to."""

    x: np.ndarray
    known: np.ndarray
    onehot: np.ndarray
    feature: np.ndarray  # level column -> its coded feature's index

    @classmethod
    def of(cls, m: FeatureMatrix) -> Data:
        x = m.numbers.astype(float).copy()
        for j in range(x.shape[1]):
            x[:, j] = _standardised(x[:, j])
        known = ~np.isnan(x)
        sizes = [len(m.levels[c]) for c in m.coded]
        onehot = np.zeros((m.n, sum(sizes)))
        feature = np.repeat(np.arange(len(sizes)), sizes).astype(int)
        start = 0
        for j, size in enumerate(sizes):
            code = m.codes[:, j]
            rows = np.flatnonzero(code >= 0)
            onehot[rows, start + code[rows]] = 1.0
            start += size
        return cls(np.where(known, x, 0.0), known.astype(float), onehot, feature)

    def rows(self, index: np.ndarray) -> Data:
        return Data(self.x[index], self.known[index], self.onehot[index], self.feature)

    @property
    def n(self) -> int:
        return len(self.x)


def _standardised(column: np.ndarray) -> np.ndarray:
    """A number centred and scaled (on its logarithm where that is less skewed)."""
    values = column[~np.isnan(column)]
    if (
        values.size
        and values.min() > 0
        and abs(_skew(np.log(values))) < abs(_skew(values))
    ):
        column = np.log(column)
        values = np.log(values)
    if values.size < 2 or values.std() == 0:
        return column - (values.mean() if values.size else 0.0)
    return (column - values.mean()) / values.std()


def _skew(values: np.ndarray) -> float:
    sd = values.std()
    return float(((values - values.mean()) ** 3).mean() / sd**3) if sd > 0 else 0.0


@dataclass(frozen=True)
class Fit:
    """A fitted model: its log-likelihood, BIC and each person's class."""

    loglik: float
    bic: float
    labels: np.ndarray


def fit(
    data: Data, k: int, rng: np.random.Generator, starts: int, vectors: np.ndarray
) -> Fit:
    """The best of `starts` EM runs with k classes."""
    best = None
    for _ in range(starts):
        loglik, responsibilities = _em(data, _seeded(vectors, k, rng))
        if best is None or loglik > best[0]:
            best = (loglik, responsibilities)
    loglik, r = best
    bic = -2 * loglik + _parameters(data, k) * np.log(data.n)
    return Fit(loglik, bic, r.argmax(axis=1))


def _parameters(data: Data, k: int) -> int:
    """Free parameters: k - 1 weights, a mean and a variance per number and
    class, levels - 1 probabilities per coded feature and class."""
    coded = data.onehot.shape[1] - np.unique(data.feature).size
    return (k - 1) + k * (2 * data.x.shape[1] + coded)


def _seeded(vectors: np.ndarray, k: int, rng) -> np.ndarray:
    """Hard responsibilities: each person with the nearest of k seeds drawn
    k-means++-style on the embedding."""
    n = len(vectors)
    seeds = [int(rng.integers(n))]
    nearest = ((vectors - vectors[seeds[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = nearest.sum()
        seeds.append(int(rng.choice(n, p=nearest / total if total > 0 else None)))
        nearest = np.minimum(nearest, ((vectors - vectors[seeds[-1]]) ** 2).sum(axis=1))
    distance = ((vectors[:, None, :] - vectors[None, seeds, :]) ** 2).sum(axis=2)
    return np.eye(k)[distance.argmin(axis=1)]


def _em(data: Data, responsibilities: np.ndarray) -> tuple[float, np.ndarray]:
    """EM from the responsibilities given, until the log-likelihood settles."""
    previous = -np.inf
    for _ in range(_ITERATIONS):
        joint = _joint(data, *_maximised(data, responsibilities))
        top = joint.max(axis=1, keepdims=True)
        total = top[:, 0] + np.log(np.exp(joint - top).sum(axis=1))
        responsibilities = np.exp(joint - total[:, None])
        loglik = float(total.sum())
        if loglik - previous <= _TOLERANCE * abs(loglik):
            break
        previous = loglik
    return loglik, responsibilities


def _maximised(data: Data, r: np.ndarray):
    """The parameters that maximise the expected log-likelihood."""
    weights = (r.sum(axis=0) + 1.0) / (data.n + r.shape[1])
    counts = r.T @ data.known + 1e-9
    means = (r.T @ data.x) / counts
    variances = np.maximum((r.T @ data.x**2) / counts - means**2, _FLOOR)
    level = r.T @ data.onehot + _PRIOR
    per_feature = np.zeros((r.shape[1], np.unique(data.feature).size))
    np.add.at(per_feature.T, data.feature, level.T)
    probabilities = level / per_feature[:, data.feature]
    return weights, means, variances, probabilities


def _joint(data: Data, weights, means, variances, probabilities) -> np.ndarray:
    """log P(class) + log P(person's known values | class), persons × classes."""
    gauss = (
        data.x**2 @ (1 / variances).T
        - 2 * data.x @ (means / variances).T
        + data.known @ (means**2 / variances + np.log(2 * np.pi * variances)).T
    )
    return np.log(weights) - 0.5 * gauss + data.onehot @ np.log(probabilities).T


@dataclass(frozen=True)
class Chosen:
    """The partition kept (labels 0..k-1), its stability per cluster, and
    every candidate k's BIC and least stable cluster (None: not measured)."""

    k: int
    labels: np.ndarray
    stability: list[dict]
    candidates: list[dict]


def latent_classes(
    s: Sample, ks: list[int], boots: list[np.ndarray], seed: int, renumber
) -> Chosen:
    """Fit each k on the persons of `s`; measure stability on the resamples
    `boots`, k by k from the lowest BIC up, until one is stable (`RULE`).
    `renumber` numbers a partition's clusters (0.., largest first)."""
    data = Data.of(s.matrix)
    rng = np.random.default_rng(seed)
    fits = {k: fit(data, k, rng, STARTS, s.vectors) for k in ks}
    candidates = {
        k: {"k": k, "bic": round(float(f.bic), 2), "least_stable": None}
        for k, f in fits.items()
    }
    measured = {}
    for k in sorted(ks, key=lambda k: fits[k].bic):
        labels = renumber(np.unique(fits[k].labels, return_inverse=True)[1])
        found = int(labels.max()) + 1
        resamples = [
            distinct(
                drawn,
                fit(data.rows(drawn), k, rng, RESAMPLE_STARTS, s.vectors[drawn]).labels,
            )
            for drawn in boots
        ]
        stability = summary(jaccard(labels, found, resamples))
        least = min(
            (c["mean"] for c in stability if c["mean"] is not None), default=0.0
        )
        candidates[k]["least_stable"] = least
        measured[k] = Chosen(found, labels, stability, [])
        if least >= STABLE:
            break
    else:
        k = max(measured, key=lambda k: candidates[k]["least_stable"])
    chosen = measured[k]
    return Chosen(chosen.k, chosen.labels, chosen.stability, list(candidates.values()))
