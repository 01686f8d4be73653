"""Multi-view clustering (MVMC, after José-García et al.): one objective per
view, optimised together by NSGA-II (pymoo).

A candidate partition is k medoids (persons) and a weight per view; each
person joins the medoid nearest in the weighted mean of the views' Gower
distances. Its objectives, one per view, are the mean distance of persons
to their medoid in that view alone (minimised). The Pareto front trades one
view's compactness for another's; `RULE` picks one partition from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pymoo.core.problem import Problem

from entrepot._declared import read_yaml
from entrepot.errors import InputFileError, ParameterError
from entrepot.subgroups._gower import Scale, gower
from entrepot.subgroups._matrix import FeatureMatrix
from entrepot.subgroups._sample import Sample

RULE = (
    "the partition of the Pareto front with the highest simplified silhouette "
    "(distances to the medoids), on the views' distances averaged with equal "
    "weights"
)
POPULATION, GENERATIONS = 40, 40


def read_views(path: str | Path | None, m: FeatureMatrix) -> dict[str, list[str]]:
    """Views from a YAML file (view name: [feature columns]), each column
    one of the features of `m`."""
    if path is None:
        raise ParameterError("--method mvmc: give the views (--views VIEWS.yaml)")
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such views file")
    data = read_yaml(path, InputFileError, "not YAML")
    if not isinstance(data, dict) or len(data) < 2:
        raise InputFileError(f"{path}: a mapping of at least two views to columns")
    for name, columns in data.items():
        if not isinstance(columns, list) or not columns:
            raise InputFileError(f"{path}: view {name!r}: a list of feature columns")
        unknown = [c for c in columns if c not in m.features]
        if unknown:
            raise InputFileError(
                f"{path}: view {name!r}: no feature column {', '.join(map(str, unknown))}"
            )
    return {str(name): list(columns) for name, columns in data.items()}


@dataclass(frozen=True)
class Front:
    """The Pareto front of one run, the partition chosen from it, its labels."""

    points: list[dict]
    labels: np.ndarray


class MultiView:
    """The multi-view method: per k, NSGA-II over medoids and view weights,
    the partition chosen from its front by `RULE`."""

    def __init__(self, views: dict[str, list[str]]) -> None:
        self.views = views
        self._seen: tuple[Sample, np.ndarray] | None = None

    def distances(self, sample: Sample) -> np.ndarray:
        """Gower's distances within each view (views × n × n), once per sample."""
        if self._seen is None or self._seen[0] is not sample:
            found = []
            for columns in self.views.values():
                view = sample.matrix.columns(columns)
                found.append(gower(view, view, Scale.of(view)).astype(np.float32))
            self._seen = (sample, np.stack(found))
        return self._seen[1]

    def __call__(self, sample: Sample, index: np.ndarray, ks: list[int], seed: int):
        return {k: self.front(sample, index, k, seed).labels for k in ks}

    def front(self, sample: Sample, index: np.ndarray, k: int, seed: int) -> Front:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.optimize import minimize

        problem = _Problem(self.distances(sample), index, k)
        found = minimize(
            problem,
            NSGA2(pop_size=POPULATION),
            ("n_gen", GENERATIONS),
            seed=seed,
            verbose=False,
        )
        xs, fs = np.atleast_2d(found.X), np.round(np.atleast_2d(found.F), 4)
        kept = _nondominated(fs)  # once rounded as shown
        xs, fs = xs[kept], fs[kept]
        chosen = int(np.argmax(problem.silhouettes(xs)))
        names = list(self.views)
        points = [
            {
                "objectives": dict(zip(names, map(float, f), strict=True)),
                "weights": dict(
                    zip(names, map(_round, problem.weights(x)), strict=True)
                ),
                "chosen": i == chosen,
            }
            for i, (x, f) in enumerate(zip(xs, fs, strict=True))
        ]
        points.sort(key=lambda p: tuple(p["objectives"].values()))
        return Front(points, problem.labels(xs[chosen]))


def _nondominated(fs: np.ndarray) -> np.ndarray:
    """The rows of `fs` that no other row dominates, one of each duplicate."""
    _, first = np.unique(fs, axis=0, return_index=True)
    fs_unique = fs[np.sort(first)]
    keep = [
        i
        for i, a in enumerate(fs_unique)
        if not ((fs_unique <= a).all(axis=1) & (fs_unique < a).any(axis=1)).any()
    ]
    return np.sort(first)[keep]


def _round(value: float) -> float:
    return round(float(value), 4)


class _Problem(Problem):
    """Minimise each view's mean distance of persons to their medoid."""

    def __init__(self, distances: np.ndarray, index: np.ndarray, k: int) -> None:
        self.d, self.index, self.k = distances, index, k
        views = distances.shape[0]
        super().__init__(n_var=k + views, n_obj=views, xl=0.0, xu=1.0)

    def weights(self, xs: np.ndarray) -> np.ndarray:
        w = xs[..., self.k :] + 1e-6
        return w / w.sum(axis=-1, keepdims=True)

    def _assign(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For candidates `xs` (population × variables): each view's distances
        of persons to the medoids (population × views × n × k), and each
        person's medoid (population × n)."""
        n = len(self.index)
        medoids = self.index[np.minimum((xs[:, : self.k] * n).astype(int), n - 1)]
        rows = self.d[:, self.index[None, :, None], medoids[:, None, :]]
        rows = rows.transpose(1, 0, 2, 3)
        combined = np.einsum("pv,pvnk->pnk", self.weights(xs), rows)
        return rows, combined.argmin(axis=2)

    def labels(self, x: np.ndarray) -> np.ndarray:
        return np.unique(self._assign(x[None, :])[1][0], return_inverse=True)[1]

    def silhouettes(self, xs: np.ndarray) -> np.ndarray:
        """Each candidate's simplified silhouette: a person's distance to its
        medoid against the nearest other medoid, views averaged equally."""
        rows, nearest = self._assign(xs)
        mean = rows.mean(axis=1)  # population × n × k
        own = np.take_along_axis(mean, nearest[..., None], axis=2)[..., 0]
        np.put_along_axis(mean, nearest[..., None], np.inf, axis=2)
        other = mean.min(axis=2)
        widest = np.maximum(own, other)
        ratio = np.where(widest > 0, (other - own) / np.where(widest > 0, widest, 1), 0)
        return np.where(np.isfinite(ratio), ratio, 0).mean(axis=1)

    def _evaluate(self, xs, out, *args, **kwargs) -> None:
        rows, nearest = self._assign(xs)
        picked = np.take_along_axis(rows, nearest[:, None, :, None], axis=3)
        out["F"] = picked[..., 0].mean(axis=2)
