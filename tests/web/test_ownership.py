"""Ownership: cohorts, saved searches and jobs belong to a project and a user.

The attacks, on a real server: two projects ("cardio": rita and remy,
researchers, and vic, a viewer; "derma": dora, a researcher), each trying
to see, replace or delete what is not theirs, or to learn that a project
exists. A cohort out of sight answers exactly as one that does not exist.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from entrepot.privacy import add_user, entries
from tests.web.conftest import PASSWORD, LiveServer

ENOXAPARIN = {
    "name": "enoxaparin",
    "concept_sets": {"enox": {"items": [{"vocabulary": "ATC", "code": "B01AB05"}]}},
    "entry": {"events": [{"domain": "drug", "concept_set": "enox"}]},
}
#: dora's project may see conditions and notes only: her cohorts use conditions.
HYPERTENSION = {
    "name": "hypertension",
    "concept_sets": {
        "htn": {"items": [{"vocabulary": "CIM10", "code": "I10", "descendants": True}]}
    },
    "entry": {"events": [{"domain": "condition", "concept_set": "htn"}]},
}
UNKNOWN = 999_999  # no cohort has this id


@pytest.fixture(scope="module")
def live(web_file, tmp_path_factory):
    """A server of this module's own, with remy, a second researcher of cardio."""
    path = tmp_path_factory.mktemp("ownership") / "eds.duckdb"
    shutil.copy(web_file, path)
    index = "eds.duckdb.search"
    shutil.copytree(web_file.parent / index, path.parent / index)
    server = LiveServer(path)
    server.path = path
    server.web.use(add_user, "remy", "researcher", PASSWORD, projects=["cardio"])
    server.web.changed()
    yield server
    server.stop()


def job_of(api, r: httpx.Response, project: str) -> dict:
    """Wait for the job a 202 answer started (asked within its project)."""
    assert r.status_code == 202, r.text
    for _ in range(1200):
        status = api.get(f"/api/jobs/{r.json()['job']}", params={"project": project})
        assert status.status_code == 200, status.text
        if status.json()["state"] in ("done", "failed"):
            return status.json()
        time.sleep(0.05)
    raise AssertionError("the job did not end")


def generate(api, body: dict, project: str) -> dict:
    r = api.post("/api/cohorts", params={"project": project}, json=body)
    status = job_of(api, r, project)
    assert status["state"] == "done", status
    return status["result"]


def listed(api, project: str) -> dict[int, str]:
    found = api.get("/api/cohorts", params={"project": project}).json()
    return {c["id"]: c["name"] for c in found}


def stored_name(live, cohort_id: int) -> str:
    def name(wh):
        d = wh.table("cohort_definition")
        d = d.filter(d.cohort_definition_id == cohort_id)
        return d.cohort_definition_name.to_pyarrow().to_pylist()

    return live.web.use(name)


def as_unknown(r: httpx.Response, cohort_id: int) -> tuple[int, str]:
    """An answer with the id written as the unknown one's, to compare them."""
    return r.status_code, r.text.replace(f"cohort {cohort_id} ", f"cohort {UNKNOWN} ")


def test_another_projects_cohort_answers_as_one_that_does_not_exist(live):
    with live.client("rita") as rita:
        cid = generate(rita, ENOXAPARIN, "cardio")["cohort_definition_id"]
    with live.client("dora") as dora:
        assert cid not in listed(dora, "derma")
        for method, path in (
            ("GET", "/api/cohorts/{}"),
            ("GET", "/api/cohorts/{}/describe"),
            ("GET", "/api/cohorts/{}/export"),
            ("DELETE", "/api/cohorts/{}"),
        ):
            theirs = dora.request(method, path.format(cid), params={"project": "derma"})
            unknown = dora.request(method, path.format(UNKNOWN), params={"project": "derma"})  # fmt: skip
            assert unknown.status_code == 404, (method, path, unknown.text)
            assert as_unknown(theirs, cid) == as_unknown(unknown, UNKNOWN), (method, path)  # fmt: skip
    assert stored_name(live, cid) == ["enoxaparin"]  # not deleted
    with live.client("rita") as rita:
        assert listed(rita, "cardio")[cid] == "enoxaparin"


