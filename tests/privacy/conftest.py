"""A small synthetic hospital with its raw extracts, made once per test run,
and the warehouses `ingest` makes of them on each engine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from entrepot.privacy import SecretKey
from entrepot.warehouse import Warehouse

KEY = SecretKey(bytes.fromhex("8f" * 16 + "3c" * 16))
#: The tables ingestion fills with patients' rows.
PERSON_TABLES = [
    "person",
    "death",
    "visit_occurrence",
    "observation_period",
    "condition_occurrence",
    "measurement",
    "drug_exposure",
    "note",
]


def table_rows(wh: Warehouse, name: str, leave_out=frozenset()) -> list[tuple]:
    """A table's rows as sorted tuples of their values' reprs, every column
    but those in `leave_out`: equal lists mean equal tables, types included."""
    t = wh.table(name)
    columns = [c for c in t.columns if c not in leave_out]
    rows = t.select(*columns).to_pyarrow().to_pylist()
    return sorted(tuple(repr(r[c]) for c in columns) for r in rows)


@pytest.fixture(scope="session")
def hospital(built_once) -> Path:
    """A folder with `synth.duckdb` (the reference OMOP rows) and `raw/`,
    made once per test run: read it, or copy what you write to."""
    from entrepot.synth import generate_hospital

    def generate(folder: Path) -> None:
        generate_hospital(
            folder / "synth.duckdb", patients=40, seed=3, raw=folder / "raw", workers=1
        )

    return built_once("privacy-hospital", generate)


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


@pytest.fixture(scope="session")
def spark_ingested(
    hospital, built_once, tmp_path_factory, spark_session
) -> tuple[Path, dict]:
    """A Spark warehouse made by the `entrepot ingest` command from the raw
    extracts, once per test run (copied here per process, its vault and audit
    anchor beside it; copied per test), and what the command printed."""

    def ingest(folder: Path) -> None:
        Warehouse.create(f"spark:{folder / 'eds'}", vocabulary=False).close()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "entrepot",
                "ingest",
                str(hospital / "raw"),
                "--warehouse",
                f"spark:{folder / 'eds'}",
                "--key-file",
                str(_write_key(folder / "key")),
                "--json",
                "--quiet",
            ],
            cwd=folder,  # Spark's own files (metastore, logs) stay out of the tree
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        (folder / "printed.json").write_text(done.stdout)

    folder = tmp_path_factory.mktemp("spark-ingested")
    shutil.copytree(built_once("spark-ingested", ingest), folder, dirs_exist_ok=True)
    return folder / "eds", json.loads((folder / "printed.json").read_text())


@pytest.fixture
def ingested_on(engine, request, tmp_path) -> Warehouse:
    """A private copy of the ingested warehouse on each engine, open."""
    if engine == "duckdb":
        yield request.getfixturevalue("ingested")
        return
    source, _ = request.getfixturevalue("spark_ingested")
    shutil.copytree(source, tmp_path / "eds")
    wh = Warehouse.open(f"spark:{tmp_path / 'eds'}")
    yield wh
    wh.close()


def _write_key(path: Path) -> Path:
    path.write_text(("8f" * 16 + "3c" * 16) + "\n")
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def key_file(tmp_path) -> Path:
    return _write_key(tmp_path / "key")


def set_password_hash(wh, name: str, value: str) -> None:
    """Write a user's stored password hash as it is (a tampered or a slow one)."""
    t = wh.table("access_user")
    rows = t.to_pyarrow().to_pylist()
    for row in rows:
        if row["name"] == name:
            row["password_hash"] = value
    table = pa.Table.from_pylist(rows, schema=t.schema().to_pyarrow())
    with wh.store.transaction() as tx:
        tx.replace("entrepot", "access_user", wh.store.from_arrow(table))
