"""`entrepot serve`: the web app and HTTP API."""

from __future__ import annotations

from typing import Annotated

import typer

from entrepot.cli._common import (
    CertOption,
    JsonOption,
    KeyOption,
    QuietOption,
    WarehouseOption,
    emit,
    ssl_options,
    stderr,
)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port to listen on.", min=1, max=65535)
    ] = 8000,
    session_idle: Annotated[
        float,
        typer.Option(help="Minutes after which an unused session ends.", min=0.01),
    ] = 30,
    session_max: Annotated[
        float,
        typer.Option(help="Minutes after the login when a session ends.", min=0.01),
    ] = 480,
    ssl_certfile: CertOption = None,
    ssl_keyfile: KeyOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Serve the web app and the JSON API (/api/, /openapi.json) until Ctrl-C;
    with --json, one line {"url": ...} on stdout once it listens."""
    from entrepot.web import serve as run_server

    ssl = ssl_options(ssl_certfile, ssl_keyfile)
    run_server(
        warehouse,
        ssl=ssl,
        host=host,
        port=port,
        session_idle=session_idle * 60,
        session_max=session_max * 60,
        ready=lambda url: emit(
            {"url": url},
            json,
            lambda: quiet or stderr.print(f"entrepot serves {url} (Ctrl-C stops)"),
        ),
    )
