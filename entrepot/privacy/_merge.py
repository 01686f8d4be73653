"""IPP merges (*fusion d'IPP*): two patient numbers found to be one patient.

Every row of the patient merged away (the old IPP) in every table holding a
person (clinical tables, notes and what was read from them, cohorts) is
re-pointed to the survivor (the new IPP), and, when dates are shifted, moved
from the old patient's shift to the survivor's (dates written in notes too),
so that the warehouse is the one a load of the merged extracts would give.
The old patient's own rows (person, death, a commune no one else lives in)
are removed, and the survivor's observation period is rebuilt from its
visits as ingestion builds it. Each row is kept as it was (`merge_row`), so
that `unmerge_patients` puts every row back exactly. If either patient
objected, the opt-out applies to both. The audit keeps the link, as
pseudonyms: no IPP is written anywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.errors import ParameterError
from entrepot.privacy._audit import audit
from entrepot.privacy._dates import shift_days
from entrepot.privacy._keys import SecretKey
from entrepot.privacy._optout import erase_persons, opted_out
from entrepot.privacy._pseudonym import person_id
from entrepot.privacy._rotation import _notes_reshifted
from entrepot.privacy._settings import require_key
from entrepot.privacy._shifting import date_shifting
from entrepot.privacy._tables import ensure_table, person_tables, schema_of
from entrepot.warehouse import among, phase

#: The old patient's rows that the survivor's replace (not moved).
REMOVED = ("person", "death")
#: Tables a merge never rewrites as a patient's rows.
_SKIPPED = ("optout", "observation_period")
#: Schemas whose dates are patients' dates (shifted).
_SHIFTED_SCHEMAS = ("cdm", "results")
_PAIR = ("old_person_id", "new_person_id")
EHR = 32817  # period_type_concept_id of ingested observation periods


@dataclass(frozen=True)
class Merge:
    """One merge: the IPP merged away, the surviving IPP, the day it happened."""

    old_ipp: str
    new_ipp: str
    merged_on: date | None = None


def merge_patients(
    wh, key: SecretKey, merges: list[Merge], *, user: str = "entrepot"
) -> dict:
    """Merge each old patient into its survivor, all in one transaction."""
    require_key(wh, key)
    if not merges:
        return {"merges": 0, "rows_moved": {}, "opted_out": 0}
    pairs = _pairs(key, merges)
    with phase("checks"):
        _check(wh, pairs)
    objected = opted_out(wh)
    refused = [p for p in pairs if p[0] in objected or p[1] in objected]
    added = _optout(wh, refused, objected, user)
    shifting = bool(date_shifting(wh))
    days = {
        p: shift_days(key, m.new_ipp) - shift_days(key, m.old_ipp) if shifting else 0
        for p, m in zip(pairs, merges, strict=True)
    }
    moving = [p for p in pairs if p not in refused]
    log = ensure_table(wh, "patient_merge")
    logged = set(zip(*(log[c].to_pyarrow().to_pylist() for c in _PAIR), strict=True))
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    log = pa.Table.from_pylist(
        [
            {
                "old_person_id": p[0],
                "new_person_id": p[1],
                "merged_on": m.merged_on,
                "merged_at": now,
                "merged_by": user,
                "shift_days": days[p],
                "optout_added": added.get(p),
            }
            for p, m in zip(pairs, merges, strict=True)
            if p not in logged  # a merge applied again (an ingestion run twice)
        ],
        schema=log.schema().to_pyarrow(),
    )
    with phase("the old patients' rows read and moved"):
        moved = _moved(wh, {p: days[p] for p in moving})
    with wh.store.transaction() as tx:
        for name, change in moved.tables.items():
            change.write(wh, tx, name)
        tx.append("entrepot", "patient_merge", wh.store.from_arrow(log))
        if len(moved.records):
            tx.append("entrepot", "merge_row", wh.store.from_arrow(moved.records))
    audit(
        wh,
        user,
        "patients.merge",
        {
            "merges": [{"old": o, "new": n} for o, n in pairs],
            "opted_out": [{"old": o, "new": n} for o, n in refused],
        },
        rows=sum(moved.counts.values()),
        persons=len(pairs),
    )
    return {"merges": len(pairs), "rows_moved": moved.counts, "opted_out": len(refused)}


def unmerge_patients(
    wh, key: SecretKey, old_ipp: str, new_ipp: str, *, user: str = "entrepot"
) -> dict:
    """Undo a merge: every row it moved or removed is put back as it was."""
    require_key(wh, key)
    old, new = person_id(key, old_ipp), person_id(key, new_ipp)
    log = ensure_table(wh, "patient_merge")
    done = log.filter((log.old_person_id == old) & (log.new_person_id == new))
    merge = done.to_pyarrow().to_pylist()
    if not merge:
        raise ParameterError(
            "patients unmerge: no merge of these two patients is recorded"
        )
    if _count(log.filter(log.old_person_id == new)):
        raise ParameterError(
            "patients unmerge: the survivor was merged into another patient since; "
            "undo that merge first"
        )
    days = merge[-1]["shift_days"]
    rows = ensure_table(wh, "merge_row")
    mine = (rows.old_person_id == old) & (rows.new_person_id == new)
    records = rows.filter(mine).to_pyarrow()
    tables: dict[str, ir.Table] = {}
    counts: dict[str, int] = {}
    for name in sorted(set(records["table_name"].to_pylist())):
        of = records.filter(pc.equal(records["table_name"], name))
        t = wh.table(name)
        originals = wh.store.from_arrow(_restored(of["record"].to_pylist(), t))
        kept = t
        moved = pc.sum(of["moved"]).as_py() or 0
        if moved:
            column = person_tables(wh)[name]
            now = _transformed(wh, name, column, originals, {(old, new): days})
            kept = t.anti_join(now, [t[c].identical_to(now[c]) for c in t.columns])
        tables[name] = wh.store.materialize(kept.union(originals, distinct=False))
        counts[name] = len(of)
    tables = _with_periods(wh, tables, [old, new])
    registry = None
    if merge[-1]["optout_added"] is not None:
        o = wh.table("optout")
        registry = o.filter(o.person_id != merge[-1]["optout_added"])
    with wh.store.transaction() as tx:
        for name, t in tables.items():
            tx.replace(schema_of(name), name, t)
        tx.replace("entrepot", "merge_row", wh.store.materialize(rows.filter(~mine)))
        tx.replace(
            "entrepot",
            "patient_merge",
            wh.store.materialize(
                log.filter(~((log.old_person_id == old) & (log.new_person_id == new)))
            ),
        )
        if registry is not None:
            tx.replace("entrepot", "optout", wh.store.materialize(registry))
    audit(
        wh,
        user,
        "patients.unmerge",
        {"old": old, "new": new},
        rows=sum(counts.values()),
        persons=2,
    )
    return {"rows_restored": counts}


def merge_log(wh) -> list[dict]:
    """Recorded merges, as pseudonyms (never an IPP)."""
    t = ensure_table(wh, "patient_merge")
    return t.order_by(t.merged_at).to_pyarrow().to_pylist()


# -- helpers ---------------------------------------------------------------
def check_merges(
    wh,
    key: SecretKey,
    merges: list[Merge],
    *,
    arriving: set[int] = frozenset(),
    source: str = "merges.csv",
) -> None:
    """Refuse merges of unknown patients (neither in the warehouse nor among
    the `arriving` person_ids of a load), of a patient with itself, or chains:
    called before a load, so that a wrong merge changes nothing. Errors name
    the line of `source` (a header, then one merge a line)."""
    _check(wh, _pairs(key, merges), arriving, lambda i: f"{source}, line {i + 1}")


def _pairs(key: SecretKey, merges: list[Merge]) -> list[tuple[int, int]]:
    return [(person_id(key, m.old_ipp), person_id(key, m.new_ipp)) for m in merges]


def _check(
    wh, pairs: list[tuple[int, int]], arriving: set[int] = frozenset(), where=None
) -> None:
    """Refuse unknown patients, a patient merged with itself, or a chain."""
    ids = {i for p in pairs for i in p}
    p = wh.table("person")
    known = set(
        p.filter(among(wh, p.person_id, ids)).person_id.to_pyarrow().to_pylist()
    )
    known |= (opted_out(wh) | set(arriving)) & ids
    olds = [o for o, _ in pairs]
    for line, (old, new) in enumerate(pairs, start=1):
        here = where(line) if where else f"merge {line}"
        here = "patients merge" if len(pairs) == 1 and not where else here
        if old == new:
            raise ParameterError(f"{here}: the two IPPs are the same patient")
        if old not in known:
            raise ParameterError(
                f"{here}: the IPP to merge away is not in the warehouse; nothing was merged"
            )
        if new not in known:
            raise ParameterError(
                f"{here}: the surviving IPP is not in the warehouse; nothing was merged"
            )
        if new in olds:
            raise ParameterError(
                f"{here}: the surviving IPP is merged away on another line (a chain "
                "or a cycle); merge in two steps, nothing was merged"
            )
        if olds.count(old) > 1:
            raise ParameterError(
                f"{here}: the IPP to merge away is merged twice in one batch; "
                "nothing was merged"
            )


def _optout(
    wh, refused: list[tuple[int, int]], objected: set[int], user: str
) -> dict[tuple[int, int], int]:
    """Erase both patients of each merge where one objected; register the other."""
    if not refused:
        return {}
    others = {p: [i for i in p if i not in objected] for p in refused}
    added = {p: i[0] for p, i in others.items() if i}
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    registry = pa.Table.from_pylist(
        [
            {"person_id": i, "added_at": now, "added_by": user}
            for i in sorted(set(added.values()))
        ],
        schema=wh.table("optout").schema().to_pyarrow(),
    )
    from entrepot.privacy._optout import _hooks

    ids = sorted({i for p in refused for i in p})
    erase_persons(wh, ids, registry=registry)
    for hook in _hooks:
        hook(wh, ids)
    return added


@dataclass
class _Change:
    """A table's rows whose `column` is among `gone` removed, `added` appended:
    a merge rewrites only the merged patients' rows (never a whole table)."""

    column: str
    gone: list[int]
    added: ir.Table | None = None

    def write(self, wh, tx, name: str) -> None:
        values = wh.store.from_arrow(
            pa.table({self.column: pa.array(self.gone, pa.int64())})
        )
        tx.delete_in(schema_of(name), name, self.column, values)
        if self.added is not None:
            tx.append(schema_of(name), name, self.added)


