"""The persons a clustering is fitted on, with what every method reads."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from entrepot.subgroups._gower import Scale, embedding, gower
from entrepot.subgroups._matrix import FeatureMatrix


@dataclass(frozen=True)
class Sample:
    """Fitted persons: their features, Gower's distances between them, and
    their embedding (computed once, read by every resample)."""

    matrix: FeatureMatrix
    scale: Scale

    @property
    def n(self) -> int:
        return self.matrix.n

    @cached_property
    def distances(self) -> np.ndarray:
        d = gower(self.matrix, self.matrix, self.scale)
        np.fill_diagonal(d, 0.0)  # a person with every feature missing
        return d

    @cached_property
    def vectors(self) -> np.ndarray:
        return embedding(self.matrix, self.scale)

    def between(self, index: np.ndarray) -> np.ndarray:
        """Distances between the persons at `index` (a resample)."""
        return self.distances[np.ix_(index, index)]
