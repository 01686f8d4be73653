"""Fixtures of the web tests: a synthetic hospital with users and projects,
served by a real uvicorn server on a loopback port, and a page of the
session's browser (`browser`, tests/conftest.py: Playwright driving Debian's
Chromium, never a downloaded one) logged in as a user at a page of the app
(`page_as`)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from entrepot.warehouse import Warehouse
from tests.conftest import TIMEOUT_MS

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

    @contextmanager
    def logged_in(self, user: str) -> Iterator[httpx.Client]:
        """A client logged in through the login form (the session cookie), as
        a browser without scripts; redirects are not followed."""
        with httpx.Client(base_url=self.url, follow_redirects=False, timeout=60) as c:
            r = c.post(
                "/login",
                data={"username": user, "password": PASSWORD},
                headers={"Origin": self.url},
            )
            if r.status_code != 303:
                raise RuntimeError(f"{user} could not log in: {r.status_code}")
            yield c

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


#: The browser of a French clinician (Chromium's own default asks for English).
LOCALE = "fr-FR"
#: Screenshots of the browser tests.
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "browser"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def log_in(page, server, user: str, path: str = "/", password: str = PASSWORD):
    """Log `page` in as `user` through the login form, with the keyboard;
    it ends at `path` (where the login sends it)."""
    page.goto(f"{server.url}/login?next={quote(path, safe='/')}")
    page.fill("#username", user)
    page.fill("#password", password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def page_as(browser):
    """`page_as(server, user, path="/")`: a French browser's page (a context
    of its own, 1366×768 unless `viewport`) logged in as `user` (`log_in`)
    at `path`. The console's errors are kept in `page.console_errors`.
    Closed after the test."""
    contexts = []

    def open_as(server, user: str, path: str = "/", *, viewport=None, password=PASSWORD):  # fmt: skip
        context = browser.new_context(
            viewport=viewport or {"width": 1366, "height": 768}, locale=LOCALE
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))  # fmt: skip
        log_in(page, server, user, path, password)
        return page

    yield open_as
    for context in contexts:
        context.close()
