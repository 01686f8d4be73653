"""The live counts' statements, compiled once for every connection of the
process to a warehouse, and compiled again for a changed definition or after
a write that changes the tables they name."""

import pyarrow as pa
import pytest

from entrepot.cohort._counts import count_parts
from entrepot.cohort._statements import held
from entrepot.privacy import erase_persons

from ..conftest import warehouse_uri
from .conftest import build_tiny
from .test_run import define


@pytest.fixture
def tiny(tmp_path):
    with build_tiny(warehouse_uri("duckdb", tmp_path)) as wh:
        yield wh


def _around(start: int, end: int = 30) -> object:
    """Entry: each GI bleed; one rule: drug A from `start` to `end` days
    around it (person 1's 1 Mar 2015 bleed: drug A 28 days before, 9 after)."""
    rule = {"event": {"drug": {"concept_set": "drug"}}, "window": {"start": start, "end": end}}  # fmt: skip
    return define(
        entry={"events": [{"condition": {"concept_set": "gi"}}], "limit": "all"},
        inclusion_rules=[{"name": "drug A around", "criteria": {"criteria": [rule]}}],
    )


def _persons(wh, definition) -> dict:
    return {p: ids.tolist() for p, ids in count_parts(wh, definition).persons.items()}


def test_compiled_once_for_every_connection_again_when_changed(tiny):
    assert _persons(tiny, _around(-60)) == {
        "entry": [1, 2, 3],
        "rules/0/criteria/0": [1],
        "rules/0": [1],
        "cohort": [1],
    }
    kept = held(tiny.store)
    assert kept > 0
    reader = tiny.reader()
    assert _persons(reader, _around(-60))["cohort"] == [1]
    assert held(tiny.store) == kept  # nothing compiled again on the reader
    assert _persons(reader, _around(-60, -40))["cohort"] == []  # a changed criterion
    assert held(tiny.store) > kept


def test_rows_added_are_counted_a_table_rewritten_compiles_again(tiny):
    assert _persons(tiny, _around(-60))["cohort"] == [1]
    c = tiny.table("condition_occurrence")
    bleed = c.filter(c.person_id == 3).condition_start_date.min().to_pyarrow().as_py()
    d = tiny.table("drug_exposure")
    first = d.order_by("drug_exposure_id").limit(1).to_pyarrow().to_pylist()[0]
    added = first | {
        "drug_exposure_id": 9,
        "person_id": 3,
        "drug_exposure_start_date": bleed,
        "drug_exposure_end_date": bleed,
    }
    kept = held(tiny.store)
    tiny.load({"drug_exposure": pa.Table.from_pylist([added], d.schema().to_pyarrow())})
    assert held(tiny.store) == kept  # the same statements read the new rows
    assert _persons(tiny, _around(-60))["cohort"] == [1, 3]
    erase_persons(tiny, [1])  # tables replaced
    assert held(tiny.store) == 0
    assert _persons(tiny, _around(-60))["cohort"] == [3]
