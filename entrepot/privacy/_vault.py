"""The identity vault: patients' identities kept apart from the pseudonymised
warehouse, as a trusted third party would, for linkage with outside registries.

One file beside the warehouse (`<warehouse>.identities`), never inside it:
per patient, keyed by the warehouse's person_id, the surname, birth name,
first names, birth date, sex and birthplace code (from the NIR when the
extract gives none), and the patient's date shift (to pseudonymise a linked
date as ingestion does). The whole file is one XChaCha20-Poly1305 AEAD
message (libsodium) under a key derived from the pseudonymisation key: no
one without that key reads or alters it unnoticed. Ingestion keeps it up to
date; an opt-out erases the patient from it. Each write is part of the
atomic unit it is made in (`entrepot.warehouse._beside`): the vault changes
when the unit commits, never when it fails or its process is killed.
"""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from nacl.exceptions import CryptoError
from nacl.secret import Aead

from entrepot.errors import PrivacyError
from entrepot.privacy._keys import SecretKey
from entrepot.warehouse._beside import read_beside, write_beside

SUFFIX = ".identities"
_MAGIC = b"entrepot-identities-1\n"
#: The vault's columns: one row per patient.
IDENTITY = pa.schema(
    {
        "person_id": pa.int64(),
        "surname": pa.string(),  # the name in use (a married name, say)
        "birth_name": pa.string(),  # null: the same as surname, or unknown
        "first_names": pa.string(),  # space-separated, in civil-status order
        "birth_date": pa.date32(),
        "sex": pa.string(),  # M / F
        "birthplace_code": pa.string(),  # COG commune code, 99CCC abroad
        "shift_days": pa.int64(),  # the patient's date shift in the warehouse
    }
)


def vault_path(wh) -> Path:
    """Where the warehouse's vault lives: `<warehouse>.identities`."""
    path = wh.uri.path
    return path.with_name(path.name + SUFFIX)


def _cipher(key: SecretKey) -> Aead:
    return Aead(key.digest(b"entrepot:identity-vault"))


def has_identities(wh) -> bool:
    return read_beside(vault_path(wh)) is not None


def read_identities(wh, key: SecretKey) -> pa.Table:
    """Every identity of the vault (for the linkage process only)."""
    path = vault_path(wh)
    data = read_beside(path)
    if data is None:
        raise PrivacyError(
            f"no identity vault at {path}: ingest the raw extracts with "
            "`entrepot ingest` first (it writes the vault beside the warehouse)"
        )
    if not data.startswith(_MAGIC):
        raise PrivacyError(f"{path}: not an entrepot identity vault")
    try:
        plain = _cipher(key).decrypt(data[len(_MAGIC) :], _MAGIC)
    except CryptoError:
        raise PrivacyError(
            f"{path}: cannot be opened with this key (another warehouse's key, "
            "or the file was altered)"
        ) from None
    return pq.read_table(io.BytesIO(plain)).cast(IDENTITY)


def _write(wh, key: SecretKey, rows: pa.Table) -> None:
    """Encrypt and replace the vault with the current atomic unit."""
    buffer = io.BytesIO()
    pq.write_table(rows.cast(IDENTITY).sort_by("person_id"), buffer)
    sealed = _MAGIC + bytes(_cipher(key).encrypt(buffer.getvalue(), _MAGIC))
    write_beside(wh, vault_path(wh), sealed)


def _current(wh, key: SecretKey) -> pa.Table:
    return read_identities(wh, key) if has_identities(wh) else IDENTITY.empty_table()


def update_identities(
    wh, key: SecretKey, rows: pa.Table, *, keep: pa.Array | None = None
) -> int:
    """Add or replace these identities (by person_id); with `keep`, forget
    everyone not in it (deleted, merged-away or opted-out patients).
    Returns the vault's size."""
    old = _current(wh, key)
    rows = rows.cast(IDENTITY)
    old = old.filter(pc.invert(pc.is_in(old["person_id"], rows["person_id"])))
    new = pa.concat_tables([old, rows])
    if keep is not None:
        new = new.filter(pc.is_in(new["person_id"], keep))
    _write(wh, key, new)
    return len(new)


def erase_identities(wh, key: SecretKey, ids: list[int]) -> int:
    """Remove these persons from the vault (an opt-out); how many were there."""
    if not ids or not has_identities(wh):
        return 0
    old = read_identities(wh, key)
    gone = pc.is_in(old["person_id"], pa.array(ids, pa.int64()))
    removed = pc.sum(gone).as_py() or 0
    if removed:
        _write(wh, key, old.filter(pc.invert(gone)))
    return removed


def nir_birthplace(nir: str | None) -> str | None:
    """The birthplace code a NIR carries (digits 6 to 10: department and
    commune, or 99 and the country abroad); None for a malformed one."""
    nir = (nir or "").replace(" ", "").upper()
    if len(nir) < 10 or not nir[:5].isdigit():
        return None
    return nir[5:10]


def rekey_identities(
    wh, old: SecretKey, new: SecretKey, persons: dict[int, int], shifts: dict[int, int]
) -> int:
    """Key rotation: the vault under the new key, each person_id replaced
    (`persons`: old → new) and each date shift moved by `shifts` (old id →
    days). Returns the vault's size (0 without a vault)."""
    if not has_identities(wh):
        return 0
    rows = read_identities(wh, old)
    ids = rows["person_id"].to_pylist()
    rows = rows.set_column(
        0, "person_id", pa.array([persons.get(i, i) for i in ids], pa.int64())
    )
    moved = [
        (s or 0) + shifts.get(i, 0)
        for i, s in zip(ids, rows["shift_days"].to_pylist(), strict=True)
    ]
    rows = rows.set_column(
        IDENTITY.get_field_index("shift_days"),
        "shift_days",
        pa.array(moved, pa.int64()),
    )
    _write(wh, new, rows)
    return len(rows)
