"""Which notes changed since they were last processed, found by the engine.

Each note gets a fingerprint: the engine's hash of the columns a result
depends on, salted with the version of what processes them. Only note ids and
fingerprints travel to Python; texts are read for the notes to redo alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import ibis
import ibis.expr.types as ir
import pyarrow as pa


def note_fingerprints(
    wh, columns: tuple[str, ...], salt: str, notes: ir.Table | None = None
) -> dict[int, str]:
    """note_id -> fingerprint of these columns of `note` (the engine's hash);
    of the `notes` selected from it when given."""
    note = wh.table("note") if notes is None else notes
    joined = ibis.literal(salt)
    for column in columns:
        joined = joined + "|" + note[column].cast("string").fill_null("")
    rows = note.select("note_id", fingerprint=joined.hash()).to_pyarrow()
    return dict(
        zip(
            rows["note_id"].to_pylist(),
            (str(v) for v in rows["fingerprint"].to_pylist()),
            strict=True,
        )
    )


def changes(
    current: dict[int, str], known: dict[int, str]
) -> tuple[dict[int, str], list[int]]:
    """(notes new or changed, with their fingerprint; notes gone)."""
    todo = {i: fp for i, fp in current.items() if known.get(i) != fp}
    return todo, sorted(set(known) - set(current))


def among(wh, column: ir.IntegerColumn, ids: list[int]) -> ir.BooleanColumn:
    """Whether `column` is one of `ids`: a semi-join on the ids as a table, whose
    query is built in constant time (thousands of literals in an IN list took
    seconds of Python to compile, per batch)."""
    wanted = wh.store.from_arrow(pa.table({"id": pa.array(ids, pa.int64())}))
    return column.isin(wanted.id)


def read_notes(
    wh, ids: list[int], columns: tuple[str, ...], size: int
) -> Iterator[list[dict]]:
    """The notes with these ids, `size` at a time, in the order of `ids`."""
    note = wh.table("note")
    for i in range(0, len(ids), size):
        wanted = ids[i : i + size]
        rows = note.filter(among(wh, note.note_id, wanted)).select("note_id", *columns)
        by_id = {r["note_id"]: r for r in rows.to_pyarrow().to_pylist()}
        yield [by_id[j] for j in wanted if j in by_id]
