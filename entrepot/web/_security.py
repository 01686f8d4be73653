"""What every response gets: security headers, a body size limit, errors as
one line of JSON (never a stack trace)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrepot.errors import (
    AccessDeniedError,
    AuthenticationError,
    EntrepotError,
    LoginThrottledError,
    NotFoundError,
    first_line,
)

log = logging.getLogger("entrepot.web")

#: Largest request body accepted (a Circe export is well under this).
MAX_BODY = 2 * 1024 * 1024

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class Guard:
    """ASGI middleware: headers on every response, bodies over MAX_BODY refused
    (by Content-Length, or while streaming when it is absent)."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _too_large(scope, receive, send, self.max_body)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:  # answered 413 by FastAPI's handler
                raise HTTPException(413, f"request body over {self.max_body:,} bytes")
            return message

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                if scope["path"].startswith("/api/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, limited, with_headers)


async def _too_large(scope, receive, send, limit: int) -> None:
    response = JSONResponse(
        {"detail": f"request body over {limit:,} bytes"}, status_code=413
    )
    await response(scope, receive, send)


def _status(error: EntrepotError) -> int:
    if isinstance(error, LoginThrottledError):
        return 429
    if isinstance(error, AuthenticationError):
        return 401
    if isinstance(error, AccessDeniedError):
        return 403
    if isinstance(error, NotFoundError):
        return 404
    return 400


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.method == "GET"


def install(app: FastAPI) -> None:
    """Error handlers: entrepot's errors become their status and one line."""

    @app.exception_handler(EntrepotError)
    async def entrepot_error(request: Request, error: EntrepotError) -> Response:
        status = _status(error)
        if _wants_page(request):
            if status == 401:
                return RedirectResponse(f"/login?next={request.url.path}", 303)
            from entrepot.web.pages import error_page

            return error_page(request, status, first_line(error))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(error, LoginThrottledError):
            headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse(
            {"detail": first_line(error)}, status_code=status, headers=headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    app.add_middleware(Guard)
