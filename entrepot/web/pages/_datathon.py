"""Pages: a datathon's team page (submit, leaderboard) and instructor page."""

from fastapi import APIRouter, Request

from entrepot.web._auth import Managing
from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/datathon")
def team(request: Request, session: PageSession):
    return render(request, "datathon.html", session, page="datathon")


@router.get("/datathon/instructor")
def instructor(request: Request, decision: Managing):
    """Others get the 403 error page (the `manage` right is refused, audited)."""
    return render(
        request,
        "datathon_instructor.html",
        request.state.session,
        page="datathon_instructor",
    )
