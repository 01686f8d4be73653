"""`Warehouse.export`: one table to one file, given as a str or a path."""

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from entrepot.errors import ParameterError
from entrepot.warehouse import Warehouse

from ..ingest.test_files import PERSONS, write


@pytest.fixture
def wh(tmp_path):
    with Warehouse.create(tmp_path / "eds.duckdb", vocabulary=False) as wh:
        wh.load(
            {
                "person": wh.store.read_file(
                    write(tmp_path / "in", person__csv=PERSONS) / "person.csv"
                )
            }
        )
        yield wh


def test_export_takes_a_str_or_a_path(wh, tmp_path):
    assert wh.export("person", str(tmp_path / "p.csv")) == 3
    assert pacsv.read_csv(tmp_path / "p.csv")["person_id"].to_pylist() == [1, 2, 3]
    assert wh.export("person", tmp_path / "p.parquet") == 3
    assert pq.read_table(tmp_path / "p.parquet").num_rows == 3


def test_export_into_a_missing_folder_is_one_line(wh, tmp_path):
    with pytest.raises(ParameterError) as e:
        wh.export("person", tmp_path / "absent" / "p.csv")
    assert str(e.value) == f"{tmp_path / 'absent'}: no such folder to write p.csv in"
