"""End to end in a real browser: Playwright driving Debian's Chromium (never a
downloaded one). Screenshots go to `test-artifacts/browser/`."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import LOCALE, PASSWORD, shot

pytestmark = pytest.mark.browser


def test_login_fails_then_succeeds(browser, server):
    context = browser.new_context(locale=LOCALE)
    page = context.new_page()
    page.goto(f"{server.url}/login")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("button[type=submit]").inner_text() == "Se connecter"
    page.fill("#username", "rita")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == (
        "Utilisateur inconnu ou mot de passe erroné"
    )
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    assert page.locator(".user").inner_text() == "rita"
    nav = page.locator("nav a")
    assert nav.all_inner_texts()[:4] == [
        "Vue d'ensemble",
        "Cohortes",
        "Sous-groupes",
        "Recherche",
    ]
    expect(page.locator("#overview-summary")).to_contain_text("patients dans")
    page.wait_for_selector("#pyramid svg")
    assert page.locator("#top-diagnoses tr").count() > 1
    shot(page, "overview")
    context.close()


def test_a_page_outside_the_role_is_refused(page_as, server):
    page = page_as(server, "rita")
    response = page.goto(f"{server.url}/admin")
    assert response.status == 403
    assert page.locator("[data-status='403']").count() == 1
    shot(page, "refused")


def shown(count: int) -> re.Pattern:
    """The count as a page writes it, whatever its thousands separator."""
    return re.compile(r"^\s*" + r"\D?".join(str(count)) + r"\s*$")


def test_build_a_cohort_and_get_its_count(page_as, server):
    page = page_as(server, "rita", "/cohorts")
    page.fill("#cohort-name", "hypertension (browser)")
    page.select_option("#concept-vocabulary", "CIM10")
    page.fill("#concept-search", "hypertension essentielle")
    page.wait_for_selector("#concept-suggestions option")
    page.select_option("#concept-suggestions", index=0)
    chosen = page.locator("#concept-suggestions option").first.inner_text()
    assert "I10" in chosen
    page.click("#add-concept")
    page.click("#count-button")
    expected = server.web.use(
        lambda wh: wh.con.raw_sql(
            "SELECT count(DISTINCT person_id) FROM condition_occurrence "
            "WHERE condition_source_value LIKE 'I10%'"
        ).fetchone()[0]
    )
    assert expected >= 10
    expect(page.locator("#cohort-count")).to_have_text(shown(expected))
    assert page.locator("#attrition tr").count() >= 2  # header and the entry events
    shot(page, "cohort")
    page.locator("#saved-cohorts tr", has_text="hypertension (browser)").locator(
        "button.describe"
    ).click()
    expect(page.locator("#table-one caption").nth(1)).to_have_text("Sexe")
    assert page.locator("#table-one th", has_text="femme").count() == 1


def test_search_with_and_without_negated_mentions(page_as, server):
    from entrepot.search import SearchFilters, search_notes

    rare, common = "sclérose", "pneumopathie"  # a few patients; many
    default = server.web.use(search_notes, rare)
    everything = server.web.use(search_notes, rare, SearchFilters(exclude=()))
    assert 0 < default["notes"] < everything["notes"] < 20
    assert default["persons"] <= everything["persons"] < 10  # notes shown as "*"
    many = server.web.use(search_notes, common, SearchFilters(exclude=()))
    assert many["notes"] > 40 and many["persons"] >= 10
    page = page_as(server, "rita")
    held = []  # the page's request for its projects, answered only when released
    page.route("**/api/me*", lambda route: held.append(route))
    page.goto(f"{server.url}/search")
    page.fill("#search-query", rare)
    page.click("#search-button")  # before the page knows rita's project
    page.wait_for_timeout(300)
    assert page.locator("#search-error").inner_text() == ""
    held[0].continue_()
    page.unroute("**/api/me*")
    expect(page.locator("#search-notes")).to_have_text("*")
    expect(page.locator("#search-shown")).to_have_text(f"{default['notes']} sur *")
    assert page.locator("#search-hits mark").count() >= 1
    assert page.locator("#search-next").is_hidden()
    shot(page, "search")
    for box in ("#exclude-negated", "#exclude-hypothesis", "#exclude-family"):
        page.uncheck(box)
    page.click("#search-button")  # negated mentions too: more notes, still "*"
    expect(page.locator("#search-shown")).to_have_text(f"{everything['notes']} sur *")
    page.fill("#search-query", common)
    page.click("#search-button")
    total = many["notes"]
    expect(page.locator("#search-shown")).to_have_text(
        f"20 sur {total:,}".replace(",", "\u202f")
    )
    page.click("#search-next")  # the next hits, each with its type and date
    expect(page.locator("#search-shown")).to_have_text(
        f"21–40 sur {total:,}".replace(",", "\u202f")
    )
    assert page.locator("#search-hits > li").count() == 20
    first = page.locator("#search-hits > li .muted").first.inner_text()
    assert re.match(r"\d{4}-\d{2}-\d{2} · \S.* · document \d+ · patient \d+", first)


def test_check_a_prescription_and_see_its_interactions(page_as, server):
    page = page_as(server, "vic", "/prescription")  # no patient data: any role may
    page.fill(
        "#prescription-lines", "simvastatine 20 mg 1/j\nclarithromycine 500 mg 2/j"
    )
    page.click("#check-button")
    page.wait_for_selector("#interactions tr.interaction")
    assert page.locator("tr.interaction").first.get_attribute("data-level") == (
        "contre-indication"
    )
    assert page.locator("#interaction-wheel path.arc").count() == 1
    # beside them, the possible adverse effects by organ, most effects first
    organs = page.locator("#effects section.organ")
    expect(organs.first).to_have_attribute("data-organ", "système digestif")
    assert organs.first.locator(".organ-count").inner_text() == "21"
    assert organs.first.locator("tr.effect").count() == 21
    assert organs.evaluate_all("s => s.map(o => o.dataset.organ)")[:3] == [
        "système digestif",
        "neurologie",
        "dermatologie",
    ]
    page.select_option("#effects-frequency", "fréquent")  # and the more frequent
    expect(organs).to_have_count(5)
    assert organs.first.locator(".organ-count").inner_text() == "6"
    page.fill("#effects-search", "DOULEUR")  # accents and case aside
    expect(organs).to_have_count(1)
    expect(organs.first.locator("tr.effect td").first).to_have_text(
        "douleurs abdominales"
    )
    shot(page, "prescription")


def test_a_patient_outside_the_project_is_refused(page_as, server):
    person = server.web.use(
        lambda wh: wh.con.raw_sql("SELECT min(person_id) FROM person").fetchone()[0]
    )
    page = page_as(server, "rita")
    allowed = page.goto(f"{server.url}/patients/{person}?project=cardio")
    assert allowed.status == 200
    page.wait_for_selector("#timeline svg")
    shot(page, "patient")
    page = page_as(server, "dora")
    refused = page.goto(f"{server.url}/patients/{person}?project=cardio")
    assert refused.status == 403
    assert "not a member of project 'cardio'" in page.locator(".error").inner_text()


def test_the_app_speaks_english_on_request_and_remembers_it(page_as, server):
    page = page_as(server, "rita")
    page.click("a[hreflang=en]")
    expect(page.locator("h1")).to_have_text("Overview")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{server.url}/search")  # kept in a cookie
    expect(page.locator("#search-button")).to_have_text("Search")
    page.click("a[hreflang=fr]")
    expect(page.locator("#search-button")).to_have_text("Rechercher")


def _add_concept(page, vocabulary: str, words: str, code: str) -> None:
    page.select_option("#concept-vocabulary", vocabulary)
    page.fill("#concept-search", words)
    option = page.locator("#concept-suggestions option", has_text=code).first
    expect(option).to_be_attached()
    page.select_option("#concept-suggestions", option.get_attribute("value"))
    page.click("#add-concept")


def test_an_atc_code_makes_the_entry_a_drug_entry(page_as, server):
    """The entry's domain follows its concepts: furosemide (ATC) counted as
    a diagnosis found no one."""
    page = page_as(server, "rita", "/cohorts")
    page.fill("#cohort-name", "furosémide (browser)")
    assert page.locator("#entry-domain").input_value() == "condition"
    _add_concept(page, "ATC", "furosemide", "C03CA01")
    assert page.locator("#entry-domain").input_value() == "drug"
    expect(page.locator("#entry-domain-note")).to_contain_text("médicament")
    page.click("#count-button")
    expected = server.web.use(
        lambda wh: wh.con.raw_sql(
            "SELECT count(DISTINCT d.person_id) FROM drug_exposure d JOIN concept c"
            " ON c.concept_id = d.drug_concept_id WHERE c.concept_code = 'C03CA01'"
        ).fetchone()[0]
    )
    assert expected >= 10
    expect(page.locator("#cohort-count")).to_have_text(shown(expected))


def test_a_concept_set_mixing_domains_is_refused(page_as, server):
    page = page_as(server, "rita", "/cohorts")
    page.fill("#cohort-name", "mélange (browser)")
    _add_concept(page, "CIM10", "hypertension essentielle", "I10")
    _add_concept(page, "ATC", "furosemide", "C03CA01")
    page.click("#count-button")
    expect(page.locator("#cohort-error .error")).to_contain_text("mélange des domaines")
    assert page.locator("#cohort-count").inner_text() == "–"  # nothing ran


def test_labs_are_drawn_one_stay_at_a_time_on_its_axis(page_as, server):
    def busiest(wh):
        m = wh.table("measurement")
        top = m.group_by("person_id").agg(n=m.visit_occurrence_id.nunique())
        return int(top.order_by(top.n.desc()).limit(1).to_pyarrow()[0][0].as_py())

    person = server.web.use(busiest)
    with server.client("rita") as api:
        labs = api.get(f"/api/patients/{person}?project=cardio").json()["labs"]
    page = page_as(server, "rita", f"/patients/{person}?project=cardio")
    charts = page.locator("#lab-curves svg.lab-chart")
    expect(charts).to_have_count(len(labs[-1]["series"]))  # the latest stay
    assert page.locator("#lab-stay option").count() == len(labs) > 1
    page.select_option("#lab-stay", "0")
    expect(charts).to_have_count(len(labs[0]["series"]))
    days = charts.first.locator(".axis text").all_text_contents()
    assert days[0] == labs[0]["start"] and days[-1] == labs[0]["end"]
    assert (
        charts.first.locator(".lab-name")
        .text_content()
        .startswith(labs[0]["series"][0]["name"])
    )
    shot(page, "patient-labs")


@pytest.fixture(scope="module")
def ssc_server(ssc_hospital, tmp_path_factory):
    from tests.web.test_subgroups import serve_ssc

    yield from serve_ssc(ssc_hospital, tmp_path_factory.mktemp("browser-subgroups"))


def test_cluster_a_cohort_and_see_its_survival_curves(page_as, ssc_server):
    """The form starts the job; the result shows each subgroup, the curves
    (the server's SVG, loaded under the app's CSP) and Table 1."""
    page = page_as(ssc_server, "sam", "/subgroups")
    expect(page.locator("#sg-cohort option")).to_have_text(
        re.compile(r"^Systemic sclerosis \(\d+\)$")
    )
    page.fill("#sg-k", "3")
    page.click("#sg-button")
    expect(page.locator("#sg-status")).to_have_text("Terminé.")
    expect(page.locator("#sg-summary")).to_contain_text("3 sous-groupes (lca)")
    curves = page.locator("img.sg-curves")
    expect(curves).to_have_attribute("alt", "Courbes de survie par sous-groupe")
    page.wait_for_function("document.querySelector('img.sg-curves').naturalWidth > 0")
    expect(page.locator("#sg-result h2", has_text="Sous-groupe 1 ·")).to_be_visible()
    expect(page.get_by_role("heading", name="Tableau 1").first).to_be_visible()
    shot(page, "subgroups")
    assert page.console_errors == []


@pytest.fixture(scope="module")
def mri_server(web_file, tmp_path_factory):
    from tests.web.test_extractions import serve_mri

    yield from serve_mri(web_file, tmp_path_factory.mktemp("browser-extractions"))


def test_run_an_extraction_and_see_its_evidence_highlighted(page_as, mri_server):
    """A data engineer runs the brain MRI schema on a cohort's reports; the
    counts come, then each report with its evidence in <mark>; a report
    holding HTML shows it as text."""
    from tests.web.test_extractions import HOSTILE_ID, MRI, PROJECT

    page = page_as(mri_server, "eng", f"/extractions?project={PROJECT}")
    errors = page.console_errors
    page.on("dialog", lambda d: errors.append(f"dialog: {d.message}") or d.dismiss())
    assert page.url == f"{mri_server.url}/extractions?project={PROJECT}"
    assert page.locator("nav a[aria-current=page]").inner_text() == "Extractions"
    expect(page.locator("#x-cohort option")).to_have_text(
        re.compile(r"^headache \(\d+\)$")
    )
    page.fill("#x-titles", MRI)
    page.click("#x-run")
    expect(page.locator("#x-status")).to_contain_text("Terminé :")
    expect(page.locator("#x-table tbody tr")).to_have_count(4)
    expect(page.locator("#x-table tbody tr").first).to_contain_text("headache")
    first = page.locator("#x-notes mark[data-fields~=headache]").first
    expect(first).to_be_visible()
    assert first.evaluate("m => getComputedStyle(m).backgroundColor") != (
        "rgba(0, 0, 0, 0)"
    )
    hostile = page.locator(f"[data-note='{HOSTILE_ID}']")
    for _ in range(10):  # the last report: page on until it shows
        if hostile.count():
            break
        shown = page.locator(".x-note").first.get_attribute("data-note")
        page.click("#x-next")
        page.wait_for_function(
            "n => document.querySelector('.x-note').dataset.note !== n", arg=shown
        )
    expect(hostile.locator(".x-text")).to_contain_text("<script>alert('x')</script>")
    expect(hostile.locator("mark[data-fields~=headache]")).to_have_text(
        re.compile(r"^céphalées?", re.I)
    )
    assert page.locator("#x-notes script, #x-notes img").count() == 0
    shot(page, "extractions")
    assert errors == []
