"""API: the last data quality run's checks (`entrepot quality`), stored in the
warehouse. The run is warehouse-wide: its counts (of persons, or of rows) are
masked by the release gate, and left out for a project whose perimeter
narrows (they are about persons outside it); examples (row ids) never leave."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from entrepot.quality import CATEGORIES, STATUSES, last_run
from entrepot.web._auth import Counting
from entrepot.web._state import state

router = APIRouter(tags=["quality"])

Count = int | str | None  # a count; "<N" masked; "*" hidden beside it; null: none


class QualityCheck(BaseModel):
    id: str
    category: str
    table: str
    field: str | None
    description: str
    threshold: float
    status: str
    rows: Count
    violating_rows: Count
    violating_percent: float | str | None
    about_persons: bool
    reason: str | None


class Quality(BaseModel):
    checked_at: str | None  # null: no run stored
    mask_below: int | None
    summary: dict[str, dict[str, int]]  # category -> status -> checks
    checks: list[QualityCheck]


COUNTS = {"rows", "violating_rows"}


def _shown(result, decision) -> dict:
    """One result as released: counts masked; in a project whose perimeter
    narrows, counts left out (and the share of persons failing)."""
    shown = {k: getattr(result, k) for k in QualityCheck.model_fields}
    if decision.narrows:
        hidden = [*COUNTS, *(["violating_percent"] if result.about_persons else [])]
        return shown | dict.fromkeys(hidden)
    return decision.mask_fields(shown, COUNTS, derived={"violating_percent"})


def _quality(wh, decision) -> dict:
    results, checked_at = last_run(wh)
    summary = {
        c: {
            s: sum(r.category == c and r.status == s for r in results) for s in STATUSES
        }
        for c in CATEGORIES
    }
    decision.released(wh, "quality", None, rows=len(results))
    return {
        "checked_at": checked_at.isoformat(timespec="seconds") if checked_at else None,
        "mask_below": decision.mask_below,
        "summary": summary,
        "checks": [_shown(r, decision) for r in results],
    }


@router.get("/quality", response_model=Quality)
def quality(request: Request, decision: Counting) -> Quality:
    """The checks of the last data quality run, by category, with their
    status; counts of persons masked (`entrepot quality` stores the run)."""
    return Quality(**state(request).use(_quality, decision))
