"""A cohort's patients over HTTP and in the browser: pages of the cohort's
persons inside the perimeter (age bands, no birth date, totals masked), then
one patient's report with the search's words marked and its negated,
hypothetical and family passages shown as such, its HTML shown as text. On a
copy of the session's synthetic hospital, with one report written here."""

from __future__ import annotations

import json
import re
import time
from datetime import date

import pyarrow as pa
import pytest
from playwright.sync_api import expect

from entrepot.nlp import fold
from entrepot.patients import age_band
from entrepot.privacy import Perimeter, entries, list_projects
from tests.cohort.conftest import write_tables
from tests.web.conftest import _serve_copy, shot

PROJECT, PAGE = "cardio", 20
KEYS = {"person_id", "age_band", "sex", "first_stay", "last_stay"}
DYSLIPIDAEMIA = {
    "name": "dyslipidémie (patients)",
    "concept_sets": {
        "e": {"items": [{"vocabulary": "CIM10", "code": "E78.5", "descendants": True}]}
    },
    "entry": {"events": [{"domain": "condition", "concept_set": "e"}]},
}
#: A report written for a patient of the list's second page: a word searched,
#: affirmed, negated, about a relative and hypothetical, and HTML.
NOTE_ID = 10**9 + 24
REPORT = (
    "Compte rendu de consultation\n"
    "Motif : bilan d'une <b>dyslipidémie</b> <script>alert('x')</script>\n"
    "Sclérodermie systémique connue depuis 2015.\n"
    "Pas de sclérodermie cutanée diffuse.\n"
    "Sclérodermie chez la mère.\n"
    "Suspicion de sclérodermie rénale ?\n"
    "Conclusion : hypercholestérolémie traitée."
)
WORD = "sclérodermie"


def finished(api, job: int, project: str) -> dict:
    for _ in range(1200):
        status = api.get(f"/api/jobs/{job}", params={"project": project}).json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not end: {status}")


def make_cohort(live, user: str, project: str, definition: dict) -> int:
    with live.client(user) as api:
        r = api.post("/api/cohorts", params={"project": project}, json=definition)
        assert r.status_code == 202, r.text
        status = finished(api, r.json()["job"], project)
    assert status["state"] == "done", status
    return status["result"]["cohort_definition_id"]


def listed(live, user, cohort, project=PROJECT, **params) -> dict:
    with live.client(user) as api:
        r = api.get(f"/api/cohorts/{cohort}/patients",
                    params={"project": project, **params})  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def live(web_file, tmp_path_factory):
    """The server, rita's dyslipidaemia cohort in cardio, and the report
    written for the first patient of its second page."""
    serving = _serve_copy(web_file, tmp_path_factory.mktemp("cohort-patients"))
    server = next(serving)
    server.cohort = make_cohort(server, "rita", PROJECT, DYSLIPIDAEMIA)
    server.target = listed(server, "rita", server.cohort, offset=PAGE)["patients"][0]

    def write(wh):
        write_tables(wh, {"note": pa.table({
            "note_id": [NOTE_ID], "person_id": [server.target["person_id"]],
            "note_date": [date(2020, 6, 1)], "note_title": ["Compte rendu de consultation"],
            "note_type_concept_id": [32817], "note_class_concept_id": [0],
            "note_text": [REPORT], "encoding_concept_id": [0], "language_concept_id": [0],
        })})  # fmt: skip

    server.web.use(write)
    server.web.changed()
    yield server
    next(serving, None)


def _truth(wh, cohort: int) -> dict[int, dict]:
    """Each person of the cohort (the whole warehouse: cardio's perimeter):
    first entry, year of birth, sex, first and last stay's start."""
    c = wh.table("cohort")
    c = c.filter(c.cohort_definition_id == cohort)
    c = c.group_by(pid=c.subject_id).aggregate(entry=c.cohort_start_date.min())
    p = wh.table("person")
    v = wh.table("visit_occurrence")
    v = v.group_by(vid=v.person_id).aggregate(
        first=v.visit_start_date.min(), last=v.visit_start_date.max()
    )
    t = c.join(p, c.pid == p.person_id).left_join(v, c.pid == v.vid)
    return {
        r["pid"]: {
            "age_band": age_band(r["entry"].year - r["year_of_birth"]),
            "sex": {8507: "M", 8532: "F"}.get(r["gender_concept_id"]),
            "first_stay": r["first"] and r["first"].isoformat(),
            "last_stay": r["last"] and r["last"].isoformat(),
        }
        for r in t.to_pyarrow().to_pylist()
    }