@dataclass
class _Moved:
    tables: dict[str, _Change]
    records: pa.Table
    counts: dict[str, int]


def _moved(wh, days: dict[tuple[int, int], int]) -> _Moved:
    """The change of every table moving or removing the old patients' rows,
    and those rows as they were."""
    tables: dict[str, _Change] = {}
    records: list[dict] = []
    counts: dict[str, int] = {}
    if days:
        olds = [o for o, _ in days]
        kept_rows = ensure_table(wh, "merge_row")
        kept_rows = kept_rows.filter(among(wh, kept_rows.old_person_id, olds))
        recorded = kept_rows.select(*_PAIR, "table_name").to_pyarrow()
        recorded = set(zip(*(c.to_pylist() for c in recorded.columns), strict=True))
        stored = {s: set(wh.tables(s)) for s in ("cdm", "results", "entrepot")}
        for name, column in person_tables(wh).items():
            if name in _SKIPPED or name not in stored[schema_of(name)]:
                continue
            t = wh.table(name)
            # read once
            hit = wh.store.materialize(t.filter(among(wh, t[column], olds)))
            rows = hit.to_pyarrow()
            if not len(rows):
                continue
            records += _records(name, rows, column, days, moved=name not in REMOVED)
            tables[name] = _Change(column, olds)
            if name not in REMOVED:  # computed before the old rows go
                tables[name].added = wh.store.materialize(
                    _transformed(wh, name, column, hit, days)
                )
            counts[name] = len(rows)
        gone, removed = _locations(wh, "person" in tables, olds, days)
        if gone:
            tables["location"] = _Change("location_id", gone)
            records += removed
        periods = _periods(wh, _after(wh, tables, "visit_occurrence"), _ids(days))
        if periods is not None:
            tables["observation_period"] = _Change(
                "person_id", _ids(days), wh.store.materialize(periods)
            )
        records = [  # removed rows are kept once, when a merge is applied again
            r
            for r in records
            if r["moved"]
            or (r["old_person_id"], r["new_person_id"], r["table_name"]) not in recorded
        ]
    return _Moved(
        tables,
        pa.Table.from_pylist(
            records, schema=ensure_table(wh, "merge_row").schema().to_pyarrow()
        ),
        counts,
    )


