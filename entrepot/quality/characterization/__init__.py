"""Characterization: what the warehouse holds, as tables the web app can plot."""

from entrepot.quality.characterization._analyses import ANALYSES, Analysis
from entrepot.quality.characterization._describe import describe
from entrepot.quality.characterization._overview import at_once, overview

__all__ = ["ANALYSES", "Analysis", "at_once", "describe", "overview"]
