"""The audit log: append-only and hash-chained (`entrepot.audit_log`).

Each entry holds the SHA-256 of the previous entry's hash and its own
content, so a modified, deleted or reordered entry breaks the chain from
that point. Pruning old entries (retention) records the last pruned hash
as the new anchor, in an entry of its own.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import ibis
import pyarrow as pa

from entrepot.privacy._settings import AUDIT_RETENTION_DAYS, get_setting, set_setting

GENESIS = "0" * 64
_FIELDS = ("seq", "at", "user", "action", "parameters", "project", "rows", "persons")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def entry_hash(previous: str, entry: dict[str, Any]) -> str:
    """The hash of an entry: SHA-256 of the previous hash and its fields."""
    fields = {f: entry[f] for f in _FIELDS}
    fields["at"] = entry["at"].isoformat(sep=" ")
    text = previous + json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _last(wh) -> tuple[int, str]:
    t = wh.table("audit_log")
    rows = t.order_by(ibis.desc(t.seq)).limit(1).to_pyarrow().to_pylist()
    return (rows[0]["seq"], rows[0]["hash"]) if rows else (0, GENESIS)


def audit(
    wh,
    user: str,
    action: str,
    parameters: dict[str, Any] | None = None,
    project: str | None = None,
    rows: int | None = None,
    persons: int | None = None,
) -> dict[str, Any]:
    """Append one entry (who, what, which project, how much was returned)."""
    seq, previous = _last(wh)
    entry = {
        "seq": seq + 1,
        "at": _now(),
        "user": user,
        "action": action,
        "parameters": json.dumps(parameters or {}, sort_keys=True, default=str),
        "project": project,
        "rows": rows,
        "persons": persons,
    }
    entry |= {"prev_hash": previous, "hash": entry_hash(previous, entry)}
    table = pa.Table.from_pylist([entry], schema=_arrow_schema(wh))
    with wh.store.transaction() as tx:
        tx.append("entrepot", "audit_log", wh.store.from_arrow(table))
    return entry


def _arrow_schema(wh) -> pa.Schema:
    return wh.table("audit_log").schema().to_pyarrow()


def entries(
    wh,
    *,
    user: str | None = None,
    action: str | None = None,
    project: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Entries in order, filtered (an action filter matches its prefix)."""
    t = wh.table("audit_log")
    if user:
        t = t.filter(t.user == user)
    if action:
        t = t.filter(t.action.startswith(action))
    if project:
        t = t.filter(t.project == project)
    if since:
        t = t.filter(t.at >= since)
    if until:
        t = t.filter(t.at < until)
    t = t.order_by(t.seq)
    rows = t.to_pyarrow().to_pylist()
    return rows[-limit:] if limit else rows


def verify(wh) -> dict[str, Any]:
    """`{"ok", "entries", "first_bad"}`: first_bad is the position (1-based, in
    stored order by seq) of the first entry that breaks the chain, or None."""
    rows = entries(wh)
    anchors = _anchors(rows)
    previous = None
    for i, row in enumerate(rows, start=1):
        expected_prev = (
            previous["hash"] if previous else anchors.get(row["seq"], GENESIS)
        )
        if previous is not None and row["seq"] != previous["seq"] + 1:
            return {"ok": False, "entries": len(rows), "first_bad": i}
        if row["prev_hash"] != expected_prev or row["hash"] != entry_hash(
            row["prev_hash"], row
        ):
            return {"ok": False, "entries": len(rows), "first_bad": i}
        previous = row
    return {"ok": True, "entries": len(rows), "first_bad": None}


def _anchors(rows: list[dict]) -> dict[int, str]:
    """seq → prev_hash allowed for the first entry kept after a retention prune."""
    out = {}
    for row in rows:
        if row["action"] == "audit.prune":
            p = json.loads(row["parameters"])
            out[p["removed_through"] + 1] = p["anchor"]
    return out


def set_retention(wh, days: int | None) -> None:
    """Keep audit entries `days` days (None: forever); applied by `prune`."""
    set_setting(wh, AUDIT_RETENTION_DAYS, "" if days is None else str(int(days)))


def retention(wh) -> int | None:
    value = get_setting(wh, AUDIT_RETENTION_DAYS)
    return int(value) if value else None


def prune(wh, user: str = "entrepot", *, now: datetime | None = None) -> int:
    """Remove entries older than the retention; return how many were removed.

    The prune is itself audited with the hash of the last entry removed, so
    the chain of what is kept still verifies.
    """
    days = retention(wh)
    if days is None:
        return 0
    limit = (now or _now()) - timedelta(days=days)
    t = wh.table("audit_log")
    old = t.filter(t.at < limit).order_by(ibis.desc(t.seq)).limit(1)
    last = old.to_pyarrow().to_pylist()
    if not last:
        return 0
    through = last[0]["seq"]
    removed = int(t.filter(t.seq <= through).count().to_pyarrow().as_py())
    audit(
        wh,
        user,
        "audit.prune",
        {"removed_through": through, "anchor": last[0]["hash"], "days": days},
        rows=removed,
    )
    t = wh.table("audit_log")
    kept = wh.store.materialize(t.filter(t.seq > through))
    with wh.store.transaction() as tx:
        tx.replace("entrepot", "audit_log", kept)
    return removed
