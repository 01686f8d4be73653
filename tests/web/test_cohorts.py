"""Cohorts over the API: definitions and Circe imports run in the background,
counted within the project's perimeter, masked, described, exported, deleted."""

from __future__ import annotations

import csv
import io
import json
import shutil
import time

import pytest

from entrepot.cohort import run_cohort
from entrepot.cohort._files import definition_from_data
from entrepot.privacy import (
    add_member,
    add_project,
    entries,
    list_projects,
    mask_count,
)
from entrepot.warehouse import Warehouse
from tests.cohort.circe_cases import CASES, concept_set, item, primary
from tests.web.conftest import LiveServer

HYPERTENSION = {
    "name": "hypertension, 40 and over, with enoxaparin",
    "concept_sets": {
        "htn": {"items": [{"vocabulary": "CIM10", "code": "I10", "descendants": True}]},
        "enox": {"items": [{"vocabulary": "ATC", "code": "B01AB05"}]},
    },
    "entry": {"events": [{"domain": "condition", "concept_set": "htn", "first": True}]},
    "inclusion_rules": [
        {"name": "age 40+", "criteria": {"demographics": [{"age": {"gte": 40}}]}},
        {
            "name": "enoxaparin within a year",
            "criteria": {
                "criteria": [
                    {
                        "event": {"domain": "drug", "concept_set": "enox"},
                        "window": {"start": -365, "end": 365},
                    }
                ]
            },
        },
    ],
    "exit": {"offset": {"date": "start", "days": 365}},
}
ENOXAPARIN = {
    "name": "enoxaparin",
    "concept_sets": {"enox": HYPERTENSION["concept_sets"]["enox"]},
    "entry": {"events": [{"domain": "drug", "concept_set": "enox"}]},
}


