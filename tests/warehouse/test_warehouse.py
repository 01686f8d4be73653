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


def _stored(store, name: str) -> list[tuple]:
    rows = store.fetch(store.table("results", name)).to_pylist()
    return sorted(tuple(r.values()) for r in rows)


def _missing_table_error(engine: str) -> tuple[type[Exception], ...]:
    """What each engine raises for a table that is not there."""
    if engine == "spark":
        from pyspark.errors import AnalysisException

        return (AnalysisException, FileNotFoundError)
    import duckdb

    return (duckdb.CatalogException,)


def test_a_transaction_deletes_appends_and_replaces_in_order(warehouse, engine):
    """The Store's writes, on each engine: deletes of the rows equal to values,
    appends of Arrow or Ibis rows (any column order), all or nothing."""
    import ibis
    import pyarrow as pa

    store = warehouse.store
    store.create_table("results", "t", ibis.schema({"k": "int64", "v": "string"}))
    with store.transaction() as tx:
        tx.append("results", "t", pa.table({"k": [1, 1, 2], "v": ["a", "b", "c"]}))
    with store.transaction() as tx:
        tx.delete("results", "t", {"K": 1})
        tx.append("results", "t", store.from_arrow(pa.table({"v": ["z"], "k": [1]})))
        tx.append("results", "t", pa.table({"k": [3], "v": [None]}))
    assert _stored(store, "t") == [(1, "z"), (2, "c"), (3, None)]
    with pytest.raises(_missing_table_error(engine)):
        with store.transaction() as tx:
            tx.delete("results", "t", {"k": 2})
            tx.append("results", "missing", pa.table({"k": [1]}))
    assert _stored(store, "t") == [(1, "z"), (2, "c"), (3, None)]
    with store.transaction() as tx:
        tx.replace("results", "t", pa.table({"k": [9], "v": ["r"]}))
        tx.append("results", "t", pa.table({"k": [8], "v": ["s"]}))
    assert _stored(store, "t") == [(8, "s"), (9, "r")]
    store.drop_table("results", "t")
    assert "t" not in store.list_tables("results")


def test_temporary_tables_are_dropped_when_the_block_ends(warehouse, engine):
    """Rows kept once under a name that other expressions use, then dropped."""
    import ibis

    store = warehouse.store
    rows = ibis.memtable({"k": [1, 2, 3]})
    with store.temporary() as scratch:
        kept = scratch.keep(
            "_entrepot_test_kept", store.prepare(rows.filter(rows.k > 1))
        )
        named = ibis.table(kept.schema(), name="_entrepot_test_kept")
        assert store.fetch(store.prepare(named.k.sum().as_table())).to_pylist() == [
            {"Sum(k)": 5}
        ]
        assert store.fetch(kept).num_rows == 2
    with pytest.raises(_missing_table_error(engine)):
        store.fetch(named)
