"""Characterization: what the warehouse holds, as tables the web app can plot."""

from entrepot.quality.characterization._analyses import ANALYSES, Analysis
from entrepot.quality.characterization._describe import describe
from entrepot.quality.characterization._overview import overview

__all__ = ["ANALYSES", "Analysis", "describe", "overview"]
