"""Submissions, scores, leaderboards and grades.

A submission is a CSV file `person_id,prediction` with one row for each
patient of `to_predict.csv`. It is checked whole before anything is scored:
the first fault is one line naming the file and its line. Scores are worked
out against the instructor's labels, on the public and the private split.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from datetime import UTC, datetime
from pathlib import Path

from entrepot.datathon._metrics import parse, score
from entrepot.datathon._state import csv_text, labels, meta, no_team, state
from entrepot.errors import DatathonError

MAX_BYTES = 5_000_000


def _shown(text: str) -> str:
    """A value from the file, safe on one line of an error."""
    return ascii(text[:40])


def read_file(path: Path) -> bytes:
    """A submitted file's bytes, refused when too large to be one."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DatathonError(f"{path.name}: larger than {MAX_BYTES:,} bytes")
        return path.read_bytes()
    except OSError as e:
        raise DatathonError(f"{path.name}: cannot read: {e.strerror}") from None


def read_predictions(
    data: bytes, name: str, metric: str, expected: set[int], fields: list[str]
) -> dict:
    """person_id -> prediction, or DatathonError naming the file and line."""
    if len(data) > MAX_BYTES:
        raise DatathonError(f"{name}: larger than {MAX_BYTES:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DatathonError(f"{name}: not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    if header != ["person_id", "prediction"]:
        raise DatathonError(f"{name}, line 1: the header must be person_id,prediction")
    found: dict[int, object] = {}
    for row in reader:
        line = reader.line_num
        if len(row) != 2:
            raise DatathonError(f"{name}, line {line}: {len(row)} columns, not 2")
        person, value = row
        if not person.isascii() or not person.isdigit() or int(person) not in expected:
            raise DatathonError(
                f"{name}, line {line}: person_id {_shown(person)} is not in to_predict.csv"
            )
        if int(person) in found:
            raise DatathonError(
                f"{name}, line {line}: person_id {person} appears twice"
            )
        if not value.isprintable():
            raise DatathonError(
                f"{name}, line {line}: prediction {_shown(value)} holds unprintable characters"
            )
        try:
            found[int(person)] = parse(metric, value, fields)
        except ValueError as e:
            raise DatathonError(
                f"{name}, line {line}: prediction {_shown(value)}: {e}"
            ) from None
    missing = sorted(expected - set(found))
    if missing:
        raise DatathonError(
            f"{name}: {len(missing)} patients of to_predict.csv missing (first: {missing[0]})"
        )
    return found


def _scores(
    truths: dict[int, tuple[str, str]],
    metric: str,
    predictions: dict,
    fields: list[str],
) -> dict:
    out = {}
    for split in ("public", "private"):
        truth = {p: label for p, (label, s) in truths.items() if s == split}
        ids = sorted(truth)
        value = (
            score(
                metric, [truth[p] for p in ids], [predictions[p] for p in ids], fields
            )
            if ids
            else math.nan
        )
        out[split] = None if math.isnan(value) else round(value, 6)
    return out


def submit(
    folder: str | Path, team: str, path: str | Path, *, now: datetime | None = None
) -> dict:
    """Check, score and record a team's submission file: `{submission_id,
    public_score}` (the public score is None in the blind phase)."""
    path = Path(path)
    return submit_data(folder, team, path.name, read_file(path), now=now)


def submit_data(
    folder: str | Path,
    team: str,
    name: str,
    data: bytes,
    *,
    now: datetime | None = None,
) -> dict:
    """`submit` of a file's name and bytes (sent over HTTP)."""
    folder = Path(folder)
    name = name[:200] if name and name.isprintable() else "submission.csv"
    now = now or datetime.now(UTC)
    with state(folder) as db:
        task = meta(db, "task")
        phase = meta(db, "phase")
        if db.execute("SELECT 1 FROM team WHERE name = ?", (team,)).fetchone() is None:
            raise no_team(team)
        if phase == "closed":
            raise DatathonError("the datathon is closed: no more submissions")
        day = now.date().isoformat()
        used = db.execute(
            "SELECT count(*) FROM submission WHERE team = ? AND substr(submitted_at, 1, 10) = ?",
            (team, day),
        ).fetchone()[0]
        limit = task["phases"]["submissions_per_day"]
        if used >= limit:
            raise DatathonError(
                f"team {team}: {limit} submissions a day, all used on {day}"
            )
        truths = labels(folder, team)
        fields = meta(db, "fields")
        predictions = read_predictions(data, name, task["metric"], set(truths), fields)
        scores = _scores(truths, task["metric"], predictions, fields)
        cursor = db.execute(
            "INSERT INTO submission (team, submitted_at, file, sha256, public_score, private_score)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                team,
                now.isoformat(timespec="seconds"),
                name,
                hashlib.sha256(data).hexdigest(),
                scores["public"],
                scores["private"],
            ),
        )
    public = None if phase == "blind" else scores["public"]
    return {"submission_id": cursor.lastrowid, "public_score": public}


