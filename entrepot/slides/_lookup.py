"""Reading the registry through a release gate's decision: a slide outside the
project's perimeter (its person, its period, a project without specimens)
does not exist there."""

from __future__ import annotations

import json

import ibis.expr.types as ir

from entrepot.errors import NotFoundError
from entrepot.slides._registry import registry_table, slide_folder

#: What a slide shows of itself: never its file, its checksum or its UIDs.
SHOWN = (
    "slide_id", "person_id", "date", "specimen_id", "format", "scanner",
    "objective_power", "mpp", "width", "height", "levels", "stain",
)  # fmt: skip


def _slides(wh, decision) -> ir.Table | None:
    """Registered slides inside the decision's perimeter, joined to what they
    are; None in a warehouse that never registered one (read, not created)."""
    decision.table(wh, "specimen")  # refuses a project without specimens
    if not (wh.has_table("image_occurrence") and wh.has_table("slide")):
        return None
    occ = decision.narrow(
        wh, registry_table(wh, "image_occurrence"), "person_id", "image_occurrence_date"
    )
    return occ.join(registry_table(wh, "slide"), "image_occurrence_id")


def _shown(row: dict) -> dict:
    found = {
        "slide_id": row["image_occurrence_id"],
        "date": row["image_occurrence_date"].isoformat(),
        **row,
    }
    found["levels"] = json.loads(row["levels"])
    return {k: found[k] for k in SHOWN}


def slide_of(wh, decision, slide_id: int) -> dict:
    """One slide, as shown, with `path` (its file, for the reader only)."""
    t = _slides(wh, decision)
    rows = []
    if t is not None:
        rows = t.filter(t.image_occurrence_id == slide_id).to_pyarrow().to_pylist()
    if not rows:
        raise NotFoundError(f"slide {slide_id}: no such slide in this project")
    return _shown(rows[0]) | {"path": slide_folder(wh) / rows[0]["local_path"]}


def slides_of(wh, decision, person_id: int) -> list[dict]:
    """A person's slides, as shown, oldest first."""
    t = _slides(wh, decision)
    if t is None:
        return []
    t = t.filter(t.person_id == person_id).order_by(
        ["image_occurrence_date", "image_occurrence_id"]
    )
    return [_shown(r) for r in t.to_pyarrow().to_pylist()]
