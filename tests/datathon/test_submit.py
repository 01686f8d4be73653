"""Submissions: checked whole, scored against the hidden labels on the
public and private splits, limited per day, hidden in the blind phase;
leaderboards and grades from the real CLI."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from entrepot.cli import main
from entrepot.datathon import leaderboard, progress, score, set_phase, submit
from entrepot.errors import DatathonError


def _labels(folder: Path) -> dict[int, tuple[str, str]]:
    with open(folder / "instructor" / "labels.csv", newline="") as f:
        return {
            int(r["person_id"]): (r["label"], r["split"]) for r in csv.DictReader(f)
        }


def _write(path: Path, rows) -> Path:
    path.write_text("person_id,prediction\n" + "".join(f"{p},{v}\n" for p, v in rows))
    return path


def _cli(*argv: str, code: int = 0):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["datathon", *argv]) == code, err.getvalue()
    return json.loads(out.getvalue()) if code == 0 else err.getvalue().strip()


def test_perfect_predictions_score_the_maximum_and_random_ones_half(copy, tmp_path):
    labels = _labels(copy)
    perfect = _write(tmp_path / "perfect.csv", [(p, x) for p, (x, _) in labels.items()])
    done = _cli("submit", str(copy), str(perfect), "--team", "team01", "--json")
    assert done == {"submission_id": 1, "public_score": 1.0}
    # random predictions: AUROC 0.5 on average over draws (a small cohort
    # gives each draw a wide spread)
    draws = random.Random(0)
    truth = [x for x, _ in labels.values()]
    scores = [
        score("auroc", truth, [draws.random() for _ in truth], []) for _ in range(200)
    ]
    assert abs(sum(scores) / len(scores) - 0.5) < 0.05
    noise = _write(tmp_path / "noise.csv", [(p, draws.random()) for p in labels])
    assert (
        _cli("submit", str(copy), str(noise), "--team", "team02", "--json")[
            "submission_id"
        ]
        == 2
    )
    board = _cli("leaderboard", str(copy), "--json")
    assert [(r["rank"], r["team"], r["submissions"]) for r in board] == [
        (1, "team01", 1), (2, "team02", 1), (None, "team03", 0)
    ]  # fmt: skip
    private = _cli("leaderboard", str(copy), "--private", "--json")
    assert private[0] | {"submitted_at": None} == {
        "team": "team01", "submission_id": 1, "score": 1.0, "submissions": 1,
        "submitted_at": None, "rank": 1,
    }  # fmt: skip
    grades = _cli(
        "grades", str(copy), "--export", str(tmp_path / "grades.csv"), "--json"
    )
    assert [(r["team"], r["grade"]) for r in grades][0] == ("team01", 10.0)
    assert grades[2]["grade"] == 0.0  # no submission
    exported = (tmp_path / "grades.csv").read_text().splitlines()
    assert exported[0] == "rank,team,score,grade,submissions"
    assert exported[1] == "1,team01,1.0,10.0,1"


HOSTILE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (lambda ids: [(99999, 0.5)] + [(p, 0.5) for p in ids], "s.csv, line 2: person_id '99999' is not in to_predict.csv"),
        (lambda ids: [(ids[0], 0.5)] + [(p, 0.5) for p in ids], "s.csv, line 3: person_id IDS0 appears twice"),
        (lambda ids: [(p, 0.5) for p in ids[1:]], "s.csv: 1 patients of to_predict.csv missing (first: IDS0)"),
        (lambda ids: [(ids[0], "high")] + [(p, 0.5) for p in ids[1:]], "s.csv, line 2: prediction 'high': not a number"),
        (lambda ids: [(ids[0], "nan")] + [(p, 0.5) for p in ids[1:]], "s.csv, line 2: prediction 'nan': not a finite number"),
        (lambda ids: [(ids[0], HOSTILE)] + [(p, 0.5) for p in ids[1:]], "s.csv, line 2: prediction \"=cmd|' /C calc'!A0\": not a number"),
        (lambda ids: [(ids[0], "0.5\x1b[31m")] + [(p, 0.5) for p in ids[1:]], "s.csv, line 2: prediction '0.5\\x1b[31m' holds unprintable characters"),
        (lambda ids: [("1; DROP TABLE submission", 1)] + [(p, 0.5) for p in ids], "s.csv, line 2: person_id '1; DROP TABLE submission' is not in to_predict.csv"),
    ],
)  # fmt: skip
def test_a_bad_submission_is_one_line_naming_file_and_line_and_nothing_is_scored(
    copy, tmp_path, rows, message
):
    ids = sorted(_labels(copy))
    path = _write(tmp_path / "s.csv", rows(ids))
    err = _cli("submit", str(copy), str(path), "--team", "team01", "--json", code=2)
    assert err == "entrepot: error: " + message.replace("IDS0", str(ids[0]))
    assert progress(copy)["submissions"] == []


def test_a_bad_file_as_a_whole(copy, tmp_path):
    ids = sorted(_labels(copy))
    header = tmp_path / "h.csv"
    header.write_text("id,score\n")
    big = tmp_path / "big.csv"
    big.write_text("person_id,prediction\n" + "1,0.5\n" * 1_000_000)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"person_id,prediction\n\xff\xfe\n")
    for path, message in (
        (header, "h.csv, line 1: the header must be person_id,prediction"),
        (big, "big.csv: larger than 5,000,000 bytes"),
        (binary, "bin.csv: not UTF-8 text"),
    ):
        with pytest.raises(DatathonError) as e:
            submit(copy, "team01", path)
        assert str(e.value) == message
    with pytest.raises(
        DatathonError, match=r"team: no team 'team9\\x00' in this datathon"
    ):
        submit(copy, "team9\x00", _write(tmp_path / "ok.csv", [(p, 0.5) for p in ids]))
    assert progress(copy)["submissions"] == []


def test_ten_submissions_a_day_then_refused_until_the_next(copy, tmp_path):
    ids = sorted(_labels(copy))
    path = _write(tmp_path / "s.csv", [(p, 0.5) for p in ids])
    day = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for i in range(10):
        submit(copy, "team03", path, now=day + timedelta(minutes=i))
    with pytest.raises(
        DatathonError, match="team team03: 10 submissions a day, all used on 2026-03-02"
    ):
        submit(copy, "team03", path, now=day + timedelta(hours=1))
    assert submit(copy, "team02", path, now=day)["submission_id"] == 11  # per team
    assert (
        submit(copy, "team03", path, now=day + timedelta(days=1))["submission_id"] == 12
    )
    assert leaderboard(copy)[0]["submissions"] in (1, 11)


def test_the_blind_phase_hides_scores_and_the_closed_one_takes_no_more(copy, tmp_path):
    labels = _labels(copy)
    path = _write(tmp_path / "s.csv", [(p, x) for p, (x, _) in labels.items()])
    assert _cli("phase", str(copy), "blind", "--json") == {"phase": "blind"}
    assert submit(copy, "team01", path) == {"submission_id": 1, "public_score": None}
    assert progress(copy)["submissions"][0]["public_score"] == 1.0  # kept, not shown
    set_phase(copy, "closed")
    with pytest.raises(DatathonError, match="the datathon is closed"):
        submit(copy, "team02", path)
    assert _cli("phase", str(copy), "later", "--json", code=2) == (
        "entrepot: error: phase: 'later' is not one of open, blind, closed"
    )


def test_a_team_submits_for_itself_only(copy, tmp_path, monkeypatch):
    """Through the CLI as a registered team login: its own team, not another's,
    and never the instructor's commands; each refusal audited."""
    logins = {
        r["login"]: r["password"]
        for r in csv.DictReader(open(copy / "instructor" / "logins.csv"))
    }
    monkeypatch.setenv("ENTREPOT_PASSWORD", logins["team01"])
    ids = sorted(_labels(copy))
    path = _write(tmp_path / "s.csv", [(p, 0.5) for p in ids])
    done = _cli(
        "submit", str(copy), str(path), "--team", "team01", "--user", "team01", "--json"
    )
    assert done["submission_id"] == 1
    refused = _cli(
        "submit",
        str(copy),
        str(path),
        "--team",
        "team02",
        "--user",
        "team01",
        "--json",
        code=2,
    )
    assert (
        refused
        == "entrepot: error: user 'team01' is not a member of project 'datathon-team02'"
    )
    for command in ("leaderboard", "grades"):
        refused = (
            _cli(command, str(copy), "--private", "--user", "team01", "--json", code=2)
            if command == "leaderboard"
            else _cli(command, str(copy), "--user", "team01", "--json", code=2)
        )
        assert refused == "entrepot: error: a researcher may not manage"
