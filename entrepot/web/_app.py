"""The FastAPI application: API routers, pages, static files, guards."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from entrepot import __version__
from entrepot.web import _node, _security, api, pages
from entrepot.web._sessions import IDLE_SECONDS, SESSION_SECONDS, Sessions
from entrepot.web._state import WebState

STATIC = Path(__file__).parent / "static"


def create_app(
    wh,
    *,
    close: bool = False,
    session_idle: float = IDLE_SECONDS,
    session_max: float = SESSION_SECONDS,
    readers: bool = True,
) -> FastAPI:
    """The web app over an open warehouse. With `close`, the app owns it: a
    DuckDB file is closed at once, then opened only while requests use it
    (commands can work on it in between), and closed with the app. Sessions
    end `session_idle` seconds after their last use, and `session_max`
    seconds after the login. Reads run side by side, each on a connection of
    its own; `readers=False` makes them take turns (a benchmark's baseline)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.web.close()

    app = FastAPI(
        title="entrepot",
        version=__version__,
        summary="A health data warehouse (OMOP CDM): cohorts, reports, prescriptions.",
        docs_url=None,  # the interactive docs load scripts from elsewhere
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = WebState(
        wh,
        own=close,
        sessions=Sessions(idle=session_idle, maximum=session_max),
        readers=readers,
    )
    for router in api.ROUTERS:
        app.include_router(router, prefix="/api")
    for router in pages.ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.include_router(_node.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _security.install(app)
    return app
