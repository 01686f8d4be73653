"""Privacy settings kept in the warehouse (`entrepot.privacy_settings`): the
key's fingerprint (never the key) and the audit retention."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.errors import KeyFileError
from entrepot.privacy._keys import SecretKey

KEY_FINGERPRINT = "key_fingerprint"
AUDIT_RETENTION_DAYS = "audit_retention_days"


def get_setting(wh, name: str) -> str | None:
    """A setting's value, or None when unset."""
    t = wh.table("privacy_settings")
    rows = t.filter(t.name == name).select("value").to_pyarrow().to_pylist()
    return rows[-1]["value"] if rows else None


def set_setting(wh, name: str, value: str) -> None:
    """Set one setting (the table is replaced whole: it holds a few rows)."""
    with wh.store.transaction() as tx:
        tx.replace("entrepot", "privacy_settings", settings_with(wh, name, value))


def settings_with(wh, name: str, value: str) -> ir.Table:
    """Every setting, `name` set to `value`: computed now, as the table it
    replaces cannot be read while it is overwritten."""
    t = wh.table("privacy_settings")
    new = wh.store.from_arrow(pa.table({"name": [name], "value": [value]}))
    return wh.store.materialize(t.filter(t.name != name).union(new.cast(t.schema())))


def require_key(wh, key: SecretKey) -> None:
    """Refuse a key other than the one the warehouse records (nothing recorded:
    any key). Pseudonyms made with another key would match no one."""
    known = get_setting(wh, KEY_FINGERPRINT)
    if known is not None and known != key.fingerprint:
        raise _another_key(known, key)


def check_key(wh, key: SecretKey) -> None:
    """Refuse a key other than the one the warehouse was pseudonymised with.

    Two keys in one warehouse would give one patient two person_ids. The first
    load records the key's fingerprint; rotation (`rotate_key`) changes it. A
    fingerprint recorded by a first load that failed (no person, no opt-out
    since) is replaced.
    """
    known = get_setting(wh, KEY_FINGERPRINT)
    if known == key.fingerprint:
        return
    persons = wh.count("person")
    if known is not None:
        if persons or (wh.has_table("optout") and wh.count("optout")):
            raise _another_key(known, key)
    elif persons:
        t = wh.table("person")
        pseudonymised = t.filter(t.person_id > ibis.literal(1 << 40))
        if pseudonymised.count().to_pyarrow().as_py() == 0:
            raise KeyFileError(
                "this warehouse holds persons not loaded by `entrepot ingest`; "
                "ingest into an empty warehouse"
            )
    set_setting(wh, KEY_FINGERPRINT, key.fingerprint)


def _another_key(known: str, key: SecretKey) -> KeyFileError:
    return KeyFileError(
        f"this warehouse was pseudonymised with another key (fingerprint {known}, "
        f"given {key.fingerprint}); see key rotation in the documentation"
    )
