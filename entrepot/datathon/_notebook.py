"""The starter notebook of a team (Jupyter), reading through its project."""

from __future__ import annotations

from entrepot.datathon._task import Task


def _cell(kind: str, text: str) -> dict:
    cell = {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
    return cell | ({"execution_count": None, "outputs": []} if kind == "code" else {})


def notebook(task: Task, team: str, project: str, hospital: str) -> dict:
    """A notebook that opens the hospital (its path from the team's folder)
    as the team, inside its project."""
    tables = ", ".join(task.cohort.tables)
    cells = [
        _cell(
            "markdown",
            f"# {task.title}\n\n{task.description}\n\nMetric: {task.metric}. Tables: {tables}.",
        ),
        _cell(
            "code",
            "import pandas as pd\n"
            "from entrepot import Warehouse, authorise\n\n"
            f'wh = Warehouse.open("{hospital}")\n'
            f'project = authorise(wh, "{team}", "read", "{project}")\n'
            'to_predict = pd.read_csv("to_predict.csv")\n'
            'person = project.table(wh, "person").to_pandas()\n'
            "person.head()",
        ),
        _cell(
            "code",
            "# A first submission: one prediction per patient of to_predict.csv\n"
            f'to_predict["prediction"] = {_baseline(task)}\n'
            'to_predict.to_csv("submission.csv", index=False)',
        ),
    ]
    return {
        "cells": cells,
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _baseline(task: Task) -> str:
    return {"auroc": "0.5", "f1": "0", "ari": '"a"', "field_f1": '""'}[task.metric]
