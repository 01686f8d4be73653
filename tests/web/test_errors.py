"""Every error, in one shape (`{"detail", "code", "message"}`), over a real
server: the message in the requester's language, from the catalogues; a
browser asking a page gets the error page with the same message."""

from __future__ import annotations

import shutil
from html import unescape

import httpx
import pytest

from entrepot.web._i18n import catalogue
from tests.web.conftest import LiveServer


@pytest.fixture(scope="module")
def live(web_file, tmp_path_factory):
    """A server of this module's own (its logins are throttled), with one
    route that fails as a bug would; tokens taken before any throttling."""
    folder = tmp_path_factory.mktemp("errors")
    shutil.copy(web_file, folder / "eds.duckdb")
    shutil.copytree(web_file.parent / "eds.duckdb.search", folder / "eds.duckdb.search")
    server = LiveServer(folder / "eds.duckdb")

    def broken():
        raise RuntimeError("a bug, with a secret path /etc/entrepot")

    server.app.add_api_route("/api/broken", broken)
    yield server, {user: server.token(user) for user in ("ada", "rita", "vic")}
    server.stop()


def _ask(live, user, method, path, **kwargs) -> httpx.Response:
    server, tokens = live
    headers = kwargs.pop("headers", {})
    if user:
        headers["Authorization"] = f"Bearer {tokens[user]}"
    return httpx.request(
        method, f"{server.url}{path}", headers=headers, timeout=60, **kwargs
    )


#: status -> (user, method, path, request arguments, the detail's start).
PROBES = {
    400: ("rita", "POST", "/api/prescriptions/check", {"json": {"lines": [" "]}},
          "no prescription line given"),
    401: (None, "GET", "/api/me", {}, "not logged in, or the session has expired"),
    403: ("vic", "GET", "/api/patients/1?project=cardio", {}, "a viewer may not read"),
    404: ("rita", "GET", "/api/nowhere", {}, "Not Found"),
    405: ("rita", "DELETE", "/api/me", {}, "Method Not Allowed"),
    409: ("ada", "POST", "/api/admin/users",
          {"json": {"name": "rita", "role": "viewer", "password": "long enough"}},
          "user: 'rita' exists already"),
    413: ("rita", "POST", "/api/logout", {"content": b"x" * (3 * 1024 * 1024)},
          "request body over 2,097,152 bytes"),
    422: ("ada", "GET", "/api/admin/audit?limit=0", {},
          "query.limit: Input should be greater than or equal to 1"),
    500: ("rita", "GET", "/api/broken", {}, "internal error"),
}  # fmt: skip
CODES = {400: "bad_request", 401: "not_logged_in", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
         429: "too_many_requests", 500: "internal"}  # fmt: skip


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("status", sorted(PROBES))
def test_every_error_has_one_shape_in_the_requesters_language(live, status, lang):
    user, method, path, kwargs, detail = PROBES[status]
    r = _ask(live, user, method, path, headers={"Accept-Language": lang}, **kwargs)
    assert r.status_code == status, r.text
    body = r.json()
    code = CODES[status]
    assert body == {
        "detail": body["detail"],
        "code": code,
        "message": catalogue(lang)[f"error.code.{code}"],
    }
    assert body["detail"].startswith(detail) and "\n" not in body["detail"]
    assert "/etc/entrepot" not in r.text


def test_too_many_logins_answer_429_in_the_shape(live):
    """Last in this module: the address is throttled from then on."""
    server, _ = live
    answers = [
        httpx.post(
            f"{server.url}/api/token?lang=en",
            data={"username": "vic", "password": f"guess {i}"},
        )
        for i in range(5)
    ]
    assert [r.status_code for r in answers] == [401, 401, 401, 401, 429]
    assert answers[0].json()["code"] == "not_logged_in"
    last = answers[-1]
    assert int(last.headers["Retry-After"]) >= 1
    assert last.json() == {
        "detail": last.json()["detail"],
        "code": "too_many_requests",
        "message": "Too many attempts: wait before trying again.",
    }
    assert last.json()["detail"].startswith("too many failed logins: try again in")


def test_a_page_shows_the_friendly_message(server):
    """A browser asking a page it may not see, or one that does not exist,
    gets the error page: the message in its language, then the detail."""
    with server.logged_in("dora") as browser:
        refused = browser.get("/patients/1?project=cardio")
        missing = browser.get("/nowhere", headers={"Accept-Language": "en"})
    assert refused.status_code == 403
    assert catalogue("fr")["error.code.forbidden"] in unescape(refused.text)
    assert "not a member of project 'cardio'" in unescape(refused.text)
    assert missing.status_code == 404
    assert 'data-code="not_found"' in missing.text
    assert catalogue("en")["error.code.not_found"] in unescape(missing.text)


def test_the_openapi_schema_describes_the_shape():
    from entrepot.web import create_app

    schemas = create_app(None).openapi()["components"]["schemas"]
    assert schemas["HTTPValidationError"]["required"] == ["detail", "code", "message"]
    assert set(schemas["HTTPValidationError"]["properties"]["code"]["enum"]) == set(
        CODES.values()
    ) | {"busy"}
