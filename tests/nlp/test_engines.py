"""Text processing and search on Spark: the same results as on DuckDB."""

from __future__ import annotations

import pytest

from entrepot.nlp import run_nlp
from entrepot.search import search_notes, update_index
from entrepot.warehouse import Warehouse
from tests.search.conftest import NOTES, add_notes


@pytest.mark.spark
def test_note_nlp_and_index_on_spark(spark_session, tmp_path):
    wh = Warehouse.create(
        f"spark:{tmp_path / 'eds'}", vocabulary=False, spark_session=spark_session
    )
    add_notes(wh, NOTES)
    assert run_nlp(wh, workers=1)["mentions"] == 9
    assert run_nlp(wh, workers=1)["notes"] == 0
    negated = wh.table("note_nlp").filter(lambda t: t.term_exists == "N")
    assert negated.count().to_pyarrow().as_py() == 3  # negated, family, hypothesis
    assert update_index(wh, workers=1)["indexed"] == 5
    assert [h["note_id"] for h in search_notes(wh, "sclérodermie")["hits"]] in (
        [1, 5],
        [5, 1],
    )
