"""Prescription analysis: drug interactions by the ANSM thesaurus, and the
self-controlled designs of pharmacovigilance."""

from entrepot.drugs._checking import Check, Interaction, check
from entrepot.drugs._onset import Onset, Weibull, fit_weibull, onset_days, time_to_onset
from entrepot.drugs._recognition import Drug, recognize
from entrepot.drugs._scan import ScanResult, cohort_definition_id, scan
from entrepot.drugs._sccs import SccsResult, WindowEstimate, sccs, sccs_intervals
from entrepot.drugs._thesaurus import LEVELS, Thesaurus, install_thesaurus

__all__ = [
    "LEVELS",
    "Check",
    "Drug",
    "Interaction",
    "Onset",
    "ScanResult",
    "SccsResult",
    "Thesaurus",
    "Weibull",
    "WindowEstimate",
    "check",
    "cohort_definition_id",
    "fit_weibull",
    "install_thesaurus",
    "onset_days",
    "recognize",
    "scan",
    "sccs",
    "sccs_intervals",
    "time_to_onset",
]
