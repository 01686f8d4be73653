"""API: logging in and out, who am I, background jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from entrepot.errors import AuthenticationError, LoginThrottledError, NotFoundError
from entrepot.privacy import audit_login, check_password, credentials, list_users
from entrepot.web._auth import LoggedIn, Project, _authorise
from entrepot.web._state import state

router = APIRouter(tags=["session"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str
    expires_in: int


class Me(BaseModel):
    user: str
    role: str
    projects: list[str]


class JobStatus(BaseModel):
    id: int
    kind: str
    state: str
    progress: float
    message: str
    result: object | None
    error: str | None
    seconds: float


def login(request: Request, username: str, password: str):
    """Check the password, throttled per account and address, outside the
    warehouse's lock; open a session. Every attempt is audited."""
    if not username or not password or len(username) > 200 or len(password) > 1000:
        raise AuthenticationError("unknown user or wrong password")
    web = state(request)
    address = request.client.host if request.client else "unknown"
    try:
        web.sessions.throttle.check(username, address)
    except LoginThrottledError as refused:
        web.use(audit_login, username, False, address=address, refused="throttled")
        raise refused
    found = web.use(credentials, username)
    try:
        role = check_password(found, password)  # argon2: slow, and no lock held
    except AuthenticationError:
        event = web.sessions.throttle.failed(username, address)
        details = {"address": address} | ({"throttle": event} if event else {})
        web.use(audit_login, found.name, False, **details)
        raise
    web.sessions.throttle.succeeded(username, address)
    web.use(audit_login, found.name, True, address=address)
    return web.sessions.open(username, role)


@router.post("/token", response_model=Token)
def token(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token:
    """OAuth2 password flow: a bearer token for the API."""
    session = login(request, form.username, form.password)
    web = state(request)
    return Token(
        access_token=session.token,
        role=session.role,
        expires_in=round(web.sessions.maximum),
    )


@router.post("/logout", status_code=204)
def logout(request: Request, session: LoggedIn) -> None:
    """End this session."""
    state(request).sessions.close(session.token)


def projects_of(wh, user: str) -> list[str]:
    for row in list_users(wh):
        if row["name"] == user:
            return row["projects"]
    return []


@router.get("/me", response_model=Me)
def me(request: Request, session: LoggedIn) -> Me:
    """The logged-in user, role and projects."""
    projects = state(request).use(projects_of, session.user)
    return Me(user=session.user, role=session.role, projects=projects)


@router.get("/jobs/{job_id}", response_model=JobStatus)
def job(
    request: Request,
    session: LoggedIn,
    job_id: Annotated[int, Path(ge=1, le=2**62)],
    project: Project = None,
) -> JobStatus:
    """A background job's progress and, once done, its result: only to the
    user who started it, asking within its project (`?project=`), while
    still allowed there."""
    found = state(request).jobs.get(job_id, session.user, project or None)
    if found is None:
        raise NotFoundError(f"job {job_id}: no such job of yours")
    if found.project is not None:
        _authorise(request, session, "count", found.project)
    return JobStatus(**found.as_dict())
