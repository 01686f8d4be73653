"""Page: the warehouse overview (the home page)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from entrepot.web.pages import PageSession, menu, render

router = APIRouter()


@router.get("/")
def overview(request: Request, session: PageSession):
    """A role that may not count (the data office) is sent to its own first
    page: the overview's figures would all be refused."""
    home, page = menu(session.role)[0]
    if page != "overview":
        return RedirectResponse(home, status_code=303)
    return render(request, "overview.html", session, page="overview")
