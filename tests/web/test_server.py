"""The server's frame: tokens, sessions, headers, limits, errors."""

from __future__ import annotations

import json
import threading
import time

import httpx

from tests.privacy.conftest import set_password_hash
from tests.web.conftest import PASSWORD


def test_token_opens_the_api_and_is_audited(server):
    r = httpx.post(
        f"{server.url}/api/token", data={"username": "rita", "password": PASSWORD}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["role"] == "researcher"
    me = httpx.get(
        f"{server.url}/api/me",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    ).json()
    assert me == {"user": "rita", "role": "researcher", "projects": ["cardio"]}
    from entrepot.privacy import entries

    logins = server.web.use(entries, user="rita", action="login")
    assert json.loads(logins[-1]["parameters"]) == {
        "allowed": True,
        "address": "127.0.0.1",
    }


def test_wrong_password_and_unknown_user_get_the_same_401(server):
    for user, password in (("rita", "wrong password"), ("nobody", PASSWORD)):
        r = httpx.post(
            f"{server.url}/api/token", data={"username": user, "password": password}
        )
        assert r.status_code == 401
        assert r.json()["detail"] == "unknown user or wrong password"


def test_guessing_passwords_is_throttled_then_refused_and_audited(fresh_server):
    """25 wrong passwords in a row were all answered, and the right one then
    worked: now the 4th failure starts a wait, answered 429 with Retry-After,
    during which even the right password is refused."""
    from entrepot.privacy import LoginThrottle

    now = [0.0]  # the throttle's clock: the machine's speed cannot open the window
    fresh_server.web.sessions.throttle = LoginThrottle(clock=lambda: now[0])
    url = f"{fresh_server.url}/api/token"
    answers = [
        httpx.post(url, data={"username": "rita", "password": f"guess {i}"})
        for i in range(6)
    ]
    assert [r.status_code for r in answers] == [401, 401, 401, 401, 429, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "try again in" in answers[-1].json()["detail"]
    right = httpx.post(url, data={"username": "rita", "password": PASSWORD})
    assert right.status_code == 429
    assert httpx.post(url, data={"username": "ada", "password": PASSWORD}).is_success
    from entrepot.privacy import entries

    logins = [
        json.loads(e["parameters"])
        for e in fresh_server.web.use(entries, user="rita", action="login")
    ]
    assert [p.get("throttle") or p.get("refused") for p in logins[-7:]] == [
        *[None] * 3,
        *["throttled"] * 4,  # the 4th failure starts it; the three refusals
    ]
    now[0] += float(right.headers["Retry-After"])
    assert httpx.post(url, data={"username": "rita", "password": PASSWORD}).is_success


def test_password_checks_run_outside_the_warehouse_lock(fresh_server):
    """A slow password check (here a hash made to cost ~1 s) must not hold up
    other users: their requests do not wait for it."""
    from argon2 import PasswordHasher

    from entrepot.privacy import credentials

    slow = PasswordHasher(time_cost=40, memory_cost=65536).hash("vic\x00" + "wrong")
    found = fresh_server.web.use(credentials, "vic")
    fresh_server.web.use(set_password_hash, "vic", slow)
    client = fresh_server.client("rita")
    started = time.perf_counter()
    PasswordHasher().verify(slow, "vic\x00" + "wrong")
    cost = time.perf_counter() - started
    assert cost > 0.4 and found.role == "viewer"

    logins = [
        threading.Thread(
            target=httpx.post,
            args=(f"{fresh_server.url}/api/token",),
            kwargs={"data": {"username": "vic", "password": "not it"}, "timeout": 60},
        )
        for _ in range(2)
    ]
    for t in logins:
        t.start()
    time.sleep(0.1)  # the checks are under way
    started = time.perf_counter()
    assert client.get("/api/me").status_code == 200
    waited = time.perf_counter() - started
    for t in logins:
        t.join()
    assert waited < cost / 2, (waited, cost)


def test_no_token_no_api_and_pages_redirect_to_login(server):
    r = httpx.get(f"{server.url}/api/me")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = httpx.get(f"{server.url}/api/me", headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401
    r = httpx.get(f"{server.url}/")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
    assert httpx.get(f"{server.url}/login").status_code == 200
    assert httpx.get(f"{server.url}/static/app.css").status_code == 200
    assert httpx.get(f"{server.url}/openapi.json").status_code == 200


def test_security_headers_on_every_response(server):
    for path in ("/login", "/api/me", "/static/app.js", "/nowhere"):
        headers = httpx.get(f"{server.url}{path}").headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
    assert httpx.get(f"{server.url}/api/me").headers["cache-control"] == "no-store"


def test_oversized_bodies_are_refused_before_they_are_read(server):
    with server.client("rita") as api:
        r = api.post("/api/logout", content=b"x" * (3 * 1024 * 1024))
        assert r.status_code == 413
        assert r.json()["detail"].startswith("request body over")


def test_cookie_session_needs_the_csrf_token_to_change_anything(server):
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        r = browser.post(
            "/login",
            data={"username": "rita", "password": PASSWORD, "next": "//evil.example"},
            headers={"Origin": server.url},
        )
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert browser.get("/api/me").json()["user"] == "rita"
        assert browser.post("/api/logout").status_code == 403  # no CSRF token
        page = browser.get("/").text
        csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
        assert (
            browser.post("/api/logout", headers={"X-CSRF-Token": csrf}).status_code
            == 204
        )
        assert browser.get("/api/me").status_code == 401


def test_a_login_posted_from_another_site_is_refused(server):
    r = httpx.post(
        f"{server.url}/login",
        data={"username": "rita", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    assert "set-cookie" not in r.headers


def test_errors_are_one_line_without_trace(server):
    with server.client("rita") as api:
        r = api.get("/api/jobs/99999")
        assert r.status_code == 404
        assert r.json()["detail"] == "job 99999: no such job of yours"
        r = api.get("/api/jobs/not-a-number")
        assert r.status_code == 422
        assert "Traceback" not in r.text
