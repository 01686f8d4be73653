"""Build and update the full-text index of a warehouse's notes, incrementally.

The index lives beside the warehouse (`eds.duckdb` -> `eds.duckdb.search/`).
Its state says which version of each note is indexed: a folder of Parquet
parts, each batch's one tantivy commit followed by a part of its notes (a note
removed gets a part without fingerprint), compacted into one part at the end
of a run. A run stopped midway leaves a consistent index, and the next run
redoes only what is missing. The engine compares the state with the notes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq
import tantivy

from entrepot.errors import SearchIndexError
from entrepot.nlp._changes import (
    note_fingerprints,
    pages,
    pending,
    read_notes,
)
from entrepot.nlp._pipeline import VERSION as PIPELINE_VERSION
from entrepot.nlp._text import unreadable
from entrepot.search._schema import (
    VERSION,
    day_number,
    note_type_key,
    open_index,
    split_by_context,
)
from entrepot.warehouse import among

_STATE = "state"  # a folder of parts: note_id, fingerprint, seq
_OLD_STATE = "notes.parquet"  # one file, before the state was kept in parts
_STATE_SCHEMA = pa.schema(
    [("note_id", pa.int64()), ("fingerprint", pa.string()), ("seq", pa.int64())]
)
_META = "entrepot.json"
_CHUNK = 256
_COLUMNS = ("person_id", "note_date", "note_title", "note_text")
_opened: dict[Path, tantivy.Index] = {}  # indexes opened by this process


def index_path(wh) -> Path:
    """Where a warehouse's search index lives."""
    if wh.engine == "duckdb":
        return Path(f"{wh.uri.path}.search")
    return Path(wh.uri.path) / "search"


def _current(path: Path) -> bool:
    """Whether an index of this layout is at `path`."""
    meta = path / _META
    return meta.exists() and json.loads(meta.read_text()).get("version") == VERSION


def _parts(path: Path) -> list[Path]:
    """The state's parts, oldest first (an older single file becomes the first)."""
    old = path / _OLD_STATE
    if old.exists():
        table = pq.read_table(old)
        seq = pa.array([0] * table.num_rows, pa.int64())
        _write_part(path, table.append_column("seq", seq).cast(_STATE_SCHEMA), 0)
        old.unlink()
    folder = path / _STATE
    return sorted(folder.glob("*.parquet")) if folder.exists() else []


def _write_part(path: Path, rows: pa.Table, seq: int) -> None:
    folder = path / _STATE
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{seq:09d}.tmp"
    pq.write_table(rows, partial)
    partial.replace(folder / f"{seq:09d}.parquet")  # atomic
    (path / _META).write_text(json.dumps({"version": VERSION}))


def _record(path: Path, note_ids: list[int], fingerprints: list[str | None]) -> None:
    """Add a part: these notes are indexed in this version (None: removed)."""
    parts = _parts(path)
    seq = int(parts[-1].stem) + 1 if parts else 0
    rows = pa.table(
        {
            "note_id": pa.array(note_ids, pa.int64()),
            "fingerprint": pa.array(fingerprints, pa.string()),
            "seq": pa.array([seq] * len(note_ids), pa.int64()),
        }
    )
    _write_part(path, rows, seq)


def _known(wh, path: Path) -> ir.Table:
    """note_id and fingerprint of the notes in the index, read by the engine."""
    if not _current(path) or not _parts(path):
        return wh.store.from_arrow(_STATE_SCHEMA.empty_table()).drop("seq")
    rows = wh.store.read_file(path / _STATE)
    last = ibis.row_number().over(group_by="note_id", order_by=ibis.desc("seq"))
    rows = rows.mutate(last=last)
    rows = rows.filter((rows.last == 0) & rows.fingerprint.notnull())
    return rows.select("note_id", "fingerprint")


def _compact(wh, path: Path) -> int:
    """Merge the state's parts into one, written by the engine (the rows do
    not pass through Python); the number of notes indexed."""
    parts = _parts(path)
    if len(parts) <= 1:
        return int(_known(wh, path).count().to_pyarrow().as_py())
    last = int(parts[-1].stem)
    merged = _known(wh, path).mutate(seq=ibis.literal(last).cast("int64"))
    partial = path / _STATE / ".partial" / f"{last + 1:09d}.parquet"  # not read
    partial.parent.mkdir(exist_ok=True)
    wh.store.write_file(merged, partial)
    partial.replace(path / _STATE / partial.name)  # atomic
    partial.parent.rmdir()
    for part in parts:
        part.unlink()
    return int(wh.store.read_file(path / _STATE).count().to_pyarrow().as_py())


def _documents(rows: list[dict]) -> list[tuple[dict, str | None]]:
    """(fields, why skipped) of notes (in a worker)."""
    out = []
    for row in rows:
        why = unreadable(row["note_text"])
        fields = {} if why else split_by_context(row["note_text"])
        out.append((fields, why))
    return out


