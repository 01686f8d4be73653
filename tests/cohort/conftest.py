"""A tiny hand-made warehouse whose cohorts are worked out by hand, on each engine;
and a writable copy of Eunomia for the Circe reference tests."""

from __future__ import annotations

import shutil
from datetime import date

import ibis
import pyarrow as pa
import pytest

from entrepot.warehouse import Warehouse

from ..conftest import ENGINES, warehouse_uri

GI, GI_CHILD, DRUG = 100, 101, 200
OBSERVED = (date(2010, 1, 1), date(2020, 12, 31))


def _table(**columns) -> pa.Table:
    return pa.table(columns)


def tiny_tables() -> dict[str, pa.Table]:
    """Five persons, GI bleeds (100 and its child 101), one drug (200)."""
    persons = [1, 2, 3, 4, 5]
    return {
        "concept": _table(
            concept_id=[GI, GI_CHILD, DRUG],
            concept_name=["GI bleed", "Ulcer bleed", "Drug A"],
            domain_id=["Condition", "Condition", "Drug"],
            vocabulary_id=["CIM10", "CIM10", "ATC"],
            concept_class_id=["Category", "Code", "ATC 5th"],
            standard_concept=["S", "S", "S"],
            concept_code=["K92", "K92.2", "X01"],
            valid_start_date=[date(1970, 1, 1)] * 3,
            valid_end_date=[date(2099, 12, 31)] * 3,
        ),
        "concept_ancestor": _table(
            ancestor_concept_id=[GI, GI, GI_CHILD, DRUG],
            descendant_concept_id=[GI, GI_CHILD, GI_CHILD, DRUG],
            min_levels_of_separation=[0, 1, 0, 0],
            max_levels_of_separation=[0, 1, 0, 0],
        ),
        "person": _table(
            person_id=persons,
            gender_concept_id=[8532, 8507, 8532, 8507, 8532],
            year_of_birth=[1950, 1980, 2010, 1960, 1970],
            race_concept_id=[0] * 5,
            ethnicity_concept_id=[0] * 5,
        ),
        "observation_period": _table(
            observation_period_id=persons,
            person_id=persons,
            observation_period_start_date=[OBSERVED[0]] * 5,
            observation_period_end_date=[OBSERVED[1]] * 5,
            period_type_concept_id=[32817] * 5,
        ),
        "condition_occurrence": _table(
            condition_occurrence_id=[1, 2, 3, 4, 5],
            person_id=[1, 1, 2, 3, 4],
            condition_concept_id=[GI_CHILD, GI, GI, GI_CHILD, GI],
            condition_start_date=[
                date(2015, 3, 1),
                date(2016, 1, 1),
                date(2012, 6, 1),
                date(2019, 1, 1),
                date(2009, 5, 1),
            ],  # person 4: not observed
            condition_type_concept_id=[32817] * 5,
        ),
        "drug_exposure": _table(
            drug_exposure_id=[1, 2, 3],
            person_id=[1, 1, 2],
            drug_concept_id=[DRUG] * 3,
            drug_exposure_start_date=[
                date(2015, 2, 1),
                date(2015, 3, 10),
                date(2013, 1, 1),
            ],
            drug_exposure_end_date=[
                date(2015, 2, 28),
                date(2015, 4, 10),
                date(2013, 1, 31),
            ],
            drug_type_concept_id=[32817] * 3,
        ),
    }


def build_tiny(uri: str) -> Warehouse:
    """The tiny warehouse at `uri`."""
    wh = Warehouse.create(uri, vocabulary=False)
    write_tables(wh, tiny_tables())
    return wh


def write_tables(wh: Warehouse, tables: dict[str, pa.Table]) -> None:
    """Append hand-written rows in one transaction (no load checks: the rows
    are known good, and Spark runs fewer jobs); missing columns are null."""
    with wh.store.transaction() as tx:
        for name, data in tables.items():
            rows = wh.store.from_arrow(data)
            columns = wh.table(name).schema()
            tx.append(
                "cdm",
                name,
                rows.select(
                    *[
                        rows[c].cast(t) if c in rows.columns else ibis.null(t).name(c)
                        for c, t in columns.items()
                    ]
                ),
            )


def _tiny_copy(warehouse_copy, engine: str, folder) -> Warehouse:
    """A copy of the tiny warehouse (built once per test run and engine)."""
    return warehouse_copy(
        warehouse_uri(engine, folder), "tiny", lambda uri: build_tiny(uri).close()
    )


@pytest.fixture(scope="module", params=ENGINES)
def tiny(request, tmp_path_factory, warehouse_copy):
    """The tiny warehouse on each engine, shared by a module's tests."""
    if request.param == "spark":
        request.getfixturevalue("spark_session")
    folder = tmp_path_factory.mktemp("tiny")
    with _tiny_copy(warehouse_copy, request.param, folder) as wh:
        yield wh


@pytest.fixture(scope="module")
def tiny_duckdb(tmp_path_factory, warehouse_copy):
    """The tiny warehouse on DuckDB only (for what the engines share anyway)."""
    folder = tmp_path_factory.mktemp("tiny-duckdb")
    with _tiny_copy(warehouse_copy, "duckdb", folder) as wh:
        yield wh


@pytest.fixture(scope="module")
def eunomia(eunomia_file, tmp_path_factory):
    """A writable copy of Eunomia for this module (results are written to it)."""
    path = tmp_path_factory.mktemp("eunomia-cohorts") / "eunomia.duckdb"
    shutil.copy(eunomia_file, path)
    with Warehouse.open(path) as wh:
        yield wh


HOSPITAL_PATIENTS = 800


@pytest.fixture(scope="session")
def hospital_folder(tmp_path_factory):
    """A small synthetic hospital, named as bench/cohort.py names its warehouses."""
    from bench.cohort import warehouse_path
    from entrepot.synth import generate_hospital

    folder = tmp_path_factory.mktemp("hospital")
    generate_hospital(
        str(warehouse_path(folder, HOSPITAL_PATIENTS)),
        patients=HOSPITAL_PATIENTS,
        seed=7,
        notes=False,
    )
    return folder
