"""A datathon's folder: the instructor's files and its state (SQLite).

DIR/hospital.duckdb   the teams' warehouse (labels and ground truth removed)
DIR/teams/NAME/       to_predict.csv and the starter notebook; with
                      `--per-team`, the team's own hospital.duckdb instead
                      of the shared one
DIR/instructor/       mode 700: labels.csv and logins.csv (mode 600) and
                      datathon.sqlite (task, teams, phase, submissions)
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

from entrepot.errors import DatathonError

PHASES = ("open", "blind", "closed")
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE team (name TEXT PRIMARY KEY, project TEXT NOT NULL, login TEXT NOT NULL);
CREATE TABLE submission (
    id INTEGER PRIMARY KEY, team TEXT NOT NULL REFERENCES team(name),
    submitted_at TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL,
    public_score REAL, private_score REAL
);
"""


def project_of(team: str) -> str:
    """The project through which a team reads the hospital."""
    return f"datathon-{team}"


def team_of(project: str) -> str:
    """The team whose project this is (see `project_of`)."""
    return project.removeprefix("datathon-")


def is_datathon(folder: Path) -> bool:
    """Whether a folder holds a datathon (its state)."""
    return (instructor(folder) / "datathon.sqlite").is_file()


def instructor(folder: Path) -> Path:
    return folder / "instructor"


def datathon_folder(hospital: Path) -> Path | None:
    """The datathon a hospital belongs to: shared (DIR/hospital.duckdb) or
    a team's own (DIR/teams/NAME/hospital.duckdb); None if it is none's."""
    for folder in (hospital.parent, hospital.parent.parent.parent):
        if is_datathon(folder):
            return folder
    return None


def no_team(team: str) -> DatathonError:
    return DatathonError(f"team: no team {ascii(team[:40])} in this datathon")


def hospital_of(folder: Path, team: str) -> Path:
    """The hospital a team reads (its own, or the shared one)."""
    found = hospitals(folder)
    if team not in found:
        raise no_team(team)
    return found[team]


def hospitals(folder: Path) -> dict[str, Path]:
    """Each team's hospital (the same path for all when it is shared)."""
    with state(folder) as db:
        per_team = meta(db, "per_team")
        teams = [r[0] for r in db.execute("SELECT name FROM team ORDER BY name")]
    if per_team:
        return {t: folder / "teams" / t / "hospital.duckdb" for t in teams}
    return dict.fromkeys(teams, folder / "hospital.duckdb")


def write_private(path: Path, text: str) -> None:
    """A file only its owner may read (mode 600), written whole."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.chmod(path, 0o600)


def csv_text(header: list[str], rows: list[list]) -> str:
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@contextmanager
def state(folder: Path, *, new: bool = False):
    """The datathon's state database, in one transaction."""
    path = instructor(folder) / "datathon.sqlite"
    if not new and not path.is_file():
        raise DatathonError(f"{folder}: not a datathon folder (no {path.name})")
    with closing(sqlite3.connect(path)) as db:
        if new:
            db.executescript(_SCHEMA)
            os.chmod(path, 0o600)
        with db:
            yield db


def meta(db, key: str):
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def set_meta(db, key: str, value) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))


def labels(folder: Path, team: str) -> dict[int, tuple[str, str]]:
    """person_id -> (label, split) of a team's patients, from the instructor's
    file (whose `team` column, with one hospital per team, says whose)."""
    with open(instructor(folder) / "labels.csv", encoding="utf-8", newline="") as f:
        return {
            int(r["person_id"]): (r["label"], r["split"])
            for r in csv.DictReader(f)
            if r.get("team", team) == team
        }


def set_phase(folder: Path, phase: str) -> str:
    """Open, blind (teams see no scores) or closed (private board revealed)."""
    if phase not in PHASES:
        raise DatathonError(f"phase: {phase!r} is not one of {', '.join(PHASES)}")
    with state(folder) as db:
        set_meta(db, "phase", phase)
    return phase
