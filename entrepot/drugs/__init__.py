"""Prescription analysis: drug interactions by the ANSM thesaurus."""

from entrepot.drugs._checking import Check, Interaction, check
from entrepot.drugs._recognition import Drug, recognize
from entrepot.drugs._scan import ScanResult, cohort_definition_id, scan
from entrepot.drugs._thesaurus import LEVELS, Thesaurus, install_thesaurus

__all__ = [
    "LEVELS",
    "Check",
    "Drug",
    "Interaction",
    "ScanResult",
    "Thesaurus",
    "check",
    "cohort_definition_id",
    "install_thesaurus",
    "recognize",
    "scan",
]
