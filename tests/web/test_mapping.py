"""The review of local codes' maps: the data team sees the codes left without
a concept with the proposals of `entrepot vocab map`, and accepts one as
`entrepot vocab approve` does; no one else sees them."""

from __future__ import annotations

from datetime import date

import httpx
import pyarrow as pa
import pytest
from playwright.sync_api import expect

from entrepot.privacy import entries
from tests.web.accessibility import assert_accessible
from tests.web.conftest import PASSWORD

#: Lab rows of codes a lab system sent without LOINC (concept 0), as
#: ingestion keeps them: code, unit, reference range; and their true LOINC
#: (`entrepot/data/synth/lab_local_codes.csv`).
LOCAL = {"K": ("mmol/L", 3.5, 5.0, 3), "CREA": ("µmol/L", 60.0, 110.0, 2)}
TRUTH = {"K": "2823-3", "CREA": "14682-9"}


def _local_rows(wh) -> None:
    person = wh.table("person").person_id.to_pyarrow()[0].as_py()
    rows = [
        {
            "measurement_id": 9_000_000 + 10 * i + n,
            "person_id": person,
            "measurement_concept_id": 0,
            "measurement_date": date(2024, 3, 1 + n),
            "measurement_type_concept_id": 32856,
            "measurement_source_value": code,
            "unit_source_value": unit,
            "range_low": low,
            "range_high": high,
        }
        for i, (code, (unit, low, high, count)) in enumerate(LOCAL.items())
        for n in range(count)
    ]
    with wh.store.transaction() as tx:
        tx.append("cdm", "measurement", wh.store.from_arrow(pa.Table.from_pylist(rows)))


@pytest.fixture
def mapping_server(fresh_server):
    fresh_server.web.use(_local_rows)
    return fresh_server


def _maps(wh) -> list[tuple]:
    t = wh.table("source_to_concept_map")
    t = t.filter(t.source_vocabulary_id == "LOCAL_LAB")
    return [
        (r["source_code"], r["target_concept_id"]) for r in t.to_pyarrow().to_pylist()
    ]


def test_the_data_team_reviews_local_codes_and_accepts_a_proposal(mapping_server):
    with mapping_server.client("eve") as api:  # a data engineer
        codes = api.get("/api/mapping").json()
        assert [(c["source_code"], c["rows"], c["unit"]) for c in codes] == [
            ("K", 3, "mmol/L"),
            ("CREA", 2, "µmol/L"),
        ]
        assert (codes[0]["low"], codes[0]["high"]) == (3.5, 5.0)
        for c in codes:
            assert [p["rank"] for p in c["proposals"]] == [1, 2, 3, 4, 5]
            assert TRUTH[c["source_code"]] in [
                p["concept_code"] for p in c["proposals"]
            ]
        chosen = next(p for p in codes[0]["proposals"] if p["concept_code"] == "2823-3")
        r = api.post("/api/mapping", json={"source_code": "K", "concept_id": 4})
        assert r.status_code == 400 and "concept_id 4 not in the vocabulary" in r.text
        r = api.post(
            "/api/mapping",
            json={"source_code": "K", "concept_id": chosen["concept_id"]},
        )
        assert r.json() == {"approved": 1}
        assert [c["source_code"] for c in api.get("/api/mapping").json()] == ["CREA"]
    assert mapping_server.web.read(_maps) == [("K", chosen["concept_id"])]
    approved = [e for e in mapping_server.web.read(entries) if "approve" in e["action"]]
    assert [(e["user"], e["action"], e["rows"]) for e in approved] == [
        ("eve", "vocab.approve", 1)
    ]
    with mapping_server.client("ada") as api:
        assert api.get("/api/mapping").status_code == 200
    for user in ("rita", "otto", "vic"):  # researcher, data office, viewer
        with mapping_server.client(user) as api:
            assert api.get("/api/mapping").status_code == 403
            r = api.post("/api/mapping", json={"source_code": "CREA", "concept_id": 1})
            assert r.status_code == 403
        assert _page(mapping_server, user).status_code == 403
    assert mapping_server.web.read(_maps) == [("K", chosen["concept_id"])]


def _page(server, user: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, follow_redirects=False) as client:
        client.post(
            "/login",
            data={"username": user, "password": PASSWORD},
            headers={"Origin": server.url},
        )
        return client.get("/admin/mapping")


@pytest.mark.browser
def test_accept_a_proposal_in_the_browser_with_the_keyboard(page_as, mapping_server):
    page = page_as(mapping_server, "eve", "/admin/mapping")
    assert page.url == f"{mapping_server.url}/admin/mapping"
    expect(page.locator("h2#mapping-title")).to_have_text(
        "Correspondances des codes locaux"
    )
    expect(page.locator("table.mapping-code caption")).to_have_count(2)
    expect(page.locator("#code-1 caption")).to_contain_text("Code local K : 3 lignes")
    assert_accessible(page, "mapping")
    button = page.get_by_role(
        "button",
        name="Accepter Potassium [Moles/volume] in Serum or Plasma pour le code K",
    )
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{mapping_server.url}/admin/mapping?target=LOINC")
    expect(page.locator("table.mapping-code caption")).to_have_count(1)
    expect(page.locator("#code-1 caption")).to_contain_text("Code local CREA")
    assert [c for c, _ in mapping_server.web.read(_maps)] == ["K"]
