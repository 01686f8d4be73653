"""A synthetic French university hospital (CHU), in one call or one command.

>>> from entrepot.synth import generate_hospital           # doctest: +SKIP
>>> generate_hospital("chu.duckdb", patients=10_000, seed=1) # doctest: +SKIP
"""

from entrepot.synth._generate import SynthResult, generate_hospital, steps
from entrepot.synth._gold import gold_reports
from entrepot.synth._modules import Module, load_modules
from entrepot.synth._people import patient_ipp
from entrepot.synth.notes import brain_mri_reports

__all__ = [
    "Module",
    "SynthResult",
    "brain_mri_reports",
    "generate_hospital",
    "gold_reports",
    "load_modules",
    "patient_ipp",
    "steps",
]
