"""`entrepot demo` ends by serving the web app with a demo login that works."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_with_the_printed_login(tmp_path):
    port = _free_port()
    path = tmp_path / "demo.duckdb"
    demo = subprocess.Popen(
        [sys.executable, "-m", "entrepot", "demo", "--patients", "60", "--seed", "2"]
        + ["-w", str(path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ | {"COLUMNS": "300"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            lines.append(line)
            if "The web app:" in line or not line:
                break
        said = lines[-1]
        assert f"http://127.0.0.1:{port}/" in said, "".join(lines)
        password = said.split("password ")[1].split(" ")[0]
        assert oct(os.stat(f"{path}.credentials").st_mode & 0o777) == "0o600"
        for _ in range(100):  # the server starts listening just after printing
            try:
                token = httpx.post(
                    f"http://127.0.0.1:{port}/api/token",
                    data={"username": "demo", "password": password},
                )
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert token.status_code == 200 and token.json()["role"] == "admin"
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(30)
    assert demo.returncode == 0


def test_a_busy_port_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "entrepot", "serve", "--port", str(port)]
            + ["-w", str(tmp_path / "none.duckdb")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.startswith(f"entrepot: error: cannot listen on 127.0.0.1:{port}")
