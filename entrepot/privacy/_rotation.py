"""Key rotation: every keyed pseudonym re-keyed in every table, atomically.

A keyed pseudonym cannot be re-keyed from itself (that is the point of the
key): the producer that made it gives, from the identified source extracts,
each id's pseudonym under the old and the new key (`mappings`: id column →
Arrow table `old`, `new`). Every column holding such an id, in every schema
(opt-out registry, cohorts, released counts, quarantined records included),
is rewritten in one transaction with the new key's fingerprint; an id found
in the warehouse but not in the mappings stops the rotation before any
write, so no old pseudonym is left behind. `fact_relationship` names its
facts by id whatever their table: a fact id that is a keyed id is re-keyed,
any other is kept.

When dates are shifted, each patient's shift is drawn from the key too: in
the same transaction every date of a patient (clinical tables, cohorts,
quarantined records, dates written in notes) moves by new shift − old
shift, so that it equals the source date plus the new shift and intervals
are kept. Pending opt-out requests are applied first (they are sealed for
the old key), and the public key that seals new ones is the new key's.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.errors import KeyFileError, PrivacyError
from entrepot.privacy._audit import audit
from entrepot.privacy._dates import shift_days, shifted
from entrepot.privacy._keys import SecretKey
from entrepot.privacy._notes import spill_changed, with_texts
from entrepot.privacy._pseudonym import person_id
from entrepot.privacy._sealed import (
    OPTOUT_PUBLIC_KEY,
    apply_optout_requests,
    publish_optout_key,
)
from entrepot.privacy._settings import KEY_FINGERPRINT, get_setting, settings_with
from entrepot.privacy._shifting import date_shifting
from entrepot.privacy._tables import person_tables, schema_of
from entrepot.privacy._vault import rekey_identities
from entrepot.privacy.deid._surrogates import WRITTEN_DATE, shifted_date

#: Columns that hold an id under another name.
ALIASES = {
    "subject_id": "person_id",
    "preceding_visit_occurrence_id": "visit_occurrence_id",
}
#: Columns that hold an id of any table (kept when it is not a keyed id).
ANY_ID = ("fact_id_1", "fact_id_2")
_SCHEMAS = ("cdm", "results", "entrepot")
#: Schemas whose dates are patients' dates (entrepot's hold registry times).
_SHIFTED_SCHEMAS = ("cdm", "results")
#: Keyed fingerprints of ingested source rows (entrepot.ingest): they cannot
#: be re-keyed without the source, so they are forgotten; the next ingestion
#: finds every row new and the loader skips those already there.
_FINGERPRINTS = "source_row"


@dataclass(frozen=True)
class _Shifts:
    """Each patient's change of shift (new − old, in days), by old and new
    person_id, and by new person_id as a table (`_person`, `_days`)."""

    by_old: dict[int, int]
    by_new: dict[int, int]
    table: ir.Table


def rotate_key(
    wh,
    old: SecretKey,
    new: SecretKey,
    mappings: dict[str, pa.Table],
    *,
    ipps: Iterable[str] | None = None,
    user: str = "entrepot",
) -> dict[str, int]:
    """Re-key every pseudonymised id, and re-shift dates when they are shifted
    (`ipps`: every patient's IPP, needed then); return rows rewritten per table."""
    if get_setting(wh, KEY_FINGERPRINT) != old.fingerprint:
        raise KeyFileError(
            "the old key is not the one this warehouse was pseudonymised with"
        )
    if old.fingerprint == new.fingerprint:
        raise KeyFileError("the new key is the old key")
    apply_optout_requests(wh, old, user=user)  # sealed for the old key: open them now
    shifts = _shift_changes(wh, old, new, ipps)
    pairs = {k: _pairs(v) for k, v in mappings.items()}
    pairs["*"] = {o: n for p in pairs.values() for o, n in p.items()}
    maps = {k: wh.store.from_arrow(_as_table(v)) for k, v in pairs.items() if v}
    persons = person_tables(wh) if shifts else {}
    rewritten: dict[str, ir.Table] = {}
    counts = {}
    for schema in _SCHEMAS:
        for name in wh.tables(schema):
            t = wh.table(name)
            columns = {c: _map_of(c) for c in t.columns if _map_of(c) in maps}
            person = persons.get(name) if schema in _SHIFTED_SCHEMAS else None
            if name == _FINGERPRINTS:
                continue
            if (columns or person) and wh.count(name):
                rows = _rekeyed(name, t, columns, maps)
                if person:
                    rows = _reshifted(name, rows, person, shifts.table)
                rewritten[name] = wh.store.materialize(rows)
                counts[name] = wh.count(name)
    quarantine = _quarantine(wh, pairs, shifts.by_old if shifts else {})
    settings = settings_with(wh, KEY_FINGERPRINT, new.fingerprint)
    with tempfile.TemporaryDirectory(prefix="entrepot-rotate-") as folder:
        if shifts and "note" in rewritten:
            rewritten["note"] = _notes_reshifted(
                wh, rewritten["note"], shifts.by_new, Path(folder) / "notes.parquet"
            )
        with wh.store.transaction() as tx:
            for name, rows in rewritten.items():
                tx.replace(schema_of(name), name, rows)
            if quarantine is not None:
                tx.replace("entrepot", "quarantine", quarantine)
            tx.replace("entrepot", "privacy_settings", settings)
            if wh.has_table(_FINGERPRINTS):
                tx.replace("entrepot", _FINGERPRINTS, wh.table(_FINGERPRINTS).limit(0))
    if get_setting(wh, OPTOUT_PUBLIC_KEY) is not None:
        publish_optout_key(wh, new)  # new requests are sealed for the new key
    rekey_identities(
        wh, old, new, pairs.get("person_id", {}), shifts.by_old if shifts else {}
    )
    audit(
        wh,
        user,
        "privacy.rotate-key",
        {
            "old": old.fingerprint,
            "new": new.fingerprint,
            "date_shifting": shifts is not None,
        },
        rows=sum(counts.values()),
    )
    return counts


def _map_of(column: str) -> str:
    return "*" if column in ANY_ID else ALIASES.get(column, column)


def _pairs(mapping: pa.Table) -> dict[int, int]:
    return dict(
        zip(mapping["old"].to_pylist(), mapping["new"].to_pylist(), strict=True)
    )


def _as_table(pairs: dict[int, int]) -> pa.Table:
    return pa.table(
        {
            "old": pa.array(list(pairs), pa.int64()),
            "new": pa.array(list(pairs.values()), pa.int64()),
        }
    )


def _shift_changes(
    wh, old: SecretKey, new: SecretKey, ipps: Iterable[str] | None
) -> _Shifts | None:
    """Each patient's change of shift; None when dates are not shifted."""
    if not date_shifting(wh):
        return None
    if ipps is None:
        raise PrivacyError(
            "this warehouse's dates are shifted with the key: rotating it needs "
            "every patient's IPP, to move their dates to the new key's shift"
        )
    ipps = sorted({i.strip() for i in ipps if i and i.strip()})
    days = [shift_days(new, i) - shift_days(old, i) for i in ipps]
    by_new = {person_id(new, i): d for i, d in zip(ipps, days, strict=True)}
    table = pa.table(
        {
            "_person": pa.array(list(by_new), pa.int64()),
            "_days": pa.array(list(by_new.values()), pa.int64()),
        }
    )
    return _Shifts(
        by_old={person_id(old, i): d for i, d in zip(ipps, days, strict=True)},
        by_new=by_new,
        table=wh.store.from_arrow(table),
    )


def _rekeyed(
    name: str, t: ir.Table, columns: dict[str, str], maps: dict[str, ir.Table]
) -> ir.Table:
    """`t` with each id column replaced by its new pseudonym; refused when a
    keyed column holds an id the mappings do not know."""
    if not columns:
        return t
    joined = t
    for i, (column, kind) in enumerate(columns.items()):
        m = maps[kind].rename({f"_o{i}": "old", f"_n{i}": "new"})
        joined = joined.left_join(m, joined[column] == m[f"_o{i}"])
    unmapped = [
        joined[c].notnull() & joined[f"_n{i}"].isnull()
        for i, (c, kind) in enumerate(columns.items())
        if kind != "*"
    ]
    if unmapped and (missing := _count(joined.filter(ibis.or_(*unmapped)))):
        raise PrivacyError(
            f"{name}: {missing} row(s) hold ids not in the source extracts; "
            "rotation needs every identifier (nothing was changed)"
        )
    names = list(columns)
    return joined.select(
        *[
            _new_id(joined, c, names.index(c), columns[c])
            if c in columns
            else joined[c]
            for c in t.columns
        ]
    )


def _new_id(joined: ir.Table, column: str, i: int, kind: str) -> ir.Column:
    """The new pseudonym; for a fact id of any table, the id itself when it
    is not a keyed one."""
    new = joined[f"_n{i}"]
    return (new.fill_null(joined[column]) if kind == "*" else new).name(column)


def _reshifted(name: str, t: ir.Table, person: str, shifts: ir.Table) -> ir.Table:
    """`t` with every date and date-time of a patient moved by their change of
    shift (a person's birth year, month and day follow their birth date)."""
    temporal = [
        c for c, typ in t.schema().items() if typ.is_date() or typ.is_timestamp()
    ]
    if not temporal:
        return t
    joined = t.left_join(shifts, t[person] == shifts._person)
    if missing := _count(
        joined.filter(joined[person].notnull() & joined._days.isnull())
    ):
        raise PrivacyError(
            f"{name}: {missing} row(s) of patients whose IPP was not given; "
            "rotation needs every patient to move their dates (nothing was changed)"
        )
    days = joined._days.fill_null(0).as_interval("D")
    moved = {c: joined[c] + days for c in temporal}
    if name == "person" and "birth_datetime" in moved:
        birth = moved["birth_datetime"]
        moved |= {
            f"{part}_of_birth": ibis.ifelse(
                birth.isnull(), joined[f"{part}_of_birth"], getattr(birth, part)()
            )
            for part in ("year", "month", "day")
        }
    return joined.select(
        *[
            moved[c].cast(t[c].type()).name(c) if c in moved else joined[c]
            for c in t.columns
        ]
    )


def _count(t: ir.Table) -> int:
    return int(t.count().to_pyarrow().as_py())


def _notes_reshifted(
    wh, notes: ir.Table, by_new: dict[int, int], spill: Path | None = None
) -> ir.Table:
    """Notes with the dates written in their text moved by their patient's
    change of shift, as de-identification wrote them (`shifted_date`); the
    changed texts go through the Parquet file `spill` (a temporary one when
    None, the result then computed before it goes), a batch at a time."""
    if spill is None:
        with tempfile.TemporaryDirectory(prefix="entrepot-reshift-") as folder:
            return _notes_reshifted(wh, notes, by_new, Path(folder) / "notes.parquet")

    def revise(row: dict) -> str | None:
        text, days = row["note_text"], by_new.get(row["person_id"], 0)
        if not (text and days):
            return None
        moved = WRITTEN_DATE.sub(lambda m: shifted_date(m[0], days) or m[0], text)
        return moved if moved != text else None

    columns = notes.select("note_id", "person_id", "note_text")
    if not spill_changed(columns, revise, spill)[1]:
        return notes
    return wh.store.materialize(with_texts(notes, wh.store.read_file(spill)))


def _quarantine(
    wh, pairs: dict[str, dict[int, int]], by_old: dict[int, int]
) -> ir.Table | None:
    """Quarantined records (JSON text) with their ids re-keyed and their
    patients' dates moved."""
    if not wh.count("quarantine"):
        return None
    rows = wh.table("quarantine").to_pyarrow()
    records = [_record(r, pairs, by_old) for r in rows["record"].to_pylist()]
    index = rows.column_names.index("record")
    return wh.store.from_arrow(rows.set_column(index, "record", pa.array(records)))


_ID = re.compile(r'"(\w+_id(?:_[12])?)": (-?\d+)')
_PERSON = re.compile(r'"person_id": (-?\d+)')
_DATE = re.compile(r'("\w+_date(?:time)?": ")(\d{4}-\d{2}-\d{2})')


def _record(
    text: str | None, pairs: dict[str, dict[int, int]], by_old: dict[int, int]
) -> str | None:
    """A quarantined record (as the loader writes it) re-keyed and re-shifted."""
    if text is None:
        return None

    def swap(m: re.Match) -> str:
        ids = pairs.get(_map_of(m[1]))
        value = int(m[2])
        return f'"{m[1]}": {ids.get(value, value) if ids else value}'

    person = _PERSON.search(text)
    days = by_old.get(int(person[1]), 0) if person else 0
    if days:
        text = _DATE.sub(lambda m: m[1] + _iso_moved(m[2], days), text)
    return _ID.sub(swap, text)


def _iso_moved(value: str, days: int) -> str:
    """An ISO date (yyyy-mm-dd) moved by `days`; kept as it is when not a date."""
    try:
        return shifted(date.fromisoformat(value), days).isoformat()
    except ValueError:
        return value
