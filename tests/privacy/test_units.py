"""Care-unit perimeters: a project of care units holds exactly the persons
who had a stay or visit there within its dates (checked against SQL), and
care mode is off by default, for the care team only, audited per output."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date

import pytest

from entrepot.errors import AccessDeniedError, NotFoundError, PrivacyError
from entrepot.privacy import (
    Caller,
    add_care_team,
    add_project,
    add_user,
    authorise,
    entries,
    set_care_mode,
)
from entrepot.warehouse import Warehouse

PASSWORD = "correct horse battery"
START, END = date(2019, 1, 1), date(2022, 12, 31)
#: the persons with a visit or a unit stay under the Pôle Urgences-Réanimation
#: (units Réanimation médicale and Urgences) overlapping START..END
STAYED = f"""
SELECT DISTINCT person_id FROM (
  SELECT person_id, care_site_id, visit_start_date AS s,
         coalesce(visit_end_date, visit_start_date) AS e FROM visit_occurrence
  UNION ALL
  SELECT person_id, care_site_id, visit_detail_start_date,
         coalesce(visit_detail_end_date, visit_detail_start_date) FROM visit_detail
) v JOIN care_site c USING (care_site_id)
WHERE c.care_site_source_value IN ('Réanimation médicale', 'Urgences')
  AND s <= DATE '{END}' AND e >= DATE '{START}'
