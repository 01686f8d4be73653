"""Page: administration (admin only): users, projects, audit log, opt-out."""

from fastapi import APIRouter, Request

from entrepot.web._auth import Managing
from entrepot.web.pages import render

router = APIRouter()


@router.get("/admin")
def admin(request: Request, decision: Managing):
    """Others get the 403 error page (the `manage` right is refused, audited)."""
    session = request.state.session
    return render(request, "admin.html", session, page="admin")
