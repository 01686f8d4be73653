"""Page: search in reports."""

from fastapi import APIRouter, Request

from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/search")
def search(request: Request, session: PageSession):
    return render(request, "search.html", session, page="search")
