"""Structured extraction from the web API: a data engineer reads the brain MRI
schema from the reports of a saved cohort with the rules, in the background;
members count the persons with each value (through the release gate), and
those who may read notes review each report with its evidence marked. On a
copy of the session's synthetic hospital, with a report that holds HTML."""

from __future__ import annotations

import html
import re
import shutil
import time
from datetime import date

import pyarrow as pa
import pytest

from entrepot.extraction import read_extractions
from entrepot.privacy import add_project, add_user
from entrepot.warehouse import Warehouse
from tests.cohort.conftest import write_tables
from tests.web.conftest import PASSWORD, LiveServer

#: A project of the whole warehouse whose counts are not masked (exact
#: figures to compare), and the project "cardio" of the session's users.
PROJECT, MASKED = "mri", "cardio"
MRI = "IRM cérébrale"
HEADACHE = {
    "name": "headache",
    "concept_sets": {
        "h": {
            "items": [
                {"vocabulary": "CIM10", "code": c, "descendants": True}
                for c in ("R51", "G43", "G44")
            ]
        }
    },
    "entry": {"events": [{"domain": "condition", "concept_set": "h"}]},
}
#: A report whose text is HTML: it must show as text, never as markup.
HOSTILE_ID = 10**9
HOSTILE = (
    "Indication : céphalées brutales <script>alert('x')</script>.\n"
    "Technique : injection de gadolinium.\n"
    'Résultats : <img src=x onerror="alert(1)"> & examen normal.'
)
RUN = {"schema": "brain_mri", "cohort": "headache", "note_titles": [MRI]}


def serve_mri(web_file, folder):
    """A server on a copy of the session's hospital with project `mri`
    (mask_below 1), its data engineer (eng), researcher (nina) and viewer
    (val), the hostile report for a person with a brain MRI, and the cohort
    of persons with headache that nina saved in the project."""
    copy = folder / "eds.duckdb"
    shutil.copy(web_file, copy)
    with Warehouse.open(copy) as wh:
        add_project(wh, PROJECT, mask_below=1)
        for name, role in (("eng", "data_engineer"), ("nina", "researcher"),
                           ("val", "viewer")):  # fmt: skip
            add_user(wh, name, role, PASSWORD, projects=(PROJECT,))
        notes = wh.table("note")
        mri = notes.filter(notes.note_title == MRI).order_by("note_id").limit(1)
        person = mri.person_id.to_pyarrow().to_pylist()[0]
        write_tables(wh, {"note": pa.table({
            "note_id": [HOSTILE_ID], "person_id": [person],
            "note_date": [date(2024, 1, 2)], "note_title": [MRI],
            "note_type_concept_id": [32817], "note_class_concept_id": [0],
            "note_text": [HOSTILE], "encoding_concept_id": [0],
            "language_concept_id": [0],
        })})  # fmt: skip
    server = LiveServer(copy)
    with server.client("nina") as api:
        r = api.post("/api/cohorts", params={"project": PROJECT}, json=HEADACHE)
        assert finished(api, r.json()["job"])["state"] == "done"
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live(web_file, tmp_path_factory):
    yield from serve_mri(web_file, tmp_path_factory.mktemp("web-extractions"))


def finished(api, job: int, project: str = PROJECT) -> dict:
    for _ in range(1200):
        status = api.get(f"/api/jobs/{job}", params={"project": project}).json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not end: {status}")


def extracted(live) -> dict:
    """The engineer's run (once per server): its job's status."""
    if not hasattr(live, "extraction"):
        with live.client("eng") as api:
            r = api.post("/api/extractions", params={"project": PROJECT}, json=RUN)
            assert r.status_code == 202, r.text
            live.extraction = finished(api, r.json()["job"])
    return live.extraction


def truth(live) -> tuple[list[dict], dict[int, str]]:
    """The rows the run wrote, and the texts of their notes (read directly)."""

    def read(wh):
        rows = read_extractions(wh, "brain_mri")
        ids = sorted({r["note_id"] for r in rows})
        notes = wh.table("note")
        found = notes.filter(notes.note_id.isin(ids)).to_pyarrow().to_pylist()
        return rows, {n["note_id"]: n["note_text"] for n in found}

    return live.web.use(read)


