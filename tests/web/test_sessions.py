"""Sessions end when left unused, and at a fixed time after the login."""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading

import httpx

from tests.web.conftest import PASSWORD


def test_sessions_expire_when_idle_and_at_their_absolute_end(fresh_server):
    """A session ends `idle` seconds after its last use, and `maximum` seconds
    after the login however busy; its token is then answered 401."""
    from entrepot.web._sessions import Sessions

    now = [0.0]  # the sessions' clock: the test does not wait for real
    fresh_server.web.sessions = Sessions(idle=60, maximum=300, clock=lambda: now[0])
    idle, busy = fresh_server.client("rita"), fresh_server.client("vic")
    for step in range(1, 6):  # vic uses the session every 50 s, rita does not
        now[0] = 50.0 * step
        assert busy.get("/api/me").status_code == 200
    r = idle.get("/api/me")
    assert (r.status_code, r.json()["detail"]) == (
        401,
        "not logged in, or the session has expired",
    )
    now[0] = 299.0
    assert busy.get("/api/me").status_code == 200
    now[0] = 300.0  # five minutes after the login: over, busy or not
    assert busy.get("/api/me").status_code == 401
    assert idle.get("/api/me").status_code == 401  # and it stays over
    assert fresh_server.client("rita").get("/api/me").json()["user"] == "rita"


def test_serve_sets_both_session_lifetimes(web_file, tmp_path):
    """`entrepot serve --session-idle 2 --session-max 60` (minutes): the token
    lasts an hour at most, and the login cookie as long."""
    path = tmp_path / "eds.duckdb"
    shutil.copy(web_file, path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "entrepot", "serve", "--json", "--port", str(port),
         "--session-idle", "2", "--session-max", "60", "--warehouse", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ,
    )  # fmt: skip
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: lines.put(server.stdout.readline()), daemon=True).start()  # fmt: skip
    try:
        url = json.loads(lines.get(timeout=120))["url"]
        login = {"username": "rita", "password": PASSWORD}
        token = httpx.post(f"{url}api/token", data=login).json()
        assert token["expires_in"] == 3600
        page = httpx.post(f"{url}login", data=login, headers={"Origin": url[:-1]})
        assert "max-age=3600" in page.headers["set-cookie"].lower()
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
    assert "Traceback" not in err, err
