"""One small synthetic hospital per test session, shared by the tests that read it."""

from __future__ import annotations

import pytest

from entrepot.synth import generate_hospital
from entrepot.warehouse import Warehouse

PATIENTS = 1_500


@pytest.fixture(scope="session")
def hospital_result(tmp_path_factory):
    """1,500 patients, no notes, with raw extracts."""
    folder = tmp_path_factory.mktemp("hospital")
    return generate_hospital(
        str(folder / "chu.duckdb"),
        patients=PATIENTS,
        seed=11,
        notes=False,
        raw=folder / "raw",
        workers=1,
    )


@pytest.fixture(scope="session")
def hospital(hospital_result):
    wh = Warehouse.open(hospital_result.warehouse, read_only=True)
    yield wh
    wh.close()


@pytest.fixture(scope="session")
def sql(hospital):
    """Run SQL on the hospital's DuckDB file: rows as tuples (tests only)."""
    return lambda query: hospital.con.raw_sql(query).fetchall()