def update_index(
    wh,
    *,
    path: Path | None = None,
    workers: int | None = None,
    batch_size: int = 20_000,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Index new and changed notes, forget removed and opted-out ones."""
    path = path or index_path(wh)
    fresh = not _current(path) or not _parts(path)
    if fresh and path.exists():
        _opened.pop(path, None)
        for stale in path.iterdir():  # an old layout or an interrupted first run
            if stale.is_file():
                stale.unlink()
        shutil.rmtree(path / _STATE, ignore_errors=True)
    index = open_index(path, create=True)
    current = note_fingerprints(
        wh, _COLUMNS, f"index {VERSION} pipeline {PIPELINE_VERSION}"
    )
    if wh.has_table("optout"):
        note = wh.table("note")
        hidden = note.filter(note.person_id.isin(wh.table("optout").person_id))
        current = current.filter(~current.note_id.isin(hidden.note_id))
    todo, gone = pending(current, _known(wh, path))
    counts: Counter = Counter()
    removed = 0
    writer = index.writer(heap_size=256_000_000)
    try:
        for page in pages(wh, gone, batch_size):
            ids = page["note_id"].to_pylist()
            for note_id in ids:
                writer.delete_documents_by_term("note_id", note_id)
            writer.commit()
            _record(path, ids, [None] * len(ids))
            removed += len(ids)
        with _pool(workers, int(todo.count().to_pyarrow().as_py())) as pool:
            for batch in read_notes(wh, todo, _COLUMNS, batch_size):
                _index_batch(writer, batch, pool, counts, replace=not fresh)
                writer.commit()
                _record(path, [r["note_id"] for r in batch],
                        [r["fingerprint"] for r in batch])  # fmt: skip
                if progress:
                    progress(f"{counts.total()} notes")
    except BaseException:
        writer.rollback()
        raise
    finally:
        writer.wait_merging_threads()
    if not (path / _META).exists():
        _record(path, [], [])
    notes = _compact(wh, path)
    skipped = {k: v for k, v in counts.items() if k != "indexed"}
    return {
        "index": str(path),
        "indexed": counts["indexed"],
        "removed": removed,
        "skipped": sum(skipped.values()),
        "skipped_by_reason": skipped,
        "notes": notes,
    }


def _index_batch(
    writer, batch: list[dict], pool, counts: Counter, *, replace: bool
) -> None:
    """Add a batch of notes to the index; `replace` their older versions."""
    chunks = [batch[i : i + _CHUNK] for i in range(0, len(batch), _CHUNK)]
    results = pool.map(_documents, chunks) if pool else map(_documents, chunks)
    done = [d for chunk in results for d in chunk]
    for row, (fields, why) in zip(batch, done, strict=True):
        note_id = row["note_id"]
        if replace:
            writer.delete_documents_by_term("note_id", note_id)
        if why:
            counts[why] += 1
            continue
        doc = tantivy.Document(
            note_id=note_id,
            person_id=row["person_id"],
            note_day=day_number(row["note_date"]) if row["note_date"] else 0,
            note_type=note_type_key(row["note_title"]),
            note_title=row["note_title"] or "",
        )
        for field, text in fields.items():
            doc.add_text(field, text)
        writer.add_document(doc)
        counts["indexed"] += 1


class _NoPool:
    def __enter__(self):
        return None

    def __exit__(self, *exc) -> None:
        pass


def _pool(workers: int | None, notes: int):
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or notes < 2 * _CHUNK:
        return _NoPool()
    method = "fork" if os.name == "posix" else "spawn"
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))


def forget_persons(wh, person_ids: list[int]) -> int:
    """Remove every note of these persons from the index (the opt-out hook)."""
    path = index_path(wh)
    if not _current(path) or not person_ids:
        return 0  # an older layout is rebuilt without them
    index = open_index(path)
    index.reload()
    searcher = index.searcher()  # their notes are already erased: ask the index
    note_ids = []
    for person in person_ids:
        query = tantivy.Query.term_query(index.schema, "person_id", int(person))
        hits = searcher.search(query, limit=max(searcher.num_docs, 1)).hits
        note_ids += searcher.fast_field_values("note_id", [a for _, a in hits])
    return forget_notes(wh, note_ids)


def forget_notes(wh, note_ids: list[int]) -> int:
    """Remove these notes from the index at once (an ingestion deleted or
    changed them; a changed note is indexed again by the next update)."""
    path = index_path(wh)
    if not _current(path) or not note_ids:
        return 0
    known = _known(wh, path)
    removed = known.filter(among(wh, known.note_id, note_ids)).note_id.to_pyarrow()
    index = open_index(path)
    writer = index.writer(heap_size=50_000_000)
    for note_id in note_ids:
        writer.delete_documents_by_term("note_id", int(note_id))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    _record(path, removed.to_pylist(), [None] * len(removed))
    return len(removed)


def require_index(wh, path: Path | None = None) -> tantivy.Index:
    """The warehouse's index, or a clear error when it was never built."""
    path = path or index_path(wh)
    if not (path / _META).exists():
        raise SearchIndexError(
            f"no search index at {path}: build it with `entrepot index`"
        )
    if not _current(path):
        raise SearchIndexError(
            f"the search index at {path} is of an older layout: rebuild it with "
            "`entrepot index`"
        )
    return open_index(path)
