"""Care-unit perimeters through the HTTP API and in the browser: a researcher
of some units gets 404 for a patient of another unit; a clinician in care
mode sees their unit's patients, each view audited with the patient and the
mode; a colleague off the care team is refused."""

from __future__ import annotations

import json
import shutil

import pytest

from entrepot.warehouse import Warehouse
from tests.web.conftest import PASSWORD, LiveServer, shot

#: persons with a visit or unit stay in the given care units
STAYED = """
SELECT DISTINCT person_id FROM (
  SELECT person_id, care_site_id FROM visit_occurrence
  UNION ALL SELECT person_id, care_site_id FROM visit_detail
) JOIN care_site USING (care_site_id) WHERE care_site_source_value IN ({})
"""


@pytest.fixture(scope="module")
def units_server(web_file, tmp_path_factory):
    """The web hospital with a research project of the emergency pôle (ines),
    a care project of the cardiology service (claire on its care team, nadia
    not), care mode on."""
    from entrepot.privacy import add_care_team, add_project, add_user, set_care_mode

    folder = tmp_path_factory.mktemp("units-served")
    path = folder / "eds.duckdb"
    shutil.copy(web_file, path)
    shutil.copytree(web_file.parent / "eds.duckdb.search", folder / "eds.duckdb.search")
    with Warehouse.open(path) as wh:
        add_project(wh, "urgences", units=["Pôle Urgences-Réanimation"])
        add_project(wh, "soins", units=["Service de cardiologie"], mode="care")
        add_user(wh, "ines", "researcher", PASSWORD, projects=["urgences"])
        add_user(wh, "claire", "researcher", PASSWORD, projects=["soins"])
        add_user(wh, "nadia", "researcher", PASSWORD, projects=["soins"])
        add_care_team(wh, "claire", ["Service de cardiologie"])
        add_care_team(wh, "nadia", ["USIC"])  # not the whole service
        set_care_mode(wh, True)
    live = LiveServer(path)
    yield live
    live.stop()


def _persons(server, *units: str) -> set[int]:
    query = STAYED.format(", ".join(f"'{u}'" for u in units))
    rows = server.web.use(lambda wh: wh.con.raw_sql(query).fetchall())
    return {p for (p,) in rows}


def _views(server, user: str) -> list[dict]:
    from entrepot.privacy import entries

    found = server.web.use(entries, user=user, action="patient.timeline")
    return [json.loads(e["parameters"]) for e in found]


def test_a_researcher_gets_404_for_a_patient_of_another_unit(units_server):
    inside = _persons(units_server, "Réanimation médicale", "Urgences")
    outside = _persons(units_server, "Cardiologie", "Pneumologie") - inside
    assert inside and outside
    with units_server.client("ines") as api:
        ok = api.get(f"/api/patients/{min(inside)}", params={"project": "urgences"})
        assert ok.status_code == 200
        assert ok.json()["person"]["person_id"] == min(inside)
        r = api.get(f"/api/patients/{min(outside)}", params={"project": "urgences"})
    assert r.status_code == 404
    assert r.json()["detail"] == (
        f"person {min(outside)}: no such patient in this project"
    )


def test_care_mode_is_for_the_care_team_and_every_view_is_audited(units_server):
    person = min(_persons(units_server, "Cardiologie", "USIC"))
    with units_server.client("nadia") as api:
        r = api.get(f"/api/patients/{person}", params={"project": "soins"})
    assert r.status_code == 403
    assert "not on the care team of project 'soins'" in r.json()["detail"]
    with units_server.client("claire") as api:
        for _ in range(2):
            r = api.get(f"/api/patients/{person}", params={"project": "soins"})
            assert r.status_code == 200
    assert _views(units_server, "claire") == [{"person_id": person, "mode": "care"}] * 2


@pytest.mark.browser
def test_a_clinician_in_care_mode_sees_a_patient_of_their_unit(page_as, units_server):
    person = min(_persons(units_server, "Cardiologie", "USIC"))
    before = len(_views(units_server, "claire"))
    page = page_as(units_server, "claire")
    shown = page.goto(f"{units_server.url}/patients/{person}?project=soins")
    assert shown.status == 200
    page.wait_for_selector("#timeline svg")
    shot(page, "patient-care-mode")
    assert _views(units_server, "claire")[before:] == [
        {"person_id": person, "mode": "care"}
    ]
