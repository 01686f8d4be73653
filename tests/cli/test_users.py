"""The command line is a user too: every command that reads patient data goes
through the release gate as someone (the OS account or `--user`), is audited,
and shows a registered user their role's view: small counts masked, nothing
outside the project's perimeter. Run for real: the CLI in this process as
root (the administrator), and in a process of another OS account."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer

from entrepot.cli import app, main
from entrepot.cohort import run_cohort
from entrepot.model import load_study, train_study
from entrepot.privacy import add_project, add_user, entries, os_account
from entrepot.warehouse import Warehouse

from ..cohort.conftest import build_tiny
from ..model.conftest import TINY_STUDY

PASSWORD = "correct horse battery"
GI = """\
name: GI bleeds
concept_sets:
  gi: {items: [{vocabulary: CIM10, code: K92, descendants: true}]}
entry:
  events: [{condition: {concept_set: gi}}]
exit:
  offset: {days: 30}
"""
PERIMETER = 900  # the GI cohort: persons 1, 2 and 3
SPEC = """\
name: GI
concept_sets:
  gi: {items: [{vocabulary: CIM10, code: K92, descendants: true}]}
  drug: {items: [{vocabulary: ATC, code: X01}]}
features:
  age: age
  drug: {presence: {drug: {concept_set: drug}}}
  gi_before: {count: {condition: {concept_set: gi}}, window: {end: -1}}
