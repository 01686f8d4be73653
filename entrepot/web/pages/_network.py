"""Page: the studies hubs sent this node, for its administrator to accept or
refuse (a study runs only once accepted)."""

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from entrepot.network import decide_study, list_studies
from entrepot.web._auth import Managing
from entrepot.web._state import state
from entrepot.web.pages import render

router = APIRouter()


@router.get("/admin/network")
def network(request: Request, decision: Managing):
    studies = state(request).use(list_studies)
    session = request.state.session
    return render(request, "network.html", session, page="network", studies=studies)


@router.post("/admin/network/{study_id}/{answer}")
def answer(
    study_id: str,
    answer: Literal["accept", "refuse"],
    request: Request,
    decision: Managing,
):
    state(request).use(decide_study, decision, study_id, answer == "accept")
    return RedirectResponse("/admin/network", status_code=303)
