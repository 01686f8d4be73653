"""`create_datathon`: a synthetic hospital, a task's hidden labels, teams.

The teams share one hospital, or (`per_team`) each has its own, generated
from a seed derived from the datathon's; each team is a project of its own
(the task's cohort, the task's tables) with a login. The labels go to the instructor's
folder only: the hospital's ground truth tables are emptied, and every row
dated after a patient's index date (deaths, stays, notes...) is removed from
the teams' warehouse, so that the answer is not in the data.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from entrepot.datathon._cohorts import mri_fields, task_cohort
from entrepot.datathon._notebook import notebook
from entrepot.datathon._state import (
    csv_text,
    instructor,
    project_of,
    set_meta,
    state,
    write_private,
)
from entrepot.datathon._task import Task, load_task
from entrepot.errors import DatathonError

GROUND_TRUTH = ("synth_truth", "note_annotation")


@dataclass(frozen=True)
class Created:
    folder: Path
    task: str
    teams: list[dict]
    labels_file: Path

    def as_json(self) -> dict:
        return {
            "teams": self.teams,
            "task": self.task,
            "labels_file": str(self.labels_file),
        }


def team_seed(seed: int, team: int) -> int:
    """The seed of team number `team`'s own hospital: a hash of the datathon's
    seed and the team (32 bits), so that no team's hospital is another
    datathon's shared one (a seed is at most 32 bits)."""
    digest = hashlib.sha256(f"entrepot team {seed} {team}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def create_datathon(
    folder: str | Path,
    task: str | Path | Task,
    *,
    teams: int,
    seed: int = 0,
    patients: int | None = None,
    workers: int = 2,
    per_team: bool = False,
) -> Created:
    """Build a datathon in the new folder `folder` (see the module); with
    `per_team`, one hospital for each team, from `team_seed`."""
    task = task if isinstance(task, Task) else load_task(task)
    folder = Path(folder)
    if not 1 <= teams <= 200:
        raise DatathonError(f"teams: {teams} is not between 1 and 200")
    if folder.exists() and any(folder.iterdir()):
        raise DatathonError(f"{folder}: exists and is not empty")
    instructor(folder).mkdir(parents=True, mode=0o700)
    instructor(folder).chmod(0o700)
    names = [f"team{i:02d}" for i in range(1, teams + 1)]
    size = patients or task.hospital.patients
    if per_team:
        built = [
            _hospital(
                folder / "teams" / name / "hospital.duckdb",
                task,
                [name],
                size=size,
                seed=team_seed(seed, i),
                workers=workers,
            )
            for i, name in enumerate(names, 1)
        ]
    else:
        shared = _hospital(
            folder / "hospital.duckdb",
            task,
            names,
            size=size,
            seed=seed,
            workers=workers,
        )
        built = [shared] * teams
    made, logins = [], []
    for name, hospital in zip(names, built, strict=True):
        made.append(_team_folder(folder, name, hospital.people, task, per_team))
        logins.append([name, hospital.passwords[name], project_of(name)])
    if per_team:
        header = ["team", "person_id", "label", "split"]
        rows = [[n, *r] for n, h in zip(names, built, strict=True) for r in h.labels]
    else:
        header, rows = ["person_id", "label", "split"], built[0].labels
    labels = instructor(folder) / "labels.csv"
    write_private(labels, csv_text(header, rows))
    write_private(
        instructor(folder) / "logins.csv",
        csv_text(["login", "password", "project"], logins),
    )
    with state(folder, new=True) as db:
        set_meta(db, "task", task.model_dump(mode="json"))
        set_meta(db, "phase", "blind" if task.phases.blind else "open")
        set_meta(db, "fields", sorted({f for h in built for f in h.fields}))
        set_meta(db, "per_team", per_team)
        set_meta(db, "created_at", datetime.now(UTC).isoformat(timespec="seconds"))
        db.executemany(
            "INSERT INTO team VALUES (?, ?, ?)",
            [(t["name"], t["project"], t["login"]) for t in made],
        )
    return Created(folder, task.name, made, labels)


@dataclass(frozen=True)
class _Built:
    """A hospital ready for its teams: the task's people, their labels
    (person_id, label, split), the MRI fields, and the teams' passwords."""

    people: pa.Table
    labels: list[list]
    fields: list[str]
    passwords: dict[str, str]


