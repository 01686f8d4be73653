"""`entrepot course`: exercises on a synthetic hospital built from a fixed
seed, each answer checked against that hospital (exit status 1 when wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    QuietOption,
    WarehouseOption,
    decide,
    emit,
    open_warehouse,
    stdout,
)

app = typer.Typer(
    help="Courses: exercises in French on a synthetic hospital, each answer "
    "checked automatically.",
    no_args_is_help=True,
)
FolderArgument = Annotated[Path, typer.Argument(help="The course's folder.")]


@app.command("list")
def list_(as_json: JsonOption = False, quiet: QuietOption = False) -> None:
    """The exercises: name, topic, title and the answer's form."""
    from entrepot.course import catalogue

    rows = catalogue()

    def human() -> None:
        table = Table("exercise", "topic", "title", "answer")
        for r in rows:
            table.add_row(r["exercise"], r["topic"], r["title"], r["answer"])
        stdout.print(table)

    emit(rows, as_json, human)


@app.command()
def start(
    folder: FolderArgument,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", "-s", help="The hospital's seed [default: the course's]."
        ),
    ] = None,
    patients: Annotated[
        int | None,
        typer.Option("--patients", "-n", min=10, help="Patients [default: 300]."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Parallel processes.")
    ] = 2,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Build the course's hospital in the new folder FOLDER and write its
    exercises there (Markdown, in French)."""
    from entrepot.course import PATIENTS, SEED, start_course
    from entrepot.errors import ParameterError

    if warehouse is not None and Path(warehouse) != folder / "hospital.duckdb":
        raise ParameterError(
            f"--warehouse: a course's hospital is {folder / 'hospital.duckdb'}"
        )
    made = start_course(
        folder,
        seed=SEED if seed is None else seed,
        patients=patients or PATIENTS,
        workers=workers,
    )

    def human() -> None:
        if not quiet:
            stdout.print(f"Course in {folder}: {len(made['exercises'])} exercises")
            for e in made["exercises"]:
                stdout.print(f"  {e['file']}")

    emit(made, as_json, human)


@app.command()
def check(
    folder: FolderArgument,
    exercise: Annotated[str, typer.Argument(help="The exercise's name.")],
    answer: Annotated[Path, typer.Argument(help="The file holding the answer.")],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check an answer against the course's hospital (FOLDER/hospital.duckdb
    unless --warehouse): right or wrong, and a hint when wrong (exit status 1)."""
    from entrepot.course import check_answer, is_course
    from entrepot.errors import CourseError

    def course() -> None:
        if not is_course(folder):
            raise CourseError(f"{folder}: not a course folder (no course.json)")

    if warehouse is None:
        course()  # before a missing hospital is reported
    with open_warehouse(warehouse or str(folder / "hospital.duckdb")) as wh:
        decision = decide(wh, user, "read", None, "course check")
        course()
        verdict = check_answer(wh, exercise, answer)
        decision.released(
            wh,
            "course.check",
            {"exercise": verdict.exercise, "correct": verdict.correct},
            rows=1,
            persons=0,
        )

    def human() -> None:
        if not quiet:
            stdout.print(verdict.message)
            if verdict.hint:
                stdout.print(f"Indice : {verdict.hint}")

    emit(verdict.as_json(), as_json, human)
    if not verdict.correct:
        raise typer.Exit(1)
