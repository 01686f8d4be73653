"""The authorisation matrix: every role, and no token, on every endpoint of the
API. The endpoints are read from the app at run time, so a new one cannot
escape: it must be in `EXPECTED`, else the test fails naming it.

Researchers and viewers call with `?project=cardio` (rita and vic are members,
dora is not); the admin, the data engineer and the data office (otto) call
warehouse-wide. "Allowed"
means authorised: the answer is neither 401 nor 403 nor a server error (the
request may still be refused further on, e.g. 422 for a body left empty, as
authorisation runs before validation). Every call with a token is audited.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from entrepot.privacy import audit_head
from tests.web.conftest import USERS

EVERYONE = frozenset(USERS)
#: Who may do what, by the privacy policy (see the module docstring).
ALLOWED = {
    "count": frozenset({"ada", "eve", "rita", "vic"}),  # dora: not in cardio
    "read": frozenset({"ada", "eve", "rita"}),  # a viewer only counts
    "export": frozenset({"ada", "eve", "rita"}),
    "write": frozenset(
        {"ada", "eve", "rita"}
    ),  # cohorts, saved searches: never a viewer
    "ingest": frozenset({"ada", "eve"}),  # writing the warehouse: never a researcher
    "manage": frozenset({"ada"}),
    "request": frozenset({"ada", "eve", "rita", "dora"}),  # asking for a project
    "approve": frozenset({"otto"}),  # the data office alone, never the admin
    "logged": EVERYONE,  # no patient data: any logged-in user
}
PROJECT = {"ada": None, "eve": None, "rita": "cardio", "vic": "cardio", "dora": "cardio", "otto": None}  # fmt: skip
#: "METHOD /path" -> the right it needs. Rows for endpoints other helpers are
#: still writing are kept: `test_every_row_is_served` names those not served.
EXPECTED = {
    "POST /api/logout": "logged",
    "GET /api/me": "logged",
    "GET /api/jobs/{job_id}": "logged",
    # overview and vocabulary
    "GET /api/overview": "count",
    "GET /api/quality": "count",
    "GET /api/vocabulary": "logged",
    "GET /api/care-sites": "logged",  # the hierarchy's names: no patient data
    # cohorts (making and deleting one take the write right)
    "POST /api/cohorts": "write",
    "POST /api/cohorts/count": "count",
    "GET /api/cohorts": "count",
    "GET /api/cohorts/{cohort_id}": "count",
    "GET /api/cohorts/{cohort_id}/describe": "count",
    "GET /api/cohorts/{cohort_id}/export": "export",
    "DELETE /api/cohorts/{cohort_id}": "write",
    # Circe export and import of a definition (the builder's): no patient data
    "POST /api/cohorts/circe": "count",
    "POST /api/cohorts/definition": "count",
    # patient subgroups (features are rows: the export right, as on the CLI)
    "POST /api/subgroups": "export",
    "GET /api/subgroups/{job_id}/survival.svg": "export",
    # structured extraction (a run writes the warehouse: the ingest right, as nlp run)
    "POST /api/extractions": "ingest",
    "GET /api/extractions": "count",
    "GET /api/extractions/notes": "read",
    # search in reports
    "GET /api/search": "count",
    "POST /api/search/cohort": "write",
    # patients
    "GET /api/patients/{person_id}": "read",
    "GET /api/patients/{person_id}/notes/{note_id}": "read",
    "GET /api/cohorts/{cohort_id}/patients": "read",
    # slides (pixels and what they are: rows about a patient)
    "GET /api/patients/{person_id}/slides": "read",
    "GET /api/slides/{slide_id}": "read",
    "GET /api/slides/{slide_id}/slide.dzi": "read",
    "GET /api/slides/{slide_id}/slide_files/{level}/{name}": "read",
    "GET /api/slides/{slide_id}/heatmap.png": "read",
    # prescriptions
    "POST /api/prescriptions/check": "logged",
    "POST /api/prescriptions/effects": "logged",
    # administration
    "GET /api/admin/users": "manage",
    "POST /api/admin/users": "manage",
    "GET /api/admin/projects": "manage",
    "POST /api/admin/projects": "manage",
    "PATCH /api/admin/projects/{name}": "manage",
    "POST /api/admin/projects/{name}/members": "manage",
    "GET /api/admin/audit": "manage",
    "GET /api/admin/audit/verify": "manage",
    "GET /api/admin/optout": "manage",
    "POST /api/admin/optout": "manage",
    "DELETE /api/admin/optout/{person_id}": "manage",
    "GET /api/admin/optout/pending": "manage",
    "GET /api/admin/deaths/review": "manage",
    # mapping local codes: the data team (vocab approve's right)
    "GET /api/mapping": "ingest",
    "POST /api/mapping": "ingest",
    # datathons (a warehouse that is no datathon's hospital answers 404)
    "POST /api/datathon/submissions": "write",
    "GET /api/datathon/leaderboard": "count",
    "GET /api/admin/datathon": "manage",
    "POST /api/admin/datathon/phase": "manage",
    "GET /api/admin/datathon/grades.csv": "manage",
    "POST /api/admin/text": "manage",
    # requests for projects and extracts (the data office approves)
    "POST /api/requests": "request",
    "GET /api/requests": "request",
    "GET /api/requests/queue": "approve",
    "POST /api/requests/{request_id}/amend": "approve",
    "POST /api/requests/{request_id}/approve": "approve",
    "POST /api/requests/{request_id}/refuse": "approve",
    "GET /api/extracts/columns": "export",
    "GET /api/extracts/quasi": "export",
    "POST /api/extracts": "export",
    "GET /api/extracts": "export",
    "GET /api/extracts/queue": "approve",
    "POST /api/extracts/{extract_id}/approve": "approve",
    "POST /api/extracts/{extract_id}/refuse": "approve",
    "POST /api/extracts/{extract_id}/produce": "export",
}
#: Open without a token: logging in.
PUBLIC = {"POST /api/token"}
#: Queries that make a call valid, so that "allowed" is a real answer.
QUERIES = {
    "GET /api/search": {"q": "insuffisance", "limit": 1},
    "GET /api/vocabulary": {"q": "diabete"},
}


def api_endpoints(app) -> list[str]:
    """Every JSON endpoint the app serves, as "METHOD /path"."""
    return sorted(
        f"{method} {c.path}"
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, APIRoute) and c.path.startswith("/api/")
        for method in c.methods
    )


@pytest.fixture(scope="module")
def ids(server) -> dict[str, str]:
    """Values for path parameters: a real person, one of their notes, a
    project; no cohort (nothing of other tests' is deleted)."""

    def first_note(wh):
        n = wh.table("note")
        return n.order_by(n.note_id).limit(1).to_pyarrow().to_pylist()[0]

    note = server.web.use(first_note)
    return {"person_id": str(note["person_id"]), "note_id": str(note["note_id"]),
            "name": "cardio", "job_id": "1", "cohort_id": "999999"}  # fmt: skip


def _url(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "1"), path)