"""
#: note_id -> (person_id, text); person 4 is outside the project's perimeter.
NOTES = {
    1: (1, "Lupus systémique connu."),
    2: (2, "Lupus érythémateux disséminé."),
    3: (4, "Lupus cutané, hors du projet."),
}

#: Every command that reads patient data -> (its arguments after the command,
#: the audit action of what it released).
PATIENT_DATA = {
    "export": (["OUT", "--all"], "export"),
    "tables": ([], "tables"),
    "describe": (["--top", "2"], "describe"),
    "quality": (["--only", "end_before_start"], "quality"),
    "index": (["--workers", "1"], "index"),
    "search": (["lupus"], "search"),
    "cohort run": (["GI", "--id", "7"], "release.cohort.run"),
    "cohort list": ([], "cohort.list"),
    "cohort show": ([str(PERIMETER)], "cohort.show"),
    "cohort describe": ([str(PERIMETER)], "cohort.describe"),
    "features": ([str(PERIMETER), "--spec", "SPEC", "--out", "OUT"], "features"),
    "profiles": (["CLUSTERS", "--cohort", str(PERIMETER)], "profiles"),
    "drugs scan": ([], "drugs.scan"),
    "pv signals": (["--outcome", str(PERIMETER)], "pv.signals"),
    "pv drug": (["X01"], "pv.drug"),
    "nlp run": (["--workers", "1"], "nlp.run"),
    "extract": (["--schema", "brain_mri"], "extract"),
    "nlp evaluate": (["--limit", "2"], "nlp.evaluate"),
    "cluster": (["FEATURES", "--k", "2", "--resamples", "3"], "cluster"),
    "model train": (["STUDY", "--out", "OUT"], "model.train"),
    "model validate": (["MODEL"], "model.validate"),
    "model explain": (["MODEL"], "model.explain"),
}
#: Every command that works on the warehouse without showing patient data ->
#: (its arguments after the command, the right it needs): the administrator,
#: or a registered user with that right; refused otherwise, and audited.
RIGHTS = {
    "init": ([], "ingest"),
    "load": (["OMOP"], "ingest"),
    "eras": ([], "ingest"),
    "vocab load-athena": (["ATHENA"], "ingest"),
    "vocab map": (["SOURCE", "--out", "OUT"], "read"),
    "vocab approve": (["MAPPING"], "ingest"),
    "vocab upgrade": ([], "ingest"),
    "drugs load-effects": (["PACK"], "ingest"),
    "ingest": (["OUT"], "ingest"),
    "link deaths": (["OUT"], "ingest"),
    "validate": ([], "read"),
    "audit show": ([], "manage"),
    "audit head": ([], "manage"),
    "audit verify": ([], "manage"),
    "audit retention": (["0"], "manage"),
    "privacy mask-below": (["10"], "manage"),
    "optout add": (["IPP-1"], "manage"),
    "optout remove": (["IPP-1"], "manage"),
    "optout list": ([], "manage"),
    "optout keys": ([], "manage"),
    "optout apply": ([], "manage"),
    "optout pending": ([], "manage"),
    "patients merge": (["IPP-1", "IPP-2"], "ingest"),
    "patients unmerge": (["IPP-1", "IPP-2"], "ingest"),
    "user add": (["ursula", "--role", "viewer"], "manage"),
    "user list": ([], "manage"),
    "project add": (["p2"], "manage"),
    "project list": ([], "manage"),
    "project workspaces": (["OUT"], "manage"),
    "project update": (["gi", "--units", "1"], "manage"),
    "project care-sites": ([], "manage"),
    "privacy care-mode": (["on"], "manage"),
    "backup": (["OUT"], "manage"),
    "restore": (["OUT"], "manage"),
    "upgrade": ([], "manage"),
    "link area": (["OUT", "--level", "commune", "--key", "code"], "ingest"),
    "link study": (["OUT", "--id-column", "ipp", "--study", "S"], "ingest"),
    "link grant": (["S", "--project", "gi"], "manage"),
    "slides add": (["SLIDE.tiff", "--specimen", "1"], "ingest"),
    "slides scan": (["SLIDES"], "ingest"),
    "slides tissue": (["1"], "ingest"),
    "slides tile": (["1"], "ingest"),
    "slides infer": (["1", "--model", "MODEL.onnx"], "ingest"),
    "node token": (["--hub", "central"], "manage"),
    "node studies": ([], "manage"),
    "node accept": (["STUDY"], "manage"),
    "node refuse": (["STUDY"], "manage"),
    "datathon leaderboard": (["DIR"], "manage"),
    "datathon phase": (["DIR", "closed"], "manage"),
    "datathon grades": (["DIR"], "manage"),
    "course check": (["DIR", "omop_sql", "ANSWER"], "read"),
}
#: Every other command, and why it needs no right on the warehouse.
OTHER = {
    "demo": "builds and tours a synthetic hospital of its own",
    "synth": "writes a synthetic hospital",
    "serve": "the web app, whose every route passes the gate itself",
    "drugs load-thesaurus": "installs a thesaurus, outside any warehouse",
    "drugs check": "checks prescription lines given as arguments",
    "drugs effects": "adverse effects of prescription lines given as arguments, "
    "from reference data (a shipped table or the warehouse's effect pack), "
    "never patient data",
    "nlp extract": "reads texts on stdin, never the warehouse",
    "extract evaluate": "scores a gold file, never the warehouse",
    "deid": "de-identifies texts on stdin",
    "privacy kanon": "reads an extract file, never the warehouse",
    "privacy rotate-key": "governance (manage): re-keys pseudonyms; needs the "
    "identified extracts (tests/privacy/test_rotation.py)",
    "hub serve": "the hub's pages over its own state folder, never a warehouse",
    "hub add-node": "writes the hub's state folder, never a warehouse",
    "hub run": "sends a study to nodes, each of which answers through its own "
    "release gate (tests/network)",
    "hub result": "asks nodes for what their gates released (tests/network)",
    "model report": "reads a model's folder, which left the warehouse through "
    "the gate when it was trained, never the warehouse",
    "datathon create": "builds a synthetic hospital of its own, whose creator "
    "is its administrator (tests/datathon/test_create.py)",
    "datathon submit": "a team's predictions, authorised as a member of the "
    "team's project (write) and audited (tests/datathon/test_submit.py)",
    "course list": "lists the shipped exercises, never a warehouse",
    "course start": "builds a synthetic hospital of its own, whose creator is "
    "its administrator (tests/course/test_course.py)",
    "cohort delete": "removes a cohort (the right to write, as its owner or an "
    "administrator), audited; shows nothing of it",
    "cohort export": "writes a definition as Circe JSON: the vocabulary's concept "
    "ids, never patient data; authorised (count) and audited "
    "(tests/cohort/test_circe_export.py)",
}
#: Who lacks each right, and so is refused (rita acts in no project here).
LACKING = {"ingest": "rita", "read": "vera", "manage": "dora"}
ROLES = {"rita": "researcher", "vera": "viewer", "dora": "data_engineer"}


def commands(group=None, prefix: str = "") -> list[str]:
    """Every command of the `entrepot` app, by its full name."""
    group = group or typer.main.get_command(app)
    found = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if hasattr(command, "commands"):
            found += commands(command, f"{full} ")
        if not hasattr(command, "commands") or command.invoke_without_command:
            found.append(full)
    return found


def test_every_command_is_classified():
    listed = set(commands())
    classified = [PATIENT_DATA.keys(), RIGHTS.keys(), OTHER.keys()]
    assert not listed.difference(*classified), "classify these commands"
    assert not set().union(*classified) - listed, "no such command"
    assert sum(map(len, classified)) == len(listed), "classified twice"


def _notes(wh) -> None:
    schema = wh.table("note").schema().to_pyarrow()
    rows = [
        {"note_id": i, "person_id": person, "note_date": date(2015, 1, 1),
         "note_type_concept_id": 32817, "note_class_concept_id": 0,
         "note_title": "Compte rendu", "note_text": text,
         "encoding_concept_id": 0, "language_concept_id": 0}
        for i, (person, text) in NOTES.items()
    ]  # fmt: skip
    with wh.store.transaction() as tx:
        tx.append("cdm", "note", wh.store.from_arrow(pa.Table.from_pylist(rows, schema=schema)))  # fmt: skip


@pytest.fixture(scope="module")
def hospital(tmp_path_factory) -> Path:
    """The tiny warehouse with notes, a project `gi` limited to the GI cohort,
    a researcher rita and a viewer vera in it, a data engineer dora; indexed."""
    folder = tmp_path_factory.mktemp("users")
    (folder / "gi.yaml").write_text(GI)
    (folder / "features.csv").write_text("person_id,age\n1,30\n2,31\n3,70\n4,72\n")
    with build_tiny(str(folder / "eds.duckdb")) as wh:
        _notes(wh)
        run_cohort(wh, folder / "gi.yaml", cohort_id=PERIMETER)
        add_project(wh, "gi", cohort_id=PERIMETER)
        add_project(wh, "drugs", domains=["drug_exposure"])
        add_project(wh, "late", start=date(2016, 1, 1))
        add_user(wh, "rita", "researcher", PASSWORD, projects=["gi", "drugs", "late"])
        add_user(wh, "vera", "viewer", PASSWORD, projects=["gi"])
        add_user(wh, "dora", "data_engineer", PASSWORD)
    (folder / "spec.yaml").write_text(SPEC)
    (folder / "study.yaml").write_text(TINY_STUDY)
    with Warehouse.open(folder / "eds.duckdb") as wh:  # a model to validate
        train_study(wh, load_study(folder / "study.yaml")).write(folder / "model")
    clusters = pa.table({"person_id": [1, 2, 3], "cluster": [1, 1, 2]})
    pq.write_table(clusters, folder / "clusters.parquet")  # of the GI cohort
    assert main(["index", "-w", str(folder / "eds.duckdb"), "--quiet"]) == 0
    (folder / "omop").mkdir()  # person 1 again: loaded, it is already there
    (folder / "omop" / "person.csv").write_text(
        "person_id,gender_concept_id,year_of_birth,race_concept_id,"
        "ethnicity_concept_id\n1,8532,1950,0,0\n"
    )
    (folder / "athena").mkdir()
    return folder


def cli(capsys, hospital: Path, command: str, *args: str, code: int = 0):
    """Run `entrepot COMMAND ARGS --json` here: its JSON output (or stderr)."""
    argv = [*command.split(), *args, "-w", str(hospital / "eds.duckdb"), "--json"]
    argv = [str(hospital / "spec.yaml") if a == "SPEC" else a for a in argv]
    argv = [str(hospital / "out" / command) if a == "OUT" else a for a in argv]
    argv = [str(hospital / "gi.yaml") if a == "GI" else a for a in argv]
    argv = [str(hospital / "features.csv") if a == "FEATURES" else a for a in argv]
    argv = [str(hospital / "study.yaml") if a == "STUDY" else a for a in argv]
    argv = [str(hospital / "model") if a == "MODEL" else a for a in argv]
    argv = [str(hospital / "clusters.parquet") if a == "CLUSTERS" else a for a in argv]
    argv = [str(hospital / a.lower()) if a in ("OMOP", "ATHENA") else a for a in argv]
    done = main(argv)
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out.splitlines()[-1]) if code == 0 else err.strip()


def last_entry(hospital: Path, action: str) -> dict:
    with Warehouse.open(hospital / "eds.duckdb", read_only=True) as wh:
        found = [e for e in entries(wh) if e["action"] == action]
    assert found, f"no audit entry {action}"
    return found[-1]


@pytest.mark.parametrize("command", sorted(PATIENT_DATA))
def test_the_administrator_is_audited(capsys, hospital, command):
    """Root (or the file's owner) sees exact counts; every output is audited
    under its OS account's name."""
    args, action = PATIENT_DATA[command]
    before = len(_all(hospital))
    cli(capsys, hospital, command, *args)
    entry = last_entry(hospital, action)
    assert entry["user"] == os_account() == "root"
    assert entry["seq"] > before


def _all(hospital: Path) -> list[dict]:
    with Warehouse.open(hospital / "eds.duckdb", read_only=True) as wh:
        return entries(wh)


def _options(name: str) -> set[str]:
    command = typer.main.get_command(app)
    for part in name.split():
        command = command.commands[part]
    return {o for p in command.params for o in getattr(p, "opts", ())}


@pytest.mark.parametrize("command", sorted(PATIENT_DATA))
def test_a_registered_user_is_audited(capsys, hospital, command, monkeypatch):
    """Within project gi as researcher rita where the command takes a project,
    else as data engineer dora: audited under that name (and project)."""
    monkeypatch.setenv("ENTREPOT_PASSWORD", PASSWORD)
    args, action = PATIENT_DATA[command]
    within = "--project" in _options(command)
    if within:
        args = [a for a in args if a != "--all"] + ["--project", "gi"]
    user = "rita" if within else "dora"
    cli(capsys, hospital, command, *args, "--user", user)
    entry = last_entry(hospital, action)
    assert (entry["user"], entry["project"]) == (user, "gi" if within else None)


def test_cohort_delete_needs_the_right_in_the_project(capsys, hospital, as_user):
    """A cohort outside the project is unknown there, a viewer never writes, a
    project's perimeter is never deleted; the administrator's deletion is audited."""
    cli(capsys, hospital, "cohort", "run", "GI", "--id", "31")  # the CLI's: no project
    rita = [*as_user("rita"), "--project", "gi"]
    refused = cli(capsys, hospital, "cohort", "delete", "31", *rita, code=2)
    assert "no cohort 31 in warehouse" in refused
    vera = [*as_user("vera"), "--project", "gi"]
    refused = cli(capsys, hospital, "cohort", "delete", "31", *vera, code=2)
    assert "a viewer may not write" in refused
    refused = cli(capsys, hospital, "cohort", "delete", str(PERIMETER), code=2)
    assert "is a project's perimeter" in refused
    assert cli(capsys, hospital, "cohort", "delete", "31") == {"deleted": 31}
    assert last_entry(hospital, "cohort.delete")["user"] == "root"
    refused = cli(capsys, hospital, "cohort", "delete", "31", code=2)
    assert "no cohort 31 in warehouse" in refused


def test_ingest_needs_the_right_to_ingest(capsys, hospital, as_user, monkeypatch):
    """A researcher may not load data: refused before the extracts are read,
    and the refusal is audited under the claimed name."""
    monkeypatch.setenv("ENTREPOT_KEY", "8f" * 16 + "3c" * 16)
    refused = cli(capsys, hospital, "ingest", "OUT", *as_user("rita"), code=2)
    assert refused == "entrepot: error: a researcher may not ingest"
    entry = last_entry(hospital, "authorise.ingest")
    assert (entry["user"], json.loads(entry["parameters"])["allowed"]) == (
        "rita",
        False,
    )


@pytest.mark.parametrize("command", sorted(RIGHTS))
def test_a_command_needs_its_right(capsys, hospital, as_user, command, monkeypatch):
    """A registered user without the command's right is refused in one line,
    before anything is read or written, and the refusal is audited."""
    monkeypatch.setenv("ENTREPOT_KEY", "8f" * 16 + "3c" * 16)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))  # user add
    args, right = RIGHTS[command]
    who = LACKING[right]
    before = len(_all(hospital))
    refused = cli(capsys, hospital, command, *args, *as_user(who), code=2)
    assert refused == f"entrepot: error: a {ROLES[who]} may not {right}"
    log = _all(hospital)[before:]  # the claim's proof, then the refusal
    assert [e["action"] for e in log] == ["login", f"authorise.{right}"]
    asked = json.loads(log[1]["parameters"])
    assert (log[1]["user"], asked["allowed"], asked["target"]) == (who, False, command)