def test_names_are_unique_within_a_project_not_across_projects(live):
    """dora's "hypertension" in derma used to replace rita's in cardio: the
    same name in two projects is two cohorts; a definition naming another
    project's cohort by id is refused as an unknown id."""
    with live.client("rita") as rita:
        mine = generate(rita, HYPERTENSION, "cardio")["cohort_definition_id"]
    with live.client("dora") as dora:
        hers = generate(dora, HYPERTENSION, "derma")["cohort_definition_id"]
        assert hers != mine
        r = dora.post("/api/cohorts", params={"project": "derma"}, json=dict(HYPERTENSION, id=mine, name="taken"))  # fmt: skip
        unknown = dora.post("/api/cohorts", params={"project": "derma"}, json=dict(HYPERTENSION, id=UNKNOWN, name="taken"))  # fmt: skip
        assert unknown.status_code == 404
        assert as_unknown(r, mine) == as_unknown(unknown, UNKNOWN)
        assert generate(dora, HYPERTENSION, "derma")["cohort_definition_id"] == hers
        assert listed(dora, "derma")[hers] == "hypertension"
    assert stored_name(live, mine) == ["hypertension"]
    with live.client("rita") as rita:
        assert hers not in listed(rita, "cardio")
        again = generate(rita, HYPERTENSION, "cardio")  # her own: replaced
        assert again["cohort_definition_id"] == mine


def test_only_the_owner_or_an_administrator_changes_a_cohort(live):
    """remy, rita's colleague in cardio, sees her cohort but may neither
    replace it (by its name) nor delete it; ada, an administrator, may."""
    with live.client("rita") as rita:
        cid = generate(rita, dict(ENOXAPARIN, name="rita's"), "cardio")["cohort_definition_id"]  # fmt: skip
    with live.client("remy") as remy:
        assert listed(remy, "cardio")[cid] == "rita's"
        replaced = remy.post("/api/cohorts", params={"project": "cardio"}, json=dict(HYPERTENSION, name="rita's"))  # fmt: skip
        deleted = remy.delete(f"/api/cohorts/{cid}", params={"project": "cardio"})
    refusal = f"cohort {cid} belongs to rita: only its owner or an administrator may change it"  # fmt: skip
    assert (replaced.status_code, replaced.json()["detail"]) == (403, refusal)
    assert (deleted.status_code, deleted.json()["detail"]) == (403, refusal)
    assert stored_name(live, cid) == ["rita's"]
    refused = live.web.use(entries, user="remy", action="cohort.change")
    assert [json.loads(e["parameters"]) for e in refused[-2:]] == [
        {"cohort_definition_id": cid, "allowed": False, "owner": "rita"}
    ] * 2
    with live.client("ada") as ada:
        r = ada.delete(f"/api/cohorts/{cid}", params={"project": "cardio"})
        assert r.status_code == 204
    assert stored_name(live, cid) == []


def test_viewers_never_write(live):
    with live.client("vic") as vic:
        made = vic.post("/api/cohorts", params={"project": "cardio"}, json=ENOXAPARIN)
        saved = vic.post("/api/search/cohort", params={"project": "cardio"}, json={"q": "douleur", "name": "vic's"})  # fmt: skip
    for r in (made, saved):
        assert (r.status_code, r.json()["detail"]) == (403, "a viewer may not write")
    assert stored_name(live, UNKNOWN) == []
    names = live.web.use(lambda wh: wh.table("cohort_definition").cohort_definition_name.to_pyarrow().to_pylist())  # fmt: skip
    assert "vic's" not in names


def test_a_saved_search_belongs_to_its_project(live):
    """A search saved under the name of another project's cohort replaced it."""
    with live.client("rita") as rita:
        cid = generate(rita, dict(ENOXAPARIN, name="pain"), "cardio")["cohort_definition_id"]  # fmt: skip
    with live.client("dora") as dora:
        r = dora.post("/api/search/cohort", params={"project": "derma"}, json={"q": "douleur", "name": "pain"})  # fmt: skip
        assert r.status_code == 200, r.text
        saved = r.json()["cohort_definition_id"]
        assert saved != cid and listed(dora, "derma")[saved] == "pain"
        again = dora.post("/api/search/cohort", params={"project": "derma"}, json={"q": "fièvre", "name": "pain"})  # fmt: skip
        assert again.json()["cohort_definition_id"] == saved  # her own: replaced
    assert stored_name(live, cid) == ["pain"]
    with live.client("rita") as rita:
        assert saved not in listed(rita, "cardio")
        r = rita.post("/api/search/cohort", params={"project": "cardio"}, json={"q": "douleur", "name": "pain"})  # fmt: skip
        assert r.json()["cohort_definition_id"] == cid  # her own, by name
    shown = live.web.use(lambda wh: __import__("entrepot.cohort", fromlist=["x"]).show_cohort(wh, cid))  # fmt: skip
    assert shown["attrition"][0]["rule"] == "search: douleur"


