"""`entrepot datathon create`: the hospital, the hidden labels, the teams'
projects and files, and the index-date cut-off, probed as a team."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest

from entrepot.datathon import load_task, shipped_tasks
from entrepot.errors import AccessDeniedError, DatathonError
from entrepot.privacy import authorise, list_users
from entrepot.warehouse import Warehouse

from .conftest import create

#: The day each table's rows start on, as the release gate reads them.
DAYS = ("visit_start_date", "condition_start_date", "drug_exposure_start_date",
        "measurement_date", "procedure_date", "observation_date", "note_date",
        "death_date")  # fmt: skip


def _labels(folder: Path) -> dict[int, tuple[str, str]]:
    with open(folder / "instructor" / "labels.csv", newline="") as f:
        return {
            int(r["person_id"]): (r["label"], r["split"]) for r in csv.DictReader(f)
        }


def test_create_gives_the_teams_the_task_and_the_labels_file(datathon):
    folder, made = datathon
    assert made["task"] == "heart_failure_mortality"
    assert made["labels_file"] == str(folder / "instructor" / "labels.csv")
    assert [(t["name"], t["project"], t["login"]) for t in made["teams"]] == [
        (f"team0{i}", f"datathon-team0{i}", f"team0{i}") for i in (1, 2, 3)
    ]
    labels = _labels(folder)
    assert {label for label, _ in labels.values()} == {"0", "1"}
    splits = [s for _, s in labels.values()]
    assert splits.count("public") == round(len(labels) * 0.5)
    for team in made["teams"]:
        team_folder = Path(team["folder"])
        assert team_folder.parent == folder / "teams"
        lines = (team_folder / "to_predict.csv").read_text().splitlines()
        assert lines[0] == "person_id" and [int(x) for x in lines[1:]] == sorted(labels)
        notebook = json.loads((team_folder / "starter.ipynb").read_text())
        code = "".join(notebook["cells"][1]["source"])
        assert f'authorise(wh, "{team["name"]}", "read", "{team["project"]}")' in code
        assert sorted(p.name for p in team_folder.iterdir()) == [
            "starter.ipynb",
            "to_predict.csv",
        ]


def test_the_labels_are_the_instructors_alone(datathon):
    folder, _ = datathon
    assert stat.S_IMODE((folder / "instructor").stat().st_mode) == 0o700
    for name in ("labels.csv", "logins.csv", "datathon.sqlite"):
        assert stat.S_IMODE((folder / "instructor" / name).stat().st_mode) == 0o600
    logins = list(csv.DictReader(open(folder / "instructor" / "logins.csv")))
    assert [r["login"] for r in logins] == ["team01", "team02", "team03"]


def test_each_team_is_a_researcher_in_a_project_of_its_own(datathon):
    folder, _ = datathon
    with Warehouse.open(folder / "hospital.duckdb", read_only=True) as wh:
        users = {u["name"]: u for u in list_users(wh)}
    assert {n: (u["role"], u["projects"]) for n, u in users.items()} == {
        f"team0{i}": ("researcher", [f"datathon-team0{i}"]) for i in (1, 2, 3)
    }
    with Warehouse.open(folder / "hospital.duckdb") as wh:
        with pytest.raises(AccessDeniedError, match="not a member"):
            authorise(wh, "team01", "read", "datathon-team02")


def probe_cut(hospital: Path, team: str, labels: dict) -> None:
    """Every table the team's project opens, probed as the team: its persons
    are the task's, and no death, stay, note or other row starts after the
    patient's index date (the cohort's end date)."""
    task = load_task("heart_failure_mortality")
    with Warehouse.open(hospital) as wh:
        project = authorise(wh, team, "read", f"datathon-{team}")
        cohort = wh.table("cohort").to_pyarrow().to_pylist()
        index = {r["subject_id"]: r["cohort_end_date"] for r in cohort}
        assert set(index) == set(labels)
        seen = {}
        for name in task.cohort.tables:
            rows = project.table(wh, name)
            day = next(c for c in (*DAYS, "person_id") if c in rows.columns)
            t = rows.to_pyarrow().to_pylist()
            assert {r["person_id"] for r in t} <= set(labels), name
            if day != "person_id":
                assert [r for r in t if r[day] > index[r["person_id"]]] == [], name
            seen[name] = len(t)
        assert seen["death"] == 0  # every death of the cohort comes after its index
        assert seen["note"] > 0 and seen["visit_occurrence"] > 0
        # the index stay itself is there: it ends on the index date
        visits = project.table(wh, "visit_occurrence").to_pyarrow().to_pylist()
        ends = {(r["person_id"], r["visit_end_date"]) for r in visits}
        assert all((p, d) in ends for p, d in index.items())


def probe_labels(hospital: Path, team: str, labels: dict) -> None:
    """Probe every table of every schema as a team: the ground truth is empty
    and refused, tables outside the task's are refused, and what is readable
    holds no death of a patient labelled 1."""
    died = {p for p, (label, _) in labels.items() if label == "1"}
    assert died
    task = load_task("heart_failure_mortality")
    with Warehouse.open(hospital) as wh:
        project = authorise(wh, team, "read", f"datathon-{team}")
        for schema in ("cdm", "results", "entrepot"):
            for name in wh.tables(schema):
                rows = project.visible(wh, name)
                if name not in task.cohort.tables:
                    assert rows is None, name
        for name in ("synth_truth", "note_annotation"):
            assert wh.table(name).count().to_pyarrow().as_py() == 0
        deaths = project.table(wh, "death").to_pyarrow()
        assert not died & set(deaths["person_id"].to_pylist())


def same_rows(a: Path, b: Path) -> None:
    """The two hospitals hold the same rows in every table but the vocabulary's."""
    with (
        Warehouse.open(a, read_only=True) as x,
        Warehouse.open(b, read_only=True) as y,
    ):
        assert x.tables("cdm") == y.tables("cdm")
        for name in x.tables("cdm") + ["cohort"]:
            if name.startswith(
                ("concept", "vocabulary", "domain", "relationship", "drug_strength")
            ):
                continue
            s, t = x.table(name), y.table(name)
            order = list(s.columns)
            assert (
                s.order_by(order).to_pyarrow().equals(t.order_by(order).to_pyarrow())
            ), name