#: The administrator runs these on a copy of the warehouse (exit status 1:
#: validate finds the tiny warehouse departs from the CDM).
RUN_BY_THE_ADMINISTRATOR = {
    "init": 0, "load": 0, "eras": 0, "validate": 1,
    "audit show": 0, "audit head": 0, "audit verify": 0, "backup": 0, "upgrade": 0,
}  # fmt: skip


@pytest.fixture
def copy(hospital, tmp_path) -> Path:
    """A copy of the warehouse, for commands that change it."""
    shutil.copy(hospital / "eds.duckdb", tmp_path)
    shutil.copytree(hospital / "omop", tmp_path / "omop")
    return tmp_path


@pytest.mark.parametrize("command", sorted(RUN_BY_THE_ADMINISTRATOR))
def test_the_administrator_has_every_right(capsys, copy, command):
    """Root (the administrator) may, and its authorisation is audited with the
    command; what the command did or read is audited after it."""
    args, right = RIGHTS[command]
    before = len(_all(copy))
    cli(capsys, copy, command, *args, code=RUN_BY_THE_ADMINISTRATOR[command])
    log = _all(copy)[before:]
    asked = json.loads(log[0]["parameters"])
    assert (log[0]["action"], log[0]["user"]) == (f"authorise.{right}", "root")
    assert (asked["allowed"], asked["target"]) == (True, command)
    done = {e["action"] for e in log[1:]}
    assert done <= {command.replace(" ", "."), "audit.prune"}


