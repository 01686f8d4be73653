"""`entrepot datathon`: a competition on the synthetic hospital, from one
command to its grades. The instructor's commands need the right to manage
the hospital (its creator is its administrator); a team submits as a member
of its project."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
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
    stderr,
    stdout,
)

app = typer.Typer(
    help="Datathons: tasks with hidden labels on a synthetic hospital, teams, "
    "submissions, leaderboards and grades.",
    no_args_is_help=True,
)
FolderArgument = Annotated[Path, typer.Argument(help="The datathon's folder.")]


def _hospital(folder: Path, uri: str | None, team: str) -> str:
    """The hospital a team reads (its own with `--per-team`)."""
    from entrepot.datathon import hospital_of

    return uri or str(hospital_of(folder, team))


@contextmanager
def _instructor(folder: Path, uri: str | None, user: str | None, target: str):
    """The instructor's right to manage every hospital of the datathon (one
    shared, or each team's); yields `released(what, parameters, rows)`,
    which audits what left in each."""
    from entrepot.datathon import hospitals

    uris = [uri] if uri else sorted({str(p) for p in hospitals(folder).values()})
    with ExitStack() as stack:
        decided = []
        for each in uris:
            wh = stack.enter_context(open_warehouse(each))
            decided.append((wh, decide(wh, user, "manage", None, target)))

        def released(what: str, parameters: dict | None, rows: int) -> None:
            for wh, decision in decided:
                decision.released(wh, what, parameters, rows=rows, persons=0)

        yield released


def _board(rows: list[dict], title: str, extra: str | None = None) -> None:
    table = Table(
        "rank", "team", "score", "submissions", *([extra] if extra else []), title=title
    )
    for r in rows:
        score = "" if r["score"] is None else f"{r['score']:.4f}"
        cells = [str(r["rank"] or "-"), r["team"], score, str(r["submissions"])]
        table.add_row(*cells, *([str(r[extra])] if extra else []))
    stdout.print(table)


@app.command()
def create(
    folder: FolderArgument,
    teams: Annotated[
        int, typer.Option("--teams", min=1, max=200, help="Number of teams.")
    ],
    task: Annotated[
        str, typer.Option("--task", help="A shipped task's name or a task file.")
    ],
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Same seed, same hospital and labels.")
    ] = 0,
    patients: Annotated[
        int | None,
        typer.Option(
            "--patients", "-n", min=10, help="Patients [default: the task's]."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Parallel processes.")
    ] = 2,
    per_team: Annotated[
        bool,
        typer.Option(
            "--per-team", help="One hospital per team, from seeds derived from --seed."
        ),
    ] = False,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Build a datathon in the new folder FOLDER: a shared hospital (or one
    per team), the task's hidden labels, one project and login per team,
    their starter files."""
    from entrepot.datathon import create_datathon
    from entrepot.errors import ParameterError

    if per_team and warehouse is not None:
        raise ParameterError(
            "--warehouse: each team's hospital is "
            f"{folder / 'teams' / 'teamNN' / 'hospital.duckdb'}"
        )
    if warehouse is not None and Path(warehouse) != folder / "hospital.duckdb":
        raise ParameterError(
            f"--warehouse: a datathon's hospital is {folder / 'hospital.duckdb'}"
        )
    made = create_datathon(
        folder,
        task,
        teams=teams,
        seed=seed,
        patients=patients,
        workers=workers,
        per_team=per_team,
    )

    def human() -> None:
        if quiet:
            return
        stdout.print(f"Datathon {made.task}: {len(made.teams)} teams in {folder}")
        stdout.print(f"Labels (instructor only): {made.labels_file}")
        stdout.print(f"Logins to hand out: {folder / 'instructor' / 'logins.csv'}")

    emit(made.as_json(), as_json, human)


@app.command()
def submit(
    folder: FolderArgument,
    file: Annotated[Path, typer.Argument(help="CSV person_id,prediction.")],
    team: Annotated[str, typer.Option("--team", help="The team submitting.")],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Score a team's predictions (a member of the team, or the instructor)."""
    from entrepot.datathon import project_of
    from entrepot.datathon import submit as submit_

    with open_warehouse(_hospital(folder, warehouse, team)) as wh:
        decision = decide(wh, user, "write", project_of(team), "datathon submit")
        done = submit_(folder, team, file)
        decision.released(
            wh, "datathon.submit", {"team": team} | done, rows=1, persons=0
        )
    emit(
        done,
        as_json,
        lambda: (
            quiet
            or stdout.print(
                f"Submission {done['submission_id']}: public score "
                f"{'hidden (blind phase)' if done['public_score'] is None else done['public_score']}"
            )
        ),
    )


@app.command()
def leaderboard(
    folder: FolderArgument,
    private: Annotated[
        bool, typer.Option("--private", help="The private split's ranking.")
    ] = False,
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Each team's best public submission, ranked (the instructor's view)."""
    from entrepot.datathon import leaderboard as board

    with _instructor(folder, warehouse, user, "datathon leaderboard") as released:
        rows = board(folder, private=private)
        released("datathon.leaderboard", {"private": private}, len(rows))
    emit(rows, as_json, lambda: _board(rows, "Private" if private else "Public"))


@app.command()
def phase(
    folder: FolderArgument,
    name: Annotated[
        str, typer.Argument(help="open, blind (teams see no scores) or closed.")
    ],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Move the datathon to a phase; closed reveals the private leaderboard."""
    from entrepot.datathon import set_phase

    with _instructor(folder, warehouse, user, "datathon phase") as released:
        done = set_phase(folder, name)
        released("datathon.phase", {"phase": done}, 0)
    emit({"phase": done}, as_json, lambda: quiet or stderr.print(f"Phase: {done}"))


@app.command()
def grades(
    folder: FolderArgument,
    out_of: Annotated[
        float, typer.Option("--out-of", min=1, help="The full mark.")
    ] = 10.0,
    export: Annotated[
        Path | None, typer.Option("--export", help="Write the grades as CSV here.")
    ] = None,
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """The final ranking (private split) with grades, optionally exported."""
    from entrepot.datathon import export_grades
    from entrepot.datathon import grades as grades_

    with _instructor(folder, warehouse, user, "datathon grades") as released:
        rows = grades_(folder, out_of=out_of)
        if export is not None:
            export_grades(folder, export, out_of=out_of)
        released(
            "datathon.grades", {"export": str(export) if export else None}, len(rows)
        )
    emit(rows, as_json, lambda: _board(rows, f"Grades /{out_of:g}", "grade"))
