"""Pages: server-rendered templates, each with a small script of its own that
calls the JSON API (no build step, nothing loaded from elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from entrepot import __version__
from entrepot.web._auth import current_session
from entrepot.web._sessions import Session

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")

PageSession = Annotated[Session, Depends(current_session)]


def render(
    request: Request,
    template: str,
    session: Session | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page: the template with the session's user, role and CSRF token."""
    return templates.TemplateResponse(
        request,
        template,
        {"session": session, "version": __version__, **context},
        status_code=status_code,
    )


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    return render(
        request, "error.html", session, status, status=status, message=message
    )


from entrepot.web.pages import (  # noqa: E402 - the routers use the helpers above
    _admin,
    _cohorts,
    _login,
    _overview,
    _patients,
    _prescriptions,
    _search,
)

ROUTERS = [
    m.router
    for m in (
        _login,
        _overview,
        _cohorts,
        _search,
        _patients,
        _prescriptions,
        _admin,
    )
]