def test_init_of_a_new_warehouse_by_another_name_is_refused(capsys, tmp_path, as_user):
    """A new warehouse has no registered users: its creator (the OS account)
    is its administrator, and a claim to another name creates nothing."""
    new = tmp_path / "new.duckdb"
    done = main(["init", "-w", str(new), "--no-vocabulary", *as_user("rita")])
    assert done == 2 and not new.exists()
    assert capsys.readouterr().err.strip() == (
        "entrepot: error: user 'rita' is not registered in this warehouse: a new "
        "warehouse's administrator is the OS account that creates it"
    )
    assert main(["init", "-w", str(new), "--no-vocabulary", "--quiet"]) == 0
    with Warehouse.open(new, read_only=True) as wh:
        log = entries(wh)
    assert [(e["user"], e["action"]) for e in log] == [
        ("root", "authorise.ingest"),
        ("root", "init"),
    ]


def test_audit_show_filters_by_who_did_it(capsys, copy, as_user):
    """--user is the caller, as everywhere; --by filters the log."""
    cli(capsys, copy, "tables", *as_user("dora"))
    shown = cli(capsys, copy, "audit", "show", "--by", "dora")
    assert {e["user"] for e in shown} == {"dora"} and shown[-1]["action"] == "tables"
    refused = cli(capsys, copy, "audit", "show", "--by", "dora", *as_user("dora"), code=2)  # fmt: skip
    assert refused == "entrepot: error: a data_engineer may not manage"
    last = _all(copy)[-1]
    assert (last["user"], last["action"]) == ("dora", "authorise.manage")