def test_pages_hold_every_patient_once_with_their_values(live):
    truth = live.web.use(_truth, live.cohort)
    assert len(truth) > 2 * PAGE  # three pages
    pages, offset = [], 0
    while offset is not None:
        page = listed(live, "rita", live.cohort, offset=offset, limit=PAGE)
        assert page["offset"] == offset and page["limit"] == PAGE
        assert page["persons"] == len(truth)  # over the threshold: shown
        pages.append(page["patients"])
        offset = page["next"]
    assert [len(p) for p in pages] == [PAGE, PAGE, len(truth) - 2 * PAGE]
    rows = [r for p in pages for r in p]
    assert [r["person_id"] for r in rows].count(rows[0]["person_id"]) == 1
    assert {
        r["person_id"]: {k: r[k] for k in KEYS - {"person_id"}} for r in rows
    } == truth
    assert all(set(r) == KEYS for r in rows)  # no birth date, no name
    firsts = [(r["first_stay"], r["person_id"]) for r in rows]
    assert firsts == sorted(firsts)  # by first stay, then id
    latest = listed(live, "rita", live.cohort, sort="-first_stay", limit=100)
    days = [r["first_stay"] for r in latest["patients"]]
    assert days == sorted(days, reverse=True) and latest["next"] is None


def test_age_bands_are_five_years_wide():
    assert [age_band(a) for a in (0, 4, 5, 42, 89, 90, 104, -1)] == [
        "0-4", "0-4", "5-9", "40-44", "85-89", "90+", "90+", "0-4"
    ]  # fmt: skip
    assert age_band(None) is None


def _rare_code(wh) -> tuple[str, int]:
    """A CIM-10 code (dotted) that 2 to 9 persons have, and how many."""
    o = wh.table("condition_occurrence")
    c = wh.table("concept")
    o = o.join(c, o.condition_concept_id == c.concept_id)
    n = o.group_by("concept_code").aggregate(n=o.person_id.nunique())
    n = n.filter((n.n >= 2) & (n.n <= 9)).order_by(["concept_code"]).limit(1)
    row = n.to_pyarrow().to_pylist()[0]
    return row["concept_code"], row["n"]


def test_a_small_cohorts_total_is_masked_and_its_rows_listed(live):
    code, persons = live.web.use(_rare_code)
    small = DYSLIPIDAEMIA | {
        "name": f"rare {code}",
        "concept_sets": {"e": {"items": [{"vocabulary": "CIM10", "code": code}]}},
    }
    cohort = make_cohort(live, "rita", PROJECT, small)
    page = listed(live, "rita", cohort)
    assert page["persons"] == "<10"
    assert len(page["patients"]) == persons and page["next"] is None
    logged = live.web.use(entries, user="rita", project=PROJECT)
    listing = [e for e in logged if e["action"] == "cohort.patients"][-1]
    assert (listing["rows"], listing["persons"]) == (persons, persons)
    assert json.loads(listing["parameters"])["cohort_definition_id"] == cohort


def test_a_patient_outside_the_perimeter_is_never_listed(live):
    """dora's project htn holds the persons with hypertension: her
    dyslipidaemia cohort lists those of them only; rita's cohort (cardio's)
    does not exist there; a viewer reads no rows."""

    def perimeter(wh):
        htn = next(p for p in list_projects(wh) if p["name"] == "htn")
        ids = Perimeter.of(htn).table(wh, "person").person_id.to_pyarrow()
        return set(ids.to_pylist())

    inside = live.web.use(perimeter)
    everyone = set(live.web.use(_truth, live.cohort))
    cohort = make_cohort(live, "dora", "htn", DYSLIPIDAEMIA)
    rows = listed(live, "dora", cohort, project="htn", limit=100)["patients"]
    assert everyone - inside  # some with dyslipidaemia are outside htn
    assert {r["person_id"] for r in rows} == everyone & inside
    with live.client("dora") as api:
        r = api.get(f"/api/cohorts/{live.cohort}/patients", params={"project": "htn"})
        assert r.status_code == 404
        page = api.get(f"/cohorts/{live.cohort}/patients", params={"project": "htn"})
        assert page.status_code == 404
    with live.client("vic") as api:
        r = api.get(f"/api/cohorts/{live.cohort}/patients", params={"project": PROJECT})
        assert (r.status_code, r.json()["detail"]) == (403, "a viewer may not read")


def test_a_report_carries_its_hits_and_its_qualified_passages(live):
    person = live.target["person_id"]
    with live.client("rita") as api:
        r = api.get(f"/api/patients/{person}/notes/{NOTE_ID}",
                    params={"project": PROJECT, "q": "Sclerodermie"})  # fmt: skip
        plain = api.get(f"/api/patients/{person}/notes/{NOTE_ID}?project={PROJECT}")
    note = r.json()
    assert note["text"] == REPORT  # as written: the page shows it as text
    hits = note["highlights"]
    assert len(hits) == 4 and [fold(REPORT[a:b]) for a, b in hits] == [fold(WORD)] * 4
    assert hits[1][0] == REPORT.index(WORD)  # the negated one
    passages = [(REPORT[p["start"] : p["end"]], p["context"]) for p in note["passages"]]
    assert passages == [
        ("Pas de sclérodermie cutanée diffuse.", "negated"),
        ("Sclérodermie chez la mère.", "family"),
        ("Suspicion de sclérodermie rénale ?", "hypothesis"),
    ]
    assert (
        plain.json()["highlights"] == []
        and plain.json()["passages"] == note["passages"]
    )


