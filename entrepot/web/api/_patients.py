"""API: a cohort's patients and one patient's timeline, within the project's
perimeter."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from entrepot.cohort._perimeter import seen
from entrepot.patients import PatientSort, cohort_patients, patient_note, timeline
from entrepot.web._auth import Counting, Reading
from entrepot.web._state import state

router = APIRouter(tags=["patients"])

PersonId = Annotated[int, Path(ge=0, le=2**62)]
CohortId = Annotated[int, Path(ge=1, le=2**62)]
MAX_PATIENTS = 100  # a page at most


@router.get("/cohorts/{cohort_id}/patients")
def patients(
    request: Request,
    decision: Reading,
    counting: Counting,
    cohort_id: CohortId,
    limit: Annotated[int, Query(ge=1, le=MAX_PATIENTS)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
    sort: PatientSort = "first_stay",
) -> dict:
    """A page of the cohort's patients inside the perimeter (`limit` from
    `offset`, by `sort`: first or last stay, `-` for the latest first, or
    id): pseudonymised id, 5-year age band at the first entry, sex, first
    and last stay; `persons`, all of them, counted as counts are (masked,
    safe from differencing); `next`, the offset of the next page or null."""
    web = state(request)
    web.use(seen, decision, cohort_id)
    asked = {"cohort_definition_id": cohort_id, "limit": limit, "offset": offset,
             "sort": sort}  # fmt: skip
    key = ("cohorts", "patients", decision.project, decision.perimeter,
           *asked.values())  # fmt: skip
    found = web.cached(key, cohort_patients, decision, cohort_id, limit=limit,
                       offset=offset, sort=sort)  # fmt: skip
    page = found["patients"]
    web.use(decision.released, "cohort.patients", asked, rows=len(page),
            persons=len(page))  # fmt: skip
    persons = web.use(counting.persons, found["person_ids"], "cohort.patients", asked)
    more = offset + len(page) < len(found["person_ids"])
    return {"persons": persons, "offset": offset, "limit": limit, "sort": sort,
            "next": offset + len(page) if more else None, "patients": page}  # fmt: skip


@router.get("/patients/{person_id}")
def patient(request: Request, decision: Reading, person_id: PersonId) -> dict:
    """A patient's timeline: person (year of birth, sex, pseudonymised id),
    visits, conditions (with their French CIM-10 labels), drugs (start and
    end), each with its stay (`visit_id`), labs (per stay, with the stay's
    start and end: one series per test, named in French where the vocabulary
    can), notes (excerpts)."""
    web = state(request)
    key = ("patient", decision.project, person_id)
    found = web.cached(key, timeline, decision, person_id)
    rows = sum(len(v) for k, v in found.items() if k != "person" and v)
    asked = {"person_id": person_id}
    web.read(decision.released, "patient.timeline", asked, rows=rows, persons=1)
    return found


@router.get("/patients/{person_id}/notes/{note_id}")
def note(
    request: Request,
    decision: Reading,
    person_id: PersonId,
    note_id: PersonId,
    q: Annotated[str | None, Query(max_length=500)] = None,
) -> dict:
    """One note of the patient, whole, with where the words of `q` (a search's
    query) are (`highlights`) and its negated, hypothetical and family
    passages (`passages`), as offsets into its text."""
    web = state(request)
    found = web.use(patient_note, decision, person_id, note_id, q or None)
    asked = {"person_id": person_id, "note_id": note_id, "q": q}
    web.use(decision.released, "patient.note", asked, rows=1, persons=1)
    return found
