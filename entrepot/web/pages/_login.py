"""Pages: log in and out. The session token goes into an HttpOnly,
SameSite=Strict cookie; a login posted from another site is refused."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from entrepot.errors import AccessDeniedError, AuthenticationError
from entrepot.web._auth import COOKIE
from entrepot.web._state import state
from entrepot.web.api._session import login
from entrepot.web.pages import PageSession, render

router = APIRouter()


def _local(path: str | None) -> str:
    """Only a path on this site may follow the login (no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host")


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", page="login", next=_local(next))


@router.post("/login")
def login_form(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    if not _same_origin(request):
        raise AccessDeniedError("a login from another site is refused")
    try:
        session = login(request, username, password)
    except AuthenticationError:
        return render(
            request,
            "login.html",
            status_code=401,
            page="login",
            next=_local(next),
            failed=True,
            username=username,
        )
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=round(state(request).sessions.maximum),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, session: PageSession):
    state(request).sessions.close(session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
