"""Pages: administration (admin only): users, projects, audit log, opt-out;
the review list of death linkage."""

from fastapi import APIRouter, Request

from entrepot.linkage import review_list
from entrepot.web._auth import Managing
from entrepot.web._state import state
from entrepot.web.pages import render

router = APIRouter()


@router.get("/admin")
def admin(request: Request, decision: Managing):
    """Others get the 403 error page (the `manage` right is refused, audited)."""
    session = request.state.session
    return render(request, "admin.html", session, page="admin")


@router.get("/admin/deaths")
def death_review(request: Request, decision: Managing):
    """The data office's list of grey-zone pairs (pseudonyms, never identities)."""
    rows = state(request).use(review_list)
    return render(
        request, "deaths.html", request.state.session, page="deaths", rows=rows
    )