def test_a_team_reads_nothing_after_each_patients_index_date(datathon):
    folder, _ = datathon
    probe_cut(folder / "hospital.duckdb", "team01", _labels(folder))


def test_a_team_reaches_no_table_that_holds_the_labels(datathon):
    folder, _ = datathon
    probe_labels(folder / "hospital.duckdb", "team02", _labels(folder))


def test_the_same_seed_gives_the_same_hospital_and_labels(datathon, tmp_path):
    folder, _ = datathon
    again = tmp_path / "again"
    create(again)
    assert (again / "instructor" / "labels.csv").read_bytes() == (
        folder / "instructor" / "labels.csv"
    ).read_bytes()
    for team in ("team01", "team03"):
        path = Path("teams", team, "to_predict.csv")
        assert (again / path).read_bytes() == (folder / path).read_bytes()
    same_rows(folder / "hospital.duckdb", again / "hospital.duckdb")


def test_shipped_tasks_are_found_by_name():
    assert shipped_tasks() == [
        "brain_mri_fields",
        "drug_skin_reaction",
        "heart_failure_mortality",
        "systemic_sclerosis_subtypes",
    ]
    assert {load_task(t).metric for t in shipped_tasks()} == {
        "auroc",
        "f1",
        "ari",
        "field_f1",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: t\ntitle: T\nmetric: rmse\ncohort: {kind: module, tables: [person]}\n",
         "t.yaml: metric: Input should be 'auroc', 'f1', 'ari' or 'field_f1'"),
        ("name: t\ntitle: T\nmetric: f1\ncohort: {kind: module, tables: [person]}\nphase: {}\n",
         "t.yaml: phase: Extra inputs are not permitted"),
        ("name: t\ntitle: T\nmetric: f1\ncohort: {kind: module, tables: [person]}\n"
         "phases: {submissions_per_day: 0}\n",
         "t.yaml: phases.submissions_per_day: Input should be greater than or equal to 1"),
    ],
)  # fmt: skip
def test_a_task_file_error_names_the_field_and_the_file(tmp_path, text, message):
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(DatathonError) as e:
        load_task(tmp_path / "t.yaml")
    assert (
        str(e.value) == f"{tmp_path / message.split(':')[0]}:{message.split(':', 1)[1]}"
    )


def test_an_unknown_task_is_one_line(tmp_path):
    with pytest.raises(DatathonError, match="task nope: no such file nor shipped task"):
        load_task("nope")


def test_the_starter_notebook_runs_as_the_team_and_its_file_is_accepted(
    copy, monkeypatch
):
    from entrepot.datathon import submit

    team = copy / "teams" / "team02"
    monkeypatch.chdir(team)
    notebook = json.loads((team / "starter.ipynb").read_text())
    names: dict = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec("".join(cell["source"]), names)  # noqa: S102 - the notebook we wrote
    assert submit(copy, "team02", team / "submission.csv") == {
        "submission_id": 1,
        "public_score": 0.5,
    }
