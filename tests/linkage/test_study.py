"""`entrepot link study`: a research database's REDCap export loaded for the
patients it shares with the warehouse, matched by pseudonym, its rows seen
only by projects granted the study."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pyarrow.parquet as pq
import pytest

from entrepot.cli import main
from entrepot.cohort import load_definition, run_cohort
from entrepot.linkage import link_study
from entrepot.privacy import (
    Caller,
    Perimeter,
    add_project,
    grant_study,
    person_id,
    pseudonym,
    read_key_file,
    shift_days,
)
from entrepot.subgroups import build_features, load_spec
from entrepot.warehouse import Warehouse

from .linked_hospital import DICTIONARY, EXPORT, INTEGRA, IPPS, fill, key_file

CONSENT = "diabetes and cardiovascular research at the CHU; no commercial use"
#: What the example export gives (worked out by hand from its nine rows).
COUNTS = {
    "rows": 9, "matched": 8, "unmatched": 1, "unmatched_lines": [10],
    "undated": 1, "opted_out": 0, "variables": 8, "observations": 22,
    "measurements": 20,
}  # fmt: skip


def _cli(capsys, *argv: str, code: int = 0):
    done = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert done == code, err
    assert not any(ipp in out + err for ipp in IPPS + ["9999999999"])  # never in clear
    return json.loads(out) if code == 0 else err.strip()


@pytest.fixture
def hospital(tmp_path, new_duckdb):
    """The small hospital with the bundled vocabulary (LOINC), closed; its key."""
    path = tmp_path / "eds.duckdb"
    key = key_file(tmp_path)
    with new_duckdb(path, vocabulary=True) as wh:
        fill(wh, key)
    return path, key


def _load(capsys, hospital, *extra: str) -> dict:
    path, key = hospital
    return _cli(
        capsys, "link", "study", str(EXPORT), "--id-column", "ipp", "--study",
        "INTEGRA", "--dictionary", str(DICTIONARY), "--key-file", str(key),
        "-w", str(path), *extra,
    )  # fmt: skip


def test_an_export_is_loaded_once_however_often_it_is_given(capsys, hospital):
    first = _load(capsys, hospital, "--consent", CONSENT)
    again = _load(capsys, hospital)  # the consent recorded is kept
    assert first == again
    assert {k: first[k] for k in COUNTS} == COUNTS
    assert first["standard"] == {"hba1c": "LOINC:4548-4", "weight": "LOINC:29463-7"}
    assert first["unknown_codes"] == {"diabetes_type": "SNOMED:73211009"}
    assert first["skipped"] == {
        "ipp": "identifier", "initials": "identifier",
        "comment": "free text (may identify)",
    }  # fmt: skip
    assert first["rejected"] == [
        {"line": 7, "column": "hba1c", "reason": "not a number: 'NA'"}
    ]
    assert first["consent"] == CONSENT and first["ignored_columns"] == []
    with Warehouse.open(hospital[0], read_only=True) as wh:
        assert (wh.count("observation"), wh.count("measurement")) == (22, 20)
        assert wh.count("study_row") == 42
        aside = wh.table("quarantine").to_pyarrow().to_pylist()
        study = wh.table("study").to_pyarrow().to_pylist()
    assert [r["reason"] for r in aside] == [
        "line 9: no date",
        "line 10: no such patient",
    ]
    assert [(s["name"], s["consent"], s["rows"]) for s in study] == [
        ("INTEGRA", CONSENT, 9)
    ]
    secret = read_key_file(hospital[1])
    unknown = json.loads(aside[1]["record"])
    assert unknown["ipp_pseudonym"] == pseudonym(secret, "ipp", "9999999999")
    assert "9999999999" not in aside[1]["record"]
    assert "initials" not in unknown and unknown["hba1c"] == "9.2"  # no identifier


def test_facts_carry_their_concepts_and_the_patient_s_shifted_dates(capsys, hospital):
    _load(capsys, hospital, "--consent", CONSENT)
    secret = read_key_file(hospital[1])
    shift = timedelta(days=shift_days(secret, INTEGRA[0]))
    with Warehouse.open(hospital[0], read_only=True) as wh:
        concept = wh.table("concept")
        labels = concept.filter(concept.vocabulary_id == "INTEGRA").to_pyarrow()
        m = wh.table("measurement")
        hba1c = m.filter(m.measurement_source_value == "INTEGRA:hba1c").to_pyarrow()
        o = wh.table("observation")
        kinds = o.filter(o.observation_source_value == "INTEGRA:diabetes_type")
        kinds = kinds.to_pyarrow().to_pylist()
    names = dict(zip(labels["concept_code"].to_pylist(), labels["concept_name"].to_pylist(), strict=True))  # fmt: skip
    assert names["hba1c"] == "HbA1c (%)"  # the label, markup removed
    assert names["sbp"] == "Pression artérielle systolique au cabinet (mmHg)"
    assert min(labels["concept_id"].to_pylist()) >= 2_000_000_000
    assert sorted(hba1c["value_as_number"].to_pylist()) == [
        6.8,
        7.0,
        7.4,
        7.6,
        7.9,
        8.1,
    ]
    first = person_id(secret, INTEGRA[0])
    days = [r["measurement_date"] for r in hba1c.to_pylist() if r["person_id"] == first]
    visits = [date(2023, 1, 10), date(2023, 7, 12), date(2024, 1, 15)]
    assert sorted(days) == [d + shift for d in visits]
    assert {r["value_as_string"] for r in kinds} == {"Type 1", "Type 2", "Autre"}
    assert {r["observation_type_concept_id"] for r in kinds} == {32809}


def test_only_projects_granted_the_study_see_its_rows(capsys, hospital, tmp_path):
    """Two projects, exported as the release gate lets them: the one granted
    INTEGRA gets its rows, the other none of them."""
    path = hospital[0]
    _load(capsys, hospital, "--consent", CONSENT)
    with Warehouse.open(path) as wh:
        add_project(wh, "diabetes")
        add_project(wh, "other")
    granted = _cli(capsys, "link", "grant", "INTEGRA", "--project", "diabetes",
                   "-w", str(path))  # fmt: skip
    assert granted == {"study": "INTEGRA", "project": "diabetes"}
    seen = {}
    for project in ("diabetes", "other"):
        out = _cli(capsys, "export", str(tmp_path / project), "--project", project,
                   "-t", "observation", "-t", "measurement", "-w", str(path))  # fmt: skip
        seen[project] = out["rows"]
    assert seen == {
        "diabetes": {"observation": 22, "measurement": 20},
        "other": {"observation": 0, "measurement": 0},
    }
    refused = _cli(capsys, "link", "grant", "NOPE", "--project", "other",
                   "-w", str(path), code=2)  # fmt: skip
    assert refused == "entrepot: error: study: no study 'NOPE' was loaded"


#: Everyone observed (the projects' perimeter); those with a blood pressure
#: measured in INTEGRA (a study concept): its first four patients.
EVERYONE = "name: observed\nentry: {events: [{observation_period: {}}]}\n"
SBP = """name: INTEGRA blood pressure
concept_sets: {sbp: {items: [{vocabulary: INTEGRA, code: sbp}]}}
entry: {events: [{measurement: {concept_set: sbp}}]}
"""
#: A study concept, and a standard one (LOINC HbA1c) whose rows the study brought.
SPEC = """name: INTEGRA features
concept_sets:
  sbp: {items: [{vocabulary: INTEGRA, code: sbp}]}
  hba1c: {items: [{vocabulary: LOINC, code: 4548-4}]}
