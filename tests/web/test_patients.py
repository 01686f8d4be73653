"""A patient's timeline over HTTP: values equal the warehouse's, nothing
identifying, the project's perimeter and rights."""

from __future__ import annotations

from collections import Counter

import pytest

KEYS = {"person", "visits", "conditions", "drugs", "labs", "notes"}


@pytest.fixture(scope="module")
def busy(server) -> int:
    """The person with the most notes."""

    def pick(wh):
        n = wh.table("note")
        top = n.group_by("person_id").agg(k=n.count()).order_by([n.count().desc()])
        return int(top.limit(1).to_pyarrow()["person_id"][0].as_py())

    return server.web.use(pick)


def _rows(server, table, person_id, order):
    def read(wh):
        t = wh.table(table)
        return (
            t.filter(t.person_id == person_id).order_by(order).to_pyarrow().to_pylist()
        )

    return server.web.use(read)


def test_timeline_values_equal_the_warehouse(server, busy):
    with server.client("rita") as api:
        r = api.get(f"/api/patients/{busy}", params={"project": "cardio"})
    assert r.status_code == 200
    p = r.json()
    assert set(p) == KEYS
    person = _rows(server, "person", busy, "person_id")[0]
    assert p["person"] == {
        "person_id": busy,
        "year_of_birth": person["year_of_birth"],
        "sex": {8507: "M", 8532: "F"}[person["gender_concept_id"]],
    }
    visits = _rows(server, "visit_occurrence", busy, "visit_start_date")
    assert [(v["start"], v["end"]) for v in p["visits"]] == [
        (v["visit_start_date"].isoformat(), v["visit_end_date"].isoformat())
        for v in visits
    ]
    assert all(v["type"] for v in p["visits"])
    conditions = _rows(server, "condition_occurrence", busy, "condition_start_date")
    assert Counter(c["date"] for c in p["conditions"]) == Counter(
        c["condition_start_date"].isoformat() for c in conditions
    )
    assert {c["code"].replace(".", "") for c in p["conditions"]} == {
        c["condition_source_value"] for c in conditions
    }  # CIM-10 codes, dotted in the vocabulary
    drugs = _rows(server, "drug_exposure", busy, "drug_exposure_start_date")
    assert len(p["drugs"]) == len(drugs)
    assert Counter(d["label"] for d in p["drugs"]) == Counter(
        d["drug_source_value"] for d in drugs
    )
    labs = [m for m in _rows(server, "measurement", busy, "measurement_date")
            if m["value_as_number"] is not None]  # fmt: skip
    counts = Counter(m["measurement_concept_id"] for m in labs)
    shown = {s["concept_id"] for stay in p["labs"] for s in stay["series"]}
    assert 0 < len(shown) <= 12 and shown <= set(counts)
    least = min(counts[c] for c in shown)
    assert all(n <= least for c, n in counts.items() if c not in shown)
    points = Counter()
    for stay in p["labs"]:
        for s in stay["series"]:
            points[s["concept_id"]] += len(s["points"])
            for _, value in s["points"]:
                assert value in {
                    m["value_as_number"]
                    for m in labs
                    if m["measurement_concept_id"] == s["concept_id"]
                    and m["visit_occurrence_id"] == stay["visit_id"]
                }
    assert points == {c: counts[c] for c in shown}
    notes = _rows(server, "note", busy, "note_date")
    assert sorted(n["id"] for n in p["notes"]) == sorted(n["note_id"] for n in notes)
    texts = {n["note_id"]: n["note_text"] for n in notes}
    assert all(n["text"] == texts[n["id"]][:300] for n in p["notes"])
    with server.client("rita") as api:
        first = p["notes"][0]["id"]
        whole = api.get(f"/api/patients/{busy}/notes/{first}?project=cardio").json()
    assert whole["text"] == texts[first]


def test_timeline_holds_nothing_identifying(server, busy):
    with server.client("rita") as api:
        p = api.get(f"/api/patients/{busy}", params={"project": "cardio"}).json()
    assert set(p["person"]) == {"person_id", "year_of_birth", "sex"}
    assert set(p["visits"][0]) == {"id", "start", "end", "type"}
    assert set(p["conditions"][0]) == {"date", "code", "name", "visit_id"}
    assert set(p["drugs"][0]) == {"start", "end", "name", "atc", "label", "visit_id"}
    assert set(p["labs"][0]) == {"visit_id", "start", "end", "series"}
    series = p["labs"][0]["series"][0]
    assert set(series) == {"concept_id", "name", "unit", "low", "high", "points"}
    assert set(p["notes"][0]) == {"id", "date", "title", "text"}


def test_rights_and_perimeter(server, busy):
    with server.client("vic") as vic:
        r = vic.get(f"/api/patients/{busy}", params={"project": "cardio"})
        assert r.status_code == 403 and r.json()["detail"] == "a viewer may not read"
        page = vic.get(f"/patients/{busy}", params={"project": "cardio"})
        assert page.status_code == 403 and "a viewer may not read" in page.text
    with server.client("rita") as rita:
        r = rita.get("/api/patients/999999999", params={"project": "cardio"})
        assert r.status_code == 404
        assert r.json()["detail"] == "person 999999999: no such patient in this project"
        assert rita.get(f"/api/patients/{busy}").status_code == 403  # no project
        assert rita.get(f"/api/patients/{busy}?project=derma").status_code == 403
        page = rita.get(f"/patients/{busy}", params={"project": "cardio"})
        assert page.status_code == 200
        for id_ in ("timeline", "patient-notes", "lab-curves"):
            assert f'id="{id_}"' in page.text
    with server.client("dora") as dora:  # derma: conditions and notes only
        p = dora.get(f"/api/patients/{busy}", params={"project": "derma"}).json()
    assert p["visits"] is None and p["drugs"] is None and p["labs"] is None
    assert p["conditions"] and p["notes"] and p["person"]["person_id"] == busy


def _french_names(wh) -> dict[int, str]:
    s = wh.table("concept_synonym")
    s = s.filter(s.language_concept_id == 4180190)  # French
    return {
        r["concept_id"]: r["concept_synonym_name"] for r in s.to_pyarrow().to_pylist()
    }


def test_labs_come_per_stay_on_the_stays_axis_with_french_names(server, busy):
    """Each stay's labs on its own axis (a 5-day stay is not a vertical line on
    a 10-year record), named in French where the vocabulary has a French name."""
    with server.client("rita") as api:
        p = api.get(f"/api/patients/{busy}", params={"project": "cardio"}).json()
    visits = {v["visit_occurrence_id"]: v
              for v in _rows(server, "visit_occurrence", busy, "visit_start_date")}  # fmt: skip
    assert len(p["labs"]) > 1
    assert [s["start"] for s in p["labs"]] == sorted(s["start"] for s in p["labs"])
    for stay in p["labs"]:
        visit = visits[stay["visit_id"]]
        assert stay["start"] == visit["visit_start_date"].isoformat()
        assert stay["end"] == visit["visit_end_date"].isoformat()
        assert stay["series"]
        for s in stay["series"]:
            assert all(stay["start"] <= day <= stay["end"] for day, _ in s["points"])
    french = server.web.use(_french_names)
    names = {s["concept_id"]: s["name"] for st in p["labs"] for s in st["series"]}
    assert names == {c: french[c] for c in names}  # every bundled LOINC test has one
    assert any(c in name for name in names.values() for c in "éèêàç")  # French
