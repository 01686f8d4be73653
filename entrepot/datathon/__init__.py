"""Datathons on the synthetic hospital: tasks, hidden labels, teams, scores.

>>> from entrepot.datathon import create_datathon, submit   # doctest: +SKIP
>>> create_datathon("dt", "heart_failure_mortality", teams=3) # doctest: +SKIP
"""

from entrepot.datathon._cohorts import task_cohort
from entrepot.datathon._create import Created, create_datathon, team_seed
from entrepot.datathon._metrics import score
from entrepot.datathon._state import (
    PHASES,
    datathon_folder,
    hospital_of,
    hospitals,
    is_datathon,
    project_of,
    set_phase,
    team_of,
)
from entrepot.datathon._submit import (
    MAX_BYTES,
    export_grades,
    grades,
    grades_csv,
    leaderboard,
    progress,
    read_predictions,
    submit,
    submit_data,
    team_leaderboard,
)
from entrepot.datathon._task import Task, load_task, shipped_tasks

__all__ = [
    "MAX_BYTES",
    "PHASES",
    "Created",
    "Task",
    "create_datathon",
    "datathon_folder",
    "export_grades",
    "grades",
    "grades_csv",
    "hospital_of",
    "hospitals",
    "is_datathon",
    "leaderboard",
    "load_task",
    "progress",
    "project_of",
    "read_predictions",
    "score",
    "set_phase",
    "shipped_tasks",
    "submit",
    "submit_data",
    "team_leaderboard",
    "team_seed",
    "team_of",
    "task_cohort",
]