def _records(
    name: str,
    rows: pa.Table,
    column: str,
    days: dict[tuple[int, int], int],
    *,
    moved: bool,
) -> list[dict]:
    survivor = {o: n for o, n in days}
    return [
        {
            "old_person_id": r[column],
            "new_person_id": survivor[r[column]],
            "table_name": name,
            "record": json.dumps(r, default=str),
            "moved": moved,
        }
        for r in rows.to_pylist()
    ]


def _transformed(
    wh, name: str, column: str, rows: ir.Table, days: dict[tuple[int, int], int]
) -> ir.Table:
    """Rows of old patients (in their person `column`) as their survivors'
    rows: re-pointed, and their dates (and the dates written in notes) moved
    by the change of shift."""
    m = wh.store.from_arrow(
        pa.table(
            {
                "_old": pa.array([o for o, _ in days], pa.int64()),
                "_new": pa.array([n for _, n in days], pa.int64()),
                "_days": pa.array(list(days.values()), pa.int64()),
            }
        )
    )
    j = rows.join(m, rows[column] == m._old)
    shifted = schema_of(name) in _SHIFTED_SCHEMAS
    moved = {column: j._new}
    if shifted:
        moved |= {
            c: j[c] + j._days.as_interval("D")
            for c, typ in rows.schema().items()
            if typ.is_date() or typ.is_timestamp()
        }
    out = j.select(
        *[
            moved[c].cast(rows[c].type()).name(c) if c in moved else j[c]
            for c in rows.columns
        ]
    )
    if name == "note" and shifted and any(days.values()):
        out = _notes_reshifted(wh, out, {n: d for (_, n), d in days.items()})
    return out