def test_administrator_counts_are_exact(capsys, hospital):
    counts = cli(capsys, hospital, "tables")
    assert counts["cdm"]["person"] == 5
    run = cli(capsys, hospital, "cohort", "run", str(hospital / "gi.yaml"), "--id", "8")
    assert (run["count"], run["attrition"][0]["persons"]) == (3, 3)


@pytest.fixture
def as_user(monkeypatch):
    """Claim a registered user's name with the right password."""
    monkeypatch.setenv("ENTREPOT_PASSWORD", PASSWORD)
    return lambda name: ["--user", name]


def test_a_researcher_sees_the_project_masked(capsys, hospital, as_user):
    rita = [*as_user("rita"), "--project", "gi"]
    run = cli(capsys, hospital, "cohort", "run", str(hospital / "gi.yaml"), "--id", "9", *rita)  # fmt: skip
    assert (run["count"], run["entries"], run["person_days"]) == ("<10", "<10", None)
    assert run["attrition"] == [{"rule": "entry events", "persons": "<10", "entries": "<10"}]  # fmt: skip
    released = last_entry(hospital, "release.cohort.run")  # the differencing defence
    assert (released["user"], released["project"], released["persons"]) == (
        "rita",
        "gi",
        3,
    )

    listed = cli(capsys, hospital, "cohort", "list", *rita)
    persons = {r["id"]: r["persons"] for r in listed}
    assert persons[PERIMETER] == "<10" and set(persons.values()) <= {"<10", 0}
    shown = cli(capsys, hospital, "cohort", "show", str(PERIMETER), *rita)
    assert (shown["persons"], shown["entries"]) == ("<10", "<10")
    table = cli(capsys, hospital, "cohort", "describe", str(PERIMETER), *rita)
    assert table["persons"] == "<10"
    assert last_entry(hospital, "cohort.describe")["user"] == "rita"

    found = cli(capsys, hospital, "search", "lupus", *rita)
    assert found["persons"] == "<10"
    assert {h["person_id"] for h in found["hits"]} == {1, 2}  # not person 4's note
    assert last_entry(hospital, "search")["user"] == "rita"


def test_a_researcher_exports_the_perimeter_only(capsys, hospital, as_user):
    out = hospital / "rita-export"
    written = cli(capsys, hospital, "export", str(out), "--project", "gi", "--format", "csv", *as_user("rita"))  # fmt: skip
    assert written["rows"]["person"] == 3 and "note" in written["rows"]
    persons = (out / "person.csv").read_text().splitlines()[1:]
    assert sorted(line.split(",")[0] for line in persons) == ["1", "2", "3"]
    notes = (out / "note.csv").read_text()
    assert "hors du projet" not in notes and "Lupus érythémateux" in notes
    entry = last_entry(hospital, "export")
    assert (entry["user"], entry["project"], entry["persons"]) == ("rita", "gi", 3)


