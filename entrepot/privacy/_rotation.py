"""Key rotation: every keyed pseudonym re-keyed in every table, atomically.

A keyed pseudonym cannot be re-keyed from itself (that is the point of the
key): the producer that made it gives, from the identified source extracts,
each id's pseudonym under the old and the new key (`mappings`: id column →
Arrow table `old`, `new`). Every column holding such an id, in every schema
(opt-out registry, cohorts, released counts, quarantined records included),
is rewritten in one transaction with the new key's fingerprint; an id found
in the warehouse but not in the mappings stops the rotation before any
write, so no old pseudonym is left behind.
"""

from __future__ import annotations

import json
import re

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.errors import KeyFileError, PrivacyError
from entrepot.privacy._audit import audit, entries
from entrepot.privacy._keys import SecretKey
from entrepot.privacy._settings import KEY_FINGERPRINT, get_setting
from entrepot.privacy._tables import schema_of

#: Columns that hold an id under another name.
ALIASES = {
    "subject_id": "person_id",
    "preceding_visit_occurrence_id": "visit_occurrence_id",
}
_SCHEMAS = ("cdm", "results", "entrepot")


def rotate_key(
    wh,
    old: SecretKey,
    new: SecretKey,
    mappings: dict[str, pa.Table],
    *,
    user: str = "entrepot",
) -> dict[str, int]:
    """Re-key every pseudonymised id; return rows rewritten per table."""
    if get_setting(wh, KEY_FINGERPRINT) != old.fingerprint:
        raise KeyFileError(
            "the old key is not the one this warehouse was pseudonymised with"
        )
    if old.fingerprint == new.fingerprint:
        raise KeyFileError("the new key is the old key")
    if any(
        json.loads(e["parameters"]).get("date_shifting")
        for e in entries(wh, action="ingest")
    ):
        raise PrivacyError(
            "dates of this warehouse are shifted with the key: rotating it would "
            "move every date; rotation supports unshifted warehouses only"
        )
    maps = {k: wh.store.from_arrow(_unique(v)) for k, v in mappings.items()}
    rewritten: dict[str, ir.Table] = {}
    counts = {}
    for schema in _SCHEMAS:
        for name in wh.tables(schema):
            t = wh.table(name)
            columns = [c for c in t.columns if ALIASES.get(c, c) in maps]
            if columns and wh.count(name):
                rewritten[name] = _rekeyed(wh, name, t, columns, maps)
                counts[name] = wh.count(name)
    quarantine = _quarantine(wh, mappings)
    settings = wh.table("privacy_settings")
    kept = settings.filter(settings.name != KEY_FINGERPRINT)
    fingerprint = wh.store.from_arrow(
        pa.table({"name": [KEY_FINGERPRINT], "value": [new.fingerprint]})
    )
    with wh.store.transaction() as tx:
        for name, rows in rewritten.items():
            tx.replace(schema_of(name), name, rows)
        if quarantine is not None:
            tx.replace("entrepot", "quarantine", quarantine)
        tx.replace(
            "entrepot", "privacy_settings", kept.union(fingerprint.cast(kept.schema()))
        )
    audit(
        wh,
        user,
        "privacy.rotate-key",
        {"old": old.fingerprint, "new": new.fingerprint},
        rows=sum(counts.values()),
    )
    return counts


def _unique(mapping: pa.Table) -> pa.Table:
    pairs = dict(
        zip(mapping["old"].to_pylist(), mapping["new"].to_pylist(), strict=True)
    )
    return pa.table(
        {
            "old": pa.array(list(pairs), pa.int64()),
            "new": pa.array(list(pairs.values()), pa.int64()),
        }
    )


def _rekeyed(wh, name: str, t: ir.Table, columns: list[str], maps: dict) -> ir.Table:
    """`t` with each id column replaced by its new pseudonym (materialized)."""
    joined = t
    for i, column in enumerate(columns):
        m = maps[ALIASES.get(column, column)].rename({f"_o{i}": "old", f"_n{i}": "new"})
        joined = joined.left_join(m, joined[column] == m[f"_o{i}"])
    unmapped = ibis.or_(
        *[
            joined[c].notnull() & joined[f"_n{i}"].isnull()
            for i, c in enumerate(columns)
        ]
    )
    missing = int(joined.filter(unmapped).count().to_pyarrow().as_py())
    if missing:
        raise PrivacyError(
            f"{name}: {missing} row(s) hold ids not in the source extracts; "
            "rotation needs every identifier (nothing was changed)"
        )
    out = joined.select(
        *[
            joined[f"_n{columns.index(c)}"].name(c) if c in columns else joined[c]
            for c in t.columns
        ]
    )
    return wh.store.materialize(out)


def _quarantine(wh, mappings: dict[str, pa.Table]) -> ir.Table | None:
    """Quarantined records (JSON text) with their ids re-keyed."""
    if not wh.count("quarantine"):
        return None
    lookup = {
        k: dict(zip(v["old"].to_pylist(), v["new"].to_pylist(), strict=True))
        for k, v in mappings.items()
    }
    rows = wh.table("quarantine").to_pyarrow()
    records = [_record(r, lookup) for r in rows["record"].to_pylist()]
    index = rows.column_names.index("record")
    return wh.store.from_arrow(rows.set_column(index, "record", pa.array(records)))


_ID = re.compile(r'"(\w+_id)": (-?\d+)')


def _record(text: str | None, lookup: dict[str, dict[int, int]]) -> str | None:
    def swap(m: re.Match) -> str:
        ids = lookup.get(ALIASES.get(m.group(1), m.group(1)))
        value = int(m.group(2))
        return f'"{m.group(1)}": {ids.get(value, value) if ids else value}'

    return None if text is None else _ID.sub(swap, text)
