"""Stain normalisation (Macenko et al., 2009) to a reference H&E appearance."""

from __future__ import annotations

import numpy as np

#: The reference stain vectors (columns: haematoxylin, eosin) and the 99th
#: percentile concentrations of Macenko's reference image.
REFERENCE_STAINS = np.array([[0.5626, 0.2159], [0.7201, 0.8012], [0.4062, 0.5581]])
REFERENCE_MAX = np.array([1.9705, 1.0308])
_LIGHT = 240.0  # transmitted light intensity
_BETA = 0.15  # optical density below which a pixel is transparent (glass)
_ALPHA = 1.0  # percentile of the extreme angles


def normalise_stain(rgb: np.ndarray) -> np.ndarray:
    """`rgb` (uint8, H x W x 3) with its H&E stains mapped to the reference.

    An image with too little stained tissue to estimate two stains (glass,
    a single stain) is returned unchanged."""
    image = rgb.reshape(-1, 3).astype(np.float64)
    od = -np.log((image + 1) / _LIGHT)
    tissue = od[(od > _BETA).all(axis=1)]
    if len(tissue) < 50:
        return rgb
    _, vectors = np.linalg.eigh(np.cov(tissue.T))
    plane = vectors[:, 1:3]
    projected = tissue @ plane
    angles = np.arctan2(projected[:, 1], projected[:, 0])
    low, high = np.percentile(angles, (_ALPHA, 100 - _ALPHA))
    v1 = plane @ np.array([np.cos(low), np.sin(low)])
    v2 = plane @ np.array([np.cos(high), np.sin(high)])
    stains = np.c_[v1, v2] if v1[0] > v2[0] else np.c_[v2, v1]  # haematoxylin first
    stains *= np.sign(stains.sum(axis=0))
    concentrations, *_ = np.linalg.lstsq(stains, od.T, rcond=None)
    maxima = np.percentile(concentrations, 99, axis=1)
    if (maxima <= 0).any():
        return rgb
    concentrations *= (REFERENCE_MAX / maxima)[:, None]
    out = _LIGHT * np.exp(-(REFERENCE_STAINS @ concentrations))
    return np.clip(out.T, 0, 255).reshape(rgb.shape).astype(np.uint8)
