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


@pytest.mark.parametrize("bad", ["eds.sqlite", "spark:", "postgres://x/y"])
def test_unknown_uris_are_refused(bad):
    with pytest.raises(WarehouseURIError):
        resolve(bad)
