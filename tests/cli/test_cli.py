"""The `entrepot` command, run as a user runs it: a real process, real files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..ingest.test_files import MEASUREMENTS, PERSONS, write


def entrepot(*args: str, cwd: Path, code: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "entrepot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == code, done.stderr
    return done


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder with a warehouse made by `entrepot init` (the default file name)."""
    folder = tmp_path_factory.mktemp("cli")
    out = json.loads(entrepot("init", "--json", cwd=folder).stdout)
    assert out["warehouse"] == "entrepot.duckdb" and out["tables"] == 37
    assert out["concepts"] > 40_000
    return folder


def test_load_validate_tables_export(workdir):
    data = write(workdir / "in", person__csv=PERSONS, measurement__csv=MEASUREMENTS)
    loaded = json.loads(entrepot("load", str(data), "--json", cwd=workdir).stdout)
    assert loaded == {
        "loaded": {"person": 3, "measurement": 2},
        "quarantined": {"person": 0, "measurement": 6},
    }
    again = json.loads(entrepot("load", str(data), "--json", cwd=workdir).stdout)
    assert again["loaded"] == {"person": 0, "measurement": 0}

    counts = json.loads(entrepot("tables", "--json", cwd=workdir).stdout)
    assert counts["cdm"]["person"] == 3 and counts["entrepot"]["quarantine"] == 12

    checked = entrepot(
        "validate", "--json", cwd=workdir, code=1
    )  # unknown concepts planted
    problems = json.loads(checked.stdout)["problems"]
    assert {(p["check"], p["table"], p["field"]) for p in problems} == {
        ("orphan_reference", "measurement", "measurement_concept_id")
    }

    out = workdir / "out"
    exported = json.loads(
        entrepot(
            "export", str(out), "--all", "--format", "csv", "--json", cwd=workdir
        ).stdout
    )
    assert exported["rows"]["person"] == 3 and exported["rows"]["measurement"] == 2
    assert (out / "person.csv").read_text().splitlines()[0].startswith("person_id,")


def test_warehouse_option_and_environment(workdir, tmp_path):
    other = tmp_path / "other.duckdb"
    entrepot(
        "init", "--warehouse", str(other), "--no-vocabulary", "--quiet", cwd=workdir
    )
    assert other.exists()
    env_run = subprocess.run(
        [sys.executable, "-m", "entrepot", "validate", "--json"],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "ENTREPOT_WAREHOUSE": str(other)},
    )
    assert env_run.returncode == 0 and json.loads(env_run.stdout)["ok"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "-w", "absent.duckdb"], "no warehouse at absent.duckdb"),
        (["load", "no-such-folder"], "no-such-folder: not a folder"),
        (["validate", "-w", "x.sqlite"], "a warehouse is a file ending in .duckdb"),
        (
            ["export", "out", "--all", "--format", "xml"],
            "--format 'xml': use parquet or csv",
        ),
        (
            ["synth", "--years", "2025-2008", "-w", "s.duckdb"],
            "--years '2025-2008': the first year comes after the last",
        ),
        (["synth", "--years", "soon"], "--years 'soon': not a period like 2008-2025"),
        (
            ["export", "entrepot.duckdb", "--all"],
            "entrepot.duckdb is a file: export writes one file per table in a folder",
        ),
    ],
)
def test_user_errors_are_one_line_and_exit_2(workdir, args, message):
    done = entrepot(*args, cwd=workdir, code=2)
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_help_is_fast_and_light():
    code = (
        "import sys; from entrepot.cli import main; main(['--help']) ; "
        "print(sorted(m for m in ('ibis', 'pyspark', 'duckdb') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().endswith("[]"), done.stdout
    assert "init" in done.stdout and "load" in done.stdout and "validate" in done.stdout


def test_missing_default_warehouse_points_at_the_demo(tmp_path):
    (tmp_path / "entrepot-demo.duckdb").touch()
    env = {k: v for k, v in os.environ.items() if k != "ENTREPOT_WAREHOUSE"}
    done = subprocess.run(
        [sys.executable, "-m", "entrepot", "tables"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2 and done.stderr == (
        "entrepot: error: no warehouse at entrepot.duckdb: create one with "
        "`entrepot init`, or did you mean -w entrepot-demo.duckdb?\n"
    )
