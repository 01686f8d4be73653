"""`entrepot upgrade`: migrate a warehouse to this code's schema revision.

A backup of the tables is taken first (not of the slides: an upgrade
changes tables, never slide files). The migrations (`warehouse.MIGRATIONS`, one small
function per revision) then run in one transaction on DuckDB; on Spark,
which has none, a failure puts the backup's tables back. Either way a
failed upgrade leaves the warehouse at its revision, and says where the
backup is. Each step is audited once committed (an entry written inside the
transaction would be anchored, then rolled back).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from entrepot.errors import WarehouseRevisionError, first_line
from entrepot.operations._backup import (
    TABLES,
    backup,
    put_in_place,
    read_manifest,
    stage,
)
from entrepot.warehouse import (
    MIGRATIONS,
    Migration,
    Warehouse,
    pending_migrations,
    revision_of,
    stamp_revision,
)


def default_backup(wh: Warehouse) -> Path:
    """Where `upgrade` puts its backup unless told: beside the warehouse."""
    at = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = wh.uri.path
    return path.with_name(f"{path.name}.before-upgrade-{at}")


def upgrade(
    wh: Warehouse,
    decision,
    backup_to: Path | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> dict:
    """Back the warehouse up (its slides left out), then apply every pending
    migration, all or none; `{"from", "to", "steps", "backup", "slides"}`."""
    start = revision_of(wh.store) or 0
    steps = pending_migrations(wh.store, migrations)
    if not steps:
        return {"from": start, "to": start, "steps": [], "backup": None}
    dest = Path(backup_to) if backup_to is not None else default_backup(wh)
    backup(wh, dest, slides=False)  # recorded in the entries below: on Spark a failure
    # puts the backup's audit log back, so no entry is written in between
    try:
        with wh.store.migrating():
            for step in steps:
                step.apply(wh)
                stamp_revision(wh.store, step.revision, step.summary)
    except Exception as e:
        if not wh.store.transactional:
            staged = stage(dest, wh.uri)
            for old in put_in_place(staged / TABLES, read_manifest(dest), wh.uri):
                shutil.rmtree(old)
            shutil.rmtree(staged)
            wh.store.close()  # forget views of the tables put back
        failed = {"from": start, "backup": str(dest), "error": first_line(e)}
        decision.released(wh, "upgrade.failed", failed)
        raise WarehouseRevisionError(
            f"{wh.uri}: upgrade from revision {start} failed ({first_line(e)}); "
            f"the warehouse was left as it was, a backup is in {dest}"
        ) from None
    done = []
    for step in steps:
        entry = {
            "from": step.revision - 1,
            "to": step.revision,
            "summary": step.summary,
        }
        decision.released(wh, "upgrade", entry | {"backup": str(dest)})
        done.append(entry)
    return {
        "from": start,
        "to": steps[-1].revision,
        "steps": done,
        "backup": str(dest),
        "slides": "left out",
    }
