"""`run_nlp` on a Spark warehouse: the notes are processed in Spark tasks, and
note_nlp is what the DuckDB path writes from the same notes."""

from __future__ import annotations

import ibis
import pytest

from entrepot.nlp import run_nlp
from entrepot.nlp._spark import JOB_GROUP
from entrepot.warehouse import Warehouse
from tests.conftest import warehouse_uri
from tests.nlp.test_run import add_notes, content, mentions

pytestmark = pytest.mark.spark

NOTES = {
    1: "Pas de toxidermie.",
    2: "Toxidermie au cotrimoxazole.",
    3: "Sa mère a eu un syndrome de Lyell.",
    4: "Antécédents :\nHTA.\nSuspicion de lupus.",
    5: "",
}


@pytest.fixture
def warehouses(spark_session, tmp_path, new_warehouse):
    """Open a DuckDB and a Spark warehouse holding the same notes."""
    opened = []

    def make(*, vocabulary: bool = False) -> tuple[Warehouse, Warehouse]:
        pair = tuple(
            new_warehouse(warehouse_uri(engine, tmp_path, f"eds{len(opened)}"),
                          vocabulary=vocabulary)
            for engine in ("duckdb", "spark")
        )  # fmt: skip
        for wh in pair:
            add_notes(wh, NOTES)
            opened.append(wh)
        return pair

    yield make
    for wh in opened:
        wh.close()


def nlp_jobs(session) -> set[int]:
    return set(session.sparkContext.statusTracker().getJobIdsForGroup(JOB_GROUP))


def tasks_run(session, jobs: set[int]) -> int:
    """Tasks completed by these jobs (all of which must have succeeded). A
    stage the tracker no longer holds is not counted: the shared session runs
    more stages than Spark's status store retains (`spark.ui.retainedStages`)."""
    tracker = session.sparkContext.statusTracker()
    infos = [tracker.getJobInfo(j) for j in jobs]
    assert {info.status for info in infos} == {"SUCCEEDED"}
    stages = [tracker.getStageInfo(s) for i in infos for s in i.stageIds]
    return sum(stage.numCompletedTasks for stage in stages if stage is not None)


def change_note(wh, note_id: int, text: str) -> None:
    """Replace one note's text (on either engine)."""
    note = wh.table("note")
    changed = note.mutate(
        note_text=ibis.ifelse(note.note_id == note_id, text, note.note_text)
    )
    with wh.store.transaction() as tx:
        tx.replace("cdm", "note", wh.store.materialize(changed))


def test_spark_tasks_write_what_duckdb_writes(warehouses, spark_session):
    duck, spark = warehouses(vocabulary=True)
    before = nlp_jobs(spark_session)
    on_spark = run_nlp(spark, batch_size=2)
    jobs = nlp_jobs(spark_session) - before
    assert on_spark == run_nlp(duck, workers=1)
    assert (on_spark["processed"], on_spark["skipped"]) == (4, 1)
    assert len(jobs) >= 3 and tasks_run(spark_session, jobs) >= 3  # 3 batches
    assert content(spark) == content(duck)
    found = {(r[0], r[2]): (r[3], r[4]) for r in content(spark)}
    assert found[1, "toxidermie"][1] == "N"  # negated
    assert found[2, "Toxidermie"][1] == "Y"
    assert found[3, "syndrome de Lyell"][1] == "N"  # family
    assert found[2, "cotrimoxazole"][0] > 0  # mapped to a warehouse concept
    ids = [m["note_nlp_id"] for m in mentions(spark)]
    assert ids == list(range(1, len(ids) + 1))


def test_only_new_and_changed_notes_go_to_spark(warehouses, spark_session):
    duck, spark = warehouses()
    for wh in (duck, spark):
        run_nlp(wh, workers=1)
    before = nlp_jobs(spark_session)
    assert run_nlp(spark)["notes"] == 0
    assert nlp_jobs(spark_session) == before  # nothing left to send
    for wh in (duck, spark):
        change_note(wh, 2, "Pas de toxidermie au cotrimoxazole.")
    again = run_nlp(spark)
    assert (again["notes"], again["mentions"]) == (1, 2)
    assert run_nlp(duck, workers=1) == again
    assert [(m["lexical_variant"], m["term_exists"]) for m in mentions(spark, 2)] == [
        ("toxidermie", "N"),
        ("cotrimoxazole", "N"),
    ]
    assert content(spark) == content(duck)
    assert spark.count("note_nlp") == duck.count("note_nlp")


def test_user_terms_are_shipped_to_the_tasks(warehouses, tmp_path):
    terms = tmp_path / "terms.yaml"
    terms.write_text("ALLERGIE:\n  - toxidermie au cotrimoxazole\n", encoding="utf-8")
    duck, spark = warehouses()
    result = run_nlp(spark, terms=terms)
    assert result == run_nlp(duck, terms=terms, workers=1)
    assert content(spark) == content(duck)
    labels = [m["term_modifiers"].split(",")[0] for m in mentions(spark, 2)]
    assert labels == ["label=ALLERGIE"]
    _, plain = warehouses()  # the tasks' processes do not keep the user's terms
    run_nlp(plain)
    assert "label=ALLERGIE" not in {
        m["term_modifiers"].split(",")[0] for m in mentions(plain)
    }