"""


@pytest.fixture(scope="module")
def wh(hospital, tmp_path_factory):
    """The 40-patient hospital with a unit project, a care project and users."""
    path = tmp_path_factory.mktemp("units") / "eds.duckdb"
    shutil.copy(hospital / "synth.duckdb", path)
    wh = Warehouse.open(path)
    add_project(
        wh,
        "urgences",
        units=["Pôle Urgences-Réanimation"],
        start=START,
        end=END,
        mask_below=1,
    )
    add_project(wh, "soins", units=["Urgences", "16"], mode="care", start=START)
    add_user(wh, "rita", "researcher", PASSWORD, projects=["urgences"])
    add_user(wh, "carl", "researcher", PASSWORD, projects=["soins"])
    add_user(wh, "nina", "researcher", PASSWORD, projects=["soins"])
    add_care_team(wh, "carl", ["Pôle Urgences-Réanimation"])
    add_care_team(wh, "nina", ["Urgences"])  # not réanimation
    yield wh
    wh.close()


def _sql(wh, query: str) -> list[tuple]:
    return wh.con.raw_sql(query).fetchall()


def test_unit_perimeter_holds_exactly_who_stayed_there_within_dates(wh):
    expected = {p for (p,) in _sql(wh, STAYED)}
    everyone = {p for (p,) in _sql(wh, "SELECT person_id FROM person")}
    assert 0 < len(expected) < len(everyone)  # the perimeter keeps some, not all
    d = authorise(wh, "rita", "count", "urgences")
    seen = set(d.table(wh, "person").person_id.to_pyarrow().to_pylist())
    assert seen == expected
    assert d.persons(wh, d.table(wh, "person").person_id, "test") == len(expected)
    # rows about persons follow (conditions, and a cohort's rows through narrow)
    conditions = d.table(wh, "condition_occurrence")
    assert set(conditions.person_id.to_pyarrow().to_pylist()) <= expected
    c = wh.table("condition_occurrence")
    narrowed = d.narrow(wh, c, "person_id", None)
    assert set(narrowed.person_id.to_pyarrow().to_pylist()) == expected & {
        p for (p,) in _sql(wh, "SELECT DISTINCT person_id FROM condition_occurrence")
    }
    assert d.scope(wh).persons == frozenset(expected)
    # the CLI's administrator working in the project sees its perimeter too
    admin = Caller("root", administrator=True).decide(
        wh, "read", "urgences", target="t"
    )
    assert set(admin.table(wh, "person").person_id.to_pyarrow().to_pylist()) == expected


def test_unknown_units_and_a_care_project_without_units_are_refused(wh):
    with pytest.raises(NotFoundError, match="care site 'Cuisine'"):
        add_project(wh, "p1", units=["Cuisine"])
    with pytest.raises(PrivacyError, match="a care-mode project needs care units"):
        add_project(wh, "p2", mode="care")
    with pytest.raises(PrivacyError, match="mode: 'soin' is not one of"):
        add_project(wh, "p3", units=["USIC"], mode="soin")


def test_care_mode_is_off_by_default(wh):
    with pytest.raises(AccessDeniedError, match="care mode, which is off"):
        authorise(wh, "carl", "read", "soins")


def test_care_mode_is_for_the_care_team_and_audited_per_view(wh):
    set_care_mode(wh, True)
    try:
        with pytest.raises(AccessDeniedError, match="not on the care team"):
            authorise(wh, "nina", "read", "soins")  # Urgences but not réanimation
        with pytest.raises(AccessDeniedError, match="may not export"):
            authorise(wh, "carl", "export", "soins")
        d = authorise(wh, "carl", "read", "soins")
        assert (d.mode, d.mask_below) == ("care", None)
        ids = sorted(d.table(wh, "person").person_id.to_pyarrow().to_pylist())
        for person in ids[:2]:
            d.released(wh, "patient.timeline", {"person_id": person}, persons=1)
        views = entries(wh, user="carl", action="patient.timeline")
        assert [json.loads(e["parameters"]) for e in views] == [
            {"person_id": p, "mode": "care"} for p in ids[:2]
        ]
        assert [e["project"] for e in views] == ["soins", "soins"]
    finally:
        set_care_mode(wh, False)


def test_a_registered_admin_off_the_care_team_is_refused_in_care_mode(wh):
    add_user(wh, "adam", "admin", PASSWORD)
    set_care_mode(wh, True)
    try:
        with pytest.raises(AccessDeniedError, match="'adam' is not on the care team"):
            authorise(wh, "adam", "read", "soins")
        with pytest.raises(AccessDeniedError, match="'adam' is not on the care team"):
            authorise(wh, "adam", "count", "soins")
        # a project's own threshold (1 here) replaces the warehouse's 10, even lower
        assert authorise(wh, "adam", "count", "urgences").mask_below == 1
        assert authorise(wh, "adam", "count", None).mask_below == 10
    finally:
        set_care_mode(wh, False)


def test_cli_lists_the_care_sites_and_sets_a_projects_units(
    hospital, tmp_path, capsys, monkeypatch
):
    from entrepot.cli import main

    path = tmp_path / "eds.duckdb"
    shutil.copy(hospital / "synth.duckdb", path)
    w = ["-w", str(path), "--json"]

    def run(*args: str, code: int = 0):
        assert main([*args, *w]) == code
        out = capsys.readouterr()
        return json.loads(out.out) if code == 0 else out.err.strip()

    tree = run("project", "care-sites")
    assert tree[0] == {
        "care_site_id": 19,
        "name": "CHU de Bellerive",
        "level": "CHU",
        "depth": 0,
        "parent": None,
        "units": 18,
    }
    assert [r["level"] for r in tree[:5]] == [
        "CHU",
        "hôpital",
        "pôle",
        "service",
        "unité",
    ]
    made = run(
        "project", "add", "soins", "--units", "Service de cardiologie",
        "--units", "17", "--mode", "care",
    )  # fmt: skip
    assert (made["units"], made["mode"]) == ([17, 24], "care")
    changed = run("project", "update", "soins", "--units", "USIC")
    assert changed == {"name": "soins", "units": [18], "mode": "research"}
    listed = {p["name"]: (p["units"], p["mode"]) for p in run("project", "list")}
    assert listed == {"soins": ([18], "research")}
    assert run("project", "add", "x", "--units", "Cuisine", code=2) == (
        "entrepot: error: care site 'Cuisine': no care sites of that name"
    )
    assert run("privacy", "care-mode", "maybe", code=2) == (
        "entrepot: error: care-mode: on or off (got 'maybe')"
    )
    assert run("privacy", "care-mode", "on") == {"care_mode": "on"}
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    claire = run(
        "user", "add", "claire", "--role", "researcher", "--project", "soins",
        "--care-unit", "Service de cardiologie",
    )  # fmt: skip
    assert claire["care_units"] == [24]


def test_a_cohorts_persons_in_the_unit_project_are_its_persons_who_stayed(wh):
    """Cohort figures in a project read the cohort's rows through the gate's
    `narrow` (as `entrepot.cohort` does): its persons who stayed in the units,
    entering within the dates."""
    from entrepot.cohort import run_cohort
    from entrepot.cohort._files import definition_from_data

    definition = definition_from_data(
        {"name": "any visit", "entry": {"events": [{"domain": "visit"}]}}, "test"
    )
    cohort = run_cohort(wh, definition).cohort_definition_id
    entered = f"""
        SELECT DISTINCT subject_id FROM results.cohort WHERE cohort_definition_id = {cohort}
        AND cohort_start_date BETWEEN DATE '{START}' AND DATE '{END}'"""
    expected = {p for (p,) in _sql(wh, STAYED)} & {p for (p,) in _sql(wh, entered)}
    d = authorise(wh, "rita", "count", "urgences")
    rows = wh.table("cohort")
    rows = rows.filter(rows.cohort_definition_id == cohort)
    inside = d.narrow(wh, rows, "subject_id", "cohort_start_date")
    assert set(inside.subject_id.to_pyarrow().to_pylist()) == expected
    assert 0 < len(expected) < len({p for (p,) in _sql(wh, entered)})
