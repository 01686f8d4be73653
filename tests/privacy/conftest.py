"""A small synthetic hospital with its raw extracts, made once per test run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from entrepot.privacy import SecretKey
from entrepot.warehouse import Warehouse

KEY = SecretKey(bytes.fromhex("8f" * 16 + "3c" * 16))


@pytest.fixture(scope="session")
def hospital(tmp_path_factory) -> Path:
    """A folder with `synth.duckdb` (the reference OMOP rows) and `raw/`."""
    from entrepot.synth import generate_hospital

    folder = tmp_path_factory.mktemp("hospital")
    generate_hospital(
        folder / "synth.duckdb", patients=40, seed=3, raw=folder / "raw", workers=1
    )
    return folder


@pytest.fixture(scope="session")
def ingested_file(hospital, tmp_path_factory) -> Path:
    """A warehouse made by `ingest_raw` from the raw extracts (copied per test)."""
    from entrepot.ingest import ingest_raw

    path = tmp_path_factory.mktemp("ingested") / "eds.duckdb"
    with Warehouse.create(path) as wh:
        ingest_raw(wh, hospital / "raw", key=KEY)
    return path


@pytest.fixture
def ingested(ingested_file, tmp_path) -> Warehouse:
    """A private copy of the ingested warehouse, open."""
    path = tmp_path / "eds.duckdb"
    shutil.copy(ingested_file, path)
    wh = Warehouse.open(path)
    yield wh
    wh.close()


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "key"
    path.write_text(("8f" * 16 + "3c" * 16) + "\n")
    os.chmod(path, 0o600)
    return path
