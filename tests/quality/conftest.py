"""A small synthetic hospital and Eunomia, each copied per test so defects can be planted."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from entrepot.synth import generate_hospital
from entrepot.warehouse import Warehouse

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def synthetic_file(tmp_path_factory):
    """300 patients, no notes: the clean synthetic warehouse (never written to)."""
    path = tmp_path_factory.mktemp("quality") / "chu.duckdb"
    generate_hospital(str(path), patients=300, seed=3, notes=False, workers=1)
    return path


def _copy(source, tmp_path, name):
    target = tmp_path / name
    shutil.copy(source, target)
    return target


@pytest.fixture
def synthetic(synthetic_file, tmp_path):
    with Warehouse.open(_copy(synthetic_file, tmp_path, "chu.duckdb")) as wh:
        yield wh


@pytest.fixture
def eunomia(eunomia_file, tmp_path):
    with Warehouse.open(_copy(eunomia_file, tmp_path, "eunomia.duckdb")) as wh:
        yield wh


def sql(wh, *statements: str) -> list[tuple]:
    """Run DuckDB SQL on a test warehouse (planting defects); rows of the last one."""
    rows: list[tuple] = []
    for statement in statements:
        rows = wh.con.raw_sql(statement).fetchall() or []
    return rows
