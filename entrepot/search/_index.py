"""Build and update the full-text index of a warehouse's notes, incrementally.

The index lives beside the warehouse (`eds.duckdb` -> `eds.duckdb.search/`).
A small state file says which version of each note is indexed; each batch is
one tantivy commit followed by the state, so that a run stopped midway leaves
a consistent index and the next run redoes only what is missing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import tantivy

from entrepot.errors import SearchIndexError
from entrepot.nlp._changes import changes, note_fingerprints, read_notes
from entrepot.nlp._pipeline import VERSION as PIPELINE_VERSION
from entrepot.nlp._text import unreadable
from entrepot.search._schema import (
    VERSION,
    day_number,
    note_type_key,
    open_index,
    split_by_context,
)

_STATE = "notes.parquet"
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


def _read_state(path: Path) -> dict[int, str]:
    if not _current(path):
        return {}
    state = path / _STATE
    if not state.exists():
        return {}
    table = pq.read_table(state)
    return dict(
        zip(table["note_id"].to_pylist(), table["fingerprint"].to_pylist(), strict=True)
    )


def _write_state(path: Path, state: dict[int, str]) -> None:
    table = pa.table(
        {
            "note_id": pa.array(list(state), pa.int64()),
            "fingerprint": list(state.values()),
        }
    )
    partial = path / f"{_STATE}.tmp"
    pq.write_table(table, partial)
    partial.replace(path / _STATE)  # atomic
    (path / _META).write_text(json.dumps({"version": VERSION}))


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
    fresh = not (path / _META).exists() or not _read_state(path)
    if fresh and path.exists():
        _opened.pop(path, None)
        for stale in path.iterdir():  # an old layout or an interrupted first run
            if stale.is_file():
                stale.unlink()
    index = open_index(path, create=True)
    state = _read_state(path)
    current = note_fingerprints(
        wh, _COLUMNS, f"index {VERSION} pipeline {PIPELINE_VERSION}"
    )
    if wh.has_table("optout"):
        note = wh.table("note")
        optout = wh.table("optout")
        hidden = note.filter(note.person_id.isin(optout.person_id)).note_id
        for note_id in hidden.to_pyarrow().to_pylist():
            current.pop(note_id, None)
    todo, gone = changes(current, state)
    counts: Counter = Counter()
    writer = index.writer(heap_size=256_000_000)
    try:
        if gone:
            for note_id in gone:
                writer.delete_documents_by_term("note_id", note_id)
                state.pop(note_id, None)
            writer.commit()
            _write_state(path, state)
        with _pool(workers, len(todo)) as pool:
            for batch in read_notes(wh, list(todo), _COLUMNS, batch_size):
                _index_batch(writer, batch, todo, pool, state, counts)
                writer.commit()
                _write_state(path, state)
                if progress:
                    progress(f"{len(state)} notes")
    except BaseException:
        writer.rollback()
        raise
    finally:
        writer.wait_merging_threads()
    if not (path / _META).exists():
        _write_state(path, state)
    skipped = {k: v for k, v in counts.items() if k != "indexed"}
    return {
        "index": str(path),
        "indexed": counts["indexed"],
        "removed": len(gone),
        "skipped": sum(skipped.values()),
        "skipped_by_reason": skipped,
        "notes": len(state),
    }


def _index_batch(
    writer,
    batch: list[dict],
    fingerprints: dict[int, str],
    pool,
    state: dict[int, str],
    counts: Counter,
) -> None:
    chunks = [batch[i : i + _CHUNK] for i in range(0, len(batch), _CHUNK)]
    results = pool.map(_documents, chunks) if pool else map(_documents, chunks)
    done = [d for chunk in results for d in chunk]
    for row, (fields, why) in zip(batch, done, strict=True):
        note_id = row["note_id"]
        if note_id in state:
            writer.delete_documents_by_term("note_id", note_id)
        state[note_id] = fingerprints[note_id]
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
    writer = index.writer(heap_size=50_000_000)
    for person in person_ids:
        writer.delete_documents_by_term("person_id", int(person))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    state = _read_state(path)  # their notes are already erased: ask the index
    searcher = index.searcher()
    kept = set()
    if searcher.num_docs:
        hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs).hits
        kept = set(searcher.fast_field_values("note_id", [a for _, a in hits]))
    removed = [i for i in state if i not in kept]
    for i in removed:
        state.pop(i)
    _write_state(path, state)
    return len(removed)


def forget_notes(wh, note_ids: list[int]) -> int:
    """Remove these notes from the index at once (an ingestion deleted or
    changed them; a changed note is indexed again by the next update)."""
    path = index_path(wh)
    if not _current(path) or not note_ids:
        return 0
    index = open_index(path)
    writer = index.writer(heap_size=50_000_000)
    for note_id in note_ids:
        writer.delete_documents_by_term("note_id", int(note_id))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    state = _read_state(path)
    removed = [i for i in note_ids if state.pop(i, None) is not None]
    _write_state(path, state)
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