def _locations(
    wh, persons: bool, olds: list[int], days: dict[tuple[int, int], int]
) -> tuple[list[int], list[dict]]:
    """Communes of old patients (when `persons` of theirs go) that no other
    person lives in: their ids, to remove, and their rows as they were."""
    if not persons or not wh.has_table("location"):
        return [], []
    p = wh.table("person")
    theirs = p.filter(among(wh, p.person_id, olds) & p.location_id.notnull())
    mine = theirs.select("person_id", "location_id").to_pyarrow().to_pylist()
    places = {r["location_id"] for r in mine}
    others = p.filter(among(wh, p.location_id, places) & ~among(wh, p.person_id, olds))
    still = set(others.location_id.to_pyarrow().to_pylist())
    gone = {
        r["location_id"]: r["person_id"] for r in mine if r["location_id"] not in still
    }
    if not gone:
        return [], []
    loc = wh.table("location")
    rows = loc.filter(among(wh, loc.location_id, list(gone))).to_pyarrow()
    survivor = {o: n for o, n in days}
    records = [
        {
            "old_person_id": gone[r["location_id"]],
            "new_person_id": survivor[gone[r["location_id"]]],
            "table_name": "location",
            "record": json.dumps(r, default=str),
            "moved": False,
        }
        for r in rows.to_pylist()
    ]
    return list(gone), records


def _ids(days: dict[tuple[int, int], int]) -> list[int]:
    return [i for p in days for i in p]


def _after(wh, changes: dict[str, _Change], name: str) -> ir.Table:
    """A table as `changes` leave it (its rows of the persons changed, at least)."""
    t = wh.table(name)
    change = changes.get(name)
    if change is None:
        return t
    kept = t.filter(~among(wh, t[change.column], change.gone))
    return kept if change.added is None else kept.union(change.added, distinct=False)


def _with_periods(wh, tables: dict[str, ir.Table], persons: list[int]) -> dict:
    """`tables` with these persons' observation periods rebuilt from their
    visits (first start to last end), as ingestion builds them."""
    visits = tables.get("visit_occurrence", wh.table("visit_occurrence"))
    rebuilt = _periods(wh, visits, persons)
    if rebuilt is None:
        return tables
    op = wh.table("observation_period")
    kept = op.filter(~among(wh, op.person_id, persons))
    return tables | {
        "observation_period": wh.store.materialize(kept.union(rebuilt, distinct=False))
    }


def _periods(wh, visits: ir.Table, persons: list[int]) -> ir.Table | None:
    """These persons' observation periods from `visits`, or None without an
    observation_period table."""
    if not wh.has_table("observation_period") or not persons:
        return None
    op = wh.table("observation_period")
    spans = (
        visits.filter(among(wh, visits.person_id, persons))
        .group_by("person_id")
        .aggregate(s=visits.visit_start_date.min(), e=visits.visit_end_date.max())
    )
    rebuilt = spans.select(
        observation_period_id=spans.person_id,
        person_id=spans.person_id,
        observation_period_start_date=spans.s,
        observation_period_end_date=spans.e,
        period_type_concept_id=ibis.literal(EHR, "int64"),
    )
    return rebuilt.select(
        *[
            rebuilt[c].cast(op[c].type()).name(c)
            if c in rebuilt.columns
            else ibis.null(op[c].type()).name(c)
            for c in op.columns
        ]
    )


def _restored(records: list[str], t: ir.Table) -> pa.Table:
    """Rows kept as JSON, typed back as the table's columns."""
    schema = t.schema().to_pyarrow()
    rows = [json.loads(r) for r in records]
    columns = {}
    for f in schema:
        values = [r.get(f.name) for r in rows]
        if pa.types.is_temporal(f.type) or pa.types.is_decimal(f.type):
            columns[f.name] = pa.array(
                [None if v is None else str(v) for v in values], pa.string()
            ).cast(f.type)
        else:
            columns[f.name] = pa.array(values, f.type)
    return pa.table(columns, schema=schema)


def _count(t: ir.Table) -> int:
    return int(t.count().to_pyarrow().as_py())
