"""Page: the cohort builder, saved cohorts, ATLAS/Circe import."""

from fastapi import APIRouter, Request

from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/cohorts")
def cohorts(request: Request, session: PageSession):
    return render(request, "cohorts.html", session, page="cohorts")
