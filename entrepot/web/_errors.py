"""Every error the app answers, in one shape: `{"detail", "code", "message"}`.

`detail` is the one-line technical reason (English, as before: scripts and
tests read it), `code` a stable name of the status, `message` a friendly
sentence in the requester's language from the message catalogues. A page
asked by a browser gets the error page with the same two texts.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from entrepot.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConflictError,
    EntrepotError,
    LoginThrottledError,
    NotFoundError,
    WarehouseBusyError,
    first_line,
)
from entrepot.web import _i18n

log = logging.getLogger("entrepot.web")

#: HTTP status -> the error's `code` (its message is `error.code.<code>`).
CODES = {
    400: "bad_request",
    401: "not_logged_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "too_many_requests",
    500: "internal",
    503: "busy",
}


def status_of(error: EntrepotError) -> int:
    """The HTTP status of one of entrepot's errors."""
    for kind, status in (
        (LoginThrottledError, 429),
        (AuthenticationError, 401),
        (AccessDeniedError, 403),
        (NotFoundError, 404),
        (ConflictError, 409),
        (WarehouseBusyError, 503),
    ):
        if isinstance(error, kind):
            return status
    return 400


def _code(status: int) -> str:
    return CODES.get(status) or CODES[500 if status >= 500 else 400]


def error_body(request: Request, status: int, detail: str) -> dict[str, str]:
    """The one shape of an error, its message in the requester's language."""
    code = _code(status)
    message = _i18n.translator(_i18n.language(request))(f"error.code.{code}")
    return {"detail": detail, "code": code, "message": message}


def error_response(
    request: Request, status: int, detail: str, headers: dict | None = None
) -> Response:
    """The error as JSON, or as the error page for a browser asking a page
    (a page that needs a login sends there)."""
    if not request.url.path.startswith(("/api/", "/node/")) and request.method in (
        "GET",
        "HEAD",
    ):
        if status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", 303)
        from entrepot.web.pages import error_page

        return error_page(request, status, error_body(request, status, detail))
    return JSONResponse(
        error_body(request, status, detail), status_code=status, headers=headers
    )


def _validation(error: RequestValidationError) -> str:
    """FastAPI's list of problems on one line: `query.limit: Input should be …`."""
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()
    )


#: The shape, in the OpenAPI schema (where FastAPI describes its 422s).
SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail", "code", "message"],
    "properties": {
        "detail": {"type": "string", "description": "The reason, in English."},
        "code": {"type": "string", "enum": sorted(set(CODES.values()))},
        "message": {"type": "string", "description": "In the user's language."},
    },
}


def _described(app: FastAPI) -> None:
    """The OpenAPI schema's validation errors described in the one shape."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {})
            schema["components"]["schemas"]["HTTPValidationError"] = SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi


def install(app: FastAPI) -> None:
    """Handlers turning every error into its status and the one shape."""
    _described(app)

    @app.exception_handler(EntrepotError)
    async def entrepot_error(request: Request, error: EntrepotError) -> Response:
        status = status_of(error)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(error, LoginThrottledError):
            headers = {"Retry-After": str(error.retry_after)}
        return error_response(request, status, first_line(error), headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        return error_response(request, error.status_code, detail, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        return error_response(request, 422, _validation(error))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse(error_body(request, 500, "internal error"), status_code=500)
