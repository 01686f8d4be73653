"""The synthetic hospital's pathology laboratory: for some of its pathology
reports, the specimen (an OMOP `specimen` row of the report's patient and
day) and a scanned slide of it, written as the lab's scanner would.

The scanner's folder holds the slides named by their accession number (an
identifier of the hospital's side, never to be shown to researchers, as is
the label image that carries it), a `manifest.csv` linking each file to its
specimen (what `entrepot slides scan` reads), and `truth/` with each slide's
planted masks (tissue, lesion, pen marks; `.npz`).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from entrepot.errors import ParameterError

#: The note source of a pathology report (`notes._writer`).
REPORT = "CR-ANAPATH"
EHR = 32817  # type concept: EHR
MANIFEST_COLUMNS = ("file", "specimen_id", "note_id", "lesion")


def _accession(day: date, specimen_id: int) -> str:
    return f"AP{day.year}-{specimen_id:05d}"


def write_pathology_slides(
    wh, folder: Path, count: int, *, seed: int = 0, size: int = 4096
) -> dict:
    """Give `count` of the warehouse's pathology reports (drawn with `seed`;
    all of them if fewer) a specimen and a `size` x `size` px slide in
    `folder`: `{"slides", "folder", "manifest"}`."""
    from entrepot.synth._slides import write_synthetic_slide

    if count < 0 or size < 256:
        raise ParameterError("--slides is a count >= 0 and --slide-size >= 256 px")
    notes = wh.table("note")
    reports = notes.filter(notes.note_source_value == REPORT).select(
        "note_id", "person_id", "note_date"
    )
    rows = reports.order_by("note_id").to_pyarrow().to_pylist()
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.permutation(len(rows))[:count]) if rows else []
    rows = [rows[i] for i in chosen]
    top = wh.table("specimen").specimen_id.max().to_pyarrow().as_py() or 0
    ids = list(range(top + 1, top + 1 + len(rows)))
    wh.load(
        {
            "specimen": pa.table(
                {
                    "specimen_id": ids,
                    "person_id": [r["person_id"] for r in rows],
                    "specimen_concept_id": [0] * len(rows),
                    "specimen_type_concept_id": [EHR] * len(rows),
                    "specimen_date": [r["note_date"] for r in rows],
                    "specimen_source_value": ["biopsie cutanée"] * len(rows),
                }
            )
        }
    )
    folder = Path(folder)
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(MANIFEST_COLUMNS)
        for specimen_id, row in zip(ids, rows, strict=True):
            name = _accession(row["note_date"], specimen_id)
            lesion = bool(rng.random() < 0.5)
            truth = write_synthetic_slide(
                folder / f"{name}.tiff",
                seed=seed * 100_003 + specimen_id,
                width=size,
                height=size,
                lesion=lesion,
                label_text=f"{name}\nH&E",
            )
            np.savez_compressed(
                folder / "truth" / f"{name}.npz",
                tissue=truth.tissue_mask,
                lesion=truth.lesion_mask,
                pen=truth.pen_mask,
                downsample=truth.downsample,
            )
            out.writerow([f"{name}.tiff", specimen_id, row["note_id"], int(lesion)])
    return {"slides": len(rows), "folder": str(folder), "manifest": str(manifest)}
