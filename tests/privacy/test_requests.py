"""Projects asked of the data office and extracts of a cohort: the state
machine (each refused step with its message), k-anonymity on a cohort with a
known small group, the files produced through the gate, the audit of every
step. A hand-made warehouse of 14 persons: a cohort of 12 of them, born in
1950 (6), 1960 (5) and 1970 (1), all women."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from entrepot.errors import (
    AccessDeniedError,
    ConflictError,
    NotFoundError,
    PrivacyError,
)
from entrepot.privacy import (
    Decision,
    add_user,
    amend_request,
    approve_extract,
    approve_request,
    authorise,
    entries,
    list_projects,
    list_requests,
    produce_extract,
    refuse_extract,
    refuse_request,
    request_extract,
    request_project,
    set_mask_threshold,
    set_workspaces,
    workspace,
)
from entrepot.warehouse import Warehouse

PASSWORD = "correct horse battery"
COHORT = 7
BORN = {**dict.fromkeys(range(1, 7), 1950), **dict.fromkeys(range(7, 12), 1960),
        12: 1970, 13: 1950, 14: 1950}  # fmt: skip
FEMALE = 8532


def _append(wh, schema: str, name: str, rows: list[dict]) -> None:
    table = pa.Table.from_pylist(rows, schema=wh.table(name).schema().to_pyarrow())
    with wh.store.transaction() as tx:
        tx.append(schema, name, wh.store.from_arrow(table))


@pytest.fixture(scope="module")
def made(new_duckdb, tmp_path_factory) -> Path:
    """The warehouse, made once (each test works on a copy)."""
    path = tmp_path_factory.mktemp("requests") / "eds.duckdb"
    wh = new_duckdb(path)
    _append(wh, "cdm", "person", [
        {"person_id": p, "year_of_birth": y, "gender_concept_id": FEMALE,
         "race_concept_id": 0, "ethnicity_concept_id": 0} for p, y in BORN.items()
    ])  # fmt: skip
    # one stay's diagnosis each in 2020; person 1 another in 2018 (before the dates)
    _append(wh, "cdm", "condition_occurrence", [
        {"condition_occurrence_id": i, "person_id": p, "condition_concept_id": 320128,
         "condition_start_date": d, "condition_type_concept_id": 32817}
        for i, (p, d) in enumerate([*((p, date(2020, 3, p)) for p in BORN),
                                    (1, date(2018, 5, 1))], 1)
    ])  # fmt: skip
    _append(wh, "results", "cohort_definition",
            [{"cohort_definition_id": COHORT, "cohort_definition_name": "htn"}])  # fmt: skip
    _append(wh, "results", "cohort", [
        {"cohort_definition_id": COHORT, "subject_id": p,
         "cohort_start_date": date(2020, 1, 1), "cohort_end_date": date(2020, 12, 31)}
        for p in range(1, 13)
    ])  # fmt: skip
    for name, role in (("rita", "researcher"), ("remy", "researcher"),
                       ("otto", "data_office"), ("ada", "admin")):  # fmt: skip
        add_user(wh, name, role, PASSWORD)
    set_mask_threshold(wh, 5)
    wh.close()
    return path


@pytest.fixture
def wh(made, tmp_path):
    shutil.copy(made, tmp_path / "eds.duckdb")
    wh = Warehouse.open(tmp_path / "eds.duckdb")
    set_workspaces(wh, tmp_path / "workspaces")
    yield wh
    wh.close()


def _ask(wh, name: str = "htn-2020", **more) -> dict:
    asked = dict(cohort_id=COHORT, domains=["condition_occurrence"],
                 start=date(2020, 1, 1), end=date(2020, 12, 31), members=["remy"])  # fmt: skip
    return request_project(
        wh, authorise(wh, "rita", "request"), name,
        "Hypertension in 2020: treatments and outcomes", "MR-004", **asked | more,
    )  # fmt: skip


def _office(wh) -> Decision:
    return authorise(wh, "otto", "approve")


def test_a_request_amended_then_approved_makes_the_project(wh):
    asked = _ask(wh)
    assert (asked["request_id"], asked["state"], asked["members"]) == (1, "pending", ["rita", "remy"])  # fmt: skip
    amended = amend_request(wh, _office(wh), 1, {"start": date(2020, 2, 1)},
                            "Only after the new protocol of February")  # fmt: skip
    assert (amended["state"], amended["start"]) == ("pending", date(2020, 2, 1))
    approved = approve_request(wh, _office(wh), 1, "OK")
    assert approved["state"] == "approved"
    project = next(p for p in list_projects(wh) if p["name"] == "htn-2020")
    assert (project["cohort_id"], project["domains"], project["start_date"], project["end_date"]) == (
        COHORT, "condition_occurrence", date(2020, 2, 1), date(2020, 12, 31))  # fmt: skip
    # the requester sees every step and its comment
    seen = list_requests(wh, "rita")
    assert [(s["event"], s["by"], s["comment"]) for s in seen[0]["steps"]] == [
        ("requested", "rita", None),
        ("amended", "otto", "Only after the new protocol of February"),
        ("approved", "otto", "OK"),
    ]
    assert list_requests(wh, "remy")[0]["request_id"] == 1  # a member sees it too
    assert list_requests(wh, "ada") == []
    assert authorise(wh, "remy", "read", "htn-2020").project == "htn-2020"
    actions = [e["action"] for e in entries(wh) if e["action"].startswith(("request.", "project."))]  # fmt: skip
    assert actions == ["request.submit", "request.amend", "project.add",
                       "project.member", "project.member", "request.approve"]  # fmt: skip


@pytest.mark.parametrize(
    ("step", "error", "message"),
    [
        (lambda wh: authorise(wh, "rita", "approve"), AccessDeniedError,
         "a researcher may not approve"),
        (lambda wh: authorise(wh, "ada", "approve"), AccessDeniedError,
         "a admin may not approve"),
        (lambda wh: authorise(wh, "otto", "request"), AccessDeniedError,
         "a data_office may not request"),
        (lambda wh: approve_request(wh, authorise(wh, "rita", "request"), 1),
         AccessDeniedError, "a decision to request does not approve"),
        (lambda wh: approve_request(wh, Decision("rita", "data_office", "approve", None, None, None), 1),
         AccessDeniedError, "request 1: rita asked for it and cannot decide on it"),
        (lambda wh: approve_request(wh, _office(wh), 2), NotFoundError,
         "request 2: no such request"),
        (lambda wh: refuse_request(wh, _office(wh), 1, " "), PrivacyError,
         "comment: a refusal needs a comment"),
        (lambda wh: amend_request(wh, _office(wh), 1, {"name": "x"}, "why"),
         PrivacyError, r"changes: name \(amendable: summary, legal_basis"),
        (lambda wh: amend_request(wh, _office(wh), 1, {"members": ["zed"]}, "why"),
         PrivacyError, "members: no user 'zed'"),
        (lambda wh: _ask(wh), ConflictError,
         "name: project 'htn-2020' exists or is asked for already"),
        (lambda wh: _ask(wh, "../etc"), PrivacyError,
         r"name: '../etc' is not 1 to 100 letters"),
        (lambda wh: _ask(wh, "b", start=date(2021, 1, 1)), PrivacyError,
         "dates: end 2020-12-31 is before start 2021-01-01"),
        (lambda wh: _ask(wh, "b", cohort_id=99), PrivacyError, "cohort_id: no cohort 99"),
        # a project still asked for does not exist: no one works in it
        (lambda wh: authorise(wh, "rita", "export", "htn-2020"), AccessDeniedError,
         "user 'rita' is not a member of project 'htn-2020'"),
    ],
)  # fmt: skip
def test_refused_steps_of_a_pending_request(wh, step, error, message):
    _ask(wh)
    with pytest.raises(error, match=message):
        step(wh)


def test_no_second_decision_on_a_request(wh):
    _ask(wh)
    _ask(wh, "other")
    approve_request(wh, _office(wh), 1)
    refuse_request(wh, _office(wh), 2, "No legal basis for this use")
    for call, message in (
        (lambda: approve_request(wh, _office(wh), 1), "request 1 is approved already: it cannot be approved"),
        (lambda: refuse_request(wh, _office(wh), 1, "no"), "request 1 is approved already: it cannot be refused"),
        (lambda: amend_request(wh, _office(wh), 2, {"summary": "x"}, "y"), "request 2 is refused already: it cannot be amended"),
        (lambda: approve_request(wh, _office(wh), 2), "request 2 is refused already: it cannot be approved"),
    ):  # fmt: skip
        with pytest.raises(ConflictError, match=message):
            call()
    with pytest.raises(AccessDeniedError, match="user 'rita' is not a member of project 'other'"):  # fmt: skip
        authorise(wh, "rita", "export", "other")
    assert [e["action"] for e in entries(wh, action="request.refuse")] == [
        "request.refuse"
    ]


@pytest.fixture
def project(wh) -> str:
    _ask(wh)
    approve_request(wh, _office(wh), 1)
    return "htn-2020"


def test_k_anonymity_of_an_extract_with_a_small_group(wh, project):
    asked = request_extract(
        wh, authorise(wh, "remy", "export", project), COHORT,
        {"person": ["person_id", "year_of_birth", "gender_concept_id"]},
    )  # fmt: skip
    assert asked["state"] == "pending"
    assert asked["kanon"] == {
        "quasi_identifiers": ["person.year_of_birth", "person.gender_concept_id"],
        "k": 1,  # the one woman born in 1970
        "groups": 3,  # 1950: 6, 1960: 5, 1970: 1
        "persons": 12,
        "persons_below_k": 1,  # 5 reaches the threshold of 5
        "required": 5,
        "reached": False,
    }
    logged = entries(wh, action="extract.kanon")
    assert (logged[-1]["persons"], logged[-1]["project"]) == (12, project)
    with pytest.raises(PrivacyError, match="extract 1: k = 1 is below 5: refuse it"):
        approve_extract(wh, _office(wh), 1)
    refused = refuse_extract(wh, _office(wh), 1, "Birth years single out a patient")
    assert refused["state"] == "refused"
    with pytest.raises(ConflictError, match="extract 1 is refused: the data office refused it"):  # fmt: skip
        produce_extract(wh, authorise(wh, "remy", "export", project), 1)


def test_an_approved_extract_is_produced_inside_the_perimeter(wh, project):
    member = authorise(wh, "rita", "export", project)
    columns = {"person": ["person_id", "gender_concept_id"],
               "condition_occurrence": ["person_id", "condition_start_date"]}  # fmt: skip
    asked = request_extract(wh, member, COHORT, columns, "csv")
    assert (asked["kanon"]["k"], asked["kanon"]["reached"]) == (12, True)
    for call, error, message in (
        (lambda: produce_extract(wh, member, 1), ConflictError, "extract 1 is pending: the data office has not approved it"),
        (lambda: approve_extract(wh, Decision("rita", "data_office", "approve", None, None, None), 1),
         AccessDeniedError, "extract 1: rita asked for it and cannot decide on it"),
        (lambda: request_extract(wh, member, COHORT, {"note": ["note_text"]}), AccessDeniedError,
         "table note is outside the project's perimeter"),
        (lambda: request_extract(wh, member, COHORT, {"person": ["nir"]}), PrivacyError,
         "columns: person has no column 'nir'"),
        (lambda: request_extract(wh, member, 99, columns), NotFoundError, "cohort 99: no such cohort"),
    ):  # fmt: skip
        with pytest.raises(error, match=message):
            call()
    approve_extract(wh, _office(wh), 1, "k reached")
    with pytest.raises(ConflictError, match="extract 1 is approved already: it cannot be approved"):  # fmt: skip
        approve_extract(wh, _office(wh), 1)
    done = produce_extract(wh, member, 1)
    folder = workspace(wh, project) / "extract-1"
    assert (done["state"], done["folder"]) == ("produced", str(folder))
    assert done["files"] == {"person.csv": 12, "condition_occurrence.csv": 12}
    with (folder / "person.csv").open() as f:
        person = list(csv.DictReader(f))
    assert list(person[0]) == ["person_id", "gender_concept_id"]
    assert sorted(int(r["person_id"]) for r in person) == list(range(1, 13))
    with (folder / "condition_occurrence.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["person_id", "condition_start_date"]
    # the cohort's persons only (not 13, 14), within the project's dates (not 2018)
    assert sorted((int(r["person_id"]), r["condition_start_date"]) for r in rows) == [
        (p, f"2020-03-{p:02d}") for p in range(1, 13)
    ]
    with pytest.raises(ConflictError, match="extract 1 is produced: it was produced already"):  # fmt: skip
        produce_extract(wh, member, 1)
    steps = [(e["action"], e["user"]) for e in entries(wh, project=project)
             if e["action"].startswith(("extract.", "export"))]  # fmt: skip
    assert steps == [("extract.request", "rita"), ("extract.kanon", "rita"),
                     ("extract.approve", "otto"), ("export", "rita"),
                     ("extract.produce", "rita")]  # fmt: skip
    export = entries(wh, action="export")[-1]
    assert (export["rows"], export["persons"]) == (24, 12)


def test_a_workspace_is_never_a_path(wh):
    for name in ("..", "../x", "a/b", ".hidden"):
        with pytest.raises(PrivacyError, match="cannot name a workspace folder"):
            workspace(wh, name)


def test_an_amendment_keeps_the_requester_a_member(wh):
    _ask(wh)
    amended = amend_request(wh, _office(wh), 1, {"members": []}, "remy left")
    assert amended["members"] == ["rita"]
    with pytest.raises(PrivacyError, match="summary: the protocol's summary is empty"):
        amend_request(wh, _office(wh), 1, {"summary": None}, "no summary")
