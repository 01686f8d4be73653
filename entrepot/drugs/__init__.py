"""Prescription analysis: drug interactions by the ANSM thesaurus; pharmacovigilance
(disproportionality of the drugs taken before an outcome)."""

from entrepot.drugs._checking import Check, Interaction, check
from entrepot.drugs._disproportionality import (
    Disproportionality,
    DrugSignal,
    disproportionality,
)
from entrepot.drugs._recognition import Drug, recognize
from entrepot.drugs._scan import ScanResult, cohort_definition_id, scan
from entrepot.drugs._thesaurus import LEVELS, Thesaurus, install_thesaurus

__all__ = [
    "LEVELS",
    "Check",
    "Disproportionality",
    "Drug",
    "DrugSignal",
    "Interaction",
    "ScanResult",
    "Thesaurus",
    "check",
    "cohort_definition_id",
    "disproportionality",
    "install_thesaurus",
    "recognize",
    "scan",
]
