"""The audit log: append-only and hash-chained (`entrepot.audit_log`).

Each entry holds the SHA-256 of the previous entry's hash and its own
content, so a modified, deleted or reordered entry breaks the chain from
that point. Entries cut from the end (or a chain rewritten from some point
on) are found with the anchor, the heads recorded outside the warehouse
(`_anchor`). Pruning old entries (retention) records the last pruned hash
as the new start, in an entry of its own.

A server defers its entries (`defer_audit`): each is accepted at once, in
memory, and the queue is written later, chained in order, in one
transaction with one head in the anchor; before the log is read, and when
the server lets the warehouse go or stops.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from entrepot.errors import PrivacyError
from entrepot.privacy._anchor import (
    Head,
    anchor_path,
    check_heads,
    read_heads,
    record_head,
)
from entrepot.privacy._settings import AUDIT_RETENTION_DAYS, get_setting, set_setting
from entrepot.privacy._tables import ensure_table

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


def head(wh) -> Head:
    """The log's last entry: entries ever appended (its seq) and its hash, to
    record elsewhere and check later with `verify(expect_head=...)`."""
    _flush(wh)
    return _head(wh)


def _head(wh) -> Head:
    if not wh.has_table("audit_log"):  # a warehouse made by another tool
        return Head(0, GENESIS)
    t = wh.table("audit_log")
    rows = t.order_by(ibis.desc(t.seq)).limit(1).to_pyarrow().to_pylist()
    return Head(rows[0]["seq"], rows[0]["hash"]) if rows else Head(0, GENESIS)


def audit(
    wh,
    user: str,
    action: str,
    parameters: dict[str, Any] | None = None,
    project: str | None = None,
    rows: int | None = None,
    persons: int | None = None,
) -> dict[str, Any]:
    """Append one entry (who, what, which project, how much was returned),
    then its hash to the anchor; or queue it, when the warehouse's entries
    are deferred (`defer_audit`)."""
    entry = {
        "at": _now(),
        "user": user,
        "action": action,
        "parameters": json.dumps(parameters or {}, sort_keys=True, default=str),
        "project": project,
        "rows": rows,
        "persons": persons,
    }
    queue = _queues.get(_place(wh))
    if queue is not None and queue.add(entry):
        return entry
    return _write(wh, [entry])[-1]


_chaining = threading.Lock()  # one write at a time in this process: seqs in order


def _write(wh, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chain `new` after the log's head, append them in one transaction, then
    record the last head in the anchor (when an `atomic` block around them
    commits: a block that fails leaves neither)."""
    with _chaining:
        return _chained(wh, new)


