"""De-identification of French clinical text (rules, lexicons, the patient's
identity): names, dates, addresses, phones, e-mails, NIR, IPP, NDA, hospitals."""

from entrepot.privacy.deid._deid import (
    LABELS,
    DeidConfig,
    DeidResult,
    deidentify,
    find_identifiers,
)
from entrepot.privacy.deid._identity import Identity
from entrepot.privacy.deid._score import score

__all__ = [
    "LABELS",
    "DeidConfig",
    "DeidResult",
    "Identity",
    "deidentify",
    "find_identifiers",
    "score",
]
