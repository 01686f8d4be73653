"""Administration: users, projects, members, the audit log, opt-out (admin only)."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from entrepot.privacy import entries, person_id
from tests.web.accessibility import assert_accessible
from tests.web.conftest import PASSWORD, USERS, shot


def test_a_user_added_through_the_api_can_log_in(fresh_server):
    with fresh_server.client("ada") as api:
        r = api.post(
            "/api/admin/users",
            json={"name": "zoe", "role": "viewer", "password": PASSWORD, "projects": ["cardio"]},
        )  # fmt: skip
        assert r.status_code == 201
        assert r.json() == {"name": "zoe", "role": "viewer", "projects": ["cardio"]}
        listed = {u["name"]: u for u in api.get("/api/admin/users").json()}
        assert listed["zoe"] == {
            "name": "zoe",
            "role": "viewer",
            "projects": ["cardio"],
        }
        assert set(listed) == set(USERS) | {"zoe"}
        assert "hash" not in api.get("/api/admin/users").text
    with fresh_server.client("zoe") as zoe:
        assert zoe.get("/api/me").json() == {
            "user": "zoe",
            "role": "viewer",
            "projects": ["cardio"],
        }


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"name": "rita", "role": "viewer", "password": "long enough"},
         409, "user: 'rita' exists already"),
        ({"name": "sam", "role": "viewer", "password": "short"},
         400, "password: at least 8 characters are needed"),
        ({"name": "sam", "role": "viewer", "password": "long enough", "projects": ["nope"]},
         400, "project: no project 'nope'"),
    ],
)  # fmt: skip
def test_bad_users_are_refused_in_one_line(server, body, status, detail):
    with server.client("ada") as api:
        r = api.post("/api/admin/users", json=body)
        assert (r.status_code, r.json()["detail"]) == (status, detail)
        assert "sam" not in {u["name"] for u in api.get("/api/admin/users").json()}


def test_projects_and_members(fresh_server):
    with fresh_server.client("ada") as api:
        body = {"name": "neuro", "domains": ["condition_occurrence"], "start": "2015-01-01", "mask_below": 5}  # fmt: skip
        r = api.post("/api/admin/projects", json=body)
        assert r.status_code == 201
        made = r.json()
        assert (made["name"], made["domains"], made["start"], made["end"]) == (
            "neuro", ["condition_occurrence"], "2015-01-01", None
        )  # fmt: skip
        assert (made["mask_below"], made["members"]) == (5, [])
        r = api.post("/api/admin/projects", json={"name": "neuro"})
        assert (r.status_code, r.json()) == (409, {
            "detail": "project: 'neuro' exists already", "code": "conflict",
            "message": r.json()["message"]})  # fmt: skip
        assert r.json()["message"]  # the friendly sentence of a conflict
        r = api.post("/api/admin/projects", json={"name": " "})
        assert (r.status_code, r.json()["detail"]) == (400, "project: the name is empty")  # fmt: skip
        r = api.post("/api/admin/projects", json={"name": "x", "domains": ["nothing"]})
        assert r.json()["detail"] == "domains: no table 'nothing'"
        rita = fresh_server.token("rita")
        r = api.post("/api/admin/projects/neuro/members", json={"user": "rita"})
        assert (r.status_code, r.json()) == (201, {"user": "rita", "project": "neuro"})
        mine = httpx.get(f"{fresh_server.url}/api/me", headers={"Authorization": f"Bearer {rita}"})  # fmt: skip
        assert mine.status_code == 401  # her rights changed: her session was closed
        projects = {p["name"]: p for p in api.get("/api/admin/projects").json()}
        assert projects["neuro"]["members"] == ["rita"]
        assert projects["cardio"]["members"] == ["rita", "vic"]
        assert projects["derma"]["domains"] == ["condition_occurrence", "note"]
        r = api.post("/api/admin/projects/neuro/members", json={"user": "nobody"})
        assert (r.status_code, r.json()["detail"]) == (404, "user: no user 'nobody'")
        r = api.post("/api/admin/projects/nope/members", json={"user": "rita"})
        assert (r.status_code, r.json()["detail"]) == (400, "project: no project 'nope'")  # fmt: skip
    with fresh_server.client("rita") as api:
        assert api.get("/api/me").json()["projects"] == ["cardio", "neuro"]


def test_the_audit_viewer_shows_logins_newest_first(server):
    server.token("vic")
    server.token("vic")
    with server.client("ada") as api:
        logins = api.get("/api/admin/audit", params={"user": "vic", "action": "login"}).json()  # fmt: skip
        assert len(logins) >= 2
        assert {(e["user"], e["action"]) for e in logins} == {("vic", "login")}
        assert logins[0]["parameters"] == {"allowed": True, "address": "127.0.0.1"}
        assert [e["seq"] for e in logins] == sorted((e["seq"] for e in logins), reverse=True)  # fmt: skip
        one = api.get("/api/admin/audit", params={"limit": 1}).json()
        assert len(one) == 1 and one[0]["action"] == "authorise.manage"  # this call
        assert one[0]["parameters"]["target"] == "GET /api/admin/audit"
        assert api.get("/api/admin/audit", params={"limit": 0}).status_code == 422
        assert api.get("/api/admin/audit", params={"limit": 1001}).status_code == 422
        verified = api.get("/api/admin/audit/verify").json()
        stored = server.web.use(entries)
        assert verified["ok"] is True and verified["first_bad"] is None
        assert verified["entries"] >= len(stored) - 1
        assert verified["anchor"]["ok"] is True  # the head kept beside the warehouse
        assert verified["anchor"]["entries"] >= len(stored) - 1


def test_verify_finds_a_tampered_entry(fresh_server):
    fresh_server.token("rita")
    with fresh_server.client("ada") as api:
        assert api.get("/api/admin/audit/verify").json()["ok"] is True
        rows = fresh_server.web.use(entries)
        victim = rows[len(rows) // 2]
        position = rows.index(victim) + 1
        fresh_server.web.use(
            lambda wh: wh.con.con.execute(
                "UPDATE entrepot.audit_log SET user = 'mallory' WHERE seq = "
                f"{int(victim['seq'])}"
            )
        )
        verified = api.get("/api/admin/audit/verify").json()
        assert verified["ok"] is False and verified["first_bad"] == position


def _no_key_in_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("ENTREPOT_KEY", raising=False)
    monkeypatch.delenv("ENTREPOT_KEY_FILE", raising=False)


def test_optout_is_sealed_for_the_key_holder_then_applied_and_withdrawn(fresh_server, monkeypatch):  # fmt: skip
    """The server has no key: an objection waits, sealed, for the key holder."""
    from entrepot.privacy import SecretKey, apply_optout_requests, publish_optout_key

    _no_key_in_the_environment(monkeypatch)
    with fresh_server.client("ada") as api:
        r = api.post("/api/admin/optout", json={"ipps": ["8000000001"]})
        assert r.status_code == 400
        assert r.json()["detail"].startswith(
            "opt-out requests need the key holder's public key"
        )
        key = SecretKey(bytes.fromhex("ab" * 32))
        fresh_server.web.use(publish_optout_key, key)  # `entrepot optout keys`
        r = api.post("/api/admin/optout", json={"ipps": ["8000000001", "8000000001"]})
        assert (r.status_code, r.json()["pending"]) == (202, 1)
        pending = api.get("/api/admin/optout/pending").json()
        assert [(p["request_id"], p["requested_by"]) for p in pending] == [
            (r.json()["requests"][0], "ada")
        ]
        assert "8000000001" not in api.get("/api/admin/optout/pending").text
        assert api.get("/api/admin/optout").json() == []  # not applied yet

        done = fresh_server.web.use(apply_optout_requests, key, user="dpo")
        assert (done["requests"], done["patients"], done["new"]) == (1, 1, 1)
        pid = person_id(key, "8000000001")
        listed = api.get("/api/admin/optout").json()
        assert [(o["person_id"], o["added_by"]) for o in listed] == [(pid, "dpo")]
        assert api.get("/api/admin/optout/pending").json() == []
        r = api.delete(f"/api/admin/optout/{pid}")
        assert (r.status_code, r.json()) == (200, {"removed": 1})
        assert api.get("/api/admin/optout").json() == []
        r = api.delete(f"/api/admin/optout/{pid}")
        assert r.status_code == 404
    actions = [e["action"] for e in fresh_server.web.use(entries)]
    assert actions.count("optout.request") == 1 and "optout.apply" in actions


def test_optout_erases_a_patients_rows_once_the_key_holder_applies_it(fresh_server, monkeypatch):  # fmt: skip
    """Patients of the synthetic hospital have no IPP here: their erasure is
    checked through the key the test picks, on a person it makes exist."""
    from entrepot.privacy import SecretKey, apply_optout_requests, publish_optout_key

    _no_key_in_the_environment(monkeypatch)
    key = SecretKey(bytes.fromhex("cd" * 32))
    pid = person_id(key, "8000000002")
    fresh_server.web.use(
        lambda wh: wh.con.con.execute(
            "UPDATE person SET person_id = "
            f"{pid} WHERE person_id = (SELECT min(person_id) FROM person)"
        )
    )
    from entrepot.cohort._results import stored_tables

    fresh_server.web.use(stored_tables)  # results tables outside the CDM exist
    fresh_server.web.use(publish_optout_key, key)
    before = fresh_server.web.use(lambda wh: wh.count("person"))
    with fresh_server.client("ada") as api:
        r = api.post("/api/admin/optout", json={"ipps": ["8000000002"]})
        assert r.status_code == 202
    # the server cannot tell who 8000000002 is: the patient is still there
    assert fresh_server.web.use(lambda wh: wh.count("person")) == before
    done = fresh_server.web.use(apply_optout_requests, key, user="dpo")
    assert done["rows_removed"]["person"] == 1
    assert fresh_server.web.use(lambda wh: wh.count("person")) == before - 1


@pytest.mark.parametrize("user", ["eve", "rita", "vic", "dora"])
def test_others_may_not_administer(server, user):
    with server.client(user) as api:
        for method, path, body in (
            ("GET", "/api/admin/users", None),
            (
                "POST",
                "/api/admin/users",
                {"name": "x", "role": "admin", "password": "12345678"},
            ),  # fmt: skip
            ("GET", "/api/admin/audit", None),
            ("GET", "/api/admin/audit/verify", None),
            ("POST", "/api/admin/optout", {"ipps": ["1"]}),
            ("GET", "/api/admin/deaths/review", None),
        ):
            r = api.request(method, path, json=body)
            assert (r.status_code, r.json()["detail"]) == (
                403,
                f"a {_role(user)} may not manage",
            )
    assert httpx.get(f"{server.url}/api/admin/users").status_code == 401


def _role(user: str) -> str:
    from tests.web.conftest import USERS

    return USERS[user][0]


def test_the_admin_page_is_for_admins_only(server):
    with server.logged_in("ada") as browser:
        page = browser.get("/admin")
        assert page.status_code == 200
        for id_ in ("users", "add-user", "projects", "audit", "verify-audit", "optout"):
            assert f'id="{id_}"' in page.text
        assert '<script src="/static/admin.js" defer>' in page.text
    with server.logged_in("rita") as browser:
        page = browser.get("/admin")
        assert page.status_code == 403
        assert 'data-status="403"' in page.text and "may not manage" in page.text
    r = httpx.get(f"{server.url}/admin")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin"


@pytest.mark.browser
def test_the_admin_page_in_a_browser(page_as, fresh_server):
    """Users, a user added with the keyboard, the audit log filtered, the
    chain verified (in English)."""
    page = page_as(fresh_server, "ada", "/admin?lang=en")
    expect(page.locator("#users tbody tr")).to_have_count(len(USERS))
    projects = page.locator("#projects tbody tr")  # cardio, derma, htn
    expect(projects).to_have_count(3)
    expect(page.locator("#member-project option")).to_have_count(3)
    page.fill("#user-name", "zoe")
    page.select_option("#user-role", "viewer")
    page.fill("#user-password", PASSWORD)
    page.fill("#user-projects", "derma")
    page.focus("#user-projects")
    page.keyboard.press("Enter")
    expect(page.locator("#add-user .admin-status")).to_have_text("User zoe added, as viewer (counts only).")  # fmt: skip
    expect(page.locator("#users tbody tr")).to_have_count(len(USERS) + 1)
    expect(page.locator("#users tbody tr", has_text="zoe")).to_contain_text("derma")
    page.fill("#audit-user", "ada")
    page.fill("#audit-action", "user.")
    page.click("#audit-filter button[type=submit]")
    expect(page.locator("#audit tbody tr")).to_have_count(1)
    expect(page.locator("#audit tbody tr")).to_contain_text('"name":"zoe"')
    page.click("#verify-audit")
    expect(page.locator("#verify-result [data-ok]")).to_have_attribute("data-ok", "true")  # fmt: skip
    expect(page.locator("#optout tbody tr")).to_contain_text("No objection")
    shot(page, "admin")
    assert page.console_errors == []


def test_text_processing_runs_in_the_background(fresh_server):
    with fresh_server.client("ada") as ada:
        started = ada.post("/api/admin/text")
        assert started.status_code == 202
        job = started.json()["job"]
        fresh_server.web.jobs.wait(job, timeout=300)
        done = ada.get(f"/api/jobs/{job}").json()
        assert done["state"] == "done" and done["progress"] == 1.0
        notes = fresh_server.web.use(lambda wh: wh.count("note"))
        assert done["result"]["note_nlp"]["processed"] == notes
        assert done["result"]["index"]["indexed"] == 0  # the index was up to date
        mentions = fresh_server.web.use(lambda wh: wh.count("note_nlp"))
        assert mentions == done["result"]["note_nlp"]["mentions"] > notes
        with fresh_server.client("rita") as rita:
            assert rita.get(f"/api/jobs/{job}").status_code == 404  # not hers
            assert rita.post("/api/admin/text").status_code == 403


def test_a_project_of_units_that_do_not_exist_is_refused(server):
    with server.client("ada") as api:
        r = api.post("/api/admin/projects", json={"name": "x", "units": [999999]})
        assert (r.status_code, r.json()["detail"]) == (
            404, "care site '999999': no care sites of that name"
        )  # fmt: skip
        r = api.post("/api/admin/projects", json={"name": "x", "mode": "care"})
        assert (r.status_code, r.json()["detail"]) == (
            400, "project x: a care-mode project needs care units"
        )  # fmt: skip
        assert "x" not in {p["name"] for p in api.get("/api/admin/projects").json()}


@pytest.mark.browser
def test_a_project_of_care_units_picked_by_name(page_as, fresh_server):
    """The project form lists the care-site hierarchy by name; units picked
    there (a service takes its units) are the project's units."""
    from entrepot.privacy import list_projects

    page = page_as(fresh_server, "ada", "/admin")
    picker = page.locator("#project-units")
    picker.locator("summary").click()
    pole = picker.locator("li", has=page.get_by_label("Pôle Urgences-Réanimation", exact=True))  # fmt: skip
    expect(pole.get_by_label("Réanimation médicale", exact=True)).to_be_visible()
    page.fill("#project-name", "rea")
    page.get_by_label("Réanimation médicale", exact=True).check()
    page.get_by_label("Service de cardiologie", exact=True).check()
    expect(page.get_by_label("USIC", exact=True)).to_be_checked()  # under it
    chosen = "Service de cardiologie, Réanimation médicale"  # in the tree's order
    expect(picker.locator("summary")).to_contain_text(f"({chosen})")
    page.click("#add-project button[type=submit]")
    expect(page.locator("#add-project .admin-status")).to_have_text("Projet rea ajouté.")  # fmt: skip
    row = page.locator("#projects tbody tr", has_text="rea")
    expect(row).to_contain_text(chosen)
    ids = fresh_server.web.use(
        lambda wh: wh.con.raw_sql(
            "SELECT care_site_id FROM care_site WHERE care_site_source_value"
            " IN ('Réanimation médicale', 'Service de cardiologie') ORDER BY 1"
        ).fetchall()
    )
    (rea,) = [p for p in fresh_server.web.use(list_projects) if p["name"] == "rea"]
    assert (rea["units"], rea["mode"]) == ([i for (i,) in ids], "research")
    assert page.console_errors == []