def _audited(server) -> int:
    return server.web.use(audit_head).entries  # queued entries written first


def test_every_endpoint_is_in_the_table(server):
    missing = [e for e in api_endpoints(server.app) if e not in EXPECTED | dict.fromkeys(PUBLIC)]  # fmt: skip
    assert not missing, f"endpoints missing from the authorisation table: {missing}"


def test_every_row_is_served(server):
    served = set(api_endpoints(server.app))
    absent = sorted(set(EXPECTED) - served)
    if absent:
        pytest.xfail(f"in the table but not served (yet): {absent}")


def test_no_token_no_api(server):
    for endpoint in api_endpoints(server.app):
        if endpoint in PUBLIC:
            continue
        method, path = endpoint.split(" ", 1)
        r = httpx.request(method, server.url + _url(path, {}), json=_body(method))
        assert r.status_code == 401, f"{endpoint} answered {r.status_code} without a token"  # fmt: skip
        assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("user", sorted(USERS))
def test_the_matrix(server, ids, user):
    token = server.token(user)
    headers = {"Authorization": f"Bearer {token}"}
    wrong = []
    for endpoint in api_endpoints(server.app):
        if endpoint in PUBLIC or endpoint not in EXPECTED:
            continue  # the table's completeness is asserted above
        method, path = endpoint.split(" ", 1)
        if endpoint == "POST /api/logout":  # would end the session the matrix uses
            headers = {"Authorization": f"Bearer {server.token(user)}"}
        params = dict(QUERIES.get(endpoint, {}))
        if PROJECT[user]:
            params["project"] = PROJECT[user]
        before = _audited(server)
        r = httpx.request(method, server.url + _url(path, ids), params=params, json=_body(method), headers=headers, timeout=60)  # fmt: skip
        allowed = user in ALLOWED[EXPECTED[endpoint]]
        got = "allowed" if r.status_code not in (401, 403) else str(r.status_code)
        if r.status_code >= 500 or got != ("allowed" if allowed else "403"):
            wrong.append(f"{endpoint}: {r.status_code} {r.text[:120]}")
        if _audited(server) <= before:
            wrong.append(f"{endpoint}: no audit entry")
        headers = {"Authorization": f"Bearer {token}"}
    assert not wrong, f"{user} ({USERS[user][0]}): " + "; ".join(wrong)


def test_researchers_and_viewers_act_only_in_a_project(server, ids):
    served = set(api_endpoints(server.app))
    for user in ("rita", "vic"):
        role = USERS[user][0]
        with server.client(user) as api:
            for endpoint, right in EXPECTED.items():
                if (
                    right not in ("count", "read", "export", "write")
                    or endpoint not in served
                ):
                    continue
                method, path = endpoint.split(" ", 1)
                r = api.request(method, _url(path, ids), params=QUERIES.get(endpoint, {}), json=_body(method))  # fmt: skip
                detail = (
                    f"a {role} acts only within a project"
                    if user in ALLOWED[right]
                    else f"a {role} may not {right}"
                )
                assert (r.status_code, r.json()["detail"]) == (403, detail), endpoint


def _body(method: str) -> dict | None:
    """An empty JSON object for calls that take a body (invalid: nothing is written)."""
    return {} if method in ("POST", "PUT", "PATCH") else None
