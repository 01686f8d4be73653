"""API: projects asked of the data office, and extracts of a cohort's data.

A researcher asks for a project (`POST /api/requests`) and follows it; the
data office (the `approve` right) sees the queue and amends, approves or
refuses. A project's member asks for an extract (`POST /api/extracts`),
checked for k-anonymity at once; the data office sees the check and
approves or refuses; a member then produces it into the project's
workspace folder, through the release gate."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from entrepot.privacy import (
    QUASI_IDENTIFIERS,
    Decision,
    amend_request,
    approve_extract,
    approve_request,
    list_extracts,
    list_requests,
    produce_extract,
    refuse_extract,
    refuse_request,
    request_extract,
    request_project,
)
from entrepot.web._auth import Approving, Exporting, Requesting
from entrepot.web._state import state

router = APIRouter(tags=["requests"])

Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=5000)]
Id = Annotated[int, Path(ge=1, le=2**62)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewRequest(Strict):
    name: Name
    summary: Text
    legal_basis: Annotated[str, Field(max_length=50)]
    cohort_id: Annotated[int | None, Field(ge=1, le=2**62)] = None
    domains: Annotated[list[Name] | None, Field(max_length=50)] = None
    start: date | None = None
    end: date | None = None
    members: Annotated[list[Name], Field(max_length=100)] = []


class Amendment(Strict):
    """The fields changed (those left out are kept), and why."""

    comment: Text
    summary: Text | None = None
    legal_basis: Annotated[str | None, Field(max_length=50)] = None
    cohort_id: Annotated[int | None, Field(ge=1, le=2**62)] = None
    domains: Annotated[list[Name] | None, Field(max_length=50)] = None
    start: date | None = None
    end: date | None = None
    members: Annotated[list[Name] | None, Field(max_length=100)] = None


class Comment(Strict):
    comment: Text | None = None


class Step(BaseModel):
    event: str
    by: str
    at: datetime
    comment: str | None


class ProjectRequest(BaseModel):
    request_id: int
    state: str  # pending, approved or refused
    name: str
    summary: str
    legal_basis: str
    cohort_id: int | None
    domains: list[str] | None
    start: date | None
    end: date | None
    members: list[str]
    requested_by: str
    requested_at: datetime
    steps: list[Step]


class NewExtract(Strict):
    cohort_id: Annotated[int, Field(ge=1, le=2**62)]
    columns: Annotated[
        dict[Name, Annotated[list[Name], Field(min_length=1, max_length=200)]],
        Field(min_length=1, max_length=50),
    ]
    format: Annotated[str, Field(max_length=20)] = "parquet"


class File(BaseModel):
    file: str
    rows: int | str  # masked below the project's threshold


class Extract(BaseModel):
    extract_id: int
    state: str  # pending, approved, refused or produced
    project: str
    cohort_id: int
    columns: dict[str, list[str]]
    format: str
    quasi_identifiers: list[str]
    reached: bool  # whether k-anonymity reaches the threshold
    requested_by: str
    requested_at: datetime
    folder: str | None
    files: list[File] | None
    steps: list[Step]


class KAnonymity(BaseModel):
    quasi_identifiers: list[str]
    k: int
    groups: int
    persons: int
    persons_below_k: int
    required: int
    reached: bool


class Reviewed(Extract):
    """An extract as the data office reviews it: its k-anonymity in full."""

    kanon: KAnonymity


def _shown(extract: dict, decision: Decision) -> dict:
    files = extract["files"]
    return extract | {
        "quasi_identifiers": extract["kanon"]["quasi_identifiers"],
        "reached": extract["kanon"]["reached"],
        "files": [{"file": f, "rows": decision.mask(n)} for f, n in files.items()]
        if files is not None
        else None,
    }


# -- projects asked for --------------------------------------------------------
@router.post("/requests", response_model=ProjectRequest, status_code=201)
def new_request(request: Request, decision: Requesting, body: NewRequest) -> dict:
    """Ask the data office for a project: protocol, legal basis, perimeter,
    members (the requester is one)."""
    fields = body.model_dump()
    return state(request).use(
        request_project,
        decision,
        fields.pop("name"),
        fields.pop("summary"),
        fields.pop("legal_basis"),
        **fields,
    )


@router.get("/requests", response_model=list[ProjectRequest])
def my_requests(request: Request, decision: Requesting) -> list[dict]:
    """The requests the caller made or is a member of, with every step."""
    return state(request).use(list_requests, decision.user)


@router.get("/requests/queue", response_model=list[ProjectRequest])
def request_queue(request: Request, decision: Approving) -> list[dict]:
    """Every request, newest first (the data office's queue)."""
    return state(request).use(list_requests)


@router.post("/requests/{request_id}/amend", response_model=ProjectRequest)
def amend(request: Request, decision: Approving, request_id: Id, body: Amendment):
    """Change fields of a pending request, with a comment the requester sees."""
    changes = body.model_dump(exclude_unset=True)
    comment = changes.pop("comment")
    return state(request).use(amend_request, decision, request_id, changes, comment)


@router.post("/requests/{request_id}/approve", response_model=ProjectRequest)
def approve(request: Request, decision: Approving, request_id: Id, body: Comment):
    """Approve a pending request: its project is made, with its members."""
    web = state(request)
    done = web.use(approve_request, decision, request_id, body.comment)
    web.changed()  # the access model: a new project and members
    return done


@router.post("/requests/{request_id}/refuse", response_model=ProjectRequest)
def refuse(request: Request, decision: Approving, request_id: Id, body: Comment):
    """Refuse a pending request, with the reason the requester sees."""
    return state(request).use(refuse_request, decision, request_id, body.comment)


# -- extracts ------------------------------------------------------------------
@router.get("/extracts/columns", response_model=dict[str, list[str]])
def columns(request: Request, decision: Exporting) -> dict:
    """The tables about persons an extract of the project may take, with
    their columns (quasi-identifiers are listed by `/api/extracts/quasi`)."""

    def seen(wh):
        found = {}
        for name in sorted(wh.tables("cdm")):
            t = decision.visible(wh, name)
            if t is not None and "person_id" in t.columns:
                found[name] = list(t.columns)
        return found

    return state(request).cached(("extract-columns", decision.project), seen)


@router.get("/extracts/quasi", response_model=dict[str, list[str]])
def quasi(decision: Exporting) -> dict:
    """The columns checked for k-anonymity, by table."""
    return {t: list(c) for t, c in QUASI_IDENTIFIERS.items()}


@router.post("/extracts", response_model=Extract, status_code=201)
def new_extract(request: Request, decision: Exporting, body: NewExtract) -> dict:
    """Ask for columns of a cohort's persons' rows, checked for k-anonymity."""
    found = state(request).use(
        request_extract, decision, body.cohort_id, body.columns, body.format
    )
    return _shown(found, decision)


@router.get("/extracts", response_model=list[Extract])
def project_extracts(request: Request, decision: Exporting) -> list[dict]:
    """The project's extracts, with their state and files (rows masked)."""

    def listed(wh):
        found = list_extracts(wh, decision.project)
        decision.released(wh, "extracts.list", rows=len(found))
        return found

    return [_shown(e, decision) for e in state(request).use(listed)]


@router.get("/extracts/queue", response_model=list[Reviewed])
def extract_queue(request: Request, decision: Approving) -> list[dict]:
    """Every extract with its k-anonymity in full (the data office's queue)."""
    return [_shown(e, decision) for e in state(request).use(list_extracts)]


@router.post("/extracts/{extract_id}/approve", response_model=Reviewed)
def approve_one(request: Request, decision: Approving, extract_id: Id, body: Comment):
    """Approve a pending extract whose k-anonymity reaches the threshold."""
    found = state(request).use(approve_extract, decision, extract_id, body.comment)
    return _shown(found, decision)


@router.post("/extracts/{extract_id}/refuse", response_model=Reviewed)
def refuse_one(request: Request, decision: Approving, extract_id: Id, body: Comment):
    """Refuse a pending extract, with the reason the project sees."""
    found = state(request).use(refuse_extract, decision, extract_id, body.comment)
    return _shown(found, decision)


@router.post("/extracts/{extract_id}/produce", response_model=Extract)
def produce(request: Request, decision: Exporting, extract_id: Id) -> dict:
    """Write an approved extract into the project's workspace folder."""
    found = state(request).use(produce_extract, decision, extract_id)
    return _shown(found, decision)
