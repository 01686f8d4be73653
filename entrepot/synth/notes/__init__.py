"""French clinical documents (OMOP ``note``) and their gold annotations."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["write_notes"]


def write_notes(
    tables: dict[str, pa.Table],
    identities: pa.Table,
    stays: pa.Table,
    *,
    seed: int,
    first_note_id: int,
) -> tuple[pa.Table, pa.Table]:
    """Write the notes of one chunk of patients; returns ``(note, annotations)``."""
    from entrepot.synth.notes._writer import write_notes as _write

    return _write(tables, identities, stays, seed=seed, first_note_id=first_note_id)