def test_features_stay_within_the_project(capsys, hospital, as_user):
    """Rows of the project's persons only, audited with them; a viewer never
    takes rows out."""
    out = hospital / "rita-features.parquet"
    argv = ["features", str(PERIMETER), "--spec", "SPEC", "--out", str(out)]
    report = cli(capsys, hospital, *argv, *as_user("rita"), "--project", "gi")
    assert report["n"] == 3
    assert pq.read_table(out).to_pylist() == [
        {"person_id": 1, "age": 65.0, "drug": True, "gi_before": 0.0},
        {"person_id": 2, "age": 32.0, "drug": True, "gi_before": 0.0},
        {"person_id": 3, "age": 9.0, "drug": False, "gi_before": 0.0},
    ]
    entry = last_entry(hospital, "features")
    assert (entry["user"], entry["project"], entry["rows"], entry["persons"]) == (
        "rita",
        "gi",
        3,
        3,
    )
    err = cli(capsys, hospital, *argv, *as_user("vera"), "--project", "gi", code=2)
    assert err == "entrepot: error: a viewer may not export"


def test_export_needs_a_project_or_all(capsys, hospital, as_user):
    err = cli(capsys, hospital, "export", str(hospital / "x"), code=2)
    assert err == (
        "entrepot: error: export: give --project P (its perimeter) or --all "
        "(the whole warehouse)"
    )
    err = cli(capsys, hospital, "export", str(hospital / "x"), "--all", *as_user("rita"), code=2)  # fmt: skip
    assert err == "entrepot: error: a researcher acts only within a project"


def test_everything_exported_by_the_administrator_is_audited_as_such(capsys, hospital):
    written = cli(capsys, hospital, "export", str(hospital / "all"), "--all")
    assert written["rows"]["person"] == 5
    entry = last_entry(hospital, "export")
    assert (entry["user"], entry["project"], entry["persons"]) == ("root", None, 5)
    assert json.loads(entry["parameters"])["all"] is True


def test_a_data_engineer_gets_masked_counts(capsys, hospital, as_user):
    dora = as_user("dora")
    counts = cli(capsys, hospital, "tables", *dora)
    assert counts["cdm"]["person"] == "<10" and counts["cdm"]["measurement"] == 0
    described = cli(capsys, hospital, "describe", *dora)
    assert described["summary"]["persons"] == "<10"
    assert last_entry(hospital, "describe")["user"] == "dora"


def test_thresholds_are_raised_never_lowered(capsys, hospital, as_user):
    dora = as_user("dora")
    raised = cli(capsys, hospital, "cohort", "describe", str(PERIMETER), "--mask-below", "1000", *as_user("rita"), "--project", "gi")  # fmt: skip
    assert raised["persons"] == "<1000"
    lowered = cli(capsys, hospital, "describe", "--mask-below", "1", *dora)
    assert lowered["summary"]["persons"] == "<10"


def test_profiles_show_a_project_masked(capsys, hospital, as_user, tmp_path):
    """Clusters of the project's 3 persons: their sizes masked and nothing
    else of them; a person outside the perimeter is an error."""
    rita = [*as_user("rita"), "--project", "gi"]
    found = cli(capsys, hospital, "profiles", "CLUSTERS", "--cohort", str(PERIMETER), *rita)  # fmt: skip
    assert found["clusters"] == [
        {"cluster": 1, "size": "<10"},
        {"cluster": 2, "size": "<10"},
    ]
    assert last_entry(hospital, "profiles")["user"] == "rita"
    outside = tmp_path / "outside.parquet"
    pq.write_table(pa.table({"person_id": [1, 4], "cluster": [1, 2]}), outside)
    err = cli(capsys, hospital, "profiles", str(outside), "--cohort", str(PERIMETER), *rita, code=2)  # fmt: skip
    assert err == (
        "entrepot: error: 1 person(s) of the clusters file are not in cohort 900 "
        "(as this caller sees it)"
    )


def test_a_viewer_never_reads_rows(capsys, hospital, as_user):
    vera = [*as_user("vera"), "--project", "gi"]
    err = cli(capsys, hospital, "search", "lupus", *vera, code=2)
    assert err == "entrepot: error: a viewer may not read"
    found = cli(capsys, hospital, "search", "lupus", "--masked", *vera)
    assert (found["persons"], found["hits"]) == ("<10", [])


def test_a_researcher_works_within_a_project(capsys, hospital, as_user):
    err = cli(capsys, hospital, "tables", *as_user("rita"), code=2)
    assert err == "entrepot: error: a researcher acts only within a project"


