"""API: administration (admin only): users, projects and members, the audit
log and its chain, patients' opt-out, the review list of death linkage.

The server holds no pseudonymisation key: an objection is sealed for the key
holder (`request_optout`) and applied by their next ingestion or `entrepot
optout apply`; until then it is listed as pending."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from entrepot.errors import (
    NotFoundError,
    PrivacyError,
)
from entrepot.linkage import review_list
from entrepot.privacy import (
    add_member,
    add_project,
    add_user,
    entries,
    list_projects,
    list_users,
    optout_list,
    optout_withdraw,
    pending_optouts,
    request_optout,
    update_project,
    verify,
)
from entrepot.web._auth import Managing
from entrepot.web._state import state

router = APIRouter(prefix="/admin", tags=["admin"])

Name = Annotated[str, Field(min_length=1, max_length=200)]
BIG = 2**62


class User(BaseModel):
    name: str
    role: str
    projects: list[str]


class NewUser(BaseModel):
    name: Name
    role: Literal["admin", "data_engineer", "researcher", "viewer", "data_office"]
    password: Annotated[str, Field(max_length=1000)]
    projects: Annotated[list[Name], Field(max_length=100)] = []


class Project(BaseModel):
    name: str
    cohort_id: int | None
    domains: list[str] | None
    start: date | None
    end: date | None
    mask_below: int | None
    created_at: datetime | None
    members: list[str]
    units: list[int] | None  # care sites chosen (any level): their patients
    mode: str  # research, or care: the care team's own patients


class NewProject(BaseModel):
    name: Name
    cohort_id: Annotated[int | None, Field(ge=1, le=BIG)] = None
    domains: Annotated[list[Name] | None, Field(max_length=50)] = None
    start: date | None = None
    end: date | None = None
    mask_below: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    units: Annotated[list[Annotated[int, Field(ge=1, le=BIG)]] | None, Field(max_length=1000)] = None  # fmt: skip
    mode: Literal["research", "care"] = "research"


class UnitsChange(BaseModel):
    units: Annotated[list[Annotated[int, Field(ge=1, le=BIG)]], Field(max_length=1000)] = []  # fmt: skip
    mode: Literal["research", "care"] = "research"


class ProjectUnits(BaseModel):
    name: str
    units: list[int]
    mode: str


class NewMember(BaseModel):
    user: Name


class Member(BaseModel):
    user: str
    project: str


class Entry(BaseModel):
    seq: int
    at: datetime
    user: str
    action: str
    project: str | None
    rows: int | None
    persons: int | None
    parameters: dict


class Verified(BaseModel):
    ok: bool
    entries: int
    first_bad: int | None
    anchor: dict | None = None  # the head kept outside the warehouse, checked


class OptOut(BaseModel):
    person_id: int
    added_at: datetime
    added_by: str


class NewOptOut(BaseModel):
    ipps: Annotated[list[Name], Field(min_length=1, max_length=1000)]


class OptOutRequested(BaseModel):
    pending: int  # requests sealed for the key holder, applied by them later
    requests: list[str]


class PendingOptOut(BaseModel):
    request_id: str
    requested_at: datetime
    requested_by: str


class Withdrawn(BaseModel):
    removed: int


# -- users and projects --------------------------------------------------------
@router.get("/users", response_model=list[User])
def users(request: Request, decision: Managing) -> list[dict]:
    """Users, roles and projects (never password hashes)."""
    return state(request).use(list_users)


def _add_user(wh, body: NewUser, by: str) -> dict:
    missing = sorted(set(body.projects) - {p["name"] for p in list_projects(wh)})
    if missing:  # checked first: no user is left half-made
        raise PrivacyError(f"project: no project {', '.join(map(repr, missing))}")
    return add_user(
        wh, body.name, body.role, body.password, projects=body.projects, by=by
    )


@router.post("/users", response_model=User, status_code=201)
def new_user(request: Request, decision: Managing, body: NewUser) -> dict:
    """Create a user (a password of at least 8 characters), member of projects."""
    web = state(request)
    made = web.use(_add_user, body, decision.user)
    web.changed()
    return made


def _projects(wh) -> list[dict]:
    members: dict[str, list[str]] = {}
    for user in list_users(wh):
        for project in user["projects"]:
            members.setdefault(project, []).append(user["name"])
    return [_project(p, members.get(p["name"], [])) for p in list_projects(wh)]


def _project(row: dict, members: list[str]) -> dict:
    return {
        "name": row["name"],
        "cohort_id": row["cohort_id"],
        "domains": row["domains"].split(",") if row["domains"] else None,
        "start": row["start_date"],
        "end": row["end_date"],
        "mask_below": row["mask_below"],
        "created_at": row.get("created_at"),
        "members": members,
        "units": row.get("units"),
        "mode": row.get("mode", "research"),
    }


@router.get("/projects", response_model=list[Project])
def projects(request: Request, decision: Managing) -> list[dict]:
    """Projects, their perimeter (cohort, tables, dates), threshold and members."""
    return state(request).use(_projects)


def _add_project(wh, body: NewProject, by: str) -> dict:
    unknown = [d for d in body.domains or () if not wh.has_table(d)]
    if unknown:
        raise PrivacyError(f"domains: no table {', '.join(map(repr, unknown))}")
    row = add_project(
        wh,
        body.name,
        cohort_id=body.cohort_id,
        domains=body.domains,
        start=body.start,
        end=body.end,
        mask_below=body.mask_below,
        units=body.units,
        mode=body.mode,
        by=by,
    )
    return _project(row, [])


@router.post("/projects", response_model=Project, status_code=201)
def new_project(request: Request, decision: Managing, body: NewProject) -> dict:
    """Create a project with its perimeter: a cohort's persons, tables, dates,
    care units (`/api/care-sites`' ids, any level) and its mode."""
    web = state(request)
    made = web.use(_add_project, body, decision.user)
    web.changed()
    return made


@router.patch("/projects/{name}", response_model=ProjectUnits)
def change_project(
    request: Request,
    decision: Managing,
    name: Annotated[str, Path(max_length=200)],
    body: UnitsChange,
) -> dict:
    """Change an existing project's care units and mode (as `entrepot project
    update`), audited as project.units."""
    web = state(request)
    ids = web.use(update_project, name, body.units, body.mode, by=decision.user)
    web.changed()
    return {"name": name, "units": ids, "mode": body.mode}


def _add_member(wh, user: str, project: str, by: str) -> None:
    if user not in {u["name"] for u in list_users(wh)}:
        raise NotFoundError(f"user: no user {user!r}")
    add_member(wh, user, project, by=by)


@router.post("/projects/{name}/members", response_model=Member, status_code=201)
def new_member(
    request: Request,
    decision: Managing,
    name: Annotated[str, Path(max_length=200)],
    body: NewMember,
) -> dict:
    """Let a user work in a project (their open sessions are closed)."""
    web = state(request)
    web.use(_add_member, body.user, name, decision.user)
    web.changed()
    web.sessions.close_user(body.user)
    return {"user": body.user, "project": name}


# -- the audit log -------------------------------------------------------------
Filter = Annotated[str | None, Query(max_length=200)]


@router.get("/audit", response_model=list[Entry])
def audit_log(
    request: Request,
    decision: Managing,
    user: Filter = None,
    action: Filter = None,
    project: Filter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict]:
    """Entries of the audit log, newest first (`action` matches a prefix)."""
    rows = state(request).use(
        entries,
        user=user or None,
        action=action or None,
        project=project or None,
        limit=limit,
    )
    return [
        {**row, "parameters": json.loads(row["parameters"] or "{}")}
        for row in reversed(rows)
    ]


@router.get("/audit/verify", response_model=Verified)
def audit_verify(request: Request, decision: Managing) -> dict:
    """Check the hash chain: `first_bad` is the first entry that breaks it."""
    return state(request).use(verify)


# -- opt-out -------------------------------------------------------------------
@router.get("/optout", response_model=list[OptOut])
def optouts(request: Request, decision: Managing) -> list[dict]:
    """Registered objections: pseudonyms and dates, never an IPP."""
    return state(request).use(optout_list)


@router.get("/optout/pending", response_model=list[PendingOptOut])
def pending(request: Request, decision: Managing) -> list[dict]:
    """Objections taken but not applied yet (sealed: never an IPP)."""
    return state(request).use(pending_optouts)


@router.post("/optout", response_model=OptOutRequested, status_code=202)
def new_optout(request: Request, decision: Managing, body: NewOptOut) -> dict:
    """Take objections by IPP, sealed for the key holder, who applies them (the
    erasure) at their next ingestion or `entrepot optout apply`: the server has
    no key, so it cannot tell which person an IPP is, nor hide them before."""
    return state(request).use(request_optout, body.ipps, user=decision.user)


@router.delete("/optout/{person_id}", response_model=Withdrawn)
def withdraw_optout(
    request: Request,
    decision: Managing,
    person_id: Annotated[int, Path(ge=0, le=BIG)],
) -> dict:
    """Withdraw an objection by pseudonym: later ingestions load the patient
    again (their erased rows are not restored)."""
    web = state(request)
    removed = web.use(optout_withdraw, [person_id], user=decision.user)
    if not removed:
        raise NotFoundError(f"opt-out: no objection for person {person_id}")
    web.changed()
    return {"removed": removed}


class DeathReview(BaseModel):
    file: str
    line: int
    person_id: int
    probability: float
    linked_at: datetime | None


@router.get("/deaths/review", response_model=list[DeathReview])
def death_review(request: Request, decision: Managing) -> list[dict]:
    """Grey-zone pairs of `entrepot link deaths`, for the data office to check
    against the INSEE file's line and the hospital's identity server."""
    return state(request).use(review_list)
