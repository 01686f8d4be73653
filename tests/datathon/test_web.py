"""A datathon served: a team submits and reads the leaderboard over HTTP and
in a real browser, the instructor follows it; every route probed as a team
gives nothing of the labels."""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.web.accessibility import assert_accessible
from tests.web.conftest import LiveServer, page_as, shot  # noqa: F401 - fixtures

INSTRUCTOR = ("prof", "correct horse battery")


def _labels(folder: Path) -> dict[int, tuple[str, str]]:
    with open(folder / "instructor" / "labels.csv", newline="") as f:
        return {
            int(r["person_id"]): (r["label"], r["split"]) for r in csv.DictReader(f)
        }


@pytest.fixture(scope="module")
def served(datathon, tmp_path_factory):
    """A server on a copy of the datathon, with an instructor `prof` (admin)
    and the teams' passwords."""
    from entrepot.privacy import add_user
    from entrepot.warehouse import Warehouse

    folder = tmp_path_factory.mktemp("served") / "dt"
    shutil.copytree(datathon[0], folder)
    with Warehouse.open(folder / "hospital.duckdb") as wh:
        add_user(wh, *INSTRUCTOR[:1], "admin", INSTRUCTOR[1])
    logins = {
        r["login"]: r["password"]
        for r in csv.DictReader(open(folder / "instructor" / "logins.csv"))
    }
    live = LiveServer(folder / "hospital.duckdb")
    yield live, folder, logins
    live.stop()


def _client(live, user: str, password: str):
    import httpx

    token = httpx.post(
        f"{live.url}/api/token", data={"username": user, "password": password}
    ).json()["access_token"]
    return httpx.Client(
        base_url=live.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def test_a_team_submits_over_http_and_sees_the_public_board(served):
    live, folder, logins = served
    labels = _labels(folder)
    body = "person_id,prediction\n" + "".join(
        f"{p},{x}\n" for p, (x, _) in labels.items()
    )
    with _client(live, "team02", logins["team02"]) as team:
        q = {"project": "datathon-team02", "filename": "perfect.csv"}
        done = team.post("/api/datathon/submissions", params=q, content=body)
        assert done.status_code == 200, done.text
        assert done.json()["public_score"] == 1.0
        bad = team.post(
            "/api/datathon/submissions",
            params=q,
            content="person_id,prediction\n999999999,x\n",
        )
        assert (bad.status_code, bad.json()["detail"]) == (
            400,
            "perfect.csv, line 2: person_id '999999999' is not in to_predict.csv",
        )
        board = team.get(
            "/api/datathon/leaderboard", params={"project": "datathon-team02"}
        ).json()
        assert board["phase"] == "open" and board["rows"][0]["team"] == "team02"
        hidden = team.get(
            "/api/datathon/leaderboard",
            params={"project": "datathon-team02", "private": "true"},
        )
        assert hidden.status_code == 400
        other = team.post(
            "/api/datathon/submissions",
            params={"project": "datathon-team01"},
            content=body,
        )
        assert other.status_code == 403


def test_every_route_probed_as_a_team_gives_nothing_of_the_labels(served):
    """Each API route and page, called by a team within its project: the
    instructor's routes are refused, and no patient's timeline holds a
    death, or a row starting after the patient's index date."""
    live, folder, logins = served
    labels = _labels(folder)
    with _client(live, "team01", logins["team01"]) as team:
        q = {"project": "datathon-team01"}
        for path in (
            "/api/admin/datathon",
            "/api/admin/datathon/grades.csv",
            "/api/admin/users",
            "/api/admin/audit",
            "/datathon/instructor",
        ):
            assert team.get(path, params=q).status_code == 403, path
        assert (
            team.post("/api/admin/datathon/phase", json={"phase": "closed"}).status_code
            == 403
        )
        index = {}
        for cohort in team.get("/api/cohorts", params=q).json():
            assert "label" not in json.dumps(cohort)
        died = [p for p, (label, _) in labels.items() if label == "1"]
        assert died
        for person in died[:8]:  # those whose answer a death after the index would give
            shown = team.get(f"/api/patients/{person}", params=q)
            assert shown.status_code == 200, shown.text
            text = shown.text
            dates = [
                date.fromisoformat(d)
                for d in re.findall(
                    r'"(?:date|start|start_date|note_date)": ?"(\d{4}-\d\d-\d\d)', text
                )
            ]
            index[person] = max(dates, default=None)
        cohort = live.web.use(lambda wh: wh.table("cohort").to_pyarrow().to_pylist())
        ends = {r["subject_id"]: r["cohort_end_date"] for r in cohort}
        assert all(index.values())
        late = {p: d for p, d in index.items() if d and d > ends[p]}
        assert late == {}
        for path in ("/api/overview", "/api/datathon/leaderboard", "/datathon", "/"):
            shown = team.get(path, params=q)
            assert shown.status_code == 200, path
            assert "labels.csv" not in shown.text and "synth_truth" not in shown.text


@pytest.mark.browser
def test_a_team_and_the_instructor_in_a_real_browser(page_as, served, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    live, folder, logins = served
    labels = _labels(folder)
    upload = tmp_path / "team03.csv"
    upload.write_text("person_id,prediction\n" + "".join(f"{p},0.5\n" for p in labels))

    page = page_as(live, "team03", "/datathon", password=logins["team03"])
    expect(page.locator("h1")).to_have_text("Datathon : soumettre")
    page.set_input_files("#submit-file", str(upload))
    page.click("#submit-button")
    expect(page.locator("#submit-result")).to_contain_text("score public 0.5000")
    expect(page.locator("#board tbody")).to_contain_text("team03")
    shot(page, "datathon-team")
    assert_accessible(page, "datathon-team")

    user, password = INSTRUCTOR
    page = page_as(live, user, "/datathon/instructor", password=password)
    expect(page.locator("#grades tbody")).to_contain_text("team03")
    expect(page.locator("#progress-summary")).to_contain_text("heart_failure_mortality")
    page.select_option("#phase-select", "closed")
    page.click("#phase-form button")
    expect(page.locator("#phase-select")).to_have_value("closed")
    with page.expect_download() as download:
        page.click("#grades-export")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "rank,team,score,grade,submissions"
    shot(page, "datathon-instructor")
    assert_accessible(page, "datathon-instructor")
