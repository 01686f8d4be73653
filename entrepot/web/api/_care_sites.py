"""API: the care-site hierarchy (CHU > hôpital > pôle > service > unité),
from which a project's units and a cohort criterion's units are picked by
name (no patient data: any logged-in user, audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from entrepot.warehouse import care_site_tree
from entrepot.web._auth import LoggedIn
from entrepot.web._state import state

router = APIRouter(tags=["care sites"])


class CareSite(BaseModel):
    care_site_id: int
    name: str
    level: str | None  # CHU, hôpital, pôle, service, unité
    depth: int
    parent: int | None
    units: int  # the units under it (1 for a unit)


@router.get("/care-sites", response_model=list[CareSite])
def care_sites(request: Request, session: LoggedIn) -> list[dict]:
    """Every care site, depth first: its name, level, parent and units."""
    return state(request).cached(
        ("care-sites",), lambda wh: care_site_tree(wh).listing()
    )
