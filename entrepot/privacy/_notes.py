"""De-identifying the notes already in a warehouse, in place and atomically.

`entrepot ingest` de-identifies each note as it loads it, with its patient's
identity; a warehouse filled another way (the synthetic demo hospital writes
its notes as written, names and IPP included) is de-identified afterwards with
`deidentify_notes`, from the rules and lexicons alone.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from entrepot.privacy._audit import audit
from entrepot.privacy._tables import schema_of
from entrepot.privacy.deid import DeidConfig, deidentify
from entrepot.privacy.deid._deid import replacement

_NAMES = ("NOM", "PRENOM")


def deidentify_notes(
    wh,
    *,
    config: DeidConfig | None = None,
    batch_size: int = 5_000,
    progress: Callable[[str], None] | None = None,
    user: str = "entrepot",
) -> dict[str, int]:
    """De-identify `note.note_text` of every note in place, in one transaction.

    Identifiers are found by the rules and lexicons of `deidentify` (no
    patient identity: the warehouse holds none); a name found once in a note is
    then removed wherever else it appears in that note ("La patiente Dupuy").
    With the default `DeidConfig` (tags: `[NOM]`, `[IPP]`...) a second run
    changes nothing. `note_title` is left as is: titles name a kind of
    document ("Compte rendu d'hospitalisation"), not a patient.

    Gold annotations (`note_annotation`) give offsets into the text as written
    and identifier annotations hold the identifier itself: every annotation of
    a changed note, and every identifier annotation, is deleted in the same
    transaction. `note_nlp` is left untouched (run the NLP again afterwards).

    Returns `{"notes": read, "changed": rewritten, "spans": identifiers replaced}`.
    """
    config = config or DeidConfig()
    if not wh.has_table("note"):
        return {"notes": 0, "changed": 0, "spans": 0}
    note = wh.table("note")
    with tempfile.TemporaryDirectory(prefix="entrepot-deid-") as folder:
        spill = Path(folder) / "changed.parquet"
        result = _changed_texts(note, config, batch_size, spill, progress)
        if not result["changed"]:
            return result
        _rewrite(wh, note, wh.store.read_file(spill))
    audit(
        wh,
        user,
        "deid.notes",
        {"mode": config.mode, "labels": sorted(config.labels)},
        rows=result["changed"],
    )
    return result


#: The de-identified texts of changed notes, as `_changed_texts` writes them.
_CHANGED = pa.schema([("note_id", pa.int64()), ("_deid_text", pa.string())])


def _changed_texts(note, config, batch_size: int, spill: Path, progress) -> dict:
    """Write the changed notes' de-identified texts to the Parquet file `spill`
    (memory holds one batch); `{"notes", "changed", "spans"}`."""
    spans = 0

    def revise(row: dict) -> str | None:
        nonlocal spans
        text = row["note_text"] or ""
        new, found = _deidentified(text, config)
        if found and new != text:
            spans += found
            return new
        return None

    def report(read: int) -> None:
        if progress:
            progress(f"de-identifying notes ({read:,})")

    read, changed = spill_changed(
        note.select("note_id", "note_text"), revise, spill, batch_size, report
    )
    return {"notes": read, "changed": changed, "spans": spans}


def spill_changed(
    notes: ir.Table,
    revise: Callable[[dict], str | None],
    spill: Path,
    batch_size: int = 5_000,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Write the notes whose text `revise` changes to the Parquet file `spill`
    (`note_id`, `_deid_text`), reading `batch_size` notes at a time (memory
    holds one batch); (notes read, notes changed).

    `revise` gets each note's selected columns and gives its new text, or None."""
    read = changed = 0
    with pq.ParquetWriter(spill, _CHANGED) as writer:
        for batch in notes.to_pyarrow_batches(chunk_size=batch_size):
            ids, texts = [], []
            for row in batch.to_pylist():
                new = revise(row)
                if new is not None:
                    ids.append(row["note_id"])
                    texts.append(new)
            if ids:
                writer.write_table(pa.table([ids, texts], schema=_CHANGED))
            read += batch.num_rows
            changed += len(ids)
            if progress:
                progress(read)
    return read, changed


def with_texts(notes: ir.Table, changes: ir.Table) -> ir.Table:
    """`notes` with the texts of `changes` (as `spill_changed` writes them)."""
    joined = notes.left_join(changes, notes.note_id == changes.note_id)
    return joined.select(
        *[
            ibis.coalesce(changes._deid_text, notes.note_text).name(c)
            if c == "note_text"
            else notes[c]
            for c in notes.columns
        ]
    )


def _rewrite(wh, note, changes) -> None:
    """Replace the changed notes' texts, and delete every annotation of a
    changed note and every identifier annotation, in one transaction."""
    writes = {"note": wh.store.materialize(with_texts(note, changes))}
    if wh.has_table("note_annotation"):
        gold = wh.table("note_annotation")
        kept = gold.filter(gold.kind != "identifier").anti_join(
            changes.select("note_id"), "note_id"
        )
        writes["note_annotation"] = wh.store.materialize(kept)
    with wh.store.transaction() as tx:
        for name, rows in writes.items():
            tx.replace(schema_of(name), name, rows)


def _deidentified(text: str, config: DeidConfig) -> tuple[str, int]:
    """`text` de-identified, and how many identifiers were replaced."""
    result = deidentify(text, None, config)
    names: dict[str, str] = {}
    for s in result.spans:
        value = text[s["start"] : s["end"]].strip()
        if s["label"] in _NAMES and len(value) > 1:
            for form in (value, value.upper(), value.title()):
                names.setdefault(form, s["label"])
    if not names:
        return result.text, len(result.spans)
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    again = re.compile(rf"(?<![\w\[])(?:{alternatives})(?![\w\]])")
    found = len(result.spans)

    def replace(m: re.Match) -> str:
        nonlocal found
        found += 1
        return replacement(m.group(), names[m.group()], config, 0)  # names only

    return again.sub(replace, result.text), found