def test_a_job_is_seen_only_by_its_user_within_its_project(live):
    with live.client("rita") as rita:
        r = rita.post("/api/cohorts", params={"project": "cardio"}, json=dict(ENOXAPARIN, name="job"))  # fmt: skip
        job = r.json()["job"]
        assert job_of(rita, r, "cardio")["state"] == "done"
        assert rita.get(f"/api/jobs/{job}").status_code == 404  # outside its project
        assert rita.get(f"/api/jobs/{job}", params={"project": "derma"}).status_code == 404  # fmt: skip
    with live.client("remy") as remy:  # a colleague in the same project
        r = remy.get(f"/api/jobs/{job}", params={"project": "cardio"})
    assert (r.status_code, r.json()["detail"]) == (404, f"job {job}: no such job of yours")  # fmt: skip


def test_a_name_is_taken_from_its_claim_until_generation_fails(live):
    """Two requests for one name in a project, the second before the first's
    job ran, get one id (not two cohorts of that name); a run that fails
    frees the name for the project's other users."""
    from entrepot.cohort._perimeter import saved_as
    from entrepot.privacy import authorise

    rita = live.web.use(authorise, "rita", "write", "cardio")
    first = live.web.use(saved_as, rita, "claimed")
    assert live.web.use(saved_as, rita, "claimed") == first
    dora = live.web.use(authorise, "dora", "write", "derma")
    assert live.web.use(saved_as, dora, "claimed") != first
    broken = dict(ENOXAPARIN, name="freed", exit={"offset": {"days": 2_000_000_000}})
    with live.client("rita") as api:
        r = api.post("/api/cohorts", params={"project": "cardio"}, json=broken)
        assert job_of(api, r, "cardio")["state"] == "failed"
    with live.client("remy") as api:
        made = generate(api, dict(ENOXAPARIN, name="freed"), "cardio")
    assert stored_name(live, made["cohort_definition_id"]) == ["freed"]


def test_the_cli_saves_cohorts_of_no_project(live, tmp_path):
    """`entrepot cohort run` acts warehouse-wide: a name used in a project
    makes a cohort of no project, which it replaces when run again; projects
    do not see it, an administrator without a project sees both."""
    with live.client("rita") as rita:
        mine = generate(rita, dict(ENOXAPARIN, name="shared"), "cardio")
    file = tmp_path / "shared.json"
    file.write_text(json.dumps(dict(ENOXAPARIN, name="shared")))

    def cli() -> int:
        run = subprocess.run(
            [sys.executable, "-m", "entrepot", "cohort", "run", str(file), "--json",
             "--warehouse", str(live.path)],
            capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        return json.loads(run.stdout)["cohort_definition_id"]

    made = cli()
    assert made != mine["cohort_definition_id"] and cli() == made
    with live.client("rita") as rita:
        assert made not in listed(rita, "cardio")
        assert listed(rita, "cardio")[mine["cohort_definition_id"]] == "shared"
    with live.client("ada") as ada:
        every = {c["id"]: c["name"] for c in ada.get("/api/cohorts").json()}
    assert every[made] == every[mine["cohort_definition_id"]] == "shared"


def _routes_with_project(app) -> list[tuple[str, str]]:
    """Every route (API and page) that takes `?project=`."""
    found = []
    for c in iter_route_contexts(app.routes):
        route = c.original_route
        if not isinstance(route, APIRoute):
            continue
        names = {p.alias for p in route.dependant.query_params}
        names |= {
            p.alias for d in _dependencies(route.dependant) for p in d.query_params
        }
        if "project" in names:
            found += [(m, c.path) for m in sorted(route.methods)]
    return found


def _dependencies(dependant):
    for d in dependant.dependencies:
        yield d
        yield from _dependencies(d)


@pytest.mark.parametrize("user,theirs", [("dora", "cardio"), ("vic", "derma"), ("rita", "htn")])  # fmt: skip
def test_an_outsider_cannot_tell_whether_a_project_exists(live, user, theirs):
    """On every route that takes ?project=, a project one is not a member of
    answers exactly as a project that does not exist."""
    routes = _routes_with_project(live.app)
    assert ("GET", "/api/cohorts") in routes and ("GET", "/api/jobs/{job_id}") in routes
    with live.client(user) as api:
        for method, path in routes:
            url = re.sub(r"\{\w+\}", "1", path)
            body = {} if method in ("POST", "PUT", "PATCH") else None
            answers = [
                api.request(method, url, params={"project": p, "q": "douleur"}, json=body)
                for p in (theirs, "no-such-project")
            ]  # fmt: skip
            seen = [(r.status_code, r.text.replace(p, "P")) for r, p in zip(answers, (theirs, "no-such-project"), strict=True)]  # fmt: skip
            assert seen[0] == seen[1], (method, path, seen)
            assert seen[0][0] in (403, 404), (method, path, seen)
