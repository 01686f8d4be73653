"""Event rows are loaded ordered by concept, then person, so that a
criterion's scan for a few concepts skips the blocks of the others: the rows
stay in that order, and no count depends on it (the same hospital with its
rows shuffled counts the same persons)."""

import shutil

import duckdb
import pytest

from bench.builder import definition as nested
from bench.serve import cohort
from entrepot.cohort._counts import count_parts
from entrepot.cohort._files import definition_from_data
from entrepot.warehouse import Warehouse
from entrepot.warehouse.cdm._schema import CLUSTERED


@pytest.fixture(scope="module")
def hospitals(hf_hospital, tmp_path_factory):
    """The hospital as loaded, and a copy with every clustered table's rows
    rewritten in a random order."""
    folder = tmp_path_factory.mktemp("clustered")
    loaded, shuffled = folder / "loaded.duckdb", folder / "shuffled.duckdb"
    shutil.copy(hf_hospital, loaded)
    shutil.copy(hf_hospital, shuffled)
    con = duckdb.connect(str(shuffled))
    con.execute("SELECT setseed(0.5)")
    for table in CLUSTERED:
        con.execute(f"CREATE TEMPORARY TABLE rows AS SELECT * FROM main.{table}")
        con.execute(f"DELETE FROM main.{table}")
        con.execute(f"INSERT INTO main.{table} SELECT * FROM rows ORDER BY random()")
        con.execute("DROP TABLE rows")
    con.close()
    return loaded, shuffled


@pytest.mark.parametrize("table", ["measurement", "condition_occurrence", "drug_exposure"])  # fmt: skip
def test_a_load_writes_event_rows_by_concept_then_person(hospitals, table):
    concept, person = CLUSTERED[table]
    con = duckdb.connect(str(hospitals[0]), read_only=True)
    rows = con.execute(f"SELECT {concept}, person_id FROM main.{table}").fetchall()
    con.close()
    assert len(rows) > 1_000
    assert rows == sorted(rows)


def _definitions():
    yield "builder's nested definition", nested()
    for code, age in (("I50", 65), ("I10", 18), ("E11", 40)):
        yield f"first {code} at {age}", definition_from_data(cohort(code, age), "x")


def test_counts_do_not_depend_on_the_rows_order(hospitals):
    with (
        Warehouse.open(hospitals[0], read_only=True) as loaded,
        Warehouse.open(hospitals[1], read_only=True) as shuffled,
    ):
        counted = 0
        for name, d in _definitions():
            a, b = count_parts(loaded, d), count_parts(shuffled, d)
            assert a.attrition == b.attrition, name
            assert a.persons.keys() == b.persons.keys(), name
            for part, ids in a.persons.items():
                assert ids.tolist() == b.persons[part].tolist(), (name, part)
            counted += len(a.persons["entry"]) > 0
    assert counted >= 3  # the comparison is of persons found, not of nothing
