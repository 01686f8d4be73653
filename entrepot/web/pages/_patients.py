"""Pages: a cohort's patients, and one patient's timeline, in a project
(reading rows there is checked here, so that a user outside the project gets
the error page)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from entrepot.cohort._perimeter import seen
from entrepot.web._auth import Reading
from entrepot.web._state import state
from entrepot.web.api._patients import CohortId, PersonId
from entrepot.web.pages import PageSession, render

router = APIRouter()


@router.get("/cohorts/{cohort_id}/patients")
def cohort_patients(
    request: Request, session: PageSession, decision: Reading, cohort_id: CohortId
):
    owner = state(request).use(seen, decision, cohort_id)  # another project's: 404
    return render(
        request,
        "cohort_patients.html",
        session,
        page="cohort_patients",
        cohort_id=cohort_id,
        name=owner.name if owner else str(cohort_id),
        project=decision.project or "",
    )


@router.get("/patients/{person_id}")
def patient(
    request: Request,
    session: PageSession,
    decision: Reading,
    person_id: PersonId,
    q: Annotated[str, Query(max_length=500)] = "",
    note: Annotated[int | None, Query(ge=0, le=2**62)] = None,
):
    """`q`: the words of the search the patient was reached from, marked in
    the reports; `note`: the report opened first."""
    return render(
        request,
        "patient.html",
        session,
        page="patient",
        person_id=person_id,
        project=decision.project or "",
        q=q,
        note=note if note is not None else "",
    )
