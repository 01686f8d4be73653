"""`entrepot datathon create --per-team`: one hospital per team, from seeds
derived from the datathon's; the labels out of reach in each, as in the
shared hospital; submissions scored against the team's own labels."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pytest

from entrepot.cli import main
from entrepot.datathon import team_seed
from entrepot.privacy import entries, list_users
from entrepot.warehouse import Warehouse

from .conftest import create
from .test_create import probe_cut, probe_labels, same_rows

#: Two small teams' hospitals (the generator's time, twice).
SMALL = ("--per-team", "--teams", "2", "--patients", "100")
TEAMS = ("team01", "team02")


def _labels(folder: Path) -> dict[str, dict[int, tuple[str, str]]]:
    out: dict = {}
    with open(folder / "instructor" / "labels.csv", newline="") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["team"], {})[int(r["person_id"])] = (
                r["label"],
                r["split"],
            )
    return out


def _cli(*argv: str, code: int = 0):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["datathon", *argv]) == code, err.getvalue()
    return json.loads(out.getvalue()) if code == 0 else err.getvalue().strip()


@pytest.fixture(scope="module")
def per_team(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("per_team") / "dt"
    return folder, create(folder, *SMALL)


def test_team_seeds_are_derived_from_the_seed_and_distinct():
    seeds = [team_seed(s, i) for s in range(50) for i in range(1, 201)]
    assert len(set(seeds)) == len(seeds)
    assert not set(seeds) & set(range(1000))  # no shared datathon's seed
    assert all(0 <= s < 2**32 for s in seeds)
    assert team_seed(4, 1) == team_seed(4, 1) != team_seed(5, 1)


def test_each_team_has_a_hospital_of_its_own(per_team):
    folder, made = per_team
    assert not (folder / "hospital.duckdb").exists()
    assert made["labels_file"] == str(folder / "instructor" / "labels.csv")
    header = (folder / "instructor" / "labels.csv").read_text().splitlines()[0]
    assert header == "team,person_id,label,split"
    labels = _labels(folder)
    assert sorted(labels) == list(TEAMS)
    persons = {}
    for team in made["teams"]:
        name, team_folder = team["name"], Path(team["folder"])
        assert sorted(p.name for p in team_folder.iterdir()) == [
            "hospital.duckdb",
            "hospital.duckdb.audit-anchor",
            "starter.ipynb",
            "to_predict.csv",
        ]
        lines = (team_folder / "to_predict.csv").read_text().splitlines()
        assert [int(x) for x in lines[1:]] == sorted(labels[name])
        notebook = json.loads((team_folder / "starter.ipynb").read_text())
        assert 'Warehouse.open("hospital.duckdb")' in "".join(
            notebook["cells"][1]["source"]
        )
        with Warehouse.open(team_folder / "hospital.duckdb", read_only=True) as wh:
            # a team's login exists in its own hospital only
            assert [(u["name"], u["projects"]) for u in list_users(wh)] == [
                (name, [f"datathon-{name}"])
            ]
            persons[name] = wh.table("person").to_pyarrow()
    # two teams' hospitals differ (and so do their labels)
    assert not persons["team01"].equals(persons["team02"])
    assert labels["team01"] != labels["team02"]


@pytest.mark.parametrize("team", TEAMS)
def test_labels_are_out_of_reach_in_each_teams_hospital(per_team, team):
    folder, _ = per_team
    hospital = folder / "teams" / team / "hospital.duckdb"
    probe_cut(hospital, team, _labels(folder)[team])
    probe_labels(hospital, team, _labels(folder)[team])


def test_the_same_seed_gives_the_same_hospitals_and_labels(per_team, tmp_path):
    """Team 1's hospital again, in a datathon of one team: the same labels
    and patients, byte for byte, and the same rows (a team's hospital
    depends on the seed and its number only)."""
    folder, _ = per_team
    again = tmp_path / "again"
    create(again, "--per-team", "--teams", "1", "--patients", "100")
    lines = (folder / "instructor" / "labels.csv").read_bytes().splitlines(True)
    ours = [line for line in lines[1:] if line.startswith(b"team01,")]
    assert (again / "instructor" / "labels.csv").read_bytes() == b"".join(
        [lines[0], *ours]
    )
    path = Path("teams", "team01", "to_predict.csv")
    assert (again / path).read_bytes() == (folder / path).read_bytes()
    same_rows(
        folder / "teams" / "team01" / "hospital.duckdb",
        again / "teams" / "team01" / "hospital.duckdb",
    )


def test_a_team_is_scored_against_its_own_labels(per_team, tmp_path):
    import shutil

    folder = tmp_path / "dt"
    shutil.copytree(per_team[0], folder)
    labels = _labels(folder)
    perfect = tmp_path / "perfect.csv"
    perfect.write_text(
        "person_id,prediction\n"
        + "".join(f"{p},{x}\n" for p, (x, _) in labels["team02"].items())
    )
    done = _cli("submit", str(folder), str(perfect), "--team", "team02", "--json")
    assert done == {"submission_id": 1, "public_score": 1.0}
    # team02's patients are not team01's: the file does not fit team01's list
    err = _cli("submit", str(folder), str(perfect), "--team", "team01", code=2)
    assert err.startswith("entrepot: error: perfect.csv")
    _cli("phase", str(folder), "closed", "--json")
    grades = _cli(
        "grades", str(folder), "--export", str(tmp_path / "grades.csv"), "--json"
    )
    assert [(r["team"], r["grade"]) for r in grades] == [
        ("team02", 10.0),
        ("team01", 0.0),
    ]
    assert (tmp_path / "grades.csv").read_text().splitlines()[1:] == [
        "1,team02,1.0,10.0,1",
        ",team01,,0.0,0",
    ]
    for team in TEAMS:  # the instructor's commands, audited in every hospital
        with Warehouse.open(folder / "teams" / team / "hospital.duckdb") as wh:
            done = {e["action"] for e in entries(wh)}
        assert {"datathon.phase", "datathon.grades"} <= done, team


def test_a_team_submits_over_http_to_its_own_hospital(per_team, tmp_path):
    import shutil

    import httpx

    from tests.web.conftest import LiveServer

    folder = tmp_path / "dt"
    shutil.copytree(per_team[0], folder)
    logins = {
        r["login"]: r["password"]
        for r in csv.DictReader(open(folder / "instructor" / "logins.csv"))
    }
    body = "person_id,prediction\n" + "".join(
        f"{p},{x}\n" for p, (x, _) in _labels(folder)["team01"].items()
    )
    live = LiveServer(folder / "teams" / "team01" / "hospital.duckdb")
    try:
        token = live.token("team01", logins["team01"])
        done = httpx.post(
            f"{live.url}/api/datathon/submissions",
            params={"project": "datathon-team01"},
            content=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert (done.status_code, done.json()) == (
            200,
            {"submission_id": 1, "public_score": 1.0},
        )
        other = httpx.post(
            f"{live.url}/api/token",
            data={"username": "team02", "password": logins["team02"]},
        )
        assert other.status_code == 401  # team02 has no login in team01's hospital
    finally:
        live.stop()


def test_per_team_refuses_a_warehouse_option(tmp_path):
    err = _cli(
        "create", str(tmp_path / "dt"), "--per-team", "--teams", "2",
        "--task", "heart_failure_mortality", "-w", str(tmp_path / "x.duckdb"),
        code=2,
    )  # fmt: skip
    assert err == (
        "entrepot: error: --warehouse: each team's hospital is "
        f"{tmp_path / 'dt' / 'teams' / 'teamNN' / 'hospital.duckdb'}"
    )
