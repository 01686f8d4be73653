"""The registry of whole-slide images: each slide linked to its person, its
specimen and the procedure of that day (OHDSI's MI-CDM `image_occurrence`),
with what it is (`slide`).

Pseudonymised: a slide is copied into the warehouse's slide folder under an
opaque name (`slide_folder`); its original path and file name are kept
nowhere, nor its label and macro images' content anywhere but in that copy,
which only `_viewer` reads, and only its pyramid levels. Registering is
audited, with slide ids and checksums, never file names.
"""

from __future__ import annotations

import csv
import secrets
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa

from entrepot.errors import InputFileError, NotFoundError, ParameterError
from entrepot.slides._open import (
    SUFFIXES,
    SlideInfo,
    checksum,
    copy_hashed,
    describe,
    levels_json,
    open_slide,
    slide_files,
    stored_parts,
)

#: The manifest `scan` reads in the folder unless told another.
MANIFEST = "manifest.csv"


def slide_folder(wh) -> Path:
    """Where the warehouse keeps its slides: beside a DuckDB file
    (`eds.duckdb.slides/`), inside a Spark warehouse's folder (`slides/`)."""
    path = wh.uri.path
    return (
        path / "slides"
        if wh.engine == "spark"
        else path.with_name(path.name + ".slides")
    )


def registry_table(wh, name: str) -> ir.Table:
    """A registry table, created empty in a warehouse made before it."""
    from entrepot.warehouse._warehouse import BOOKKEEPING

    if not wh.has_table(name):
        wh.store.create_table("entrepot", name, BOOKKEEPING[name])
    return wh.table(name)


@dataclass(frozen=True)
class _Link:
    """Whose slide, of which specimen and procedure, on which day."""

    person_id: int
    day: date
    specimen_id: int | None
    procedure_occurrence_id: int | None
    visit_occurrence_id: int | None


def _one(rows: ir.Table) -> dict | None:
    found = rows.limit(1).to_pyarrow().to_pylist()
    return found[0] if found else None


def link(
    wh,
    *,
    specimen_id: int | None = None,
    person_id: int | None = None,
    day: date | None = None,
) -> _Link:
    """The slide's person and day, from its specimen or given; the
    procedure of that person that day, if any. Unknown ones are refused."""
    if (specimen_id is None) == (person_id is None) or (
        person_id is not None and day is None
    ):
        raise ParameterError("give --specimen, or --person with --date")
    if specimen_id is not None:
        s = wh.table("specimen")
        found = _one(s.filter(s.specimen_id == specimen_id))
        if found is None:
            raise NotFoundError(f"specimen {specimen_id}: no such specimen")
        person_id, day = found["person_id"], found["specimen_date"]
    else:
        p = wh.table("person")
        if _one(p.filter(p.person_id == person_id)) is None:
            raise NotFoundError(f"person {person_id}: no such person")
    p = wh.table("procedure_occurrence")
    p = p.filter((p.person_id == person_id) & (p.procedure_date == day))
    procedure = _one(p.order_by("procedure_occurrence_id"))
    return _Link(
        person_id,
        day,
        specimen_id,
        procedure and procedure["procedure_occurrence_id"],
        procedure and procedure["visit_occurrence_id"],
    )


def _read(path: Path) -> SlideInfo:
    slide = open_slide(path)
    try:
        return describe(slide)
    finally:
        slide.close()


def _registered(wh) -> dict[str, int]:
    """Checksum -> slide id of every registered slide."""
    t = registry_table(wh, "slide").select("checksum", "image_occurrence_id")
    return {r["checksum"]: r["image_occurrence_id"] for r in t.to_pyarrow().to_pylist()}


def _next_id(wh) -> int:
    t = registry_table(wh, "image_occurrence")
    top = t.image_occurrence_id.max().to_pyarrow().as_py()
    return int(top or 0) + 1


def _uid() -> str:
    """A DICOM UID of our own (2.25 + a random UUID): never the scanner's,
    which the hospital's systems could link back."""
    return f"2.25.{uuid.uuid4().int}"