features:
  sbp_measured: {presence: {measurement: {concept_set: sbp}}}
  hba1c_max: {max: {measurement: {concept_set: hba1c}}}
"""
#: HbA1c's highest value of each INTEGRA patient (the third's was "NA").
HBA1C_MAX = [8.1, 7.9, None, 6.8]


@pytest.fixture(scope="module")
def projects(tmp_path_factory, new_duckdb):
    """The hospital with INTEGRA loaded, everyone observed as cohort 1, and
    two projects of that perimeter: `diabetes` granted INTEGRA, `other` not.
    (warehouse, definitions folder, {IPP: person_id})."""
    folder = tmp_path_factory.mktemp("study-projects")
    path, key = folder / "eds.duckdb", key_file(folder)
    for name, text in (("everyone.yaml", EVERYONE), ("sbp.yaml", SBP),
                       ("spec.yaml", SPEC)):  # fmt: skip
        (folder / name).write_text(text)
    with new_duckdb(path, vocabulary=True) as wh:
        ids = fill(wh, key)
        link_study(
            wh, EXPORT, id_column="ipp", study="INTEGRA", key=read_key_file(key),
            dictionary=DICTIONARY, consent=CONSENT,
        )  # fmt: skip
        assert run_cohort(wh, folder / "everyone.yaml", cohort_id=1).count == 30
        for project in ("diabetes", "other"):
            add_project(wh, project, cohort_id=1)
        grant_study(wh, "diabetes", "INTEGRA")
    return path, folder, ids


def test_a_cohort_of_a_study_concept_counts_only_in_projects_granted_it(
    capsys, projects
):
    """Through the CLI: 4 persons in the project granted INTEGRA and for the
    data office warehouse-wide, none in the other project (cohort, attrition
    and the rows stored)."""
    path, folder, _ = projects
    found = {}
    for cohort_id, project in ((2, "diabetes"), (3, "other"), (4, None)):
        scope = ["--project", project] if project else []
        out = _cli(capsys, "cohort", "run", str(folder / "sbp.yaml"), "--id",
                   str(cohort_id), *scope, "-w", str(path))  # fmt: skip
        found[project] = (out["count"], out["entries"], out["attrition"][0]["persons"])
    assert found == {"diabetes": (4, 4, 4), "other": (0, 0, 0), None: (4, 4, 4)}
    with Warehouse.open(path, read_only=True) as wh:
        c = wh.table("cohort")
        stored = {
            k: c.filter(c.cohort_definition_id == k).subject_id.nunique().execute()
            for k in (2, 3, 4)
        }
    assert stored == {2: 4, 3: 0, 4: 4}


def test_the_python_api_runs_a_cohort_within_a_project(projects):
    """One cohort id regenerated in one store: the statements it prepared for
    one project are not reused for another."""
    path, folder, _ = projects
    definition = load_definition(folder / "sbp.yaml")
    counts = {}
    with Warehouse.open(path) as wh:
        for project in ("diabetes", "other", None):
            decision = Caller("dpo", True).decide(wh, "count", project, target="t")
            found = run_cohort(wh, definition, cohort_id=5, decision=decision)
            counts[project] = found.count
        assert run_cohort(wh, definition, cohort_id=5).count == 4  # no decision
    assert counts == {"diabetes": 4, "other": 0, None: 4}


def test_features_of_a_study_concept_are_empty_in_projects_not_granted_it(
    capsys, projects
):
    """`entrepot features` and `build_features`: the study's rows (its own
    concept's and a standard one's) only in the project granted it."""
    path, folder, ids = projects
    first = [ids[ipp] for ipp in INTEGRA]
    seen = {}
    for project in ("diabetes", "other", None):
        scope = ["--project", project] if project else []
        out = folder / f"features-{project}.parquet"
        _cli(capsys, "features", "1", "--spec", str(folder / "spec.yaml"), "--out",
             str(out), *scope, "-w", str(path))  # fmt: skip
        seen[project] = pq.read_table(out).to_pylist()
    for project, rows in seen.items():
        assert len(rows) == 30, project
        by_person = {r["person_id"]: r for r in rows}
        measured = sorted(p for p, r in by_person.items() if r["sbp_measured"])
        highest = [by_person[p]["hba1c_max"] for p in first]
        if project == "other":
            assert measured == [] and highest == [None] * 4
        else:
            assert measured == sorted(first) and highest == HBA1C_MAX, project
    spec = load_spec(folder / "spec.yaml")
    with Warehouse.open(path) as wh:
        for project, expected in (("diabetes", 4), ("other", 0)):
            decision = Caller("dpo", True).decide(wh, "export", project, target="t")
            table = build_features(wh, 1, spec, decision).table
            assert sum(table["sbp_measured"].to_pylist()) == expected, project


def test_opted_out_patients_are_left_out(capsys, hospital):
    path, key = hospital
    assert main(["optout", "add", INTEGRA[0], "--key-file", str(key), "-w",
                 str(path), "-q"]) == 0  # fmt: skip
    capsys.readouterr()
    found = _load(capsys, hospital, "--consent", CONSENT)
    assert (found["opted_out"], found["matched"], found["unmatched"]) == (3, 5, 1)
    assert found["measurements"] == 11


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id-column", "IPP"], "--id-column 'IPP' is not a column (columns: 'ipp',"),
        (["--study", "INTEGRA STUDY"], "--study: 'INTEGRA STUDY' is not a vocabulary"),
        (["--consent", " "], "--consent: study INTEGRA is new"),
        (["--dictionary", str(EXPORT)], "not a REDCap data dictionary (no column"),
        (["--study", "LOINC"], "LOINC is a vocabulary of the warehouse that"),
    ],
)
def test_bad_input_gets_one_line(capsys, hospital, args, message):
    path, key = hospital
    argv = {"--id-column": "ipp", "--study": "INTEGRA", "--consent": CONSENT,
            "--dictionary": str(DICTIONARY)}  # fmt: skip
    argv |= dict(zip(args[::2], args[1::2], strict=True))
    flat = [x for pair in argv.items() for x in pair]
    error = _cli(capsys, "link", "study", str(EXPORT), *flat, "--key-file",
                 str(key), "-w", str(path), code=2)  # fmt: skip
    assert error.startswith("entrepot: error: ") and "\n" not in error
    assert message in error


def test_another_key_is_refused(capsys, hospital, tmp_path):
    other = tmp_path / "other.key"
    other.write_text("cd" * 32)
    os.chmod(other, 0o600)
    path = hospital[0]
    error = _cli(capsys, "link", "study", str(EXPORT), "--id-column", "ipp",
                 "--study", "INTEGRA", "--consent", CONSENT, "--key-file",
                 str(other), "-w", str(path), code=2)  # fmt: skip
    assert "pseudonymised with another key" in error


@pytest.mark.parametrize(
    "engine", [pytest.param("spark", marks=pytest.mark.spark)], indirect=True
)
def test_a_study_loads_on_spark(make_warehouse, tmp_path):
    """Without the bundled vocabulary, coded fields keep the study's concepts."""
    key = key_file(tmp_path)
    wh = make_warehouse("eds")
    fill(wh, key)
    found = link_study(
        wh, EXPORT, id_column="ipp", study="INTEGRA", key=read_key_file(key),
        dictionary=DICTIONARY, consent=CONSENT,
    ).summary()  # fmt: skip
    assert {k: found[k] for k in COUNTS} == COUNTS
    assert len(found["unknown_codes"]) == 3 and found["standard"] == {}
    assert (wh.count("observation"), wh.count("measurement")) == (22, 20)
    add_project(wh, "diabetes")
    grant_study(wh, "diabetes", "INTEGRA")
    seen = {
        p: Perimeter(project=p).table(wh, "measurement").count().to_pyarrow().as_py()
        for p in ("diabetes", "other")
    }
    assert seen == {"diabetes": 20, "other": 0}


def test_without_its_dictionary_an_export_keeps_numbers_and_dates(hospital):
    """Fields are read from the values: dates and numbers are loaded, the
    rest (initials, a comment, an HbA1c column holding "NA") left out."""
    path, key = hospital
    with Warehouse.open(path) as wh:
        found = link_study(
            wh, EXPORT, id_column="ipp", study="INTEGRA", key=read_key_file(key),
            consent=CONSENT,
        ).summary()  # fmt: skip
    assert set(found["skipped"]) == {"initials", "hba1c", "comment"}
    assert found["variables"] == 9  # weight, sbp, insulin, 3 checkboxes, type, 2 dates
    assert (found["measurements"], found["observations"]) == (46, 4)
