"""Pages: a researcher's requests ("Mes demandes": ask for a project, follow
it, ask for extracts of an approved project's cohort) and the data office's
queue (approve, amend or refuse; the k-anonymity of each extract)."""

from fastapi import APIRouter, Request

from entrepot.privacy import LEGAL_BASES
from entrepot.web._auth import Approving, Requesting
from entrepot.web.pages import render

router = APIRouter()


@router.get("/requests")
def requests(request: Request, decision: Requesting):
    """Others (viewers, the data office) get the 403 error page."""
    return render(
        request, "requests.html", request.state.session, page="requests",
        legal_bases=LEGAL_BASES,
    )  # fmt: skip


@router.get("/office")
def office(request: Request, decision: Approving):
    """The data office's page; others get the 403 error page."""
    return render(request, "office.html", request.state.session, page="office")
