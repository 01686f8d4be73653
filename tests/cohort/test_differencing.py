"""Differencing through a cohort's figures: within a project, a cohort and the
same cohort without one person must show the same persons, entries and
attrition, whether shown by the library, the web or the CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest

from entrepot.cli import main
from entrepot.cohort._perimeter import released_shown
from entrepot.cohort._results import stored_tables
from entrepot.privacy import Decision, add_project, add_user, claim_cohort

from .test_describe import TWENTY_THREE, _fill, _rows

EVERYONE = list(range(1, 24))
#: 1: everyone; 2: everyone but the last person; 3: everyone again.
COHORTS = {1: EVERYONE, 2: EVERYONE[:-1], 3: EVERYONE}
PASSWORD = "correct horse battery"


def _second_entries(wh) -> None:
    """The last person entered cohorts 1 and 3 twice (in 2020 and 2021)."""
    members = [
        {"cohort_definition_id": c, "subject_id": 23,
         "cohort_start_date": date(2021, 1, 1), "cohort_end_date": date(2021, 6, 1)}
        for c in (1, 3)
    ]  # fmt: skip
    with wh.store.transaction() as tx:
        tx.append("results", "cohort", _rows(wh, stored_tables(wh)["cohort"], members))


def _figures(shown: dict) -> dict:
    return {k: shown[k] for k in ("persons", "entries")}


def test_a_cohort_s_entries_do_not_tell_one_person_apart(make_warehouse):
    """Without him, cohort 2 has 22 entries where cohort 1 has 24: the
    defence shows 23 persons for both, and the entries must agree with them."""
    wh = _fill(make_warehouse(), TWENTY_THREE, COHORTS)
    _second_entries(wh)
    shown = {}
    for world, second in (("lost", 2), ("kept", 3)):
        decision = Decision("u", "viewer", "count", world, None, 10)
        first, _ = released_shown(wh, decision, 1)
        shown[world], _ = released_shown(wh, decision, second)
        assert _figures(first) == _figures(shown[world])
        assert first["attrition"] == shown[world]["attrition"]
    assert (
        _figures(shown["lost"])
        == _figures(shown["kept"])
        == {
            "persons": 23,
            "entries": 24,
        }
    )


@pytest.fixture
def project(tmp_path, monkeypatch, new_duckdb) -> str:
    """A DuckDB warehouse of the three cohorts, rita's in project p, which
    holds every person: the file."""
    path = tmp_path / "eds.duckdb"
    with new_duckdb(path) as wh:
        _fill(wh, TWENTY_THREE, COHORTS)
        _second_entries(wh)
        add_project(wh, "p")
        add_user(wh, "rita", "researcher", PASSWORD, projects=["p"])
        rita = Decision("rita", "researcher", "count", "p", None, 10)
        for cohort in COHORTS:
            claim_cohort(wh, rita, cohort, f"cohort {cohort}")
    monkeypatch.setenv("ENTREPOT_PASSWORD", PASSWORD)
    return str(path)


def _cli(capsys, path: str, *argv: str):
    done = main([*argv, "-w", path, "--user", "rita", "--project", "p", "--json"])
    out, err = capsys.readouterr()
    assert done == 0, err
    return json.loads(out)


def test_the_cli_lists_and_shows_cohorts_through_the_defence(capsys, project):
    """`cohort list` showed 23 and 22 persons (24 and 22 entries) for cohorts
    1 and 2 side by side, and `cohort show` each count as it was."""
    listed = {r["id"]: _figures(r) for r in _cli(capsys, project, "cohort", "list")}
    assert listed[1] == listed[2] == listed[3] == {"persons": 23, "entries": 24}
    for cohort in (1, 2):
        shown = _cli(capsys, project, "cohort", "show", str(cohort))
        assert _figures(shown) == {"persons": 23, "entries": 24}
