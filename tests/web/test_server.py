"""The server's frame: tokens, sessions, headers, limits, errors."""

from __future__ import annotations

import httpx

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
    assert logins[-1]["parameters"] == '{"allowed": true}'


def test_wrong_password_and_unknown_user_get_the_same_401(server):
    for user, password in (("rita", "wrong password"), ("nobody", PASSWORD)):
        r = httpx.post(
            f"{server.url}/api/token", data={"username": user, "password": password}
        )
        assert r.status_code == 401
        assert r.json() == {"detail": "unknown user or wrong password"}


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
        assert r.json() == {"detail": "job 99999: no such job of yours"}
        r = api.get("/api/jobs/not-a-number")
        assert r.status_code == 422
        assert "Traceback" not in r.text