def test_a_claim_needs_the_password(capsys, hospital, monkeypatch):
    err = cli(capsys, hospital, "tables", "--user", "dora", code=2)
    assert err == (
        "entrepot: error: --user dora: give the password in $ENTREPOT_PASSWORD "
        "(or run on a terminal)"
    )
    monkeypatch.setenv("ENTREPOT_PASSWORD", "wrong password")
    err = cli(capsys, hospital, "tables", "--user", "dora", code=2)
    assert err == "entrepot: error: unknown user or wrong password"
    assert last_entry(hospital, "login")["user"] == "dora"
    err = cli(capsys, hospital, "tables", "--user", "nemo", code=2)
    assert err == "entrepot: error: user 'nemo' is not registered in this warehouse"


# -- another OS account: a real process under uid 65534 (nobody) ---------------
NOBODY = 65534


@pytest.fixture
def shared(hospital):
    """A copy of the warehouse that the OS account nobody may read and write,
    in a folder it may enter; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="entrepot-shared-"))
    folder.chmod(0o777)
    copy = folder / "eds.duckdb"
    shutil.copy(hospital / "eds.duckdb", copy)
    copy.chmod(0o666)
    yield copy
    shutil.rmtree(folder)


#: The interpreter lives under /root, which nobody may not enter: the child
#: first runs a command as root on a throwaway copy (so that every module is
#: imported), then drops to nobody for good (real and effective ids) and runs
#: the command asked.
AS_NOBODY = f"""
import contextlib, io, os, sys
import entrepot.cli
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    entrepot.cli.main(["tables", "-w", os.environ.pop("WARM_UP"), "--json"])
os.setgid({NOBODY})
os.setuid({NOBODY})
sys.exit(entrepot.cli.main(sys.argv[1:]))
"""


def as_nobody(
    copy: Path, *args: str, env: dict | None = None
) -> subprocess.CompletedProcess:
    warm = copy.with_name("warm.duckdb")
    shutil.copy(copy, warm)
    return subprocess.run(
        [sys.executable, "-c", AS_NOBODY, *args, "-w", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"HOME": "/tmp", "WARM_UP": str(warm)} | (env or {}),
        cwd="/tmp",
    )


def test_another_os_account_is_refused(shared):
    done = as_nobody(shared, "tables", "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (
        "entrepot: error: OS account 'nobody' is neither the warehouse's owner "
        "nor a registered user (--user NAME)"
    )
    claimed = as_nobody(shared, "tables", "--json", "--user", "dora", env={"ENTREPOT_PASSWORD": PASSWORD})  # fmt: skip
    assert claimed.returncode == 0, claimed.stderr
    assert json.loads(claimed.stdout)["cdm"]["person"] == "<10"
    with Warehouse.open(shared, read_only=True) as wh:
        log = entries(wh)
    assert log[-1]["user"] == "dora" and log[-1]["action"] == "tables"
    assert any(e["user"] == "nobody" and e["action"] == "caller" for e in log)


def test_a_warehouse_it_may_not_write_is_refused_in_one_line(shared):
    """Reading writes an audit entry: read-only access is refused, not a traceback."""
    shared.chmod(0o644)
    done = as_nobody(shared, "tables", "--json", "--user", "dora", env={"ENTREPOT_PASSWORD": PASSWORD})  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == (
        f"entrepot: error: {shared}: OS account 'nobody' may not write to it, and "
        "every command that reads it writes an audit entry there"
    )


def test_the_owner_is_the_administrator(shared):
    os.chown(shared, NOBODY, NOBODY)
    done = as_nobody(shared, "tables", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cdm"]["person"] == 5
    with Warehouse.open(shared, read_only=True) as wh:
        assert entries(wh)[-1]["user"] == "nobody"


def test_the_administrator_within_a_project(capsys, hospital):
    """--project narrows the administrator to the perimeter, counts still exact
    unless masked on request."""
    written = cli(capsys, hospital, "export", str(hospital / "gi"), "--project", "gi")
    assert written["rows"]["person"] == 3 and written["rows"]["note"] == 2
    entry = last_entry(hospital, "export")
    assert (entry["user"], entry["project"], entry["persons"]) == ("root", "gi", 3)
    shown = cli(capsys, hospital, "cohort", "show", str(PERIMETER), "--project", "gi")
    assert shown["persons"] == 3
    masked = cli(capsys, hospital, "cohort", "show", str(PERIMETER), "--project", "gi", "--masked")  # fmt: skip
    assert masked["persons"] == "<10"
    err = cli(capsys, hospital, "tables", "--project", "nowhere", code=2)
    assert "No such option: --project" in err
    err = cli(capsys, hospital, "cohort", "list", "--project", "nowhere", code=2)
    assert err == "entrepot: error: project 'nowhere' does not exist"


@pytest.mark.spark
def test_spark_folder_owner_is_the_administrator(spark_session, tmp_path, capsys):
    """On Spark the warehouse is a folder: its owner (here root) is the
    administrator, and the export of everything is audited."""
    uri = f"spark:{tmp_path / 'eds'}"
    build_tiny(uri).close()
    argv = ["-w", uri, "--json"]
    assert main(["export", str(tmp_path / "out"), "--all", *argv]) == 0
    assert json.loads(capsys.readouterr().out)["rows"]["person"] == 5
    with Warehouse.open(uri, read_only=True) as wh:
        entry = entries(wh)[-1]
    assert (entry["user"], entry["action"], entry["persons"]) == ("root", "export", 5)


def test_a_warehouse_made_by_another_tool_gets_an_audit_log(eunomia_file, tmp_path, capsys):  # fmt: skip
    """Eunomia has no entrepot tables: its first output creates the audit log."""
    copy = tmp_path / "eunomia.duckdb"
    shutil.copy(eunomia_file, copy)
    assert main(["tables", "-w", str(copy), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cdm"]["person"] == 2694
    with Warehouse.open(copy, read_only=True) as wh:
        entry = entries(wh)[-1]
    assert (entry["user"], entry["action"], entry["persons"]) == (
        "root",
        "tables",
        2694,
    )


def test_the_text_output_is_masked_too(capsys, hospital, as_user):
    argv = ["cohort", "run", str(hospital / "gi.yaml"), "--id", "10", "--project", "gi"]
    argv += [*as_user("rita"), "-w", str(hospital / "eds.duckdb")]
    assert main(argv) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Cohort 10: <10 persons, <10 entries, masked person-days" in text


def test_a_project_runs_no_cohort_on_tables_outside_it(capsys, hospital, as_user):
    rita = [*as_user("rita"), "--project", "drugs"]
    err = cli(capsys, hospital, "cohort", "run", str(hospital / "gi.yaml"), *rita, code=2)  # fmt: skip
    assert err == (
        "entrepot: error: table condition_occurrence is outside the project's perimeter"
    )
    rita = [*as_user("rita"), "--project", "gi"]
    err = cli(capsys, hospital, "cohort", "run", str(hospital / "gi.yaml"), "--id", str(PERIMETER), *rita, code=2)  # fmt: skip
    assert err == (
        f"entrepot: error: cohort {PERIMETER} is a project's perimeter: it is not "
        "changed here"
    )


def test_a_search_stays_within_the_project_s_period(capsys, hospital, as_user):
    """The notes are of 2015; project late starts in 2016."""
    rita = [*as_user("rita"), "--project", "late"]
    found = cli(capsys, hospital, "search", "lupus", *rita)
    assert (found["notes"], found["persons"], found["hits"]) == (0, 0, [])
    found = cli(capsys, hospital, "search", "lupus", "--to", "2015-12-31", *rita)
    assert (found["notes"], found["persons"], found["hits"]) == (0, 0, [])
    err = cli(capsys, hospital, "search", "lupus", *as_user("rita"), "--project", "drugs", code=2)  # fmt: skip
    assert err == "entrepot: error: table note is outside the project's perimeter"


def test_on_a_terminal_the_password_is_asked(hospital):
    """A real terminal (a pty): the claim's password is asked, not echoed."""
    import pty

    argv = [sys.executable, "-m", "entrepot", "tables", "--json", "--user", "dora"]
    argv += ["-w", str(hospital / "eds.duckdb")]
    env = {k: v for k, v in os.environ.items() if k != "ENTREPOT_PASSWORD"}
    pid, terminal = pty.fork()
    if pid == 0:  # the child, on the terminal
        try:
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    seen = b""
    while b"password of dora: " not in seen:
        seen += os.read(terminal, 1024)
    os.write(terminal, PASSWORD.encode() + b"\n")
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the child has ended
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    text = seen.decode()
    assert PASSWORD not in text
    assert json.loads(text.strip().splitlines()[-1])["cdm"]["person"] == "<10"


def test_governance_needs_the_right_to_manage(capsys, hospital, as_user):
    """Users, projects, opt-outs, thresholds: the administrator, or a registered
    user whose role may manage; others are refused in one line."""
    err = cli(capsys, hospital, "project", "list", *as_user("rita"), code=2)
    assert err == "entrepot: error: a researcher may not manage"
    err = cli(capsys, hospital, "optout", "list", *as_user("dora"), code=2)
    assert err == "entrepot: error: a data_engineer may not manage"
    assert last_entry(hospital, "authorise.manage")["user"] == "dora"
    assert cli(capsys, hospital, "optout", "list") == []
    entry = last_entry(hospital, "optout.list")
    assert (entry["user"], entry["rows"]) == ("root", 0)
    listed = cli(capsys, hospital, "user", "list")
    assert {u["name"] for u in listed} == {"rita", "vera", "dora"}
