"""Page: the warehouse overview (the home page)."""

from fastapi import APIRouter, Request

from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/")
def overview(request: Request, session: PageSession):
    return render(request, "overview.html", session, page="overview")
