"""Pages: server-rendered templates, each with a small script of its own that
calls the JSON API (no build step, nothing loaded from elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from entrepot import __version__
from entrepot.privacy import PERMISSIONS
from entrepot.web import _i18n
from entrepot.web._auth import current_session
from entrepot.web._sessions import Session

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")

PageSession = Annotated[Session, Depends(current_session)]

#: The menu: (path, page, the right its API calls need; None: anyone logged in).
#: The first a role may use is its home when it may not count.
MENU = (
    ("/", "overview", "count"),
    ("/office", "office", "approve"),
    ("/cohorts", "cohorts", "count"),
    ("/subgroups", "subgroups", "export"),
    ("/search", "search", "count"),
    ("/extractions", "extractions", "count"),
    ("/prescription", "prescription", None),
    ("/admin", "admin", "manage"),
    ("/admin/mapping", "mapping", "ingest"),
    ("/requests", "requests", "request"),
)


def menu(role: str) -> list[tuple[str, str]]:
    """The pages a role may use: (path, page), in the menu's order."""
    rights = PERMISSIONS.get(role, frozenset())
    return [(path, page) for path, page, right in MENU if right in rights | {None}]


def render(
    request: Request,
    template: str,
    session: Session | None = None,
    status_code: int = 200,
    *,
    page: str,
    **context: Any,
) -> HTMLResponse:
    """A page in the user's language: the template with the session's user,
    role and CSRF token, its title the catalogue's `page.<page>` (formatted
    with `context`), the catalogue for its script. A language chosen by
    `?lang=` is kept in a cookie."""
    lang = _i18n.language(request)
    t = _i18n.translator(lang)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "session": session,
            "menu": menu(session.role) if session else [],
            "version": __version__,
            "page": page,
            "title": t(f"page.{page}", **context),
            "lang": lang,
            "t": t,
            "messages": _i18n.catalogue(lang),
            "switch": _switch(request, lang),
            **context,
        },
        status_code=status_code,
    )
    if _i18n.asked(request):
        response.set_cookie(
            _i18n.COOKIE, lang, max_age=365 * 86400, samesite="strict", path="/"
        )
    return response


def _switch(request: Request, lang: str) -> list[tuple[str, str]]:
    """The links to this page in the other languages: (language, URL)."""
    return [
        (
            other,
            f"{request.url.path}?{urlencode({**request.query_params, 'lang': other})}",
        )
        for other in _i18n.LANGUAGES
        if other != lang
    ]


def error_page(request: Request, status: int, error: dict[str, str]) -> HTMLResponse:
    """The error page: the friendly message, then the status and the detail."""
    session = getattr(request.state, "session", None)
    return render(
        request, "error.html", session, status, page="error", status=status,
        error=error,
    )  # fmt: skip


from entrepot.web.pages import (  # noqa: E402 - the routers use the helpers above
    _admin,
    _cohorts,
    _datathon,
    _extractions,
    _login,
    _mapping,
    _models,
    _network,
    _overview,
    _patients,
    _prescriptions,
    _quality,
    _requests,
    _search,
    _slides,
    _subgroups,
)

ROUTERS = [
    m.router
    for m in (
        _login,
        _overview,
        _cohorts,
        _subgroups,
        _search,
        _extractions,
        _patients,
        _slides,
        _prescriptions,
        _models,
        _admin,
        _mapping,
        _network,
        _datathon,
        _quality,
        _requests,
    )
]