def test_the_timeline_labels_diagnoses_and_groups_them_by_stay(live):
    person = live.target["person_id"]
    with live.client("rita") as api:
        p = api.get(f"/api/patients/{person}", params={"project": PROJECT}).json()

    def truth(wh):
        o = wh.table("condition_occurrence")
        o = o.filter(o.person_id == person)
        c = wh.table("concept")
        o = o.join(c, o.condition_concept_id == c.concept_id)
        return (
            o.select("visit_occurrence_id", "concept_code", "concept_name")
            .to_pyarrow()
            .to_pylist()
        )

    expected = live.web.use(truth)
    assert sorted(
        (c["visit_id"], c["code"], c["name"]) for c in p["conditions"]
    ) == sorted(
        (r["visit_occurrence_id"], r["concept_code"], r["concept_name"])
        for r in expected
    )  # French CIM-10 labels, each with its stay
    assert {c["visit_id"] for c in p["conditions"]} <= {v["id"] for v in p["visits"]}
    assert all(d["start"] <= (d["end"] or d["start"]) for d in p["drugs"])


@pytest.mark.browser
def test_from_a_cohort_to_a_patients_report(page_as, live):
    """Cohorts → the cohort's patients → next page → a patient → a report with
    the searched word marked, a negated mention shown as negated, its HTML as
    text; the list and the patient's page without serious accessibility
    violations."""
    from axe_playwright_python.sync_playwright import Axe

    page = page_as(live, "rita", f"/cohorts?project={PROJECT}")
    row = page.locator(f"#saved-cohorts tr[data-id='{live.cohort}']")
    row.locator("a.patients").click()
    page.wait_for_url(
        re.compile(rf"/cohorts/{live.cohort}/patients\?project={PROJECT}$")
    )
    expect(page.locator("h1")).to_have_text(
        f"Patients de la cohorte « {DYSLIPIDAEMIA['name']} »"
    )
    rows = page.locator("#cp-table tbody tr")
    expect(rows).to_have_count(PAGE)
    expect(page.locator("#cp-first")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#cp-prev")).to_be_hidden()
    page.click("#cp-next")
    expect(page.locator("#cp-shown")).to_have_text(f"Patients {PAGE + 1} à {2 * PAGE}")
    first = rows.first
    expect(first).to_have_attribute("data-person", str(live.target["person_id"]))
    assert first.locator("td").nth(1).inner_text() == live.target["age_band"]
    assert _serious(Axe().run(page)) == []
    shot(page, "cohort-patients")
    first.locator("a").click()
    page.wait_for_selector("#timeline svg")
    expect(page.locator("#stays details.stay").first).to_have_attribute("open", "")
    with live.client("rita") as api:
        person = live.target["person_id"]
        p = api.get(f"/api/patients/{person}", params={"project": PROJECT}).json()
    assert page.locator("#stays details.stay").count() >= len(p["visits"])
    assert page.locator("#stays .stay-diagnoses li").count() == len(p["conditions"])
    assert page.locator("#stays rect.drug-bar").count() == len(p["drugs"]) > 0
    page.fill("#note-query", WORD)
    page.locator("#note-query-form button").click()
    page.locator("#patient-notes button", has_text="2020-06-01").click()
    text = page.locator("#note-text")
    expect(text.locator("mark")).to_have_count(4)
    negated = text.locator(".ctx-negated")
    expect(negated).to_have_count(1)
    expect(negated.locator(".ctx-tag")).to_have_text("nié")
    expect(negated.locator("mark")).to_have_text(WORD)
    expect(text.locator(".ctx-family .ctx-tag")).to_have_text("antécédent familial")
    expect(text).to_contain_text("<b>dyslipidémie</b> <script>alert('x')</script>")
    assert text.locator("script, b").count() == 0
    assert _serious(Axe().run(page)) == []
    shot(page, "patient-report")
    assert page.console_errors == []


@pytest.mark.browser
def test_a_search_hit_opens_its_report_with_the_words_marked(page_as, live):
    """From the search page, a hit's patient link opens the patient's page
    with that report, the query's words marked in it."""
    page = page_as(live, "rita", f"/search?project={PROJECT}")
    page.fill("#search-query", "pneumopathie")
    page.click("#search-button")
    link = page.locator("#search-hits > li a").first
    expect(link).to_have_attribute("href", re.compile(r"[?&]q=pneumopathie(&|$)"))
    note = re.search(r"[?&]note=(\d+)", link.get_attribute("href")).group(1)
    link.click()
    page.wait_for_url(re.compile(r"/patients/\d+\?"))
    expect(page.locator("#note-meta")).to_have_attribute("data-note", note)
    expect(page.locator("#note-query")).to_have_value("pneumopathie")
    marks = page.locator("#note-text mark")
    expect(marks.first).to_have_text(re.compile("^pneumopathie$", re.I))
    assert page.console_errors == []


def _serious(results) -> list[str]:
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
