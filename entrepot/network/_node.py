"""A node's side: the hubs it trusts and the studies they sent.

Both live in the warehouse among its own tables (`entrepot.network_hub`,
`entrepot.network_study`, in `BOOKKEEPING`): created with it, and read as
its other tables are by what reads them all (key rotation).
A study received is pending until the node's administrator accepts or
refuses it; only an accepted study runs, through the node's release gate.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa

from entrepot.errors import AuthenticationError, NetworkError, NotFoundError
from entrepot.network._auth import fingerprint, key_of, new_token
from entrepot.network._study import validate_study
from entrepot.warehouse._warehouse import BOOKKEEPING

HUBS = "network_hub"
STUDIES = "network_study"
PENDING, ACCEPTED, REFUSED, DONE = "pending", "accepted", "refused", "done"


def _rows(wh, name: str) -> list[dict]:
    if name not in wh.store.list_tables("entrepot"):
        return []
    return wh.store.table("entrepot", name).to_pyarrow().to_pylist()


def _write(wh, name: str, rows: list[dict]) -> None:
    """Replace a network table's rows (created in a warehouse made before it)."""
    if name not in wh.store.list_tables("entrepot"):
        wh.store.create_table("entrepot", name, BOOKKEEPING[name])
    table = pa.Table.from_pylist(rows, schema=BOOKKEEPING[name].to_pyarrow())
    with wh.store.transaction() as tx:
        tx.replace("entrepot", name, table)


def issue_token(wh, hub: str, user: str) -> str:
    """A new token for `hub` (replacing any earlier one); only its hash is kept."""
    if not hub.strip() or len(hub) > 100:
        raise NetworkError("a hub's name is 1 to 100 characters")
    token = new_token()
    rows = [r for r in _rows(wh, HUBS) if r["hub"] != hub]
    now = datetime.now(UTC).replace(tzinfo=None)
    rows.append({"hub": hub, "key": key_of(token), "issued_at": now, "issued_by": user})
    _write(wh, HUBS, rows)
    return token


def hub_key(wh, key_id: str | None) -> tuple[str, str]:
    """The hub whose key has this fingerprint, and the key."""
    for row in _rows(wh, HUBS):
        if fingerprint(row["key"]) == key_id:
            return row["hub"], row["key"]
    raise AuthenticationError("no hub holds a token of this node with that key")


def receive(wh, hub: str, body: dict) -> dict:
    """Store a study sent by `hub` as pending (again: its status as it is)."""
    study_id = str(body.get("study_id", ""))
    if not study_id.isalnum() or len(study_id) > 64:
        raise NetworkError("a study's id is 1 to 64 letters or digits")
    study = validate_study(
        {k: v for k, v in body.items() if k != "study_id"}, f"study {study_id}"
    )
    rows = _rows(wh, STUDIES)
    for row in rows:
        if row["study_id"] == study_id and row["hub"] == hub:
            return _public(row)
    row = {
        "study_id": study_id,
        "hub": hub,
        "name": study.name,
        "analysis": study.analysis,
        "body": json.dumps(body),
        "status": PENDING,
        "received_at": datetime.now(UTC).replace(tzinfo=None),
        "decided_at": None,
        "decided_by": None,
    }
    _write(wh, STUDIES, [*rows, row])
    return _public(row)


def _public(row: dict) -> dict:
    return {k: row[k] for k in ("name", "status")} | {
        "id": row["study_id"],
        "hub": row["hub"],
        "analysis": row["analysis"],
        "received_at": str(row["received_at"]),
    }


def list_studies(wh) -> list[dict]:
    """Every study received, oldest first."""
    rows = sorted(_rows(wh, STUDIES), key=lambda r: r["received_at"])
    return [_public(r) for r in rows]


def find_study(wh, study_id: str, hub: str | None = None) -> dict:
    """A study's stored row (sent by `hub` when given)."""
    for row in _rows(wh, STUDIES):
        if row["study_id"] == study_id and hub in (None, row["hub"]):
            return row
    raise NotFoundError(f"no study {study_id!r} on this node")


def set_status(wh, study_id: str, status: str, user: str | None = None) -> dict:
    """Record the administrator's answer (accepted, refused) or the end of
    a run (done). A refused or finished study stays so."""
    rows = _rows(wh, STUDIES)
    row = find_study(wh, study_id)
    if user is not None and row["status"] != PENDING:
        raise NetworkError(f"study {study_id} is {row['status']}, not pending")
    row = row | {"status": status}
    if user is not None:
        row |= {
            "decided_at": datetime.now(UTC).replace(tzinfo=None),
            "decided_by": user,
        }
    _write(wh, STUDIES, [row if r["study_id"] == study_id else r for r in rows])
    return _public(row)
