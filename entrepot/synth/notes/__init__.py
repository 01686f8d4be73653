"""French clinical documents (OMOP ``note``), their gold annotations, and the
gold values of the brain MRI reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from entrepot.synth.notes._mri import brain_mri_reports

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["brain_mri_reports", "write_notes"]


def write_notes(
    tables: dict[str, pa.Table],
    identities: pa.Table,
    stays: pa.Table,
    *,
    seed: int,
    first_note_id: int,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Write the notes of one chunk of patients; returns ``(note, annotations,
    truth)`` (truth: ``synth_truth`` rows of the notes' gold values)."""
    from entrepot.synth.notes._writer import write_notes as _write

    return _write(tables, identities, stays, seed=seed, first_note_id=first_note_id)
