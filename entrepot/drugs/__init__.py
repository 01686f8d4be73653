"""Prescription analysis: drug interactions by the ANSM thesaurus, possible
adverse effects by organ system, and pharmacovigilance: disproportionality
(case / non-case), the self-controlled designs (case series, time to onset) and
empirical calibration by negative controls."""

from entrepot.drugs._calibration import (
    Calibrated,
    SystematicError,
    fit_systematic_error,
)
from entrepot.drugs._checking import Check, Interaction, check
from entrepot.drugs._disproportionality import (
    Disproportionality,
    DrugSignal,
    disproportionality,
)
from entrepot.drugs._effects import Effects, EffectTable, effects
from entrepot.drugs._onset import Onset, Weibull, fit_weibull, onset_days, time_to_onset
from entrepot.drugs._organs import FREQUENCIES, SOCS
from entrepot.drugs._recognition import Drug, recognize
from entrepot.drugs._scan import ScanResult, cohort_definition_id, scan
from entrepot.drugs._sccs import SccsResult, WindowEstimate, sccs, sccs_intervals
from entrepot.drugs._sider import effect_table, load_effects
from entrepot.drugs._thesaurus import LEVELS, Thesaurus, install_thesaurus

__all__ = [
    "FREQUENCIES",
    "LEVELS",
    "SOCS",
    "Calibrated",
    "Check",
    "Disproportionality",
    "Drug",
    "DrugSignal",
    "EffectTable",
    "Effects",
    "Interaction",
    "Onset",
    "ScanResult",
    "SccsResult",
    "SystematicError",
    "Thesaurus",
    "Weibull",
    "WindowEstimate",
    "check",
    "cohort_definition_id",
    "disproportionality",
    "effect_table",
    "effects",
    "fit_systematic_error",
    "fit_weibull",
    "install_thesaurus",
    "load_effects",
    "onset_days",
    "recognize",
    "scan",
    "sccs",
    "sccs_intervals",
    "time_to_onset",
]