def test_a_run_reads_the_cohorts_mri_reports_with_the_rules(live):
    status = extracted(live)
    assert status["state"] == "done", status["error"]
    rows, texts = truth(live)
    summary = status["result"]
    assert summary["backend"] == "rules" and summary["schema"] == "brain_mri"
    assert summary["extracted"] == summary["notes"] == len(texts) > 1
    assert HOSTILE_ID in texts
    assert summary["rows"] == len(rows) == 4 * len(texts)
    assert {r["backend"] for r in rows} == {"rules"}
    headache = {r["note_id"]: r["value"] for r in rows if r["field"] == "headache"}
    assert headache[HOSTILE_ID] is True
    with live.client("eng") as api:
        again = api.post("/api/extractions", params={"project": PROJECT}, json=RUN)
        second = finished(api, again.json()["job"])["result"]
    assert (second["extracted"], second["skipped"]) == (0, len(texts))


def test_counts_are_the_persons_with_each_value(live):
    extracted(live)
    rows, _ = truth(live)
    with live.client("nina") as api:
        r = api.get("/api/extractions", params={
            "project": PROJECT, "schema": "brain_mri", "cohort": "headache",
            "note_title": MRI,
        })  # fmt: skip
    assert r.status_code == 200, r.text
    counts = r.json()
    expected: dict[str, dict[str, set]] = {}
    for row in rows:
        value = "null" if row["value"] is None else str(row["value"]).lower()
        expected.setdefault(row["field"], {}).setdefault(value, set())
        expected[row["field"]][value].add(row["person_id"])
    assert list(counts["fields"]) == ["headache", "contrast", "abnormal",
                                      "explains_headache"]  # fmt: skip
    for field, cells in counts["fields"].items():
        assert list(cells) == ["true", "false", "null"]
        assert cells == {v: len(expected[field].get(v, ())) for v in cells}, field
    assert counts["notes"] == len({r["note_id"] for r in rows})
    assert counts["persons"] == len({r["person_id"] for r in rows})
    assert (counts["backend"], counts["notes_allowed"]) == ("rules", True)


def _marks(fragment: str) -> list[tuple[str, str]]:
    return re.findall(r'<mark data-fields="([a-z_ ]*)">([^<]*)</mark>', fragment)


def test_each_notes_evidence_is_marked_in_its_escaped_text(live):
    extracted(live)
    rows, texts = truth(live)
    with live.client("nina") as api:
        r = api.get("/api/extractions/notes", params={
            "project": PROJECT, "schema": "brain_mri", "cohort": "headache",
            "limit": 50,
        })  # fmt: skip
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == len(texts)
    assert [n["note_id"] for n in page["notes"]] == sorted(texts)[:50]
    spans = {(r["note_id"], r["field"]): [r["evidence_start"], r["evidence_end"]]
             for r in rows if r["evidence_start"] is not None}  # fmt: skip
    assert spans
    for note in page["notes"]:
        text = texts[note["note_id"]]
        fields = {(note["note_id"], f): s for f, s in note["evidence"].items()}
        assert fields == {k: v for k, v in spans.items() if k[0] == note["note_id"]}
        fragment = note["html"]
        assert html.unescape(re.sub(r"</?mark[^>]*>", "", fragment)) == text
        for field, (start, end) in note["evidence"].items():
            marked = "".join(p for f, p in _marks(fragment) if field in f.split())
            assert html.unescape(marked) == text[start:end], (note["note_id"], field)
    hostile = next(n for n in page["notes"] if n["note_id"] == HOSTILE_ID)
    start, end = hostile["evidence"]["headache"]
    assert HOSTILE[start:end].lower().startswith("céphalée")
    assert ("headache", HOSTILE[start:end]) in _marks(hostile["html"])
    assert "<script" not in hostile["html"] and "<img" not in hostile["html"]
    assert "&lt;script&gt;" in hostile["html"]
    assert re.sub(r"</?mark[^>]*>", "", hostile["html"]).count("<") == 0


