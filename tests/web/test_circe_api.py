"""The builder's Circe endpoints on the live server: a definition written as
Circe JSON with the warehouse's concept ids, and read back from it; what Circe
cannot express is a one-line 400; both authorised and audited."""

from __future__ import annotations

import json

import yaml

from entrepot.privacy import entries

PROJECT = {"project": "cardio"}
DEFINITION = """\
name: hypertension, 40 and over, no enoxaparin the year before
concept_sets:
  htn: {items: [{vocabulary: CIM10, code: I10, descendants: true}]}
  enox: {items: [{vocabulary: ATC, code: B01AB05}]}
entry:
  events: [{condition: {concept_set: htn, first: true}}]
inclusion_rules:
  - name: age 40+
    criteria: {demographics: [{age: {gte: 40}}]}
  - name: no enoxaparin the year before
    criteria:
      criteria:
        - event: {drug: {concept_set: enox}}
          window: {start: -365, end: -1}
          occurrence: {type: at_most, count: 0}
exit:
  offset: {date: start, days: 365}
"""
MENTION = """\
name: mentions
entry:
  events: [{note_mention: {label: [DISEASE]}}]
"""


def _concept_id(wh, vocabulary: str, code: str) -> int:
    c = wh.table("concept")
    found = c.filter((c.vocabulary_id == vocabulary) & (c.concept_code == code))
    return int(found.concept_id.to_pyarrow().to_pylist()[0])


def test_definition_to_circe_and_back(server):
    with server.client("rita") as api:
        r = api.post("/api/cohorts/circe", params=PROJECT, json={"definition": DEFINITION})  # fmt: skip
        assert r.status_code == 200, r.text
        circe = r.json()
        back = api.post("/api/cohorts/definition", params=PROJECT, json={"circe": json.dumps(circe)})  # fmt: skip
        assert back.status_code == 200, back.text
        again = api.post("/api/cohorts/circe", params=PROJECT, json={"definition": back.json()["yaml"]})  # fmt: skip
    htn = server.web.use(_concept_id, "CIM10", "I10")
    sets = {s["name"]: s["expression"]["items"] for s in circe["ConceptSets"]}
    assert sets["htn"][0]["concept"]["CONCEPT_ID"] == htn
    assert sets["htn"][0]["concept"]["CONCEPT_CODE"] == "I10"
    assert sets["htn"][0]["includeDescendants"] is True
    rule = circe["InclusionRules"][1]["expression"]["CriteriaList"][0]
    assert rule["Occurrence"] == {"Type": 1, "Count": 0, "IsDistinct": False}
    assert rule["StartWindow"]["Start"] == {"Days": 365, "Coeff": -1}
    assert circe["EndStrategy"] == {"DateOffset": {"DateField": "StartDate", "Offset": 365}}  # fmt: skip
    imported = yaml.safe_load(back.json()["yaml"])
    assert imported["name"] == circe["Title"]
    assert imported["concept_sets"]["codeset_0"]["items"][0]["concept_id"] == htn
    # the same Circe expression after the round trip; the import names the
    # concept sets by their Circe ids
    renamed = [s | {"name": f"codeset_{s['id']}"} for s in circe["ConceptSets"]]
    assert again.json() == circe | {"ConceptSets": renamed}


def test_what_circe_cannot_express_is_a_one_line_400(server):
    with server.client("rita") as api:
        r = api.post("/api/cohorts/circe", params=PROJECT, json={"definition": MENTION})
        assert (r.status_code, r.json()["detail"]) == (400, (
            "request body: not expressible in Circe: entry.events[0] (mentions"
            " found in notes: Circe has no such criteria)"))  # fmt: skip
        r = api.post("/api/cohorts/definition", params=PROJECT, json={"circe": "{}"})
        assert (r.status_code, r.json()["detail"]) == (400, (
            "request body: circe: not a Circe expression (no PrimaryCriteria)"))  # fmt: skip
        r = api.post("/api/cohorts/definition", params=PROJECT, json={"circe": '{"PrimaryCriteria": 1}'})  # fmt: skip
        assert (r.status_code, r.json()["detail"]) == (400, (
            "request body: not Circe JSON as ATLAS writes it (AttributeError:"
            " 'int' object has no attribute 'items')"))  # fmt: skip
        r = api.post("/api/cohorts/definition", params=PROJECT, json={"circe": "{"})
        assert r.status_code == 400
        assert r.json()["detail"].startswith("request body: malformed JSON at line 1")


def test_the_export_is_authorised_and_audited(server):
    before = server.web.use(lambda wh: len(entries(wh)))
    with server.client("vic") as api:  # a viewer counts: may build and export
        r = api.post("/api/cohorts/circe", params=PROJECT, json={"definition": DEFINITION})  # fmt: skip
        assert r.status_code == 200, r.text
    with server.client("dora") as api:  # not in cardio
        r = api.post("/api/cohorts/circe", params=PROJECT, json={"definition": DEFINITION})  # fmt: skip
        assert r.status_code == 403
    logged = server.web.use(lambda wh: entries(wh)[before:])
    done = [(e["user"], e["project"], e["action"]) for e in logged]
    assert done == [
        ("vic", None, "login"),
        ("vic", "cardio", "authorise.count"),
        ("vic", "cardio", "cohort.circe"),
        ("dora", None, "login"),
        ("dora", "cardio", "authorise.count"),
    ]
