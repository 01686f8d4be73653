"""Every page of the app, in a real browser, with data shown: no serious or
critical WCAG 2.1 AA violation (axe-core), and the read-only pages usable on
a 390-px phone. The pages are read from the app's routes: a new page fails
`test_every_page_is_checked` until it is visited here (or, when it needs a
fixture of its own, by a test named in `ELSEWHERE` that calls
`assert_accessible`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.accessibility import assert_accessible, page_routes
from tests.web.conftest import LOCALE, PERIMETER, TIMEOUT_MS, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _person(server) -> int:
    """The patient with the most stays (a timeline, notes and labs to show)."""
    return server.web.use(
        lambda wh: wh.con.raw_sql(
            "SELECT person_id FROM visit_occurrence GROUP BY person_id"
            " ORDER BY count(*) DESC, person_id LIMIT 1"
        ).fetchone()[0]
    )


def _overview(page, server):
    page.goto(f"{server.url}/")
    page.wait_for_selector("#pyramid svg")
    expect(page.locator("#top-diagnoses tr").nth(1)).to_be_attached()


def _login(page, server):
    page.goto(f"{server.url}/login")


def _cohorts(page, server):
    page.goto(f"{server.url}/cohorts")
    page.select_option("#concept-vocabulary", "CIM10")
    page.fill("#concept-search", "hypertension essentielle")
    page.wait_for_selector("#concept-suggestions option")
    page.select_option("#concept-suggestions", index=0)
    page.click("#add-concept")
    page.fill("#cohort-name", "hypertension (accessibilité)")
    page.click("#count-button")
    expect(page.locator("#attrition tr").nth(1)).to_be_attached()


def _subgroups(page, server):
    page.goto(f"{server.url}/subgroups")
    expect(page.locator("#sg-cohort option").first).to_be_attached()


def _search(page, server):
    page.goto(f"{server.url}/search")
    page.fill("#search-query", "pneumopathie")
    page.click("#search-button")
    expect(page.locator("#search-hits mark").first).to_be_visible()


def _extractions(page, server):
    page.goto(f"{server.url}/extractions?project=cardio")
    expect(page.locator("#x-cohort option").first).to_be_attached()


def _patient(page, server):
    page.goto(f"{server.url}/patients/{_person(server)}?project=cardio")
    page.wait_for_selector("#timeline svg")
    page.wait_for_selector("#lab-curves svg")
    page.locator("#patient-notes button, #patient-notes a").first.click()
    expect(page.locator("#note-text")).not_to_be_empty()


def _cohort_patients(page, server):
    def perimeter(wh) -> int:
        t = wh.table("cohort_definition")
        t = t.filter(t.cohort_definition_name == PERIMETER["name"])
        return t.cohort_definition_id.to_pyarrow().to_pylist()[0]

    cohort = server.web.use(perimeter)
    page.goto(f"{server.url}/cohorts/{cohort}/patients?project=htn")
    expect(page.locator("#cp-table tbody tr").nth(1)).to_be_attached()


def _prescription(page, server):
    page.goto(f"{server.url}/prescription")
    page.fill(
        "#prescription-lines", "simvastatine 20 mg 1/j\nclarithromycine 500 mg 2/j"
    )
    page.click("#check-button")
    page.wait_for_selector("#interactions tr.interaction")
    expect(page.locator("#effects section.organ").first).to_be_visible()


def _admin(page, server):
    page.goto(f"{server.url}/admin")
    expect(page.locator("#users tbody tr").nth(4)).to_be_attached()


def _deaths(page, server):
    page.goto(f"{server.url}/admin/deaths")


def _network(page, server):
    page.goto(f"{server.url}/admin/network")


def _error(page, server):
    assert page.goto(f"{server.url}/patients/1?project=cardio").status == 403


#: page route -> (the user, how to open it with data shown).
PAGES = {
    "/login": (None, _login),
    "/": ("rita", _overview),
    "/cohorts": ("rita", _cohorts),
    "/cohorts/{cohort_id}/patients": ("dora", _cohort_patients),
    "/subgroups": ("rita", _subgroups),
    "/search": ("rita", _search),
    "/extractions": ("eve", _extractions),
    "/patients/{person_id}": ("rita", _patient),
    "/prescription": ("vic", _prescription),
    "/admin": ("ada", _admin),
    "/admin/deaths": ("ada", _deaths),
    "/admin/network": ("ada", _network),
}
#: Pages whose data needs a fixture of their own: checked by these tests.
ELSEWHERE = {
    "/slides/{slide_id}": "tests.slides.test_viewer::"
    "test_the_viewer_opens_from_the_patient_and_loads_tiles",
    "/models/{name}/report": "tests.web.test_model_report::"
    "test_the_report_is_accessible_in_a_browser",
    "/datathon": "tests.datathon.test_web::"
    "test_a_team_and_the_instructor_in_a_real_browser",
    "/datathon/instructor": "tests.datathon.test_web::"
    "test_a_team_and_the_instructor_in_a_real_browser",
    "/quality": "tests.web.test_quality::test_the_quality_page_in_a_browser",
    "/requests": "tests.web.test_requests::test_request_approve_extract_in_the_browser",
    "/office": "tests.web.test_requests::test_request_approve_extract_in_the_browser",
    "/admin/mapping": "tests.web.test_mapping::"
    "test_accept_a_proposal_in_the_browser_with_the_keyboard",
}
#: The read-only pages a clinician opens on a phone: what must be visible.
PHONE_PAGES = {
    "/": ["#overview-summary", "#pyramid svg"],
    "/search": ["#search-query", "#search-button", "#search-hits li"],
    "/patients/{person_id}": ["#patient-summary", "#timeline svg", "#lab-stay"],
    "/cohorts": ["#cohort-name", "#count-button", "#saved-cohorts"],
    "/cohorts/{cohort_id}/patients": ["#cp-sort", "#cp-table", "#cp-summary"],
    "/prescription": ["#prescription-lines", "#check-button", "#interactions"],
}


def test_every_page_is_checked():
    assert page_routes() == PAGES.keys() | ELSEWHERE.keys()
    for test in set(ELSEWHERE.values()):
        module, name = test.split("::")
        path = Path(__file__).parents[2] / (module.replace(".", "/") + ".py")
        source = path.read_text("utf-8")
        tree = ast.parse(source)
        found = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == name]  # fmt: skip
        assert found, f"no test {test}"
        assert "assert_accessible(" in ast.get_source_segment(source, found[0]), test


@pytest.fixture(scope="module")
def contexts(browser, server):
    """One logged-in browser context per user (and one logged out):
    `contexts(user)` -> a new page."""
    made = {}

    def page_of(user):
        if user not in made:
            context = browser.new_context(
                viewport={"width": 1366, "height": 768}, locale=LOCALE
            )
            made[user] = context
            if user:
                page = context.new_page()
                log_in(page, server, user)
                page.close()
        page = made[user].new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return page

    yield page_of
    for context in made.values():
        context.close()


def _name(route: str) -> str:
    return route.strip("/").replace("/", "-").replace("{", "").replace("}", "")


@pytest.mark.parametrize("route", sorted(PAGES))
def test_a_page_is_accessible_and_a_read_only_one_fits_a_phone(contexts, server, route):
    """No serious violation on a laptop; then, for a read-only page, 390 px
    wide: no sideways scrolling, the menu, the project and the page's own
    controls visible, and still no serious violation."""
    user, show = PAGES[route]
    page = contexts(user)
    show(page, server)
    assert_accessible(page, _name(route) or "overview")
    if route in PHONE_PAGES:
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        for selector in ["header nav", "#project", "h1", *PHONE_PAGES[route]]:
            expect(page.locator(selector).first).to_be_visible()
        assert_accessible(page, "phone-" + (_name(route) or "overview"))
    page.close()


def test_the_error_page_is_accessible(contexts, server):
    page = contexts("dora")
    _error(page, server)
    assert_accessible(page, "error")
    page.close()
