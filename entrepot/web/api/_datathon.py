"""API: a datathon served with its hospital (`entrepot serve -w
DIR/hospital.duckdb`): a team submits and reads the leaderboard within its
project; the instructor (the `manage` right) follows progress, moves the
phase, and exports the grades. Scores and ranks only: no patient data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from entrepot.datathon import (
    MAX_BYTES,
    datathon_folder,
    grades_csv,
    progress,
    set_phase,
    submit_data,
    team_leaderboard,
    team_of,
)
from entrepot.errors import AccessDeniedError, DatathonError, NotFoundError
from entrepot.web._auth import Counting, Managing, Writing
from entrepot.web._state import state

router = APIRouter(tags=["datathon"])


def folder_of(request: Request) -> Path:
    """The datathon served: the folder holding the warehouse and its state."""
    folder = datathon_folder(state(request).use(lambda wh: Path(wh.uri.path)))
    if folder is None:
        raise NotFoundError("this warehouse is not a datathon's hospital")
    return folder


def _team(decision) -> str:
    if decision.project is None or not decision.project.startswith("datathon-"):
        raise AccessDeniedError("submissions are made within a team's project")
    return team_of(decision.project)


class Submitted(BaseModel):
    submission_id: int
    public_score: float | None


class Row(BaseModel):
    rank: int | None
    team: str
    score: float | None
    submissions: int
    submission_id: int | None
    submitted_at: str | None


class Board(BaseModel):
    phase: str
    private: bool
    rows: list[Row]


@router.post("/datathon/submissions", response_model=Submitted)
async def submission(
    request: Request,
    decision: Writing,
    filename: Annotated[str, Query(max_length=200)] = "submission.csv",
) -> Submitted:
    """The body is the CSV file `person_id,prediction`; checked whole, then
    scored on the public split (hidden in the blind phase)."""
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BYTES:
            raise DatathonError(f"{filename}: larger than {MAX_BYTES:,} bytes")
    folder, team = folder_of(request), _team(decision)  # not a datathon: 404
    done = submit_data(folder, team, filename, data)
    state(request).use(
        decision.released, "datathon.submit", {"team": team} | done, rows=1, persons=0
    )
    return Submitted(**done)


@router.get("/datathon/leaderboard", response_model=Board)
def leaderboard(request: Request, decision: Counting, private: bool = False) -> Board:
    """The public leaderboard; the private one once the datathon is closed."""
    folder = folder_of(request)  # not a datathon: 404
    _team(decision)
    board = team_leaderboard(folder, private=private)
    state(request).use(
        decision.released,
        "datathon.leaderboard",
        {"private": private},
        rows=len(board["rows"]),
        persons=0,
    )
    return Board(**board)


class Phase(BaseModel):
    phase: Literal["open", "blind", "closed"]


@router.get("/admin/datathon")
def instructor(request: Request, decision: Managing) -> dict:
    """Progress: the task, the phase, every submission and the grades /10."""
    shown = progress(folder_of(request))
    state(request).use(
        decision.released,
        "datathon.progress",
        None,
        rows=len(shown["submissions"]),
        persons=0,
    )
    return shown


@router.post("/admin/datathon/phase", response_model=Phase)
def phase(request: Request, decision: Managing, body: Phase) -> Phase:
    done = set_phase(folder_of(request), body.phase)
    state(request).use(
        decision.released, "datathon.phase", {"phase": done}, rows=0, persons=0
    )
    return Phase(phase=done)


@router.get("/admin/datathon/grades.csv")
def grades(request: Request, decision: Managing) -> Response:
    """The final ranking and grades, as a CSV file."""
    text = grades_csv(folder_of(request))
    teams = text.count("\n") - 1
    state(request).use(
        decision.released, "datathon.grades", None, rows=teams, persons=0
    )
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="grades.csv"'},
    )
