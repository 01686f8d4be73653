"""The gold values the synthetic hospital wrote for its notes, read back."""

from __future__ import annotations

import json


def gold_reports(wh, schema: str = "brain_mri") -> list[dict]:
    """The notes of a synthetic warehouse that carry gold values for an extraction
    schema (`synth_truth` rows of that `module`), in note order:
    ``{"id": note_id, "text", "fields": {name: value}}``, as `brain_mri_reports`
    gives them. Empty for a warehouse that synth did not write."""
    truth = wh.table("synth_truth")
    note = wh.table("note").select("note_id", "note_text")
    rows = (
        truth.filter(truth.module == schema)
        .select("note_id", "field", "value")
        .join(note, "note_id")
        .order_by(["note_id", "field"])
        .to_pyarrow()
        .to_pylist()
    )
    reports: dict[int, dict] = {}
    for row in rows:
        report = reports.setdefault(
            row["note_id"],
            {"id": row["note_id"], "text": row["note_text"], "fields": {}},
        )
        value = row["value"]
        report["fields"][row["field"]] = None if value is None else json.loads(value)
    return list(reports.values())
