"""Prescription analysis: drug interactions by the ANSM thesaurus, and the
self-controlled designs of pharmacovigilance."""

from entrepot.drugs._checking import Check, Interaction, check
from entrepot.drugs._recognition import Drug, recognize
from entrepot.drugs._scan import ScanResult, cohort_definition_id, scan
from entrepot.drugs._sccs import SccsResult, WindowEstimate, sccs, sccs_intervals
from entrepot.drugs._thesaurus import LEVELS, Thesaurus, install_thesaurus

__all__ = [
    "LEVELS",
    "Check",
    "Drug",
    "Interaction",
    "ScanResult",
    "SccsResult",
    "Thesaurus",
    "WindowEstimate",
    "check",
    "cohort_definition_id",
    "install_thesaurus",
    "recognize",
    "scan",
    "sccs",
    "sccs_intervals",
]
