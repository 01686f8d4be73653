"""Backups of a warehouse: its tables, its audit anchor, its search index and
its slides.

A backup is a folder: `warehouse/` (the DuckDB file, or the Parquet folders
of a Spark warehouse), `audit-anchor`, `search/` and `slides/` (the
registered whole-slide images, unless left out) when they exist, and
`manifest.json` (what was copied, each file's size and SHA-256, the schema
revision, the audit log's head, and whether the slides were left out).

Consistency: on DuckDB the copy is taken while this process holds the file
(DuckDB has one writer; a server lets it go for the time of the backup),
after a CHECKPOINT that moves every committed write from the write-ahead log
into the file: a copy of the file is then the whole database, byte for byte,
and the index, anchor and slides cannot move meanwhile (they are written only
while the file is held). DuckDB's EXPORT DATABASE or COPY FROM DATABASE would
rewrite the data instead of copying it (not byte for byte) and take longer.
On Spark nothing holds the folders: the files (slides included) are listed
before and after the copy, which is taken again when a write committed
meanwhile (Parquet files are never changed in place, only added, renamed or
removed).

Restoring checks every file against the manifest, copies the backup beside
the target, then renames it into place: a failure before the renames leaves
the target as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from entrepot.errors import BackupError, MissingDependencyError, first_line
from entrepot.privacy import ANCHOR_ENV, anchor_path, audit_head
from entrepot.warehouse import REVISION, Warehouse, resolve, revision_of

MANIFEST = "manifest.json"
TABLES = "warehouse"
ANCHOR = "audit-anchor"
SEARCH = "search"
SLIDES = "slides"
FORMAT = 1
#: Copies of a Spark warehouse tried before giving up on a moving target.
TRIES = 3


def backup(wh: Warehouse, dest: Path, *, slides: bool = True) -> dict:
    """Copy the open warehouse (tables, anchor, index, and the slides unless
    `slides` is false) to the new folder `dest`, all or nothing; the
    manifest."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest}: already exists; a backup goes to a new folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.partial-{uuid.uuid4().hex[:8]}")
    partial.mkdir(mode=0o700)
    try:
        manifest = _copy_consistent(wh, partial, slides)
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1))
        if dest.exists():
            dest.rmdir()
        partial.rename(dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _copy_consistent(wh: Warehouse, out: Path, slides: bool) -> dict:
    wh.store.checkpoint()
    watched = [*wh.store.files(), *([_slide_folder(wh)] if slides else [])]
    for _ in range(TRIES):
        before = _listing(watched)
        described = {  # read after the listing: a write since is seen below
            "format": FORMAT,
            "engine": wh.engine,
            "warehouse": str(wh.uri),
            "taken_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "entrepot_version": _version(),
            "revision": revision_of(wh.store),
            "audit_head": audit_head(wh).as_dict(),
            "slides": "included" if slides else "left out",
        }
        files = _copy_all(wh, out, slides)
        if _listing(watched) == before:
            return described | {"files": files}
        for child in out.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    raise BackupError(
        f"{wh.uri} changed during each of {TRIES} copies: take the backup "
        "when no load runs"
    )


def _copy_all(wh: Warehouse, out: Path, slides: bool) -> dict[str, dict]:
    """Copy tables, anchor, index and (if `slides`) slides into `out`; each
    file's size and hash."""
    sources = {f"{TABLES}/{p.name}": p for p in wh.store.files()}
    anchor = anchor_path(wh)
    if anchor.is_file():
        sources[ANCHOR] = anchor
    index = _index_path(wh)
    if index is not None and index.is_dir():
        sources[SEARCH] = index
    if slides and _slide_folder(wh).is_dir():
        sources[SLIDES] = _slide_folder(wh)
    files = {}
    for name, source in sources.items():
        files |= _copy(source, out / name, name)
    return files


def _copy(source: Path, target: Path, name: str) -> dict[str, dict]:
    """Copy a file or folder, hashing each file as it is read."""
    if source.is_dir():
        found = {}
        target.mkdir(parents=True)
        for child in sorted(source.iterdir()):
            found |= _copy(child, target / child.name, f"{name}/{child.name}")
        return found
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as src, target.open("wb") as dst:
        while block := src.read(1 << 20):
            digest.update(block)
            dst.write(block)
            size += len(block)
        dst.flush()
        os.fsync(dst.fileno())
    return {name: {"bytes": size, "sha256": digest.hexdigest()}}


def _listing(paths: list[Path]) -> dict[str, tuple[int, int]]:
    """Every file under `paths`, with its size and modification time."""
    found = {}
    for path in paths:
        files = [path] if path.is_file() else sorted(path.rglob("*"))
        for f in files:
            if f.is_file():
                stat = f.stat()
                found[str(f)] = (stat.st_size, stat.st_mtime_ns)
    return found


def read_manifest(src: Path) -> dict:
    """The manifest of the backup at `src`, every file checked against it."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BackupError(f"{src}: not an entrepot backup ({first_line(e)})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: backup format {manifest.get('format')} is unknown")
    for name, expected in files.items():
        path = src / name
        digest = hashlib.sha256()
        try:
            with path.open("rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
        except OSError:
            raise BackupError(
                f"{src}: {name} is missing: the backup is damaged"
            ) from None
        if digest.hexdigest() != expected["sha256"]:
            raise BackupError(
                f"{src}: {name} differs from the manifest: the backup is damaged"
            )
    return manifest


def restore(src: Path, uri: str, authorise, *, force: bool = False) -> dict:
    """Replace the warehouse at `uri` (none, or with `force` any) by the backup
    at `src`, with its anchor, index and slides; `authorise(wh)` gives the
    caller's decision on the current warehouse, or on the backup when there
    is none.
    The restored warehouse's audit log gets an entry `restore`."""
    location = resolve(uri)
    current = _current(location)
    try:
        decision = None if current is None else authorise(current)
        if current is not None and not force:
            raise BackupError(
                f"{location} is not empty: give --force to replace it by the backup"
            )
        manifest = read_manifest(src)
        _check_fits(manifest, src, location)
        staged = stage(Path(src), location)
        try:
            if current is None:
                with _open(staged / TABLES, location) as copy:
                    decision = authorise(copy)
            else:
                current.store.checkpoint()
            replaced = put_in_place(staged / TABLES, manifest, location)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
    finally:
        if current is not None:
            current.close()
    with Warehouse.open(uri) as wh:
        kept = _put_beside(staged, wh)
        shutil.rmtree(staged, ignore_errors=True)
        for old in replaced:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        result = {
            "warehouse": str(location),
            "backup": str(src),
            "taken_at": manifest["taken_at"],
            "revision": manifest["revision"],
            "audit_head": manifest["audit_head"],
            "replaced": current is not None,
        } | kept
        decision.released(wh, "restore", result)
    return result


def _check_fits(manifest: dict, src: Path, location) -> None:
    """Refuse a backup of another engine, or of a revision this code cannot open."""
    if manifest["engine"] != location.engine:
        raise BackupError(
            f"{src} is a backup of a {manifest['engine']} warehouse, "
            f"{location} is a {location.engine} one"
        )
    if (manifest["revision"] or 0) > REVISION:
        raise BackupError(
            f"{src} is a backup of schema revision {manifest['revision']}, newer "
            f"than this entrepot knows ({REVISION}): restore it with a newer entrepot"
        )


def _current(location) -> Warehouse | None:
    """The warehouse at the target, held (None when there is none)."""
    if not location.path.exists():
        return None
    if location.path.is_dir() and not any(location.path.iterdir()):
        return None
    return Warehouse.open(str(location))


def stage(src: Path, location) -> Path:
    """A copy of the backup beside the target, on the same file system."""
    location.path.parent.mkdir(parents=True, exist_ok=True)
    staged = location.path.with_name(
        f".{location.path.name}.restoring-{uuid.uuid4().hex[:8]}"
    )
    try:
        shutil.copytree(src, staged)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged


def _place(location, name: str) -> Path:
    """Where a backup's `warehouse/NAME` goes for the warehouse at `location`."""
    return location.path if location.engine == "duckdb" else location.path / name


def _open(tables: Path, location) -> Warehouse:
    """The staged copy, opened as a warehouse."""
    only = next(tables.iterdir())
    return Warehouse.open(only if location.engine == "duckdb" else f"spark:{tables}")


def put_in_place(tables: Path, manifest: dict, location) -> list[Path]:
    """Rename the staged tables into place (those of the manifest: opening
    the copy may have left an anchor beside it); what they replaced."""
    replaced = []
    if location.engine == "spark":
        location.path.mkdir(exist_ok=True)
    names = {n.split("/")[1] for n in manifest["files"] if n.startswith(f"{TABLES}/")}
    for name in sorted(names):
        staged, target = tables / name, _place(location, name)
        if target.exists():
            old = target.with_name(f".{target.name}.replaced-{uuid.uuid4().hex[:8]}")
            target.rename(old)
            replaced.append(old)
        staged.rename(target)
    return replaced


def _put_beside(staged: Path, wh: Warehouse) -> dict:
    """The backup's index (or none), slides (if any) and anchor in place for
    the restored warehouse; the slides and anchor they replace set aside."""
    index = _index_path(wh)
    if index is not None:
        shutil.rmtree(index, ignore_errors=True)  # the replaced warehouse's
        if (staged / SEARCH).is_dir():
            (staged / SEARCH).rename(index)
    slides = None  # a backup without slides (or left out) leaves the folder
    if (staged / SLIDES).is_dir():
        slides = _set_aside(_slide_folder(wh))
        (staged / SLIDES).rename(_slide_folder(wh))
    kept = {"previous_slides": None if slides is None else str(slides)}
    anchor = anchor_path(wh)
    if os.environ.get(ANCHOR_ENV):
        return kept | {"anchor": f"{anchor} (${ANCHOR_ENV}) kept as it was"}
    previous = _set_aside(anchor)
    if (staged / ANCHOR).is_file():
        (staged / ANCHOR).rename(anchor)
    return kept | {
        "anchor": str(anchor),
        "previous_anchor": None if previous is None else str(previous),
    }


def _set_aside(path: Path) -> Path | None:
    """Rename `path`, when it exists, to `PATH.before-restore-TIME`: a replaced
    anchor is evidence, replaced slides may be the only copy of an image."""
    if not path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kept = path.with_name(f"{path.name}.before-restore-{stamp}")
    path.rename(kept)
    return kept


def _index_path(wh: Warehouse) -> Path | None:
    """Where the warehouse's search index lives (None without tantivy, which
    builds it)."""
    try:
        from entrepot.search import index_path
    except MissingDependencyError:
        return None
    return index_path(wh)


def _slide_folder(wh: Warehouse) -> Path:
    from entrepot.slides import slide_folder

    return slide_folder(wh)


def _version() -> str:
    from entrepot import __version__

    return __version__