@pytest.fixture(scope="module")
def live(web_file, tmp_path_factory):
    """A server of this module's own: these tests write cohorts."""
    path = tmp_path_factory.mktemp("cohorts") / "eds.duckdb"
    shutil.copy(web_file, path)
    index = "eds.duckdb.search"
    shutil.copytree(web_file.parent / index, path.parent / index)
    server = LiveServer(path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def reference(web_file, tmp_path_factory):
    """A copy of the warehouse, to run the library directly."""
    path = tmp_path_factory.mktemp("reference") / "eds.duckdb"
    shutil.copy(web_file, path)
    with Warehouse.open(path) as wh:
        yield wh


def run_job(api, body, project="cardio", **params) -> dict:
    """POST a definition, wait for its job to end, return the job."""
    r = api.post("/api/cohorts", params={"project": project, **params}, json=body)
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    for _ in range(600):
        status = api.get(f"/api/jobs/{job}", params={"project": project}).json()
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    return status


def generate(api, body, project="cardio", **params) -> dict:
    """POST a definition, wait for its job, return the result."""
    status = run_job(api, body, project, **params)
    assert status["state"] == "done", status
    return status["result"]


def rare_code(wh) -> str:
    """A CIM-10 code that 1 to 9 persons have."""
    c = wh.table("condition_occurrence")
    concept = wh.table("concept")
    counts = c.group_by("condition_concept_id").aggregate(p=c.person_id.nunique())
    rare = counts.filter(counts.p.between(2, 9)).join(
        concept, counts.condition_concept_id == concept.concept_id
    )
    return rare.order_by("concept_code").concept_code.to_pyarrow().to_pylist()[0]


def test_a_definition_runs_in_the_background_and_counts_as_the_library(live, reference):
    with live.client("rita") as api:
        result = generate(api, HYPERTENSION)
    expected = run_cohort(
        reference, definition_from_data(HYPERTENSION, "test"), cohort_id=500
    )
    assert expected.count >= 10
    assert result["count"] == expected.count
    assert result["entries"] == expected.entries
    assert result["person_days"] == expected.person_days
    assert [s["rule"] for s in result["attrition"]] == [
        "entry events",
        "age 40+",
        "enoxaparin within a year",
    ]
    assert result["attrition"] == [
        {k: mask_count(s[k], 10) if k != "rule" else s[k] for k in s}
        for s in expected.attrition
    ]
    # released within a project: through the differencing defence
    runs = live.web.use(entries, user="rita", action="release.cohort.run")
    assert json.loads(runs[-1]["parameters"]) == {
        "cohort_definition_id": result["cohort_definition_id"],
        "name": HYPERTENSION["name"],
        "adjusted": False,
        "count": expected.count,
    }
    assert runs[-1]["persons"] == expected.count and runs[-1]["project"] == "cardio"
    asked = live.web.use(entries, user="rita", action="authorise.write")
    assert any('"target": "POST /api/cohorts"' in e["parameters"] for e in asked)


def test_small_cohorts_are_masked_and_not_exported(live, reference):
    code = rare_code(reference)
    body = {
        "name": f"rare {code}",
        "concept_sets": {"x": {"items": [{"vocabulary": "CIM10", "code": code}]}},
        "entry": {"events": [{"domain": "condition", "concept_set": "x"}]},
    }
    with live.client("rita") as api:
        result = generate(api, body)
        assert result["count"] == "<10" and result["person_days"] is None
        assert result["attrition"][0]["persons"] == "<10"
        cid = result["cohort_definition_id"]
        t1 = api.get(
            f"/api/cohorts/{cid}/describe", params={"project": "cardio"}
        ).json()
        assert t1["persons"] == "<10" and t1["age"]["mean"] is None
        assert set(t1["sex"].values()) <= {0, "<10"}
        r = api.get(f"/api/cohorts/{cid}/export", params={"project": "cardio"})
        assert r.status_code == 403 and "fewer than 10 persons" in r.json()["detail"]


def test_circe_imports_count_as_the_library(live, reference):
    htn = reference.table("concept")
    htn = htn.filter((htn.vocabulary_id == "CIM10") & (htn.concept_code == "I10"))
    htn_id = htn.concept_id.to_pyarrow().to_pylist()[0]
    circe = {
        "ConceptSets": [concept_set(0, item(htn_id))],
        "PrimaryCriteria": primary("ConditionOccurrence", 0, "First", First=True),
        "EndStrategy": {"DateOffset": {"DateField": "StartDate", "Offset": 30}},
    }
    with live.client("rita") as api:
        result = generate(api, circe, name="htn from ATLAS")
        shown = api.get(
            f"/api/cohorts/{result['cohort_definition_id']}",
            params={"project": "cardio"},
        ).json()
        eunomia = generate(
            api, CASES["inclusion rules, demographics, distinct counts, era pad"]
        )
    expected = run_cohort(reference, definition_from_data(circe, "test"), cohort_id=501)
    assert result["count"] == mask_count(expected.count, 10) and expected.count >= 10
    assert shown["name"] == "htn from ATLAS"
    assert shown["definition"]["exit"]["offset"] == {"date": "start", "days": 30}
    assert shown["persons"] == expected.count
    # a richer ATLAS export converts and runs (its Eunomia concepts: nobody here)
    assert eunomia["count"] == 0 and len(eunomia["attrition"]) > 1


def test_bad_definitions_are_refused_at_once_with_one_line(live):
    with live.client("rita") as api:

        def post(content):
            return api.post(
                "/api/cohorts",
                params={"project": "cardio"},
                content=content,
                headers={"Content-Type": "application/json"},
            )

        r = post(b"{not json")
        assert r.status_code == 400
        assert r.json()["detail"].startswith("request body: malformed JSON at line 1")
        r = post(json.dumps({"name": "no entry"}))
        assert (
            r.status_code == 400
            and r.json()["detail"] == "request body: entry: Field required"
        )
        assert (
            post(b"[1, 2]").json()["detail"]
            == "request body: a definition is a mapping of fields"
        )
        unknown = dict(
            HYPERTENSION,
            concept_sets={
                "htn": {
                    "items": [
                        {"vocabulary": "CIM10", "code": "ZZ999"},
                        {"vocabulary": "ATC", "code": "Q99"},
                    ]
                },
                "enox": {"items": [{"vocabulary": "ATC", "code": "B01AB05"}]},
            },
        )
        r = post(json.dumps(unknown))
        assert r.status_code == 400
        detail = r.json()["detail"]
        assert "ATC Q99" in detail and "CIM10 ZZ999" in detail and "\n" not in detail
    with live.client("vic") as api:  # a viewer may count, never write
        r = api.post("/api/cohorts", params={"project": "cardio"}, json={"name": "x"})
        assert (r.status_code, r.json()["detail"]) == (403, "a viewer may not write")


def test_derma_builds_cohorts_only_on_its_domains(live):
    with live.client("dora") as api:
        r = api.post("/api/cohorts", params={"project": "derma"}, json=HYPERTENSION)
        assert r.status_code == 403
        assert (
            r.json()["detail"]
            == "table drug_exposure is outside the project's perimeter"
        )
        body = {
            "name": "derma hypertension",
            "concept_sets": {"htn": HYPERTENSION["concept_sets"]["htn"]},
            "entry": {"events": [{"domain": "condition", "concept_set": "htn"}]},
        }
        result = generate(api, body, project="derma")
        t1 = api.get(
            f"/api/cohorts/{result['cohort_definition_id']}/describe",
            params={"project": "derma"},
        ).json()
    assert t1["persons"] == result["count"]
    assert "conditions" in t1 and "drugs" not in t1 and "labs" not in t1
    mention = {
        "name": "derma hypertension in reports",
        "concept_sets": body["concept_sets"],
        "entry": {"events": [{"note_mention": {"concept_set": "htn"}}]},
    }
    with live.client("dora") as api:  # mentions reveal notes, which derma may read
        assert generate(api, mention, project="derma")["count"] == 0  # no note_nlp


def test_list_show_describe_export_and_delete(live):
    with live.client("rita") as api:
        made = generate(api, dict(HYPERTENSION, name="to export"))
        cid = made["cohort_definition_id"]
        listed = {
            c["id"]: c
            for c in api.get("/api/cohorts", params={"project": "cardio"}).json()
        }
        assert (
            listed[cid]["name"] == "to export"
            and listed[cid]["persons"] == made["count"]
        )
        shown = api.get(f"/api/cohorts/{cid}", params={"project": "cardio"}).json()
        assert shown["attrition"] == made["attrition"]
        assert shown["definition"]["inclusion_rules"][0]["name"] == "age 40+"
        t1 = api.get(
            f"/api/cohorts/{cid}/describe", params={"project": "cardio"}
        ).json()
        assert t1["persons"] == made["count"] and t1["mask_below"] == 10
        assert t1["conditions"][0]["code"] == "CIM10 I10"
        r = api.get(f"/api/cohorts/{cid}/export", params={"project": "cardio"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
    stored = live.web.use(
        lambda wh: (
            wh.table("cohort")
            .filter(lambda t: t.cohort_definition_id == cid)
            .to_pyarrow()
            .to_pylist()
        )
    )
    assert list(rows[0]) == ["subject_id", "cohort_start_date", "cohort_end_date"]
    assert sorted(
        (int(r["subject_id"]), r["cohort_start_date"]) for r in rows
    ) == sorted((s["subject_id"], str(s["cohort_start_date"])) for s in stored)
    assert len({r["subject_id"] for r in rows}) == made["count"]
    exported = live.web.use(entries, user="rita", action="cohort.export")[-1]
    assert exported["rows"] == len(rows) and exported["persons"] == made["count"]
    with live.client("vic") as api:
        assert (
            api.get(
                f"/api/cohorts/{cid}/export", params={"project": "cardio"}
            ).status_code
            == 403
        )
        assert (
            api.delete(f"/api/cohorts/{cid}", params={"project": "cardio"}).status_code
            == 403
        )
        assert (
            api.get(f"/api/cohorts/{cid}", params={"project": "cardio"}).status_code
            == 200
        )
    refused = live.web.use(entries, user="vic", action="authorise.write")[-1]
    assert '"target": "DELETE /api/cohorts/{cohort_id}"' in refused["parameters"]
    with live.client("rita") as api:
        assert (
            api.delete(f"/api/cohorts/{cid}", params={"project": "cardio"}).status_code
            == 204
        )
        assert (
            api.get(f"/api/cohorts/{cid}", params={"project": "cardio"}).status_code
            == 404
        )
        ids = [
            c["id"]
            for c in api.get("/api/cohorts", params={"project": "cardio"}).json()
        ]
        assert cid not in ids
        assert (
            api.delete(f"/api/cohorts/{cid}", params={"project": "cardio"}).status_code
            == 404
        )
    deleted = live.web.use(entries, user="rita", action="cohort.delete")[-1]
    assert json.loads(deleted["parameters"]) == {"cohort_definition_id": cid}


def test_a_cohort_perimeter_counts_only_its_persons(live, reference):
    with live.client("rita") as api:
        htn = generate(api, dict(HYPERTENSION, name="perimeter", inclusion_rules=[]))
    pid = htn["cohort_definition_id"]

    def setup(wh):
        add_project(wh, "htn-study", cohort_id=pid)
        add_member(wh, "rita", "htn-study")

    live.web.use(setup)
    live.web.changed()
    with live.client("rita") as api:
        inside = generate(api, ENOXAPARIN, project="htn-study")
        r = api.delete(f"/api/cohorts/{pid}", params={"project": "cardio"})
        assert r.status_code == 403 and "perimeter" in r.json()["detail"]
    with live.client("ada") as api:  # the whole warehouse's figures
        whole = api.get(f"/api/cohorts/{inside['cohort_definition_id']}").json()

    def both(wh):
        c = wh.table("cohort")
        a = c.filter(c.cohort_definition_id == pid).subject_id.to_pyarrow().to_pylist()
        b = c.filter(c.cohort_definition_id == inside["cohort_definition_id"])
        return set(a), set(b.subject_id.to_pyarrow().to_pylist())

    with live.client("rita") as api:  # a cohort of no definition: one step
        searched = api.post(
            "/api/search/cohort",
            params={"project": "htn-study"},
            json={"q": "douleur", "name": "pain"},
        ).json()
        shown = api.get(
            f"/api/cohorts/{searched['cohort_definition_id']}",
            params={"project": "htn-study"},
        ).json()
    assert [s["rule"] for s in shown["attrition"]] == ["search: douleur"]
    assert shown["attrition"][0]["persons"] == shown["persons"]
    perimeter, enoxaparin = live.web.use(both)
    assert len(enoxaparin - perimeter) > 0  # the stored cohort is the whole warehouse's
    assert inside["count"] == mask_count(len(enoxaparin & perimeter), 10)
    assert whole["persons"] == len(enoxaparin)
    assert inside["attrition"][0]["persons"] == inside["count"]


def test_a_project_limited_by_dates_counts_only_entries_in_its_period(live):
    """A project limited to 2016-2020 got whole-warehouse counts: its figures,
    list and attrition now count the entries that start in its period."""
    from datetime import date

    def setup(wh):
        add_project(wh, "y2016", start=date(2016, 1, 1), end=date(2020, 12, 31))
        add_member(wh, "rita", "y2016")

    live.web.use(setup)
    live.web.changed()
    with live.client("rita") as api:
        every_htn = {  # every hypertension event: many in the period
            "name": "hypertension events, 2016-2020",
            "concept_sets": {"htn": HYPERTENSION["concept_sets"]["htn"]},
            "entry": {"events": [{"domain": "condition", "concept_set": "htn"}]},
            "exit": {"offset": {"date": "start", "days": 1}},
        }
        made = generate(api, every_htn, project="y2016")
        listed = {
            c["id"]: c
            for c in api.get("/api/cohorts", params={"project": "y2016"}).json()
        }
    with live.client("ada") as api:  # the whole warehouse's figures
        whole = api.get(f"/api/cohorts/{made['cohort_definition_id']}").json()

    def entries_of(wh):
        c = wh.table("cohort")
        c = c.filter(c.cohort_definition_id == made["cohort_definition_id"])
        return c.select("subject_id", "cohort_start_date").to_pyarrow().to_pylist()

    rows = live.web.use(entries_of)
    in_period = [
        r
        for r in rows
        if date(2016, 1, 1) <= r["cohort_start_date"] <= date(2020, 12, 31)
    ]
    persons = len({r["subject_id"] for r in in_period})
    assert 10 <= persons < len({r["subject_id"] for r in rows})  # the period matters
    assert made["count"] == persons and made["entries"] == len(in_period)
    assert listed[made["cohort_definition_id"]]["persons"] == persons
    assert made["attrition"][0]["entries"] >= len(in_period)
    assert whole["persons"] == len({r["subject_id"] for r in rows})


def test_table_1_of_a_project_whose_perimeter_is_a_cohort(live, reference):
    """Project "htn" (the fixture's) keeps the persons of a cohort: its Table 1
    counts them only, and names their conditions."""
    perimeter = live.web.use(
        lambda wh: next(p for p in list_projects(wh) if p["name"] == "htn")
    )["cohort_id"]
    with live.client("dora") as api:
        made = generate(api, ENOXAPARIN, project="htn")
        cid = made["cohort_definition_id"]
        r = api.get(f"/api/cohorts/{cid}/describe", params={"project": "htn"})
        assert r.status_code == 200, r.text
        t1 = r.json()
        whole = api.get(f"/api/cohorts/{perimeter}/describe", params={"project": "htn"})
    expected = _table_1_reference(live, cid, perimeter)
    assert expected["persons"] >= 10 and expected["top"][1] >= 10  # not masked
    assert t1["persons"] == mask_count(expected["persons"], 10) == made["count"]
    for sex, n in expected["sex"].items():  # "*": hidden with small band cells
        assert t1["sex"][sex] in (mask_count(n, 10), "*"), (t1, expected)
    assert t1["conditions"][0]["persons"] == mask_count(expected["top"][1], 10)
    assert t1["conditions"][0]["concept_id"] == expected["top"][0]
    assert whole.status_code == 200
    htn = whole.json()
    assert htn["conditions"][0]["code"] == "CIM10 I10"
    assert (
        htn["persons"]
        == htn["conditions"][0]["persons"]
        == mask_count(_table_1_reference(live, perimeter, perimeter)["persons"], 10)
    )


def _table_1_reference(live, cohort_id: int, perimeter: int) -> dict:
    """Persons of a cohort inside a cohort perimeter, their sexes, and the
    condition most of them had during a cohort period, counted in Python."""

    def read(wh):
        c = wh.table("cohort")
        return (
            c.filter(c.cohort_definition_id.isin([cohort_id, perimeter]))
            .to_pyarrow()
            .to_pylist(),
            wh.table("person").select("person_id", "gender_concept_id").to_pyarrow(),
            wh.table("condition_occurrence")
            .select("person_id", "condition_concept_id", "condition_start_date")
            .to_pyarrow()
            .to_pylist(),
        )

    cohorts, person, conditions = live.web.use(read)
    inside = {
        r["subject_id"] for r in cohorts if r["cohort_definition_id"] == perimeter
    }
    periods = [
        r
        for r in cohorts
        if r["cohort_definition_id"] == cohort_id and r["subject_id"] in inside
    ]
    persons = {r["subject_id"] for r in periods}
    genders = dict(zip(*person.to_pydict().values(), strict=True))
    sex = {"female": 0, "male": 0, "other or unknown": 0}
    for p in persons:
        sex[{8532: "female", 8507: "male"}.get(genders[p], "other or unknown")] += 1
    had: dict[int, set] = {}
    for c in conditions:
        if any(
            r["subject_id"] == c["person_id"]
            and r["cohort_start_date"]
            <= c["condition_start_date"]
            <= r["cohort_end_date"]
            for r in periods
        ):
            had.setdefault(c["condition_concept_id"], set()).add(c["person_id"])
    top = min(had.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {"persons": len(persons), "sex": sex, "top": (top[0], len(top[1]))}


def test_a_failed_generation_saves_no_cohort(live):
    """A job whose generation fails in the engine (dates out of range) fails
    with one line, and leaves no cohort: none listed, no row in any results
    table. A good definition's job is done and its cohort listed."""

    def stored(wh, name):
        d = wh.store.table("results", "cohort_definition")
        ids = d.filter(d.cohort_definition_name == name).cohort_definition_id
        ids = ids.to_pyarrow().to_pylist()
        return ids, {
            t: wh.store.table("results", t).filter(lambda r: r.cohort_definition_id.isin(ids)).count()
            .to_pyarrow().as_py()
            for t in ("cohort", "cohort_attrition")
        }  # fmt: skip

    broken = dict(
        HYPERTENSION,
        name="dates out of range",
        exit={"offset": {"days": 2_000_000_000}},
    )
    with live.client("rita") as api:
        failed = run_job(api, broken)
        listed = api.get("/api/cohorts", params={"project": "cardio"}).json()
        good = run_job(api, dict(HYPERTENSION, name="generated"))
        after = api.get("/api/cohorts", params={"project": "cardio"}).json()
    assert failed["state"] == "failed" and failed["result"] is None
    assert failed["error"].startswith("request body: cohort not generated: ")
    assert len(failed["error"].splitlines()) == 1
    assert "dates out of range" not in {c["name"] for c in listed}
    assert live.web.use(stored, "dates out of range") == (
        [], {"cohort": 0, "cohort_attrition": 0}
    )  # fmt: skip
    assert good["state"] == "done", good
    cid = good["result"]["cohort_definition_id"]
    shown = {c["id"]: c for c in after}[cid]
    assert (shown["name"], shown["persons"]) == ("generated", good["result"]["count"])
    assert live.web.use(stored, "generated") == (
        [cid], {"cohort": good["result"]["entries"], "cohort_attrition": 3}
    )  # fmt: skip
