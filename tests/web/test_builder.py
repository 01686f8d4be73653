"""The builder's live counts over the API (`POST /api/cohorts/count`): each
part counted on its own, the attrition and the cohort, as the library and SQL
count them; masked; inside the perimeter; the definition back as YAML and as
data; nothing saved."""

from __future__ import annotations

import pytest
import yaml

from entrepot.cohort import count_persons
from entrepot.cohort._counts import count_parts
from entrepot.cohort._files import definition_from_data
from entrepot.privacy import mask_count
from tests.web.conftest import _serve_copy

#: Hypertension; a renin-angiotensin drug in the year around, or a systolic
#: pressure of 140 or more within 30 days at 50 or over; no type 2 diabetes
#: ever; furosemide with a potassium test within 7 days after starting it.
NESTED_YAML = """
name: builder (API)
concept_sets:
  htn: {items: [{vocabulary: CIM10, code: I10, descendants: true}]}
  raas: {items: [{vocabulary: ATC, code: C09, descendants: true}]}
  systolic: {items: [{vocabulary: LOINC, code: 8480-6}]}
  diabetes: {items: [{vocabulary: CIM10, code: E11, descendants: true}]}
  furosemide: {items: [{vocabulary: ATC, code: C03CA01}]}
  potassium: {items: [{vocabulary: LOINC, code: 2823-3}]}
entry:
  events: [{condition: {concept_set: htn, first: true}}]
inclusion_rules:
  - name: treated or high
    criteria:
      type: any
      criteria:
        - event: {drug: {concept_set: raas}}
          window: {start: -365, end: 365}
      groups:
        - criteria:
            - event: {measurement: {concept_set: systolic, value: {gte: 140}}}
              window: {start: -30, end: 30}
          demographics: [{age: {gte: 50}}]
  - name: never diabetic
    criteria:
      criteria:
        - event: {condition: {concept_set: diabetes}}
          occurrence: {type: at_most, count: 0}
  - name: potassium after furosemide
    criteria:
      type: at_most
      count: 1
      criteria:
        - event:
            drug:
              concept_set: furosemide
              criteria:
                criteria:
                  - event: {measurement: {concept_set: potassium}}
                    window: {start: 0, end: 7}
"""
PATHS = [
    "entry",
    "rules/0/criteria/0",
    "rules/0/groups/0/criteria/0",
    "rules/0/groups/0/demographics/0",
    "rules/0/groups/0",
    "rules/0",
    "rules/1/criteria/0",
    "rules/1",
    "rules/2/criteria/0",
    "rules/2",
    "cohort",
]


@pytest.fixture(scope="module")
def live(web_file, tmp_path_factory):
    """A server of this module's own (counts are remembered by the gate)."""
    yield from _serve_copy(web_file, tmp_path_factory.mktemp("builder"))


def _count(api, definition, project: str | None = None):
    params = {"project": project} if project else {}
    return api.post(
        "/api/cohorts/count", params=params, json={"definition": definition}
    )


def _counted(api, definition, project: str | None = None) -> dict:
    r = _count(api, definition, project)
    assert r.status_code == 200, r.text
    return r.json()


def _sql(live, query: str) -> int:
    return live.web.use(lambda wh: wh.con.raw_sql(query).fetchone()[0])


