"""The overview and the vocabulary search, against the live server."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from entrepot.errors import AccessDeniedError
from entrepot.privacy import Perimeter, entries, mask_count, suppress, verify
from entrepot.warehouse import Warehouse


def _direct(wh) -> dict:
    """The figures the overview shows, read straight from the warehouse."""
    persons = wh.table("person").select(
        "person_id", "year_of_birth", "gender_concept_id"
    )
    people = persons.to_pyarrow().to_pylist()
    periods = wh.table("observation_period").to_pyarrow().to_pylist()
    last = {}
    for p in periods:
        end = p["observation_period_end_date"]
        last[p["person_id"]] = max(last.get(p["person_id"], end), end)
    for p in people:  # the age the pyramid shows: at the end of follow-up
        year = (
            min(last[p["person_id"]].year, date.today().year)
            if p["person_id"] in last
            else date.today().year
        )
        p["age"] = year - p["year_of_birth"]
    c = wh.table("condition_occurrence")
    years = c.group_by(y=c.condition_start_date.year()).aggregate(n=c.count())
    top = (
        c.group_by("condition_concept_id")
        .aggregate(p=c.person_id.nunique(), n=c.count())
        .order_by(
            [c.person_id.nunique().desc(), c.count().desc(), "condition_concept_id"]
        )
    )
    return {
        "people": people,
        "conditions": wh.count("condition_occurrence"),
        "drugs": wh.count("drug_exposure"),
        "death": wh.count("death"),
        "years": {r["y"]: r["n"] for r in years.to_pyarrow().to_pylist()},
        "top": top.limit(3).to_pyarrow().to_pylist(),
    }


@pytest.fixture(scope="module")
def direct(server):
    return server.web.use(_direct)


def test_overview_numbers_are_the_warehouse_s_masked(server, direct):
    with server.client("rita") as api:
        r = api.get("/api/overview", params={"project": "cardio"})
    assert r.status_code == 200
    o = r.json()
    assert o["project"] == "cardio" and o["mask_below"] == 10
    # the persons and the pyramid (5-year bands of age this year, by sex) are
    # released together: small cells masked, and enough others hidden ("*")
    # that no masked cell follows from the total
    bands = Counter(
        (min(max(p["age"] // 5, 0), 19), p["gender_concept_id"])
        for p in direct["people"]
    )
    labels = [f"{5 * i}-{5 * i + 4}" for i in range(19)] + ["95+"]
    grid = {
        label: {s: bands[(i, c)] for s, c in (("female", 8532), ("male", 8507))}
        | {"other": 0}
        for i, label in enumerate(labels)
    }
    expected = suppress(grid, 10, public_total=True)
    assert o["persons"] == expected.total == len(direct["people"]) == 300
    assert [b["band"] for b in o["pyramid"]][:2] == ["0-4", "5-9"]
    assert o["pyramid"][-1]["band"] == "95+"
    for label, band in zip(labels, o["pyramid"], strict=True):
        assert {s: band[s] for s in ("female", "male", "other")} == expected.cells[
            label
        ]
    shown = [band[s] for band in o["pyramid"] for s in ("female", "male")]
    assert "<10" in shown and "*" in shown  # small cells, and their complements
    assert not any(isinstance(v, int) and 0 < v < 10 for v in shown)
    rows = {t["table"]: t["rows"] for t in o["tables"]}
    per_year = dict(
        zip(o["per_year"]["years"], o["per_year"]["domains"]["conditions"], strict=True)
    )
    conditions = suppress(
        {y: direct["years"].get(y, 0) for y in [*o["per_year"]["years"], None]},
        10,
        public_total=True,
    )
    assert per_year == {y: conditions.cells[y]["count"] for y in per_year}
    assert rows["condition_occurrence"] == conditions.total
    assert rows["drug_exposure"] == direct["drugs"]
    assert rows["death"] == mask_count(direct["death"], 10)
    assert set(o["per_year"]["domains"]) == {
        "conditions",
        "drugs",
        "measurements",
        "visits",
        "notes",
    }
    top = o["top"]["diagnoses"]
    assert len(top) == 10
    assert [t["concept_id"] for t in top[:3]] == [
        t["condition_concept_id"] for t in direct["top"]
    ]
    assert top[0]["persons"] == direct["top"][0]["p"]
    assert top[0]["vocabulary_id"] == "CIM10" and top[0]["concept_name"]
    assert o["top"]["drugs"][0]["vocabulary_id"] == "ATC"
    assert o["top"]["labs"][0]["vocabulary_id"] == "LOINC"
    assert o["quality"] is None  # no quality run stored in this warehouse


def test_derma_sees_only_its_domains(server, direct):
    # the library refuses tables outside the domains, and keeps every person
    perimeter = Perimeter(domains=frozenset({"condition_occurrence", "note"}))
    with pytest.raises(AccessDeniedError):
        server.web.use(perimeter.table, "drug_exposure")
    with server.client("dora") as api:
        o = api.get("/api/overview", params={"project": "derma"}).json()
    assert {t["table"] for t in o["tables"]} == {
        "person",
        "condition_occurrence",
        "note",
    }
    assert o["persons"] == 300
    assert o["top"]["drugs"] is None and o["top"]["labs"] is None
    assert (
        o["top"]["diagnoses"][0]["concept_id"]
        == direct["top"][0]["condition_concept_id"]
    )
    domains = o["per_year"]["domains"]
    assert domains["drugs"] is None and domains["measurements"] is None
    assert domains["visits"] is None and domains["conditions"] is not None


def test_overview_is_authorised_audited_and_fast_once_cached(server):
    with server.client("rita") as api:
        assert api.get("/api/overview").status_code == 403  # no project
        assert api.get("/api/overview", params={"project": "derma"}).status_code == 403
        api.get("/api/overview", params={"project": "cardio"})
        times = []
        for _ in range(5):
            started = time.perf_counter()
            assert (
                api.get("/api/overview", params={"project": "cardio"}).status_code
                == 200
            )
            times.append(time.perf_counter() - started)
    # once cached, a call's two audit entries (the decision, and what left
    # through the gate) are queued, and written later off its path
    assert statistics.median(times) < 0.05
    with server.client("vic") as api:  # a viewer may count
        assert api.get("/api/overview", params={"project": "cardio"}).status_code == 200
    last = server.web.use(entries, user="rita", action="authorise.count")[-1]
    assert '"target": "GET /api/overview"' in last["parameters"]
    assert last["project"] == "cardio"
    shown = server.web.use(entries, user="rita", action="overview")
    assert len(shown) >= 6  # what left, at every call, cached or not
    assert shown[-1]["project"] == "cardio" and shown[-1]["persons"] == 300


def test_overview_shows_the_stored_quality_run(fresh_server):
    from entrepot.quality import run_checks

    report = fresh_server.web.use(run_checks)
    fresh_server.web.changed()
    with fresh_server.client("eve") as api:
        q = api.get("/api/overview").json()["quality"]
    assert q["checks"] == len(report.checks)
    assert q["fail"] == report.summary["fail"] and q["pass"] == report.summary["pass"]
    assert {f["id"] for f in q["failing"]} <= {r.id for r in report.failing}


def test_figures_are_counted_per_table_for_the_rows_a_perimeter_reads(server):
    """Each table's figures are asked of `read` under an item naming the
    table: cardio (every table) and derma (conditions and notes) read the
    same rows, so a server remembering them under `Decision.reads` counts
    the conditions once for both; derma's pyramid (no observation period in
    its perimeter: ages this year) is its own; a period reads other rows."""
    from entrepot.privacy import authorise
    from entrepot.quality.characterization import at_once, overview

    def asked(wh, user, project):
        decision = authorise(wh, user, "count", project)
        items = []

        def read(item, work):
            items.append(item)
            return work(wh)

        return decision.reads(wh), items, overview(decision, read), decision

    def both(wh):
        cardio, derma = asked(wh, "rita", "cardio"), asked(wh, "dora", "derma")
        return cardio, derma, overview(derma[3], at_once(wh))

    cardio, derma, derma_now = server.web.use(both)
    assert cardio[0] == derma[0]  # the same persons, period and studies
    assert ("years", "condition_occurrence") in cardio[1]
    assert ("top", "condition_occurrence") in cardio[1]
    assert set(derma[1]) - set(cardio[1]) == {
        ("visible", frozenset({"condition_occurrence", "note"})),
        ("pyramid", False),
        ("rows", ()),
    }
    assert ("top", "measurement") not in derma[1]
    assert derma[2] == derma_now  # counted now or asked of `read`: the same
    since = Perimeter(start=date(2020, 1, 1), domains=frozenset({"note"}))
    later = server.web.use(lambda wh: replace(derma[3], perimeter=since).reads(wh))
    assert later != cardio[0]


def test_a_second_project_s_overview_is_what_it_is_alone(fresh_server):
    """The server counts each table once for perimeters that read the same
    rows: derma's overview after cardio's is what it is alone."""
    with fresh_server.client("rita") as api:
        api.get("/api/overview", params={"project": "cardio"})
    with fresh_server.client("dora") as api:
        derma = api.get("/api/overview", params={"project": "derma"}).json()

    def alone(wh):
        from entrepot.privacy import authorise
        from entrepot.quality.characterization import at_once, overview

        return overview(authorise(wh, "dora", "count", "derma"), at_once(wh))

    assert derma == fresh_server.web.use(alone)


# -- vocabulary ----------------------------------------------------------------
def test_vocabulary_finds_a_cim10_code_by_french_label_with_or_without_accents(server):
    with server.client("vic") as api:
        for q in ("Diabète sucré de type 2", "diabete SUCRE de type 2"):
            r = api.get("/api/vocabulary", params={"q": q, "vocabulary": "CIM10"})
            assert r.status_code == 200
            found = r.json()
            assert found[0]["concept_code"] == "E11"
            assert found[0]["concept_name"] == "Diabète sucré de type 2"
            assert {c["vocabulary_id"] for c in found} == {"CIM10"}
        by_code = api.get("/api/vocabulary", params={"q": "i10"}).json()
        assert by_code[0]["concept_code"] == "I10"
        assert by_code[0]["domain_id"] == "Condition"
        drugs = api.get(
            "/api/vocabulary", params={"q": "paracetamol", "limit": 3}
        ).json()
        assert len(drugs) == 3 and drugs[0]["concept_code"] == "N02BE01"
    last = server.web.use(entries, user="vic", action="web.call")[-1]
    assert last["parameters"] == '{"target": "GET /api/vocabulary"}'


def test_vocabulary_takes_hostile_strings_literally_and_checks_bounds(server):
    with server.client("rita") as api:
        percent = api.get("/api/vocabulary", params={"q": "%", "limit": 100}).json()
        assert percent and all(
            "%" in c["concept_name"] or "%" in c["concept_code"] for c in percent
        )
        under = api.get("/api/vocabulary", params={"q": "_", "limit": 100}).json()
        assert all("_" in c["concept_name"] or "_" in c["concept_code"] for c in under)
        for q in ("'; DROP TABLE concept; --", '" OR 1=1', "zz%zz"):
            r = api.get("/api/vocabulary", params={"q": q})
            assert r.status_code == 200 and r.json() == []
        assert api.get("/api/vocabulary", params={"q": "E11"}).json()  # still there
        assert api.get("/api/vocabulary", params={"q": ""}).status_code == 422
        assert api.get("/api/vocabulary", params={"q": "x" * 201}).status_code == 422
        assert (
            api.get("/api/vocabulary", params={"q": "e", "limit": 101}).status_code
            == 422
        )
        assert (
            api.get("/api/vocabulary", params={"q": "e", "limit": 0}).status_code == 422
        )
    with server.client() as anonymous:
        assert anonymous.get("/api/vocabulary", params={"q": "e"}).status_code == 401


def test_overview_and_cohort_pages_render(server):
    with server.client("rita") as api:
        home = api.get("/")
        assert home.status_code == 200 and 'src="/static/overview.js"' in home.text
        page = api.get("/cohorts")
        assert page.status_code == 200
        for element in (
            "cohort-name",
            "concept-search",
            "add-concept",
            "count-button",
            "cohort-count",
            "attrition",
            "import-circe",
            "import-button",
        ):
            assert f'id="{element}"' in page.text
        assert api.get("/static/cohorts.js").status_code == 200


def test_no_audit_entry_of_cached_answers_is_lost(fresh_server):
    """N cached answers leave N entries of what left, chained, anchored and
    written by the time the server has stopped."""
    n = 25
    with fresh_server.client("rita") as api:
        for _ in range(n + 1):  # the first one fills the cache
            r = api.get("/api/overview", params={"project": "cardio"})
            assert r.status_code == 200
    fresh_server.stop()  # at once: the entries still queued are written now
    with Warehouse.open(fresh_server.wh.uri.path, read_only=True) as wh:
        shown = entries(wh, user="rita", action="overview")
        decided = entries(wh, user="rita", action="authorise.count")
        verified = verify(wh)
    assert len(shown) == len(decided) == n + 1
    assert {(e["project"], e["persons"]) for e in shown} == {("cardio", 300)}
    assert verified["ok"] and verified["anchor"]["ok"]
    assert verified["anchor"]["entries"] == verified["entries"]
