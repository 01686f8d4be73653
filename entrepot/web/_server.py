"""`entrepot serve`: the app under uvicorn, on one warehouse."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn

from entrepot.errors import EntrepotError


def _check_free(host: str, port: int) -> None:
    """One line instead of uvicorn's log when the address is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, port))
        except OSError as e:
            raise EntrepotError(
                f"cannot listen on {host}:{port} ({e.strerror}): choose another --port"
            ) from None


class _Server(uvicorn.Server):
    """uvicorn's server, calling `ready()` once its socket listens."""

    def __init__(self, config: uvicorn.Config, ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            self._ready()


def serve(
    uri: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    ready: Callable[[str], None] | None = None,
    ssl: dict[str, str | None] | None = None,
    **sessions: float,
) -> None:
    """Open the warehouse and answer requests until interrupted; `sessions`:
    `create_app`'s session lifetimes; `ssl`: uvicorn's `ssl_certfile` and
    `ssl_keyfile` (HTTPS)."""
    from entrepot.warehouse import Warehouse
    from entrepot.web._app import create_app

    _check_free(host, port)
    wh = Warehouse.open(uri)
    app = create_app(wh, close=True, **sessions)
    ssl = {k: v for k, v in (ssl or {}).items() if v}
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        limit_concurrency=200,
        timeout_keep_alive=5,
        **ssl,
    )
    url = f"{'https' if ssl else 'http'}://{host}:{port}/"
    server = _Server(config, lambda: ready is not None and ready(url))
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C once it has shut down
        pass
