"""Fixtures of the web tests: a synthetic hospital with users and projects,
served by a real uvicorn server on a loopback port."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from entrepot.warehouse import Warehouse

PASSWORD = "correct horse battery"
#: name -> (role, projects). "cardio" holds every patient; "derma" a few
#: tables; "htn" the persons of a cohort (`PERIMETER`).
USERS = {
    "ada": ("admin", ()),
    "eve": ("data_engineer", ()),
    "rita": ("researcher", ("cardio",)),
    "vic": ("viewer", ("cardio",)),
    "dora": ("researcher", ("derma", "htn")),
    "otto": ("data_office", ()),  # approves requests and extracts, sees no data
}
#: The cohort that is project "htn"'s perimeter: persons with hypertension.
PERIMETER = {
    "name": "hypertension (project htn's perimeter)",
    "concept_sets": {
        "htn": {"items": [{"vocabulary": "CIM10", "code": "I10", "descendants": True}]}
    },
    "entry": {"events": [{"domain": "condition", "concept_set": "htn", "first": True}]},
}


@pytest.fixture(scope="session")
def web_file(tmp_path_factory) -> Path:
    """A 300-patient synthetic hospital, indexed, with users and projects."""
    from entrepot.cohort import run_cohort
    from entrepot.cohort._files import definition_from_data
    from entrepot.privacy import add_project, add_user
    from entrepot.search import update_index
    from entrepot.synth import generate_hospital

    folder = tmp_path_factory.mktemp("web")
    path = folder / "eds.duckdb"
    generate_hospital(path, patients=300, seed=11, notes=True, workers=1)
    with Warehouse.open(path) as wh:
        update_index(wh, workers=1)
        add_project(wh, "cardio")
        add_project(wh, "derma", start=None, domains=["condition_occurrence", "note"])
        perimeter = definition_from_data(PERIMETER, "fixture")
        add_project(wh, "htn", cohort_id=run_cohort(wh, perimeter).cohort_definition_id)
        for name, (role, projects) in USERS.items():
            add_user(wh, name, role, PASSWORD, projects=projects)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving the app in a thread, on a private copy of the warehouse."""

    def __init__(self, path: Path, **options) -> None:
        import uvicorn

        from entrepot.web import create_app

        self.wh = Warehouse.open(path)
        self.app = create_app(self.wh, close=True, **options)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)

    def token(self, user: str, password: str = PASSWORD) -> str:
        r = httpx.post(
            f"{self.url}/api/token", data={"username": user, "password": password}
        )
        r.raise_for_status()
        return r.json()["access_token"]

    def client(self, user: str | None = None) -> httpx.Client:
        """An API client, logged in as `user` (bearer token) when given."""
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    @property
    def web(self):
        return self.app.state.web

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def _serve_copy(web_file: Path, folder: Path, **options):
    """A live server on a copy of the warehouse and its search index
    (`options`: `create_app`'s)."""
    path = folder / "eds.duckdb"
    shutil.copy(web_file, path)
    shutil.copytree(
        web_file.parent / "eds.duckdb.search", path.parent / "eds.duckdb.search"
    )
    live = LiveServer(path, **options)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def server(web_file, tmp_path_factory):
    """One server for the session's read-mostly tests."""
    yield from _serve_copy(web_file, tmp_path_factory.mktemp("served"))


@pytest.fixture
def fresh_server(web_file, tmp_path):
    """A server of the test's own, on a copy it may change."""
    yield from _serve_copy(web_file, tmp_path)
