"""API: one patient's timeline, within the project's perimeter."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from entrepot.patients import patient_note, timeline
from entrepot.web._auth import Reading
from entrepot.web._state import state

router = APIRouter(tags=["patients"])

PersonId = Annotated[int, Path(ge=0, le=2**62)]


@router.get("/patients/{person_id}")
def patient(request: Request, decision: Reading, person_id: PersonId) -> dict:
    """A patient's timeline: person (year of birth, sex, pseudonymised id),
    visits, conditions, drugs, labs (per stay, with the stay's start and end:
    one series per test, named in French where the vocabulary can), notes
    (excerpts)."""
    web = state(request)
    key = ("patient", decision.project, person_id)
    found = web.cached(key, timeline, decision, person_id)
    rows = sum(len(v) for k, v in found.items() if k != "person" and v)
    asked = {"person_id": person_id}
    web.read(decision.released, "patient.timeline", asked, rows=rows, persons=1)
    return found


@router.get("/patients/{person_id}/notes/{note_id}")
def note(
    request: Request, decision: Reading, person_id: PersonId, note_id: PersonId
) -> dict:
    """One note of the patient, whole."""
    web = state(request)
    found = web.use(patient_note, decision, person_id, note_id)
    asked = {"person_id": person_id, "note_id": note_id}
    web.use(decision.released, "patient.note", asked, rows=1, persons=1)
    return found
