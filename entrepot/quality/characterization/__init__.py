"""Characterization: what the warehouse holds, as tables the web app can plot."""

from entrepot.quality.characterization._analyses import ANALYSES, Analysis
from entrepot.quality.characterization._describe import describe
from entrepot.quality.characterization._mask import (
    DEFAULT_MASK_BELOW,
    default_mask_below,
    small_counts,
)

__all__ = [
    "ANALYSES",
    "DEFAULT_MASK_BELOW",
    "Analysis",
    "default_mask_below",
    "describe",
    "small_counts",
]
