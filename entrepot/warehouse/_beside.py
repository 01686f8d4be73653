"""Files kept beside the warehouse (the identity vault), replaced with its
atomic units.

Inside a unit, `write_beside` writes the file's new content as
`<file>.pending` (flushed to disk, and locked by its process while the unit
runs) and records its SHA-256 in the unit (`entrepot.file_beside`). Once the
unit commits, the pending file is renamed into place; if the unit fails, it is
removed. A process killed in between leaves it: the next open of the
warehouse (`settle`) renames it into place if its digest is the one the
warehouse committed, else removes it, and says so in one line of the log.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import logging
import os
from pathlib import Path
from typing import BinaryIO

import ibis
import pyarrow as pa

from entrepot.errors import WarehouseBusyError
from entrepot.warehouse._store import pause_point

TABLE = "file_beside"
COLUMNS = ibis.schema({"name": "string", "sha256": "string"})
#: `$ENTREPOT_PAUSE_AFTER` value that pauses a unit once a file beside is staged.
STAGED = "beside"
log = logging.getLogger(__name__)
#: The pending files of this process's running units, open and locked.
_held: dict[Path, BinaryIO] = {}


def _pending(path: Path) -> Path:
    return path.with_name(path.name + ".pending")


def read_beside(path: Path) -> bytes | None:
    """The file's content as the current unit of this process wrote it, else
    as it is; None when there is none."""
    held = _held.get(path)
    if held is not None:
        held.seek(0)
        return held.read()
    return path.read_bytes() if path.is_file() else None


def write_beside(wh, path: Path, data: bytes) -> None:
    """Replace `path` (owner-readable only) with `data` when the current
    atomic unit commits (a unit of its own outside one)."""
    with wh.store.atomic():
        held = _held.get(path)
        if held is None:
            held = _held[path] = _locked(_pending(path))
            wh.store.after_commit(
                lambda: _end(path, commit=True), otherwise=lambda: _end(path)
            )
        held.seek(0)
        held.truncate()
        held.write(data)
        held.flush()
        os.fsync(held.fileno())
        _record(wh, path.name, hashlib.sha256(data).hexdigest())
        pause_point(STAGED, wh.uri.path.with_name(f"{wh.uri.path.name}.paused"))


def _locked(pending: Path) -> BinaryIO:
    """The pending file, opened and locked (one left by a killed process
    is written over)."""
    f = os.fdopen(os.open(pending, os.O_RDWR | os.O_CREAT, 0o600), "r+b")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise WarehouseBusyError(
            f"{pending}: another process is writing it; try again once it is done"
        ) from None
    return f


def _end(path: Path, *, commit: bool = False) -> None:
    """The unit ended: its pending file renamed into place, or removed."""
    held = _held.pop(path)
    try:
        if commit:
            os.replace(_pending(path), path)
            _sync_folder(path.parent)
        else:
            _pending(path).unlink(missing_ok=True)
    finally:
        held.close()


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _record(wh, name: str, digest: str) -> None:
    """The file's new digest, as a write of the current unit."""
    if not wh.has_table(TABLE):
        wh.store.create_table("entrepot", TABLE, COLUMNS)
    rows = [r for r in wh.table(TABLE).to_pyarrow().to_pylist() if r["name"] != name]
    rows.append({"name": name, "sha256": digest})
    with wh.store.transaction() as tx:
        tx.replace("entrepot", TABLE, pa.Table.from_pylist(rows, COLUMNS.to_pyarrow()))


def _committed(wh, name: str) -> str | None:
    if not wh.has_table(TABLE):
        return None
    t = wh.table(TABLE)
    rows = t.filter(t.name == name).sha256.to_pyarrow().to_pylist()
    return rows[0] if rows else None


def settle(wh) -> list[Path]:
    """Finish or undo what killed units left pending beside the warehouse
    (those of running units, locked, are left alone). Returns the files put
    in place."""
    where = wh.uri.path
    done = []
    for pending in sorted(where.parent.glob(f"{glob.escape(where.name)}.*.pending")):
        path = pending.with_name(pending.name.removesuffix(".pending"))
        if path in _held:
            continue
        try:
            f = pending.open("rb")
        except FileNotFoundError:
            continue
        with f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a running unit's
            try:
                same = os.path.samestat(os.fstat(f.fileno()), pending.stat())
            except FileNotFoundError:
                same = False
            if not same:
                continue  # its unit ended meanwhile
            digest = hashlib.sha256(f.read()).hexdigest()
            if digest == _committed(wh, path.name):
                os.replace(pending, path)
                done.append(path)
                log.warning("%s: put in place, its unit had committed", path)
            else:
                pending.unlink()
                log.warning("%s: left as it was, its unit had not committed", path)
    return done
