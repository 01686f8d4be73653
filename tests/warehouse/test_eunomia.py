"""Eunomia (OHDSI GiBleed, CDM 5.3 as DuckDB): opened as it is, validated, queried."""

import pytest

from entrepot.ingest import load_directory
from entrepot.warehouse import Warehouse

from ..conftest import warehouse_uri

GI_HEMORRHAGE = 192671


def persons_with_condition(wh: Warehouse, concept_id: int) -> int:
    """Distinct persons with the condition or any of its descendants (one Ibis query)."""
    ancestor = wh.table("concept_ancestor")
    codes = ancestor.filter(
        ancestor.ancestor_concept_id == concept_id
    ).descendant_concept_id
    conditions = wh.table("condition_occurrence")
    hits = conditions.filter(conditions.condition_concept_id.isin(codes))
    return int(hits.person_id.nunique().to_pyarrow().as_py())


@pytest.fixture
def eunomia(eunomia_file):
    with Warehouse.open(eunomia_file, read_only=True) as wh:
        yield wh


def test_opens_as_it_is_with_lower_case_columns(eunomia, eunomia_file):
    before = eunomia_file.stat().st_mtime_ns
    assert eunomia.count("person") == 2694
    assert "person_id" in eunomia.table("person").columns  # stored as PERSON_ID
    assert eunomia.tables("results") == []  # nothing created in a CDM we only read
    assert eunomia_file.stat().st_mtime_ns == before


def test_gastrointestinal_hemorrhage_479_persons(eunomia):
    assert persons_with_condition(eunomia, GI_HEMORRHAGE) == 479


def test_validation_reports_what_differs_from_5_4(eunomia):
    result = eunomia.validate()
    assert result["ok"] is False
    found = {(p["check"], p["table"], p["field"]) for p in result["problems"]}
    assert ("missing_table", "episode", None) in found  # new in 5.4
    assert ("missing_column", "visit_occurrence", "admitted_from_concept_id") in found
    assert ("extra_column", "visit_occurrence", "admitting_source_concept_id") in found
    assert ("extra_table", "ontime", None) in found
    duplicates = {
        p["table"]: p["rows"]
        for p in result["problems"]
        if p["check"] == "duplicate_key"
    }
    assert duplicates["drug_exposure"] == 4384
    assert not any(
        p["table"] == "person" and p["check"] == "required_null"
        for p in result["problems"]
    )


def test_same_answer_after_export_and_load_on_each_engine(eunomia, engine, tmp_path):
    """Eunomia's tables exported to Parquet, loaded through entrepot, queried again."""
    folder = tmp_path / "export"
    folder.mkdir()
    person = eunomia.table("person")
    tables = {
        "person": person.select(
            *[
                c
                for c in person.columns
                if not c.endswith("location_id")
                and c not in ("provider_id", "care_site_id")
            ]
        ),
        "condition_occurrence": eunomia.table("condition_occurrence").select(
            "condition_occurrence_id",
            "person_id",
            "condition_concept_id",
            "condition_start_date",
            "condition_type_concept_id",
        ),
        "concept_ancestor": eunomia.table("concept_ancestor"),
    }
    for name, rows in tables.items():
        eunomia.store.write_file(rows, folder / f"{name}.parquet")
    with Warehouse.create(warehouse_uri(engine, tmp_path), vocabulary=False) as wh:
        result = load_directory(wh, folder)
        assert result.quarantined == {
            "person": 0,
            "condition_occurrence": 0,
            "concept_ancestor": 0,
        }
        assert result.loaded["person"] == 2694
        assert persons_with_condition(wh, GI_HEMORRHAGE) == 479
