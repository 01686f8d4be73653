"""The patient subgroups of a saved cohort from the web API: a background
job (features → clusters → profiles and survival) whose result is the masked
profiles, on the session's synthetic hospital with systemic sclerosis."""

from __future__ import annotations

import shutil
import time
from importlib.resources import files

import pytest
import yaml

from entrepot.privacy import add_project, add_user
from entrepot.warehouse import Warehouse
from tests.web.conftest import PASSWORD, LiveServer

PROJECT = "ssc"
COHORT = "systemic_sclerosis.yaml"  # shipped: its name is "Systemic sclerosis"


def serve_ssc(ssc_hospital, folder):
    """A server on a copy of the hospital with a project of the whole
    warehouse, a researcher (sam) and a viewer (val) in it, and the shipped
    systemic sclerosis cohort that the researcher saved in the project."""
    copy = folder / "ssc.duckdb"
    shutil.copy(ssc_hospital, copy)
    with Warehouse.open(copy) as wh:
        add_project(wh, PROJECT)
        add_user(wh, "sam", "researcher", PASSWORD, projects=(PROJECT,))
        add_user(wh, "val", "viewer", PASSWORD, projects=(PROJECT,))
    server = LiveServer(copy)
    definition = yaml.safe_load(
        files("entrepot.data.cohorts").joinpath(COHORT).read_text("utf-8")
    )
    with server.client("sam") as api:
        r = api.post("/api/cohorts", params={"project": PROJECT}, json=definition)
        assert _finished(api, r.json()["job"])["state"] == "done"
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live(ssc_hospital, tmp_path_factory):
    yield from serve_ssc(ssc_hospital, tmp_path_factory.mktemp("web-subgroups"))


def _finished(api, job: int) -> dict:
    for _ in range(1200):
        status = api.get(f"/api/jobs/{job}", params={"project": PROJECT}).json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not end: {status}")


def test_a_member_gets_the_masked_profiles_of_the_clusters(live):
    study = {
        "cohort": "Systemic sclerosis",
        "spec": "systemic_sclerosis",
        "k": 3,
        "seed": 1,
    }
    with live.client("sam") as api:
        r = api.post("/api/subgroups", params={"project": PROJECT}, json=study)
        assert r.status_code == 202, r.text
        status = _finished(api, r.json()["job"])
        assert status["state"] == "done", status["error"]
        svg = api.get(
            f"/api/subgroups/{r.json()['job']}/survival.svg",
            params={"project": PROJECT},
        )
    result = status["result"]
    threshold = result["mask_below"]
    assert threshold == 10
    assert [c["cluster"] for c in result["clusters"]] == [1, 2, 3]
    sizes = [c["size"] for c in result["clusters"]]
    assert all(isinstance(s, str) or s >= threshold for s in sizes), sizes
    assert result["clustering"]["k"] == 3
    assert len(result["clustering"]["stability"]["per_cluster_jaccard"]) == 3
    assert result["clustering"]["sizes"] == sizes
    withheld = [p is None for p in result["clustering"]["profiles"]]
    assert withheld == [isinstance(s, str) for s in sizes]
    shown = [c for c in result["clusters"] if "table1" in c]
    assert shown and all("features" in c for c in shown)
    assert 0 <= result["logrank"]["p"] <= 1
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg") and svg.text.count("<polyline") == len(
        [c for c in result["clusters"] if "km" in c]
    )
    assert "person_id" not in str(result)


def test_a_viewer_is_refused(live):
    with live.client("val") as api:
        r = api.post("/api/subgroups", params={"project": PROJECT}, json={"cohort": 1})
    assert r.status_code == 403, r.text


@pytest.mark.parametrize(
    ("study", "message"),
    [
        ({"cohort": 1, "spec": "nope"}, "spec 'nope': not a shipped spec"),
        ({"cohort": 1, "k": "many"}, "k"),
        ({"cohort": 1, "k": 1}, "greater than or equal to 2"),
        ({"cohort": "no such cohort"}, "no such cohort"),
    ],
)
def test_a_wrong_study_is_refused_at_once_or_fails_in_one_line(live, study, message):
    with live.client("sam") as api:
        r = api.post("/api/subgroups", params={"project": PROJECT}, json=study)
        if r.status_code == 202:
            status = _finished(api, r.json()["job"])
            assert status["state"] == "failed"
            assert message in status["error"] and "\n" not in status["error"]
        else:
            assert r.status_code in (400, 422) and message in r.text
