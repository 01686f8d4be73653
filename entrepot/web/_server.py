"""`entrepot serve`: the app under uvicorn, on one warehouse."""

from __future__ import annotations

from collections.abc import Callable


def serve(
    uri: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Open the warehouse and answer requests until interrupted."""
    import uvicorn

    from entrepot.warehouse import Warehouse
    from entrepot.web._app import create_app

    wh = Warehouse.open(uri)
    app = create_app(wh, close=True)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        limit_concurrency=200,
        timeout_keep_alive=5,
    )
    server = uvicorn.Server(config)
    if ready is not None:
        ready(f"http://{host}:{port}/")
    server.run()
