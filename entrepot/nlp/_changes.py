"""Which notes changed since they were last processed, found by the engine.

Each note gets a fingerprint: the engine's hash of the columns a result
depends on, salted with the version of what processes them. The engine
compares them with what was processed (anti-joins); only the notes to redo
reach Python, a batch at a time (their list too: it stays in the engine).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.warehouse import among


def note_fingerprints(
    wh, columns: tuple[str, ...], salt: str, notes: ir.Table | None = None
) -> ir.Table:
    """note_id and fingerprint (text: the engine's hash of these columns of
    `note`, or of the `notes` selected from it)."""
    note = wh.table("note") if notes is None else notes
    joined = ibis.literal(salt)
    for column in columns:
        joined = joined + "|" + note[column].cast("string").fill_null("")
    return note.select("note_id", fingerprint=joined.hash().cast("string"))


def pending(current: ir.Table, known: ir.Table) -> tuple[ir.Table, ir.Table]:
    """(notes new or changed: note_id, fingerprint; note_id of the notes gone).

    `known` has note_id and fingerprint of what was processed."""
    known = known.select("note_id", "fingerprint")
    same = (current.note_id == known.note_id) & (
        current.fingerprint == known.fingerprint
    )
    todo = current.anti_join(known, same)
    gone = known.anti_join(current, "note_id").select("note_id")
    return todo, gone


def pages(wh, todo: ir.Table, size: int) -> Iterator[pa.Table]:
    """The rows of `todo` (note_id, fingerprint), computed once by the engine,
    `size` at a time in the order of their ids: one page at a time reaches
    Python, whatever the number of notes."""
    with wh.store.temporary() as scratch:
        kept = scratch.keep(f"_entrepot_todo_{uuid.uuid4().hex}", todo)
        last = None
        while True:
            page = kept if last is None else kept.filter(kept.note_id > last)
            rows = page.order_by("note_id").limit(size).to_pyarrow()
            if rows.num_rows:
                yield rows
            if rows.num_rows < size:
                return
            last = rows["note_id"][-1].as_py()


def read_notes(
    wh, todo: ir.Table, columns: tuple[str, ...], size: int
) -> Iterator[list[dict]]:
    """The notes of `todo` (note_id, fingerprint), with these columns, `size`
    at a time in the order of their ids (`pages`)."""
    note = wh.table("note")
    for wanted in pages(wh, todo, size):
        ids = wanted["note_id"].to_pylist()
        rows = note.filter(among(wh, note.note_id, ids)).select("note_id", *columns)
        by_id = {r["note_id"]: r for r in rows.to_pyarrow().to_pylist()}
        prints = dict(zip(ids, wanted["fingerprint"].to_pylist(), strict=True))
        yield [by_id[i] | {"fingerprint": prints[i]} for i in ids if i in by_id]