def test_a_project_s_care_units_and_mode_are_changed(fresh_server):
    """`/api/admin/projects/{name}` changes an existing project's care units
    and mode (as `entrepot project update`), audited; bad ones are refused."""
    from entrepot.privacy import list_projects

    with fresh_server.client("ada") as api:
        r = api.patch(
            "/api/admin/projects/cardio", json={"units": [18], "mode": "care"}
        )
        assert (r.status_code, r.json()) == (200, {"name": "cardio", "units": [18], "mode": "care"})  # fmt: skip
        listed = {p["name"]: p for p in api.get("/api/admin/projects").json()}
        assert (listed["cardio"]["units"], listed["cardio"]["mode"]) == ([18], "care")
        for body, status, detail in (
            ({"units": [999999]}, 404, "care site '999999': no care sites of that name"),
            ({"units": [], "mode": "care"}, 400, "project cardio: no care units given"),
            ({"mode": "care"}, 400, "project cardio: no care units given"),
        ):  # fmt: skip
            r = api.patch("/api/admin/projects/cardio", json=body)
            assert (r.status_code, r.json()["detail"]) == (status, detail)
        r = api.patch("/api/admin/projects/nope", json={"units": [18]})
        assert (r.status_code, r.json()["detail"]) == (404, "project: no project 'nope'")  # fmt: skip
    with fresh_server.client("rita") as rita:
        r = rita.patch("/api/admin/projects/cardio", json={"units": [17]})
        assert r.status_code == 403
    cardio = next(
        p for p in fresh_server.web.use(list_projects) if p["name"] == "cardio"
    )
    assert (cardio["units"], cardio["mode"]) == ([18], "care")  # in the warehouse
    (entry,) = fresh_server.web.use(entries, action="project.units", project="cardio")
    assert (entry["user"], json.loads(entry["parameters"])) == ("ada", {"units": [18], "mode": "care"})  # fmt: skip


