"""Which schema revision a warehouse is at, and the migrations between revisions.

Each warehouse records, in `entrepot.schema_revision`, every revision it was
brought to and the entrepot version that did it. A warehouse with entrepot's
own tables but no record was written by entrepot 0.1.0 before revisions were
recorded: revision 0. A database with none of entrepot's tables (new, or
another tool's OMOP CDM) is stamped with this code's revision when entrepot
first creates one of its tables in it.

A migration takes a warehouse from revision N-1 to N; `MIGRATIONS` lists them
in order and `REVISION` is the one this code writes. An older warehouse is
read as it is, and written only once `entrepot upgrade` migrated it (its
audit log excepted: reading it is audited); a newer one is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import ibis
import pyarrow as pa

from entrepot.errors import WarehouseRevisionError

TABLE = "schema_revision"
COLUMNS = ibis.schema(
    {
        "revision": "int64",
        "entrepot_version": "string",
        "written_at": "timestamp",
        "summary": "string",
    }
)


@dataclass(frozen=True)
class Migration:
    """One step: `apply(wh)` takes a warehouse to `revision` from the one before."""

    revision: int
    summary: str
    apply: Callable[[object], None]


def _record_revisions(wh) -> None:
    """Revision 1: the `schema_revision` table itself."""
    wh.store.create_table("entrepot", TABLE, COLUMNS)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "record the schema revision and the entrepot version", _record_revisions
    ),
)
#: The revision this code reads and writes.
REVISION = MIGRATIONS[-1].revision
#: Revision 0, as its warehouses were described when revisions began.
UNRECORDED = "written by entrepot 0.1.0 before versions were recorded"


def revision_of(store) -> int | None:
    """The warehouse's revision: 0 when unrecorded, None when it has none of
    entrepot's tables."""
    tables = store.list_tables("entrepot")
    if TABLE not in tables:
        return 0 if tables else None
    found = store.table("entrepot", TABLE).revision.max().to_pyarrow().as_py()
    return int(found or 0)


def check(store, where: str) -> None:
    """Refuse a newer revision; let an older one be read only; stamp an
    unversioned database when entrepot first writes one of its tables."""
    revision = revision_of(store)
    if revision is None:
        store.stamp = lambda: stamp_revision(
            store, REVISION, "first written by entrepot"
        )
    elif revision > REVISION:
        store.close()
        raise WarehouseRevisionError(
            f"{where} is at schema revision {revision}, newer than this entrepot "
            f"({_version()}, revision {REVISION}) knows: upgrade entrepot"
        )
    elif revision < REVISION:
        store.outdated = (
            f"{where} is at schema revision {revision} ("
            + (UNRECORDED if revision == 0 else "an older entrepot")
            + f"), this entrepot {_version()} writes revision {REVISION}: "
            f"run `entrepot upgrade -w {where}` first (it takes a backup)"
        )


def stamp_revision(store, revision: int, summary: str) -> None:
    """Record that the warehouse is now at `revision`, written by this code."""
    if TABLE not in store.list_tables("entrepot"):
        store.create_table("entrepot", TABLE, COLUMNS)
    row = {
        "revision": revision,
        "entrepot_version": _version(),
        "written_at": datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        "summary": summary,
    }
    rows = pa.Table.from_pylist([row], schema=COLUMNS.to_pyarrow())
    with store.transaction() as tx:
        tx.append("entrepot", TABLE, store.from_arrow(rows))


def pending_migrations(
    store, migrations: Sequence[Migration] = MIGRATIONS
) -> list[Migration]:
    """The migrations a warehouse still needs, in order."""
    revision = revision_of(store) or 0
    return [m for m in migrations if m.revision > revision]


def revision_history(store) -> list[dict]:
    """Every revision recorded, oldest first (none for revision 0)."""
    if TABLE not in store.list_tables("entrepot"):
        return []
    rows = store.table("entrepot", TABLE).to_pyarrow().to_pylist()
    return sorted(rows, key=lambda r: (r["revision"], r["written_at"]))


def _version() -> str:
    from entrepot import __version__

    return __version__
