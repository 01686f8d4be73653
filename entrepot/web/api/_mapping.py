"""API: mapping local codes, for the data team (the right to ingest): the
codes the warehouse holds without a concept, each with the concepts `entrepot
vocab map` proposes, and accepting one as `entrepot vocab approve` does."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from entrepot.warehouse.vocabulary import LOCAL_LAB, approve_maps, mapping_review
from entrepot.web._auth import Ingesting
from entrepot.web._state import state

router = APIRouter(prefix="/mapping", tags=["vocabulary"])

Target = Literal["LOINC", "ATC", "CIM10"]


class Proposal(BaseModel):
    rank: int
    concept_id: int
    concept_code: str
    concept_name: str
    score: float


class LocalCode(BaseModel):
    source_code: str
    rows: int
    unit: str | None
    low: float | None
    high: float | None
    proposals: list[Proposal]


class Accepted(BaseModel):
    source_code: Annotated[str, Field(min_length=1, max_length=50)]
    concept_id: Annotated[int, Field(ge=1, le=2**31 - 1)]


def review(request: Request, target: Target) -> list[dict]:
    """The codes left to map and their proposals (the page's too)."""
    return state(request).read(mapping_review, target=target)


def accept(request: Request, decision, code: str, concept_id: int) -> int:
    """Write one approved map, audited as `vocab approve` is (the page's too)."""
    web = state(request)
    row = {"source_code": code, "source_label": code, "concept_id": concept_id}
    written = web.use(approve_maps, [row], source="the accepted map")
    web.use(
        decision.released,
        "vocab.approve",
        {"source_code": code, "concept_id": concept_id, "source_vocabulary": LOCAL_LAB},
        rows=written,
    )
    web.changed()
    return written


@router.get("", response_model=list[LocalCode])
def codes(
    request: Request, decision: Ingesting, target: Annotated[Target, Query()] = "LOINC"
) -> list[dict]:
    return review(request, target)


@router.post("")
def approve(request: Request, decision: Ingesting, body: Accepted) -> dict:
    return {"approved": accept(request, decision, body.source_code, body.concept_id)}
