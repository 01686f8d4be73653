"""API: a cohort definition written as OHDSI Circe JSON (for ATLAS), and a
Circe export read as an entrepot definition (the builder's import). Only
definitions and the vocabulary's concept ids: no patient data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from entrepot.cohort import definition_from_data, definition_yaml, parse_text, to_circe
from entrepot.cohort._files import is_circe
from entrepot.cohort._perimeter import SOURCE
from entrepot.errors import CohortDefinitionError
from entrepot.web._auth import Counting
from entrepot.web._state import state

router = APIRouter(tags=["cohorts"])
TEXT = 2_000_000  # characters of a definition: ATLAS exports run to 200 kB
ERRORS = {400: {"description": "a definition that is invalid, or that Circe cannot express"}}  # fmt: skip


class DefinitionText(BaseModel):
    definition: str = Field(
        max_length=TEXT, description="an entrepot definition, as YAML or JSON"
    )


class CirceText(BaseModel):
    circe: str = Field(max_length=TEXT, description="a Circe (ATLAS) export, JSON")


class DefinitionYaml(BaseModel):
    yaml: str


@router.post("/cohorts/circe", responses=ERRORS)
def circe(request: Request, decision: Counting, body: DefinitionText) -> dict:
    """The definition as a Circe expression, its codes resolved to the
    warehouse's concept ids (note mentions, extracted fields and whatever
    else Circe cannot express are refused, named)."""
    data = parse_text(body.definition, SOURCE)
    definition = definition_from_data(data, SOURCE, default_name="cohort")
    web = state(request)
    expression = web.use(to_circe, definition, SOURCE)
    web.use(decision.released, "cohort.circe", {"name": definition.name})
    return expression


@router.post("/cohorts/definition", responses=ERRORS)
def definition(request: Request, decision: Counting, body: CirceText) -> DefinitionYaml:
    """A Circe export (an ATLAS expression, or WebAPI's whole definition) as
    the entrepot definition it runs as, in YAML."""
    data = parse_text(body.circe, SOURCE, json_only=True)
    if not is_circe(data):
        raise CohortDefinitionError(
            f"{SOURCE}: circe: not a Circe expression (no PrimaryCriteria)"
        )
    found = definition_from_data(data, SOURCE, default_name="imported cohort")
    return DefinitionYaml(yaml=definition_yaml(found))
