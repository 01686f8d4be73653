"""Prescription analysis: drug interactions by the ANSM thesaurus, and possible
adverse effects by organ system."""

from entrepot.drugs._checking import Check, Interaction, check
from entrepot.drugs._effects import Effects, EffectTable, effects
from entrepot.drugs._organs import FREQUENCIES, SOCS
from entrepot.drugs._recognition import Drug, recognize
from entrepot.drugs._scan import ScanResult, cohort_definition_id, scan
from entrepot.drugs._sider import effect_table, load_effects
from entrepot.drugs._thesaurus import LEVELS, Thesaurus, install_thesaurus

__all__ = [
    "FREQUENCIES",
    "LEVELS",
    "SOCS",
    "Check",
    "Drug",
    "EffectTable",
    "Effects",
    "Interaction",
    "ScanResult",
    "Thesaurus",
    "check",
    "cohort_definition_id",
    "effect_table",
    "effects",
    "install_thesaurus",
    "load_effects",
    "recognize",
    "scan",
]