def _chained(wh, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last = _head(wh)
    chained, previous = [], last.hash
    for seq, entry in enumerate(new, start=last.entries + 1):
        entry = {"seq": seq} | entry
        entry |= {"prev_hash": previous, "hash": entry_hash(previous, entry)}
        chained.append(entry)
        previous = entry["hash"]
    table = pa.Table.from_pylist(chained, schema=_arrow_schema(wh))
    with wh.store.transaction() as tx:
        tx.append("entrepot", "audit_log", wh.store.from_arrow(table))
    done = Head(chained[-1]["seq"], previous)  # anchored once committed
    wh.store.after_commit(lambda: record_head(anchor_path(wh), done))
    return chained


class AuditQueue:
    """The deferred entries of one warehouse, in the order they were accepted."""

    def __init__(self, place: tuple) -> None:
        self._place = place
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one flush at a time: seqs in order
        self._pending: list[dict[str, Any]] = []
        self._since: float | None = None  # when the oldest pending was accepted
        self._open = True

    def add(self, entry: dict[str, Any]) -> bool:
        """Queue `entry`; False once the queue is closed (write it at once)."""
        with self._lock:
            if self._open:
                self._pending.append(entry)
                self._since = self._since or time.monotonic()
            return self._open

    def __len__(self) -> int:
        return len(self._pending)

    def age(self) -> float:
        """Seconds since the oldest pending entry was accepted (0: none)."""
        since = self._since
        return 0.0 if since is None else time.monotonic() - since

    def flush(self, wh) -> int:
        """Write the pending entries in one transaction; how many. Entries
        that could not be written stay queued, first."""
        with self._writing:
            with self._lock:
                taken, self._pending, self._since = self._pending, [], None
            if not taken:
                return 0
            try:
                _write(wh, taken)
            except BaseException:
                with self._lock:
                    self._pending[:0] = taken
                    self._since = time.monotonic()
                raise
            return len(taken)

    def close(self, wh) -> None:
        """Write what is pending, and write later entries at once."""
        with self._lock:
            self._open = False
        _queues.pop(self._place, None)
        self.flush(wh)


_queues: dict[tuple, AuditQueue] = {}


def _place(wh) -> tuple:
    return (wh.uri.engine, wh.uri.path.resolve())


def defer_audit(wh) -> AuditQueue:
    """Queue this process's entries of `wh` instead of writing each at once
    (a server: its answers do not wait for the disk). The owner writes the
    queue (`AuditQueue.flush`) off the request path, and `close`s it when it
    stops; any read of the log writes it first."""
    place = _place(wh)
    return _queues.setdefault(place, AuditQueue(place))


def _flush(wh) -> None:
    """Write the entries of `wh` still queued, before the log is read."""
    queue = _queues.get(_place(wh))
    if queue is not None:
        queue.flush(wh)


def _arrow_schema(wh) -> pa.Schema:
    # created in a warehouse made by another tool: its first output is audited too
    return ensure_table(wh, "audit_log").schema().to_pyarrow()


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
    """Entries in order, filtered (an action filter matches its prefix); none
    in a warehouse made by another tool (it has no audit log)."""
    _flush(wh)
    if not wh.has_table("audit_log"):
        return []
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
    if limit:  # the last ones, chosen by the engine
        return t.order_by(ibis.desc(t.seq)).limit(limit).to_pyarrow().to_pylist()[::-1]
    return t.order_by(t.seq).to_pyarrow().to_pylist()


#: Audit entries `verify` reads at a time.
VERIFY_BATCH = 10_000


def verify(
    wh,
    *,
    expect_head: str | None = None,
    anchor: Path | None = None,
    batch_size: int = VERIFY_BATCH,
) -> dict[str, Any]:
    """`{"ok", "entries", "first_bad", "anchor"}` (and `"expected"` with
    `expect_head`).

    first_bad is the position (1-based, in stored order by seq) of the first
    entry that breaks the chain or differs from a head the anchor recorded;
    `entries + 1` when entries were cut from the end. `anchor`:
    `{"file", "entries", "ok"}` for the anchor file (default `anchor_path`),
    ok None when there is none; `expect_head`: a head hash recorded earlier
    (`head`), which must still be in the chain. The log is read `batch_size`
    entries at a time, so memory does not grow with it.
    """
    if expect_head is not None:
        expect_head = _checked_head(expect_head)
    _flush(wh)  # deferred entries written (and anchored) first
    path = anchor or anchor_path(wh)
    heads = read_heads(path)
    walk = _Walk(_prune_starts(wh), {h.entries for h in heads}, expect_head)
    for row in _stored(wh, batch_size):
        walk.add(row)
    anchored = check_heads(walk.first_seq, walk.entries, walk.anchored, heads)
    bad = [p for p in (walk.first_break, anchored) if p is not None]
    result: dict[str, Any] = {
        "anchor": {
            "file": str(path),
            "entries": heads[-1].entries if heads else None,
            "ok": anchored is None if heads else None,
        }
    }
    if expect_head is not None:
        found = 0 if expect_head == GENESIS else walk.found  # an empty log's head
        result["expected"] = {
            "hash": expect_head,
            "entries": found,
            "ok": found is not None,
        }
        if found is None:
            bad.append(walk.entries + 1)
    first_bad = min(bad, default=None)
    summary = {"ok": first_bad is None, "entries": walk.entries, "first_bad": first_bad}
    return summary | result


def _stored(wh, batch_size: int):
    """The stored entries in order by seq, read `batch_size` at a time."""
    if not wh.has_table("audit_log"):
        return
    t = wh.table("audit_log")
    for batch in t.order_by(t.seq).to_pyarrow_batches(chunk_size=batch_size):
        yield from batch.to_pylist()


class _Walk:
    """One pass over the entries in order: the first that breaks the chain,
    the hashes stored at the seqs the anchor recorded (seq → (position,
    hash)), and the seq of the entry whose hash is `expected`."""

    def __init__(self, starts: dict[int, str], heads: set[int], expected: str | None):
        self.starts, self.heads, self.expected = starts, heads, expected
        self.entries = 0
        self.first_seq: int | None = None
        self.first_break: int | None = None
        self.found: int | None = None
        self.anchored: dict[int, tuple[int, str]] = {}
        self._previous: dict | None = None

    def add(self, row: dict) -> None:
        self.entries += 1
        i, seq, previous = self.entries, row["seq"], self._previous
        if self.first_seq is None:
            self.first_seq = seq
        if seq in self.heads:
            self.anchored[seq] = (i, row["hash"])
        if self.found is None and row["hash"] == self.expected:
            self.found = seq
        self._previous = row
        if self.first_break is not None:
            return
        expected_prev = previous["hash"] if previous else self.starts.get(seq, GENESIS)
        if (
            (previous is not None and seq != previous["seq"] + 1)
            or row["prev_hash"] != expected_prev
            or row["hash"] != entry_hash(row["prev_hash"], row)
        ):
            self.first_break = i


_HASH = re.compile(r"[0-9a-f]{64}")


def _checked_head(expected: str) -> str:
    """A head hash as `entrepot audit head` prints it, lower case."""
    expected = expected.strip().lower()
    if not _HASH.fullmatch(expected):
        raise PrivacyError(
            f"expected head {expected[:80]!r}: a head is 64 hexadecimal digits, "
            "as `entrepot audit head` prints it"
        )
    return expected


def _prune_starts(wh) -> dict[int, str]:
    """seq → prev_hash allowed for the first entry kept after a retention prune."""
    if not wh.has_table("audit_log"):
        return {}
    t = wh.table("audit_log")
    prunes = t.filter(t.action == "audit.prune").select("parameters")
    out = {}
    for row in prunes.to_pyarrow().to_pylist():
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
    _flush(wh)
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
    _flush(wh)  # written before the entries it follows are removed
    t = wh.table("audit_log")
    kept = wh.store.materialize(t.filter(t.seq > through))
    with wh.store.transaction() as tx:
        tx.replace("entrepot", "audit_log", kept)
    return removed
