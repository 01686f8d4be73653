"""Requests and extracts on the live server: the HTTP API's state machine
and rights, then in a real browser a researcher's request approved by the
data office, an extract of the approved project asked for, approved and
produced into its workspace folder."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from entrepot.privacy import Perimeter, entries, list_extracts, list_projects
from entrepot.web._i18n import catalogue
from tests.web.accessibility import assert_accessible
from tests.web.conftest import _serve_copy, shot

ASKED = {
    "name": "lupus-2024",
    "summary": "Lupus et hydroxychloroquine : observance",
    "legal_basis": "MR-004",
    "domains": ["condition_occurrence", "drug_exposure"],
    "start": "2015-01-01",
    "end": "2022-12-31",
    "members": ["dora"],
}


@pytest.fixture(scope="module")
def live(web_file, tmp_path_factory):
    """A server of this module's own (its tests write requests)."""
    serving = _serve_copy(web_file, tmp_path_factory.mktemp("requests"))
    yield next(serving)
    next(serving, None)


def _htn(live) -> int:
    """The cohort of project htn's perimeter (persons with hypertension)."""
    projects = live.web.use(list_projects)
    return next(p for p in projects if p["name"] == "htn")["cohort_id"]


def test_a_request_through_the_api(live):
    with live.client("rita") as rita, live.client("otto") as otto, live.client("ada") as ada:  # fmt: skip
        r = rita.post("/api/requests", json=ASKED)
        assert r.status_code == 201, r.text
        asked = r.json()
        assert (asked["state"], asked["members"]) == ("pending", ["rita", "dora"])
        number = asked["request_id"]
        for who, detail in ((rita, "a researcher may not approve"),
                            (ada, "a admin may not approve")):  # fmt: skip
            r = who.post(f"/api/requests/{number}/approve", json={})
            assert (r.status_code, r.json()["detail"]) == (403, detail)
        r = otto.post("/api/requests", json=ASKED | {"name": "mine"})
        assert (r.status_code, r.json()["detail"]) == (403, "a data_office may not request")  # fmt: skip
        # no extract before approval: the project does not exist yet
        r = rita.post("/api/extracts", params={"project": "lupus-2024"},
                      json={"cohort_id": 1, "columns": {"person": ["person_id"]}})  # fmt: skip
        assert r.json()["detail"] == "user 'rita' is not a member of project 'lupus-2024'"  # fmt: skip
        queue = otto.get("/api/requests/queue").json()
        assert [q["name"] for q in queue if q["state"] == "pending"] == ["lupus-2024"]
        r = otto.post(f"/api/requests/{number}/amend", json={"comment": " ", "end": "2021-12-31"})  # fmt: skip
        assert r.json()["detail"] == "comment: an amendment needs a comment"
        r = otto.post(f"/api/requests/{number}/amend",
                      json={"comment": "Jusqu'à 2021 seulement", "end": "2021-12-31"})  # fmt: skip
        assert r.json()["end"] == "2021-12-31"
        r = otto.post(f"/api/requests/{number}/approve", json={"comment": "Conforme"})
        assert r.json()["state"] == "approved"
        r = otto.post(f"/api/requests/{number}/approve", json={})
        assert (r.status_code, r.json()["detail"]) == (409, f"request {number} is approved already: it cannot be approved")  # fmt: skip
        mine = rita.get("/api/requests").json()
        assert [(s["event"], s["comment"]) for s in mine[0]["steps"]] == [
            ("requested", None), ("amended", "Jusqu'à 2021 seulement"), ("approved", "Conforme")]  # fmt: skip
        assert "lupus-2024" in rita.get("/api/me").json()["projects"]
        assert "lupus-2024" in live.client("dora").get("/api/me").json()["projects"]
    logged = [e["action"] for e in live.web.use(entries, action="request.")]
    assert logged == ["request.submit", "request.amend", "request.approve"]


def test_steps_the_state_does_not_allow_answer_409(live):
    """Deciding a request or an extract twice, producing an extract that is
    not approved, or twice, asking for a project asked for already: 409
    (`conflict`) in the one error shape, for those who may take the step."""
    cohort = _htn(live)
    with live.client("rita") as rita, live.client("otto") as otto:

        def ask(name: str) -> int:
            asked = ASKED | {"name": name, "cohort_id": cohort}
            return rita.post("/api/requests", json=asked).json()["request_id"]

        def extract() -> int:
            columns = {"condition_occurrence": ["person_id"]}
            r = rita.post("/api/extracts", params={"project": "taken"},
                          json={"cohort_id": cohort, "columns": columns})  # fmt: skip
            return r.json()["extract_id"]

        taken, turned_down = ask("taken"), ask("turned-down")
        otto.post(f"/api/requests/{taken}/approve", json={}).raise_for_status()
        otto.post(f"/api/requests/{turned_down}/refuse", json={"comment": "Non"})
        pending, refused, produced = extract(), extract(), extract()
        otto.post(f"/api/extracts/{refused}/refuse", json={"comment": "Non"})
        otto.post(f"/api/extracts/{produced}/approve", json={}).raise_for_status()
        produce = f"/api/extracts/{produced}/produce?project=taken"
        rita.post(produce).raise_for_status()
        steps = [
            (otto, f"/api/requests/{taken}/approve", {},
             f"request {taken} is approved already: it cannot be approved"),
            (otto, f"/api/requests/{taken}/refuse", {"comment": "Non"},
             f"request {taken} is approved already: it cannot be refused"),
            (otto, f"/api/requests/{turned_down}/amend", {"comment": "a", "summary": "b"},
             f"request {turned_down} is refused already: it cannot be amended"),
            (otto, f"/api/requests/{turned_down}/approve", {},
             f"request {turned_down} is refused already: it cannot be approved"),
            (rita, "/api/requests", ASKED | {"name": "taken"},
             "name: project 'taken' exists or is asked for already"),
            (otto, f"/api/extracts/{produced}/approve", {},
             f"extract {produced} is produced already: it cannot be approved"),
            (otto, f"/api/extracts/{refused}/refuse", {"comment": "Non"},
             f"extract {refused} is refused already: it cannot be refused"),
            (rita, f"/api/extracts/{pending}/produce?project=taken", None,
             f"extract {pending} is pending: the data office has not approved it"),
            (rita, f"/api/extracts/{refused}/produce?project=taken", None,
             f"extract {refused} is refused: the data office refused it"),
            (rita, produce, None,
             f"extract {produced} is produced: it was produced already"),
        ]  # fmt: skip
        for who, path, body, detail in steps:
            r = who.post(path, json=body, headers={"Accept-Language": "fr"})
            assert (r.status_code, r.json()) == (409, {
                "detail": detail,
                "code": "conflict",
                "message": catalogue("fr")["error.code.conflict"],
            }), path  # fmt: skip
        otto.post(f"/api/extracts/{pending}/refuse", json={"comment": "Non"})
    states = {e["extract_id"]: e["state"] for e in live.web.use(list_extracts)}
    found = [states[e] for e in (pending, refused, produced)]
    assert found == ["refused", "refused", "produced"]


