"""Every rule about identity: keyed pseudonyms, date shifting, de-identification
of text, opt-out, small-count suppression, k-anonymity, access and the audit log.

Other modules call these functions; none re-implements them.
"""

from entrepot.privacy._audit import (
    audit,
    entries,
    prune,
    retention,
    set_retention,
    verify,
)
from entrepot.privacy._dates import shift_days, shifted
from entrepot.privacy._keys import (
    KEY_ENV,
    KEY_FILE_ENV,
    SecretKey,
    load_key,
    read_key_file,
)
from entrepot.privacy._optout import (
    erase_persons,
    on_optout,
    opted_out,
    optout_add,
    optout_list,
    optout_remove,
)
from entrepot.privacy._pseudonym import person_id, pseudonym, pseudonym_id, visit_id
from entrepot.privacy._settings import check_key
from entrepot.privacy.deid import DeidConfig, Identity, deidentify

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "DeidConfig",
    "Identity",
    "SecretKey",
    "audit",
    "check_key",
    "deidentify",
    "entries",
    "erase_persons",
    "load_key",
    "on_optout",
    "opted_out",
    "optout_add",
    "optout_list",
    "optout_remove",
    "person_id",
    "prune",
    "pseudonym",
    "pseudonym_id",
    "read_key_file",
    "retention",
    "set_retention",
    "shift_days",
    "shifted",
    "verify",
    "visit_id",
]
