from pathlib import Path

import pytest

from entrepot.errors import WarehouseURIError
from entrepot.warehouse import resolve


def test_default_is_a_duckdb_file_in_the_current_folder(monkeypatch):
    monkeypatch.delenv("ENTREPOT_WAREHOUSE", raising=False)
    assert resolve(None).engine == "duckdb" and resolve(None).path == Path(
        "entrepot.duckdb"
    )


def test_environment_variable_then_argument(monkeypatch):
    monkeypatch.setenv("ENTREPOT_WAREHOUSE", "/data/eds.duckdb")
    assert resolve(None).path == Path("/data/eds.duckdb")
    assert resolve("other.duckdb").path == Path("other.duckdb")


def test_spark_uri_with_master():
    uri = resolve("spark:/data/eds?master=local[4]")
    assert (uri.engine, uri.path, uri.options) == (
        "spark",
        Path("/data/eds"),
        {"master": "local[4]"},
    )
    assert str(uri) == "spark:/data/eds"


def test_spark_uri_with_a_cluster_master():
    uri = resolve("spark:/shared/eds?master=spark://10.0.0.5:7077")
    assert (uri.path, uri.options) == (
        Path("/shared/eds"),
        {"master": "spark://10.0.0.5:7077"},
    )


@pytest.mark.parametrize("location", ["s3a://bucket/eds", "hdfs://namenode:8020/eds"])
def test_spark_tables_on_a_filesystem_url_are_refused(location):
    with pytest.raises(WarehouseURIError) as refused:
        resolve(f"spark:{location}?master=yarn")
    assert str(refused.value) == (
        f"'spark:{location}?master=yarn': Spark tables live in a folder that the "
        "driver and every executor see at the same path (a shared filesystem); "
        f"{location.split(':')[0]}:// locations are not supported"
    )


@pytest.mark.parametrize("bad", ["eds.sqlite", "spark:", "postgres://x/y"])
def test_unknown_uris_are_refused(bad):
    with pytest.raises(WarehouseURIError):
        resolve(bad)
