"""Page: mapping local codes, for the data team (the right to ingest): the
codes left without a concept with their proposals, one accepted per form."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from entrepot.web._auth import Ingesting
from entrepot.web.api._mapping import Target, accept, review
from entrepot.web.pages import render

router = APIRouter()


@router.get("/admin/mapping")
def mapping(
    request: Request, decision: Ingesting, target: Annotated[Target, Query()] = "LOINC"
):
    codes = review(request, target)
    session = request.state.session
    return render(
        request, "mapping.html", session, page="mapping", codes=codes, target=target
    )


@router.post("/admin/mapping")
def accept_proposal(
    request: Request,
    decision: Ingesting,
    source_code: Annotated[str, Form(min_length=1, max_length=50)],
    concept_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    target: Annotated[Target, Form()] = "LOINC",
):
    accept(request, decision, source_code, concept_id)
    return RedirectResponse(f"/admin/mapping?target={target}", status_code=303)
