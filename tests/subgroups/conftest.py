"""What the subgroups tests share: the session's systemic sclerosis hospital
with its cohort run, and the CLI run as a test reads it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from entrepot.cli import main


def cli(capsys, *argv, code: int = 0):
    """`entrepot ARGV`, which must exit with `code`: its last JSON line, or
    its error line."""
    done = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out.splitlines()[-1]) if code == 0 else err.strip()


@pytest.fixture(scope="session")
def ssc_cohort(ssc_hospital, tmp_path_factory) -> Path:
    """The session's systemic sclerosis hospital with the shipped cohort run
    (id 1): its DuckDB file, to copy before writing to it."""
    copy = tmp_path_factory.mktemp("ssc-cohort") / "ssc.duckdb"
    shutil.copy(ssc_hospital, copy)
    argv = ["cohort", "run", "systemic_sclerosis", "--id", "1", "-w", str(copy)]
    assert main([*argv, "--quiet"]) == 0
    return copy
