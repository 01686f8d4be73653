"""`entrepot hub serve`: the hub's pages over its state folder.

The studies, each node's status and answer, the combined results, read from
the state that `entrepot hub run` and `hub result` write. HTTP Basic login
as `hub` with a password drawn at each start and printed once.
"""

from __future__ import annotations

import html
import json
import secrets
import socket
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from entrepot.errors import EntrepotError, NotFoundError
from entrepot.hub._run import report
from entrepot.hub._state import HubState

USER = "hub"
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;"
    "text-align:left;vertical-align:top}pre{margin:0;white-space:pre-wrap}"
)


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} · entrepot hub</title><style>{STYLE}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"
        },
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _json(data) -> str:
    return f"<pre>{html.escape(json.dumps(data, indent=1, ensure_ascii=False))}</pre>"


_basic = HTTPBasic()


def _login(
    request: Request, credentials: Annotated[HTTPBasicCredentials, Depends(_basic)]
) -> None:
    good = secrets.compare_digest(credentials.username, USER)
    good &= secrets.compare_digest(credentials.password, request.app.state.password)
    if not good:
        raise HTTPException(
            401, "wrong user or password", {"WWW-Authenticate": "Basic"}
        )


LoggedIn = Annotated[None, Depends(_login)]


def create_hub_app(folder: str, password: str) -> FastAPI:
    """The hub's pages and their JSON, for `hub` logged in with `password`."""
    app = FastAPI(title="entrepot hub", docs_url=None, redoc_url=None)
    app.state.password = password

    def _report(study_id: str) -> dict:
        with HubState(folder) as state:
            try:
                return report(state, study_id, combined=False)
            except NotFoundError as e:
                raise HTTPException(404, str(e)) from None

    @app.get("/", response_class=HTMLResponse)
    def studies(_: LoggedIn) -> HTMLResponse:
        with HubState(folder) as state:
            rows = []
            for s in state.studies():
                nodes = state.node_statuses(s["id"])
                statuses = ", ".join(
                    f"{k}: {v['status']}" for k, v in sorted(nodes.items())
                )
                link = f"<a href='/studies/{s['id']}'>{s['id']}</a>"
                rows.append(
                    [link, html.escape(s["name"]), s["analysis"], s["created_at"],
                     html.escape(statuses)]
                )  # fmt: skip
            node_rows = [
                [html.escape(n["name"]), html.escape(n["url"])] for n in state.nodes()
            ]
        return _page(
            "Studies",
            _table(["study", "name", "analysis", "sent (UTC)", "nodes"], rows)
            + "<h2>Nodes</h2>"
            + _table(["node", "URL"], node_rows),
        )

    @app.get("/studies/{study_id}", response_class=HTMLResponse)
    def study(study_id: str, _: LoggedIn) -> HTMLResponse:
        found = _report(study_id)
        rows = [
            [html.escape(n["name"]), n["status"],
             _json({k: v for k, v in n.items() if k not in ("name", "status")})]
            for n in found["nodes"]
        ]  # fmt: skip
        return _page(
            f"{found['name']} ({found['analysis']})",
            _table(["node", "status", "answer"], rows)
            + "<h2>Combined</h2>"
            + _json(found["combined"]),
        )

    @app.get("/api/studies/{study_id}")
    def study_json(study_id: str, _: LoggedIn) -> JSONResponse:
        return JSONResponse(_report(study_id))

    return app


def serve_hub(
    folder: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8100,
    ssl: dict | None = None,
    ready: Callable[[str, str], None] | None = None,
) -> None:
    """Serve the hub's pages until interrupted; `ready(url, password)` once
    it listens. `ssl`: uvicorn's `ssl_certfile` and `ssl_keyfile`."""
    import uvicorn

    HubState(folder).close()  # a folder that cannot be used stops here
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, port))
        except OSError as e:
            raise EntrepotError(
                f"cannot listen on {host}:{port} ({e.strerror})"
            ) from None
    password = secrets.token_urlsafe(18)
    ssl = {k: v for k, v in (ssl or {}).items() if v}
    config = uvicorn.Config(
        create_hub_app(folder, password),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        **ssl,
    )
    server = uvicorn.Server(config)
    scheme = "https" if ssl else "http"
    original = server.startup

    async def startup(sockets=None) -> None:
        await original(sockets)
        if server.started and ready is not None:
            ready(f"{scheme}://{host}:{port}/", password)

    server.startup = startup
    try:
        server.run()
    except KeyboardInterrupt:
        pass