def _hospital(
    path: Path, task: Task, teams: list[str], *, size: int, seed: int, workers: int
) -> _Built:
    """Generate a hospital, draw the task's labels and split, cut the data
    at the index dates, and give each team a project and a login."""
    from entrepot.privacy import add_project, add_user
    from entrepot.synth import generate_hospital
    from entrepot.warehouse import Warehouse

    path.parent.mkdir(parents=True, exist_ok=True)
    generate_hospital(
        str(path),
        patients=size,
        seed=seed,
        enrich=task.hospital.enrich,
        workers=workers,
    )
    wh = Warehouse.open(str(path))
    try:
        people = task_cohort(wh, task)
        if people.num_rows < 2:
            raise DatathonError(
                f"task {task.name}: {people.num_rows} patients in a hospital of {size}; take more --patients"
            )
        fields = mri_fields(wh) if task.metric == "field_f1" else []
        split = _split(people.num_rows, task.labels.public_share, seed)
        rows = [
            list(r)
            for r in zip(
                people["person_id"].to_pylist(),
                people["label"].to_pylist(),
                split,
                strict=True,
            )
        ]
        _cut(wh, people)
        cohort_id = _save_cohort(wh, task, people)
        passwords = {}
        for name in teams:
            passwords[name] = secrets.token_urlsafe(12)
            add_project(
                wh, project_of(name), cohort_id=cohort_id, domains=task.cohort.tables
            )
            add_user(
                wh, name, "researcher", passwords[name], projects=[project_of(name)]
            )
    finally:
        wh.close()
    return _Built(people, rows, fields, passwords)


def _split(n: int, public_share: float, seed: int) -> list[str]:
    """'public' or 'private' for each of n patients, drawn from the seed."""
    order = np.random.default_rng([seed, 21]).permutation(n)
    public = set(order[: max(1, round(n * public_share))].tolist())
    return ["public" if i in public else "private" for i in range(n)]


def _cut(wh, people: pa.Table) -> None:
    """Empty the ground truth; delete every row of a cohort patient that
    starts after their index date, by the table's own id (all of the
    patient's rows where it has none: `death`, one row each), in one
    transaction, inside the engine."""
    cut = people.filter(pa.compute.is_valid(people["index_date"]))
    cut = cut.select(["person_id", "index_date"])
    cut = wh.store.from_arrow(cut.rename_columns(["cut_person", "cut_date"]))
    with wh.store.transaction() as tx:
        for name in GROUND_TRUTH:
            if wh.has_table(name):
                tx.replace("entrepot", name, wh.table(name).limit(0).to_pyarrow())
        for name in wh.tables("cdm"):
            t = wh.table(name)
            day = _date_column(t)
            if "person_id" not in t.columns or day is None:
                continue
            key = f"{name}_id" if f"{name}_id" in t.columns else "person_id"
            late = t.join(cut, t.person_id == cut.cut_person)
            late = late.filter(late[day] > late.cut_date)
            tx.delete_in("cdm", name, key, late.select(key))


def _date_column(t) -> str | None:
    """The date a row starts on (as the release gate reads it)."""
    for suffix in ("_start_date", "_date"):
        for column in t.columns:
            if column.endswith(suffix) and t[column].type().is_date():
                return column
    return None


def _save_cohort(wh, task: Task, people: pa.Table) -> int:
    from entrepot.cohort import save_rows

    last = (
        wh.table("observation_period")
        .observation_period_end_date.max()
        .to_pyarrow()
        .as_py()
    )
    ends = [d or last for d in people["index_date"].to_pylist()]
    rows = pa.table(
        {
            "subject_id": people["person_id"],
            "cohort_start_date": pa.array(ends, pa.date32()),
            "cohort_end_date": pa.array(ends, pa.date32()),
        }
    )
    return save_rows(wh, f"datathon {task.name}", rows, task.title)


def _team_folder(
    folder: Path, name: str, people: pa.Table, task: Task, per_team: bool
) -> dict:
    team, project = folder / "teams" / name, project_of(name)
    team.mkdir(parents=True, exist_ok=True)
    ids = people["person_id"].to_pylist()
    (team / "to_predict.csv").write_text(
        csv_text(["person_id"], [[i] for i in ids]), encoding="utf-8"
    )
    (team / "starter.ipynb").write_text(
        json.dumps(
            notebook(
                task,
                name,
                project,
                "hospital.duckdb" if per_team else "../../hospital.duckdb",
            ),
            indent=1,
        ),
        encoding="utf-8",
    )
    return {"name": name, "project": project, "login": name, "folder": str(team)}
