"""A datathon task file: its hospital, cohort, labels, metric and phases.

Shipped tasks live in `entrepot/data/datathon/` and are found by name
(`heart_failure_mortality`); any other is a YAML file. Fields are checked
strictly: an unknown or wrong field is one line naming the field and the file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from entrepot._declared import read_yaml, validated
from entrepot.errors import DatathonError

#: The metric of each kind of label (`_metrics`).
METRICS = ("auroc", "f1", "ari", "field_f1")
COHORTS = ("heart_failure_stay", "skin_reaction_notes", "module", "brain_mri")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hospital(_Strict):
    """The synthetic hospital the task runs on (shared by the teams)."""

    patients: int = Field(300, ge=10)
    enrich: dict[str, float] = {}  # disease module -> share of the patients


class Cohort(_Strict):
    """Who is to be predicted, and from which date their data stops."""

    kind: Literal[COHORTS]
    module: str | None = None  # kind `module`: the synth module whose subtypes
    #: Tables a team may read (their project's perimeter; `person` always).
    tables: list[str]


class Labels(_Strict):
    public_share: float = Field(0.5, gt=0, lt=1)  # of the cohort, on the public board
    horizon_days: int = Field(365, ge=1)  # heart_failure_stay: death within


class Phases(_Strict):
    submissions_per_day: int = Field(10, ge=1)
    blind: bool = False  # start in the blind phase (scores hidden from teams)


class Task(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_]{1,60}$")
    title: str
    description: str = ""
    metric: Literal[METRICS]
    hospital: Hospital = Hospital()
    cohort: Cohort
    labels: Labels = Labels()
    phases: Phases = Phases()


def shipped_tasks() -> list[str]:
    """The names of the tasks that ship with entrepot."""
    folder = files("entrepot") / "data" / "datathon"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_task(task: str | Path) -> Task:
    """A shipped task by name, or a task file."""
    path = Path(task)
    if str(task) in shipped_tasks():
        path = Path(str(files("entrepot") / "data" / "datathon" / f"{task}.yaml"))
    elif not path.is_file():
        known = ", ".join(shipped_tasks())
        raise DatathonError(f"task {task}: no such file nor shipped task ({known})")
    return validated(
        Task, read_yaml(path, DatathonError), str(path), DatathonError, "a task"
    )
