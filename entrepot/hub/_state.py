"""The hub's state: one SQLite file in its folder (`hub.sqlite`).

Nodes (name, URL, the key of the token each issued, a CA file for TLS),
studies as sent, each node's status and answer, every message exchanged
(what each node sent, byte for byte), and the hub's audit log.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from entrepot.errors import NetworkError, NotFoundError

SCHEMA = """
create table if not exists node (
    name text primary key, url text not null, key text not null,
    ca_file text, added_at text not null);
create table if not exists study (
    id text primary key, name text not null, analysis text not null,
    body text not null, combined text, created_at text not null);
create table if not exists node_study (
    study_id text not null, node text not null, status text not null,
    result text, detail text, updated_at text not null,
    primary key (study_id, node));
create table if not exists message (
    id integer primary key autoincrement, at text not null, study_id text,
    node text not null, direction text not null, path text not null,
    status integer, body blob not null);
create table if not exists audit (
    id integer primary key autoincrement, at text not null, action text not null,
    study_id text, node text, detail text);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class HubState:
    """The hub's folder, created on first use (readable by its owner only)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as e:
            raise NetworkError(
                f"{folder}: cannot use as the hub's state: {e.strerror}"
            ) from None
        self.path = self.folder / "hub.sqlite"
        fresh = not self.path.exists()
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        if fresh:
            os.chmod(self.path, 0o600)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> HubState:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def audit(self, action: str, study_id=None, node=None, detail=None) -> None:
        self.db.execute(
            "insert into audit (at, action, study_id, node, detail) values (?,?,?,?,?)",
            (_now(), action, study_id, node, json.dumps(detail) if detail else None),
        )

    def add_node(self, name: str, url: str, key: str, ca_file: str | None) -> None:
        self.db.execute(
            "insert or replace into node values (?,?,?,?,?)",
            (name, url.rstrip("/"), key, ca_file, _now()),
        )
        self.audit("add-node", node=name, detail={"url": url})

    def nodes(self) -> list[dict]:
        rows = self.db.execute("select * from node order by name").fetchall()
        return [dict(r) for r in rows]

    def add_study(self, study_id: str, body: dict) -> None:
        self.db.execute(
            "insert into study (id, name, analysis, body, created_at) values (?,?,?,?,?)",
            (study_id, body["name"], body["analysis"], json.dumps(body), _now()),
        )
        self.audit("send", study_id, detail={"name": body["name"]})

    def study(self, study_id: str) -> dict:
        row = self.db.execute(
            "select * from study where id = ?", (study_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no study {study_id!r} in {self.folder}")
        return dict(row) | {"body": json.loads(row["body"])}

    def studies(self) -> list[dict]:
        rows = self.db.execute("select * from study order by created_at desc")
        return [dict(r) for r in rows.fetchall()]

    def set_combined(self, study_id: str, combined: dict) -> None:
        self.db.execute(
            "update study set combined = ? where id = ?",
            (json.dumps(combined), study_id),
        )

    def set_node(self, study_id, node, status, result=None, detail=None) -> None:
        self.db.execute(
            "insert or replace into node_study values (?,?,?,?,?,?)",
            (
                study_id,
                node,
                status,
                None if result is None else json.dumps(result),
                detail,
                _now(),
            ),
        )

    def node_statuses(self, study_id: str) -> dict[str, dict]:
        rows = self.db.execute(
            "select * from node_study where study_id = ?", (study_id,)
        ).fetchall()
        return {
            r["node"]: dict(r) | {"result": r["result"] and json.loads(r["result"])}
            for r in rows
        }

    def log(self, study_id, node, direction, path, status, body: bytes) -> None:
        """A message sent or received, as it went over the wire."""
        self.db.execute(
            "insert into message (at, study_id, node, direction, path, status, body)"
            " values (?,?,?,?,?,?,?)",
            (_now(), study_id, node, direction, path, status, body),
        )

    def messages(self, direction: str | None = None) -> list[dict]:
        rows = self.db.execute("select * from message order by id").fetchall()
        return [dict(r) for r in rows if direction in (None, r["direction"])]
