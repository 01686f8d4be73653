"""Who is asking, and may they: sessions, CSRF and the privacy access model.

The API takes `Authorization: Bearer TOKEN`; pages carry the same token in
an HttpOnly, SameSite=Strict cookie, and any request that changes something
with that cookie must also send the session's CSRF token (header
`X-CSRF-Token` from scripts, field `csrf` from forms).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Query, Request

from entrepot.errors import AccessDeniedError, AuthenticationError
from entrepot.privacy import Decision, access_model, audit_call, authorise
from entrepot.web._sessions import Session
from entrepot.web._state import WebState, state

COOKIE = "entrepot_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Project = Annotated[
    str | None,
    Query(max_length=200, description="The project the request works in."),
]


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def current_session(request: Request) -> Session:
    """The caller's session; 401 without a valid one, 403 on a forged form."""
    web = state(request)
    token = _bearer(request)
    if token:
        session = web.sessions.get(token)
    else:
        session = web.sessions.get(request.cookies.get(COOKIE))
        if session is not None and request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER)
            if sent is None and "form" in request.headers.get("content-type", ""):
                sent = (await request.form()).get("csrf")
            if sent != session.csrf:
                raise AccessDeniedError("missing or wrong CSRF token")
    if session is None:
        raise AuthenticationError("not logged in, or the session has expired")
    request.state.session = session
    return session


CurrentSession = Annotated[Session, Depends(current_session)]


def target(request: Request) -> str:
    """What was asked, for the audit log: method and route template, no values
    (`GET /api/patients/{person_id}`)."""
    path = request.url.path
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    if template:  # the route's path lacks the prefix of its router
        filled = template.format(**request.path_params)
        if path.endswith(filled):
            path = path[: len(path) - len(filled)] + template
    return f"{request.method} {path}"


def _authorise(request: Request, session: Session, action: str, project: str | None):
    """The privacy module's decision, audited, on the access tables as last read
    (re-read when the server changes them, and at least every minute)."""
    web = state(request)
    model = web.cached("access-model", access_model, max_age=60)
    return web.read(
        authorise,
        session.user,
        action,
        project,
        target=target(request),
        model=model,
    )


def allowed(action: str) -> Callable[..., Decision]:
    """A dependency: the caller's `Decision` for `action` in `?project=`."""

    def decide(request: Request, session: CurrentSession, project: Project = None):
        return _authorise(request, session, action, project or None)

    return decide


def logged(request: Request, session: CurrentSession) -> Session:
    """A dependency for calls that read no patient data (the vocabulary, a
    prescription typed in): any logged-in user, audited."""
    web: WebState = state(request)
    web.read(audit_call, session.user, target(request))
    return session


def admin(request: Request, session: CurrentSession) -> Decision:
    """A dependency for administration: the `manage` right, warehouse-wide."""
    return _authorise(request, session, "manage", None)


def unscoped(action: str) -> Callable[..., Decision]:
    """A dependency: the caller's `Decision` for an action about no project's
    data (asking for a project, the data office's decisions); `?project=` is
    not read."""

    def decide(request: Request, session: CurrentSession):
        return _authorise(request, session, action, None)

    return decide


Counting = Annotated[Decision, Depends(allowed("count"))]
Reading = Annotated[Decision, Depends(allowed("read"))]
Exporting = Annotated[Decision, Depends(allowed("export"))]
Writing = Annotated[Decision, Depends(allowed("write"))]
Managing = Annotated[Decision, Depends(admin)]
Ingesting = Annotated[Decision, Depends(unscoped("ingest"))]  # the data team
LoggedIn = Annotated[Session, Depends(logged)]
Requesting = Annotated[Decision, Depends(unscoped("request"))]
Approving = Annotated[Decision, Depends(unscoped("approve"))]