def test_each_part_counts_as_the_library_and_sql(live):
    definition = definition_from_data(yaml.safe_load(NESTED_YAML), "test")
    library = live.web.use(count_parts, definition)
    with live.client("ada") as api:  # an administrator: the warehouse, unmasked
        r = _count(api, NESTED_YAML)
    assert r.status_code == 200, r.text
    found = r.json()
    parts = {p["path"]: p["persons"] for p in found["parts"]}
    assert list(parts) == PATHS
    assert parts == {p: len(ids) for p, ids in library.persons.items()}
    htn = _sql(
        live,
        "SELECT count(DISTINCT person_id) FROM condition_occurrence"
        " WHERE condition_source_value LIKE 'I10%'",
    )
    never_diabetic = _sql(
        live,
        "SELECT count(DISTINCT h.person_id) FROM condition_occurrence h"
        " WHERE h.condition_source_value LIKE 'I10%' AND NOT EXISTS (SELECT 1"
        " FROM condition_occurrence d WHERE d.person_id = h.person_id"
        " AND d.condition_source_value LIKE 'E11%')",
    )
    assert parts["entry"] == htn >= 30
    assert 10 <= parts["rules/1/criteria/0"] == never_diabetic < htn
    assert parts["rules/1"] == parts["rules/1/criteria/0"]
    assert parts["rules/0"] >= parts["rules/0/criteria/0"]
    assert parts["rules/2"] == htn  # at most one: everyone
    assert found["count"] == parts["cohort"] == live.web.use(count_persons, definition)
    shown = [s["persons"] for s in found["attrition"]]
    true = [s["persons"] for s in library.attrition]
    kept = set(library.persons["rules/0"]) & set(library.persons["rules/1"])
    assert true == [htn, parts["rules/0"], len(kept), found["count"]]
    assert len(kept) == found["count"]  # at most one: no one left out by rule 2
    assert shown[:2] == true[:2]
    hidden = 0 < true[1] - true[2] < 10  # fewer than 10 lost: not shown
    assert shown[2:] == (["*", "*"] if hidden else true[2:])
    assert [s["rule"] for s in found["attrition"]] == [
        "entry events",
        "treated or high",
        "never diabetic",
        "potassium after furosemide",
    ]
    with live.client("ada") as api:
        saved = [c["name"] for c in api.get("/api/cohorts").json()]
    assert saved == ["hypertension (project htn's perimeter)"]  # nothing saved


def test_the_definition_comes_back_as_yaml_and_as_data(live):
    with live.client("rita") as api:
        first = _counted(api, NESTED_YAML, "cardio")
        again = _counted(api, first["yaml"], "cardio")
        as_data = _counted(api, first["definition"], "cardio")
    assert again["definition"] == first["definition"] == as_data["definition"]
    assert as_data["yaml"] == first["yaml"]
    event = first["definition"]["inclusion_rules"][2]["criteria"]["criteria"][0]
    assert event["event"]["drug"]["criteria"]["criteria"][0]["window"] == {
        "start": 0,
        "end": 7,
    }
    assert "domain:" not in first["yaml"] and "at_most" in first["yaml"]


def test_counts_are_masked_inside_a_project(live):
    with live.client("rita") as api:
        found = _counted(api, NESTED_YAML, "cardio")
    shown = [p["persons"] for p in found["parts"]] + [found["count"]]
    shown += [s["persons"] for s in found["attrition"]]
    assert all(n == 0 or n == "<10" or n == "*" or n >= 10 for n in shown), shown
    small = {
        "name": "one person",
        "concept_sets": {
            "one": {
                "items": [{"vocabulary": "CIM10", "code": "L03.1", "descendants": True}]
            }
        },
        "entry": {"events": [{"condition": {"concept_set": "one"}}]},
    }
    with live.client("rita") as api:
        found = _counted(api, small, "cardio")
    assert found["count"] == "<10" and found["parts"][0]["persons"] == "<10"


def test_a_project_counts_inside_its_perimeter(live):
    """dora's project htn: the persons with hypertension. Lipid disorders
    there: the persons with both (the warehouse has more)."""
    lipids = {
        "name": "lipids",
        "concept_sets": {
            "e78": {
                "items": [{"vocabulary": "CIM10", "code": "E78", "descendants": True}]
            }
        },
        "entry": {"events": [{"condition": {"concept_set": "e78"}}]},
    }
    both = _sql(
        live,
        "SELECT count(DISTINCT l.person_id) FROM condition_occurrence l"
        " WHERE l.condition_source_value LIKE 'E78%' AND EXISTS (SELECT 1"
        " FROM condition_occurrence h WHERE h.person_id = l.person_id"
        " AND h.condition_source_value LIKE 'I10%')",
    )
    with live.client("dora") as api:
        found = _counted(api, lipids, "htn")
    with live.client("ada") as api:
        everyone = _counted(api, lipids)["count"]
    assert found["count"] == mask_count(both, 10) and both >= 10
    assert everyone > both


def test_bad_input_is_one_line_and_other_cohorts_must_be_seen(live):
    with live.client("vic") as api:  # a viewer may count
        assert _counted(api, NESTED_YAML, "cardio")["parts"]
        r = _count(api, "name: [unclosed", "cardio")
        assert r.status_code == 400 and "\n" not in r.json()["detail"]
        r = _count(api, {"name": "no entry"}, "cardio")
        assert r.json()["detail"] == "request body: entry: Field required"
        member = {
            "name": "in another cohort",
            "entry": {"events": [{"cohort": {"cohort": 12345}}]},
        }
        r = _count(api, member, "cardio")
        assert r.status_code == 404