@pytest.mark.browser
def test_a_project_s_units_are_edited_with_the_keyboard(page_as, fresh_server):
    """Each project row has an edit button: it opens the unit picker checked
    with the project's units; Enter saves the units and mode changed."""
    from entrepot.privacy import list_projects

    page = page_as(fresh_server, "ada", "/admin")
    row = page.locator("#projects tbody tr", has_text="cardio")
    edit = row.get_by_role("button", name="Modifier les unités de cardio")
    edit.focus()
    page.keyboard.press("Enter")
    form = page.locator("#edit-project")
    expect(form).to_be_visible()
    expect(form.locator("h3")).to_have_text("Unités et mode du projet cardio")
    picker = form.locator("#edit-units")
    expect(picker.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")  # unfolds the tree
    usic = picker.get_by_label("USIC", exact=True)
    usic.focus()
    page.keyboard.press("Space")
    expect(usic).to_be_checked()
    expect(picker.locator("summary")).to_contain_text("USIC")
    form.locator("select").select_option("care")
    form.get_by_role("button", name="Enregistrer").focus()
    page.keyboard.press("Enter")
    expect(form.locator(".admin-status")).to_have_text("Projet cardio modifié.")
    expect(row).to_contain_text("USIC")
    cardio = next(
        p for p in fresh_server.web.use(list_projects) if p["name"] == "cardio"
    )
    assert cardio["mode"] == "care" and 18 in cardio["units"]
    edit.focus()
    page.keyboard.press("Enter")  # opened again: checked as saved
    expect(picker.get_by_label("USIC", exact=True)).to_be_checked()
    assert_accessible(page, "admin-edit-project")
    assert page.console_errors == []