def register(wh, decision, files: Sequence[Path], links: Sequence[_Link]) -> list[dict]:
    """Register slides, each with its link: all or none. Each file is read
    first (an unreadable one registers nothing), then copied under an
    opaque name, then recorded in one transaction; audited as
    `slides.register`. `[{"slide_id", "width", "height", "levels", "mpp"}]`."""
    infos = [_read(Path(f)) for f in files]
    folder = slide_folder(wh)
    folder.mkdir(parents=True, exist_ok=True)
    known = _registered(wh)
    first, now = _next_id(wh), datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    copied: list[Path] = []
    occurrences, slides = [], []
    try:
        for i, (source, info, where) in enumerate(
            zip(files, infos, links, strict=True)
        ):
            name = secrets.token_hex(16) + Path(source).suffix.lower()
            target = folder / name
            copied.append(target)
            digest = copy_hashed(Path(source), target)
            if digest in known:
                raise InputFileError(
                    f"{Path(source).name}: already registered as slide {known[digest]}"
                )
            known[digest] = first + i
            occurrences.append(_occurrence(first + i, where, name))
            slides.append(_slide(first + i, where, info, digest, target, now))
        with wh.store.transaction() as tx:
            for table, rows in (("image_occurrence", occurrences), ("slide", slides)):
                schema = registry_table(wh, table).schema().to_pyarrow()
                data = pa.Table.from_pylist(rows, schema=schema)
                tx.append("entrepot", table, wh.store.from_arrow(data))
    except BaseException:
        for part in (p for target in copied for p in stored_parts(target)):
            shutil.rmtree(part) if part.is_dir() else part.unlink(missing_ok=True)
        raise
    found = [
        {
            "slide_id": s["image_occurrence_id"],
            "width": s["width"],
            "height": s["height"],
            "levels": len(info.levels),
            "mpp": s["mpp"],
        }
        for s, info in zip(slides, infos, strict=True)
    ]
    decision.released(
        wh,
        "slides.register",
        {
            "slides": [s["image_occurrence_id"] for s in slides],
            "checksums": [s["checksum"] for s in slides],
        },
        rows=len(slides),
        persons=len({w.person_id for w in links}),
    )
    return found


def _occurrence(slide_id: int, where: _Link, name: str) -> dict:
    return {
        "image_occurrence_id": slide_id,
        "person_id": where.person_id,
        "procedure_occurrence_id": where.procedure_occurrence_id,
        "visit_occurrence_id": where.visit_occurrence_id,
        "anatomic_site_concept_id": 0,
        "local_path": name,
        "image_occurrence_date": where.day,
        "image_study_uid": _uid(),
        "image_series_uid": _uid(),
        "modality_concept_id": 0,  # slide microscopy (DICOM SM): no standard concept bundled
    }


def _slide(
    slide_id: int, where: _Link, info: SlideInfo, digest: str, target: Path, now
) -> dict:
    size = sum(p.stat().st_size for p in slide_files(target))
    return {
        "image_occurrence_id": slide_id,
        "specimen_id": where.specimen_id,
        "format": info.format,
        "scanner": info.scanner,
        "objective_power": info.objective_power,
        "mpp": info.mpp,
        "width": info.width,
        "height": info.height,
        "levels": levels_json(info),
        "stain": info.stain,
        "checksum": digest,
        "bytes": size,
        "registered_at": now,
    }


def add(
    wh,
    decision,
    files: Sequence[Path],
    *,
    specimen_id: int | None = None,
    person_id: int | None = None,
    day: date | None = None,
) -> list[dict]:
    """Register files of one specimen (or one person and day)."""
    where = link(wh, specimen_id=specimen_id, person_id=person_id, day=day)
    return register(wh, decision, files, [where] * len(files))


def _inside(folder: Path, name: str) -> Path:
    """`name` of a manifest, as a path inside `folder`: a path that leaves it
    (absolute, `..`, a link outside) is refused."""
    root = folder.resolve()
    path = (folder / name).resolve()
    if Path(name).is_absolute() or not path.is_relative_to(root) or path == root:
        raise InputFileError(f"manifest: {name!r} is not a path inside {folder}")
    return path


def _manifest(folder: Path, manifest: Path | None) -> list[tuple[Path, dict]]:
    """The manifest's rows: (file, its link fields), files checked inside the folder."""
    path = Path(manifest) if manifest is not None else folder / MANIFEST
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise InputFileError(
            f"{path}: no manifest (columns file, and specimen_id or person_id and date)"
        ) from None
    found = []
    for n, row in enumerate(rows, start=2):
        name = (row.get("file") or "").strip()
        if not name:
            raise InputFileError(f"{path}: line {n}: no file")
        found.append((_inside(folder, name), _fields(row, f"{path}: line {n}")))
    return found


def _fields(row: dict, where: str) -> dict:
    try:
        if (row.get("specimen_id") or "").strip():
            return {"specimen_id": int(row["specimen_id"])}
        return {
            "person_id": int(row["person_id"]),
            "day": date.fromisoformat(row["date"].strip()),
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InputFileError(
            f"{where}: give specimen_id, or person_id and date (YYYY-MM-DD)"
        ) from None


def scan(wh, decision, folder: Path, manifest: Path | None = None) -> dict:
    """Register a folder's slides listed in its manifest, incrementally: a
    file whose checksum is registered is left (unchanged); a new or changed
    one is registered. Every path and link is checked before anything is
    registered. `{"registered", "unchanged", "unlisted", "slides"}`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: no such folder")
    listed = _manifest(folder, manifest)
    for path, _ in listed:
        if not path.exists():
            raise InputFileError(f"manifest: {path.name}: no such file in {folder}")
    known = _registered(wh)
    new = [(p, f) for p, f in listed if checksum(p) not in known]
    links = [link(wh, **fields) for _, fields in new]
    found = register(wh, decision, [p for p, _ in new], links) if new else []
    names = {p for p, _ in listed}
    unlisted = [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in SUFFIXES and p.resolve() not in names
    ]
    return {
        "registered": len(found),
        "unchanged": len(listed) - len(new),
        "unlisted": len(unlisted),
        "slides": found,
    }
