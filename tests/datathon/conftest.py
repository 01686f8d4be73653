"""One small datathon shared by the module's tests: heart-failure mortality,
150 patients, 3 teams, created with the real CLI."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from entrepot.cli import main

SEED = 4


def create(folder: Path, *extra: str) -> dict:
    """`entrepot datathon create FOLDER ... --json`: its JSON."""
    out = io.StringIO()
    argv = ["datathon", "create", str(folder), "--teams", "3", "--seed", str(SEED)]
    argv += ["--task", "heart_failure_mortality", "--patients", "150", "--workers", "1"]
    with contextlib.redirect_stdout(out):
        assert main([*argv, *extra, "--json"]) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="session")
def datathon(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("datathon") / "dt"
    return folder, create(folder)


@pytest.fixture
def copy(datathon, tmp_path) -> Path:
    """A copy of the datathon, for a test that submits or changes its phase."""
    import shutil

    folder = tmp_path / "dt"
    shutil.copytree(datathon[0], folder)
    return folder
