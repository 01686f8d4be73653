"""Patients' right to object: a registry of opted-out patients (stored as
their keyed pseudonym, the person_id), applied at once to every table.

Adding a patient removes their rows from every table holding a person_id
(notes and their NLP results, cohorts, gold annotations included) in one
transaction. Loaders never load them again: ingestion filters its extracts
with `consenting`, the loading of OMOP files with `without_opted_out`. Other
modules (a search index) register a hook with `on_optout` to forget them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.privacy._audit import audit
from entrepot.privacy._keys import SecretKey
from entrepot.privacy._pseudonym import person_id
from entrepot.privacy._settings import require_key
from entrepot.privacy._tables import person_tables, schema_of
from entrepot.privacy._vault import erase_identities

OptOutHook = Callable[[object, list[int]], None]
_hooks: list[OptOutHook] = []


def on_optout(hook: OptOutHook) -> OptOutHook:
    """Register `hook(wh, person_ids)`, called after patients opt out."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def opted_out(wh) -> set[int]:
    """The person_ids of every opted-out patient."""
    t = wh.table("optout")
    return set(t.person_id.to_pyarrow().to_pylist())


def consenting(wh) -> Callable[[pa.Table, pa.Array], pa.Table]:
    """A filter `keep(rows, person_ids)` (one person_id per row) that drops
    the rows of opted-out patients; the registry is read once, now."""
    out = pa.array(sorted(opted_out(wh)), pa.int64())

    def keep(rows: pa.Table, person_ids: pa.Array) -> pa.Table:
        if not len(out):
            return rows
        return rows.filter(pc.invert(pc.is_in(person_ids, out)))

    return keep


def without_opted_out(
    wh, sources: dict[str, ir.Table | pa.Table]
) -> dict[str, ir.Table | pa.Table]:
    """OMOP rows to load (table name → rows) less those of opted-out patients,
    filtered in the engine: a source without person_id is kept whole."""
    if not wh.has_table("optout") or not wh.count("optout"):
        return sources
    registry = wh.table("optout").person_id
    out = {}
    for name, rows in sources.items():
        if "person_id" not in rows.columns:
            out[name] = rows
            continue
        t = wh.store.from_arrow(rows) if isinstance(rows, pa.Table) else rows
        pid = t.person_id.try_cast("int64")
        out[name] = t.filter(pid.isnull() | ~pid.isin(registry))
    return out


def optout_add(
    wh, key: SecretKey, ipps: Iterable[str], *, user: str = "entrepot"
) -> dict:
    """Register patients (by IPP) as opted out and erase their data now."""
    require_key(wh, key)
    ids = sorted(merged_into(wh, {person_id(key, ipp) for ipp in ipps}))
    new = [i for i in ids if i not in opted_out(wh)]
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    schema = wh.table("optout").schema().to_pyarrow()
    registry = pa.Table.from_pylist(
        [{"person_id": i, "added_at": now, "added_by": user} for i in new],
        schema=schema,
    )
    removed = erase_persons(wh, ids, registry=registry)
    removed_identities = erase_identities(wh, key, ids)
    if removed_identities:
        removed["identities"] = removed_identities
    for hook in _hooks:
        hook(wh, ids)
    audit(
        wh,
        user,
        "optout.add",
        {"patients": len(ids)},
        rows=sum(removed.values()),
        persons=len(ids),
    )
    return {"patients": len(ids), "new": len(new), "rows_removed": removed}


def merged_into(wh, ids: set[int]) -> set[int]:
    """These persons and those they were merged into (IPP merges, chains
    followed): an objection under a merged-away IPP is the survivor's."""
    if not wh.has_table("patient_merge"):
        return ids
    t = wh.table("patient_merge").select("old_person_id", "new_person_id")
    survivor = dict(zip(*t.to_pyarrow().to_pydict().values(), strict=True))
    out, todo = set(ids), list(ids)
    while todo:
        i = survivor.get(todo.pop())
        if i is not None and i not in out:
            out.add(i)
            todo.append(i)
    return out


def optout_remove(
    wh, key: SecretKey, ipps: Iterable[str], *, user: str = "entrepot"
) -> int:
    """Withdraw objections: later ingestions load these patients again."""
    require_key(wh, key)
    return optout_withdraw(wh, [person_id(key, ipp) for ipp in ipps], user=user)


def optout_withdraw(wh, ids: Iterable[int], *, user: str = "entrepot") -> int:
    """Withdraw objections by pseudonym (the person_id `optout_list` shows)."""
    ids = sorted(set(ids))
    t = wh.table("optout")
    kept = wh.store.materialize(t.filter(~t.person_id.isin(ids)))
    before = wh.count("optout")
    with wh.store.transaction() as tx:
        tx.replace("entrepot", "optout", kept)
    removed = before - wh.count("optout")
    audit(wh, user, "optout.remove", {"patients": len(ids)}, persons=removed)
    return removed


def optout_list(wh) -> list[dict]:
    """Registered objections: pseudonyms and dates, never an IPP."""
    t = wh.table("optout")
    return t.order_by(t.added_at).to_pyarrow().to_pylist()


def erase_persons(wh, ids: list[int], *, registry: pa.Table | None = None) -> dict:
    """Remove every row of these persons from every table, in one transaction."""
    if not ids:
        return {}
    notes = None
    if wh.has_table("note"):
        n = wh.table("note")
        notes = wh.store.materialize(n.filter(n.person_id.isin(ids)).select("note_id"))
    plans: dict[str, object] = {}
    for name, column in person_tables(wh).items():
        if name == "optout":  # erasure never touches the registry itself
            continue
        t = wh.table(name)
        plans[name] = t.filter(~t[column].isin(ids) | t[column].isnull())
    if notes is not None:
        for name in ("note_nlp", "note_annotation"):
            if wh.has_table(name):
                t = wh.table(name)
                plans[name] = t.anti_join(notes, "note_id")
    if wh.has_table("quarantine"):
        plans["quarantine"] = _quarantine_kept(wh, ids)
    removed = {}
    kept = {}
    for name, rows in plans.items():
        before = wh.count(name)
        kept[name] = wh.store.materialize(rows)
        removed[name] = before - int(kept[name].count().to_pyarrow().as_py())
    with wh.store.transaction() as tx:
        for name, rows in kept.items():
            if removed[name]:
                tx.replace(schema_of(name), name, rows)
        if registry is not None and len(registry):
            tx.append("entrepot", "optout", wh.store.from_arrow(registry))
    return {k: v for k, v in removed.items() if v}


def _quarantine_kept(wh, ids: list[int]):
    """Quarantined records, less those of these persons (their JSON `person_id`)."""
    t = wh.table("quarantine")
    pid = t.record.re_extract(r'"person_id": (-?[0-9]+)', 1).try_cast("int64")
    return t.filter(pid.isnull() | ~pid.isin(ids))