@pytest.mark.browser
def test_request_approve_extract_in_the_browser(page_as, live):
    cohort = _htn(live)
    # the researcher asks for a project on the hypertension cohort
    rita = page_as(live, "rita", "/requests", viewport={"width": 1366, "height": 900})
    otto = page_as(live, "otto", "/office", viewport={"width": 1366, "height": 900})
    assert rita.locator("h1").inner_text() == "Mes demandes"
    rita.fill("#rq-name", "htn-browser")
    rita.fill("#rq-summary", "Hypertension : complications rénales")
    rita.select_option("#rq-basis", "MR-004")
    rita.fill("#rq-cohort", str(cohort))
    rita.fill("#rq-domains", "condition_occurrence")
    rita.click("#rq-form button[type=submit]")
    row = rita.locator("#rq-mine tr", has_text="htn-browser")
    expect(row.locator("[data-state]")).to_have_text("en attente")
    # the data office approves it
    otto.reload()
    assert otto.locator("nav a[aria-current=page]").inner_text() == "Bureau des données"
    asked = otto.locator("#of-requests tr", has_text="htn-browser")
    expect(asked.locator("[data-state]")).to_have_text("en attente")
    otto.select_option("#of-request", label=f"#{asked.get_attribute('data-id')} htn-browser")  # fmt: skip
    otto.fill("#of-comment", "Accord du DPO")
    otto.click("#of-approve")
    expect(asked.locator("[data-state]")).to_have_text("approuvée")
    shot(otto, "office-request")
    # the researcher sees it approved, then asks for an extract of the cohort
    rita.goto(f"{live.url}/requests?project=htn-browser")
    expect(row.locator("[data-state]")).to_have_text("approuvée")
    expect(row).to_contain_text("Accord du DPO")
    rita.select_option("#ex-cohort", str(cohort))
    rita.select_option("#ex-format", "parquet")
    rita.locator("details.ex-table", has_text="condition_occurrence").locator("summary").click()  # fmt: skip
    for column in ("person_id", "condition_concept_id", "condition_start_date"):
        rita.check(f"#ex-col-condition_occurrence-{column}")
    rita.click("#ex-form button[type=submit]")
    extract = rita.locator("#ex-list tbody tr").first
    expect(extract.locator("[data-state]")).to_have_text("en attente")
    expect(extract.locator("[data-reached]")).to_have_text("atteinte")
    # the data office sees its k-anonymity and approves it
    otto.reload()
    review = otto.locator("#of-extracts tr", has_text="htn-browser")
    k = int(review.locator("[data-k]").get_attribute("data-k"))
    assert k >= 10 and review.locator("[data-reached]").get_attribute("data-reached") == "true"  # fmt: skip
    otto.select_option("#of-extract", label=f"#{review.get_attribute('data-id')} htn-browser")  # fmt: skip
    otto.click("#of-extract-approve")
    expect(review.locator("[data-state]")).to_have_text("approuvée")
    shot(otto, "office-extract")
    # the researcher produces it into the project's workspace
    rita.reload()
    rita.click("#ex-list button.produce")
    expect(extract.locator("[data-state]")).to_have_text("produit")
    expect(extract).to_contain_text("condition_occurrence.parquet")
    shot(rita, "requests")
    for page in (rita, otto):  # both pages as filled in, in the browser
        found = Axe().run(page).response["violations"]
        serious = [v["id"] for v in found if v["impact"] in ("serious", "critical")]
        assert serious == [], page.url
    assert_accessible(rita, "requests")  # the shared check (tests/web/accessibility.py)
    assert_accessible(otto, "office")
    folder = live.wh.uri.path.parent / "eds.duckdb.workspaces" / "htn-browser"
    (found,) = list(folder.glob("extract-*/condition_occurrence.parquet"))
    rows = pq.read_table(found)
    assert rows.column_names == ["person_id", "condition_concept_id", "condition_start_date"]  # fmt: skip

    def inside(wh):
        t = Perimeter(cohort).table(wh, "condition_occurrence")
        return t.count().to_pyarrow().as_py(), set(t.person_id.to_pyarrow().to_pylist())

    count, persons = live.web.use(inside)
    assert rows.num_rows == count and set(rows["person_id"].to_pylist()) <= persons
