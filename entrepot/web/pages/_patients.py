"""Page: one patient's timeline, in a project (reading rows there is checked
here, so that a user outside the project gets the error page)."""

from fastapi import APIRouter, Request

from entrepot.web._auth import Reading
from entrepot.web.api._patients import PersonId
from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/patients/{person_id}")
def patient(
    request: Request, session: PageSession, decision: Reading, person_id: PersonId
):
    return render(
        request,
        "patient.html",
        session,
        page="patient",
        person_id=person_id,
        project=decision.project or "",
    )