def leaderboard(folder: str | Path, *, private: bool = False) -> list[dict]:
    """Each team's best public submission, ranked by the public score, or
    (`private`) by that submission's private score. Teams that have not
    submitted come last."""
    with state(folder) as db:
        teams = [r[0] for r in db.execute("SELECT name FROM team ORDER BY name")]
        rows = db.execute(
            "SELECT team, id, public_score, private_score, submitted_at FROM submission"
            " ORDER BY public_score DESC, id"
        ).fetchall()
        count = dict(
            db.execute("SELECT team, count(*) FROM submission GROUP BY team").fetchall()
        )
    best: dict[str, tuple] = {}
    for team, sid, public, hidden, at in rows:
        best.setdefault(team, (sid, public, hidden, at))
    key = 2 if private else 1
    board = [
        {
            "team": t,
            "submission_id": best[t][0],
            "score": best[t][key],
            "submissions": count[t],
            "submitted_at": best[t][3],
        }
        for t in teams
        if t in best
    ]
    board.sort(
        key=lambda r: (
            -(r["score"] if r["score"] is not None else -math.inf),
            r["submission_id"],
        )
    )
    board += [
        {
            "team": t,
            "submission_id": None,
            "score": None,
            "submissions": 0,
            "submitted_at": None,
        }
        for t in teams
        if t not in best
    ]
    for rank, row in enumerate(board, 1):
        row["rank"] = rank if row["submission_id"] is not None else None
    return board


def team_leaderboard(folder: str | Path, *, private: bool = False) -> dict:
    """What the teams see: the public board (no scores in the blind phase),
    the private one once the datathon is closed."""
    with state(folder) as db:
        phase = meta(db, "phase")
    if private and phase != "closed":
        raise DatathonError("the private leaderboard is shown when the datathon closes")
    rows = leaderboard(folder, private=private)
    if phase == "blind":
        rows = [r | {"score": None} for r in rows]
    return {"phase": phase, "private": private, "rows": rows}


def grades(folder: str | Path, *, out_of: float = 10.0) -> list[dict]:
    """The private ranking with a grade: the private score mapped linearly
    from the metric's chance level (0 points) to its maximum (full marks)."""
    with state(folder) as db:
        metric = meta(db, "task")["metric"]
    chance = 0.5 if metric == "auroc" else 0.0
    rows = leaderboard(folder, private=True)
    for row in rows:
        s = row["score"]
        row["grade"] = (
            0.0
            if s is None
            else round(out_of * min(1.0, max(0.0, (s - chance) / (1 - chance))), 1)
        )
    return rows


def grades_csv(folder: str | Path, *, out_of: float = 10.0) -> str:
    """The final ranking and grades as CSV text."""
    columns = ["rank", "team", "score", "grade", "submissions"]
    rows = grades(folder, out_of=out_of)
    return csv_text(columns, [[r[c] for c in columns] for r in rows])


def export_grades(folder: str | Path, path: str | Path, *, out_of: float = 10.0) -> int:
    """Write the final ranking and grades as CSV; the number of teams."""
    text = grades_csv(folder, out_of=out_of)
    Path(path).write_text(text, encoding="utf-8")
    return text.count("\n") - 1


def progress(folder: str | Path) -> dict:
    """The instructor's view: phase, task, teams and every submission."""
    with state(folder) as db:
        task, phase = meta(db, "task"), meta(db, "phase")
        subs = [
            dict(
                zip(
                    (
                        "id",
                        "team",
                        "submitted_at",
                        "file",
                        "public_score",
                        "private_score",
                    ),
                    r,
                    strict=True,
                )
            )
            for r in db.execute(
                "SELECT id, team, submitted_at, file, public_score, private_score FROM submission ORDER BY id"
            )
        ]
    return {
        "task": task["name"],
        "metric": task["metric"],
        "phase": phase,
        "submissions": subs,
        "grades": grades(folder),
    }