def test_a_counts_only_user_gets_counts_and_no_text(live):
    extracted(live)
    asked = {"schema": "brain_mri", "cohort": "headache"}
    with live.client("val") as api:
        counts = api.get("/api/extractions", params={"project": PROJECT, **asked})
        texts = api.get("/api/extractions/notes", params={"project": PROJECT, **asked})
    assert counts.status_code == 200, counts.text
    assert counts.json()["notes_allowed"] is False
    assert counts.json()["fields"]["headache"]["true"] >= 1
    assert texts.status_code == 403
    assert texts.json()["detail"] == "a viewer may not read"


def test_counts_in_a_masked_project_are_masked(live):
    """rita saves a small cohort in cardio; the admin runs the schema on it;
    vic (viewer) sees its counts masked, as every count of the project."""
    with live.client("rita") as api:
        r = api.post("/api/cohorts", params={"project": MASKED}, json=HEADACHE)
        assert finished(api, r.json()["job"], MASKED)["state"] == "done"
    with live.client("ada") as api:
        r = api.post("/api/extractions", params={"project": MASKED}, json=RUN)
        assert finished(api, r.json()["job"], MASKED)["state"] == "done"
    with live.client("vic") as api:
        r = api.get(
            "/api/extractions",
            params={"project": MASKED, "schema": "brain_mri", "cohort": "headache"},
        )
    counts = r.json()
    assert counts["mask_below"] == 10
    cells = [v for cells in counts["fields"].values() for v in cells.values()]
    assert all(v == 0 or v == "<10" or v == "*" or v >= 10 for v in cells), cells
    assert "<10" in cells
    assert counts["notes"] == "*"  # a row count beside persons, to a viewer


@pytest.mark.parametrize(
    ("user", "project", "body", "status", "detail"),
    [
        ("eng", PROJECT, RUN | {"schema": "nope"}, 400,
         "schema 'nope': not a shipped schema (brain_mri)"),
        ("eng", PROJECT, RUN | {"cohort": "no such cohort"}, 404,
         "no cohort named 'no such cohort' in warehouse"),
        ("nina", PROJECT, RUN, 403, "a researcher may not ingest"),
    ],
)  # fmt: skip
def test_a_run_is_refused_at_once(live, user, project, body, status, detail):
    with live.client(user) as api:
        r = api.post("/api/extractions", params={"project": project}, json=body)
    assert r.status_code == status, r.text
    assert (
        list(r.json()) == ["detail", "code", "message"] and detail in r.json()["detail"]
    )


def test_a_cohort_of_another_project_is_refused(live):
    """The cohort nina saved in `mri` is unknown from cardio, by id too."""
    with live.client("nina") as api:
        mine = api.get("/api/cohorts", params={"project": PROJECT}).json()
    cohort = next(c["id"] for c in mine if c["name"] == "headache")
    with live.client("rita") as api:
        r = api.get(
            "/api/extractions",
            params={"project": MASKED, "schema": "brain_mri", "cohort": str(cohort)},
        )
        u = api.get(
            "/api/extractions/notes",
            params={"project": MASKED, "schema": "nope", "cohort": str(cohort)},
        )
    assert r.status_code == 404 and list(r.json()) == ["detail", "code", "message"]
    assert u.status_code == 400
    assert u.json()["detail"] == "schema 'nope': not a shipped schema (brain_mri)"


def test_overlapping_evidence_is_marked_once_per_stretch():
    from entrepot.web.api._extractions import marked

    assert marked("a<b>c", {"x": [0, 3], "y": [2, 5]}) == (
        '<mark data-fields="x">a&lt;</mark><mark data-fields="x y">b</mark>'
        '<mark data-fields="y">&gt;c</mark>'
    )
    assert marked('"&"', {"z": [2, 99], "e": [1, 1]}) == (
        '&quot;&amp;<mark data-fields="z">&quot;</mark>'
    )
