"""Page: a virtual prescription checked for drug interactions."""

from fastapi import APIRouter, Request

from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/prescription")
def prescription(request: Request, session: PageSession):
    return render(request, "prescription.html", session, page="prescription")
