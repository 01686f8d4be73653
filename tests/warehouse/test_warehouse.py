import pytest

from entrepot.errors import UnknownTableError, WarehouseNotFoundError
from entrepot.warehouse import Warehouse
from entrepot.warehouse._warehouse import BOOKKEEPING
from entrepot.warehouse.cdm import cdm_tables

from ..conftest import warehouse_uri


def test_creates_every_cdm_table_exactly(warehouse):
    assert len(warehouse.tables("cdm")) == 37
    assert warehouse.tables("results") == ["cohort", "cohort_definition"]
    assert warehouse.tables("entrepot") == sorted(BOOKKEEPING)
    assert {"quarantine", "load_log"} <= set(BOOKKEEPING)
    for name, spec in cdm_tables().items():
        schema = warehouse.table(name).schema()
        assert list(schema.names) == spec.columns, name
        for f in spec.fields:
            assert schema[f.name].is_integer() == f.dtype.is_integer(), (name, f.name)
            assert schema[f.name].is_temporal() == f.dtype.is_temporal(), (name, f.name)
        assert warehouse.count(name) == 0


def test_reopens_what_it_created(engine, tmp_path, make_warehouse):
    make_warehouse("again").close()
    with Warehouse.open(warehouse_uri(engine, tmp_path, "again")) as wh:
        assert len(wh.tables()) == 37
        assert wh.create_schema() == []


def test_missing_warehouse_is_an_error_not_a_new_file(engine, tmp_path):
    if engine == "spark":
        pytest.importorskip("pyspark")
    with pytest.raises(WarehouseNotFoundError, match="entrepot init"):
        Warehouse.open(warehouse_uri(engine, tmp_path, "absent"))
    assert list(tmp_path.iterdir()) == []


def test_unknown_table(warehouse):
    with pytest.raises(UnknownTableError, match="'persons' is not in warehouse"):
        warehouse.table("persons")


def test_export_writes_one_file_per_table(make_warehouse, tmp_path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    wh = make_warehouse(vocabulary=True)
    assert wh.export("vocabulary", tmp_path / "vocabulary.parquet") == wh.count(
        "vocabulary"
    )
    exported = pq.read_table(tmp_path / "vocabulary.parquet")
    assert exported.column_names == list(wh.table("vocabulary").columns)
    assert "CIM10" in exported["vocabulary_id"].to_pylist()
    wh.export("domain", tmp_path / "domain.csv")
    assert pacsv.read_csv(tmp_path / "domain.csv").num_rows == wh.count("domain")
