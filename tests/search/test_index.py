"""The index follows the warehouse: new, changed, removed and opted-out notes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from entrepot.errors import SearchIndexError
from entrepot.privacy import optout_add
from entrepot.search import index_path, search_notes, update_index
from tests.search.conftest import KEY, PATIENTS, add_notes


def test_index_is_incremental(notes_warehouse):
    wh = notes_warehouse
    assert update_index(wh, workers=1)["indexed"] == 5
    assert update_index(wh, workers=1)["indexed"] == 0
    wh.con.raw_sql("UPDATE note SET note_text = 'Pas de toux.' WHERE note_id = 3")
    wh.con.raw_sql("DELETE FROM note WHERE note_id = 2")
    add_notes(wh, {6: ("IPP2", date(2024, 2, 2), "Ordonnance", "Toux sèche.")})
    result = update_index(wh, workers=1)
    assert (result["indexed"], result["removed"], result["notes"]) == (2, 1, 5)
    assert [h["note_id"] for h in search_notes(wh, "toux")["hits"]] == [6]
    assert search_notes(wh, "lupus")["notes"] == 0
    assert index_path(wh).name == "eds.duckdb.search"


def test_bad_notes_are_skipped_with_a_count(notes_warehouse):
    add_notes(
        notes_warehouse,
        {
            7: ("IPP1", date(2024, 1, 1), "Vide", ""),
            8: ("IPP1", date(2024, 1, 1), "Binaire", "toux\x01\x02"),
        },
    )
    result = update_index(notes_warehouse, workers=1)
    assert result["skipped_by_reason"] == {"empty": 1, "control-characters": 1}
    assert update_index(notes_warehouse, workers=1)["indexed"] == 0


def test_opted_out_patients_leave_the_index(indexed):
    assert search_notes(indexed, "sclérodermie")["persons"] == 1
    optout_add(indexed, KEY, ["IPP1"])  # the hook of entrepot.search runs
    assert search_notes(indexed, "sclérodermie")["notes"] == 0
    import tantivy

    from entrepot.search._schema import open_index

    searcher = open_index(index_path(indexed)).searcher()
    query = tantivy.Query.term_query(
        searcher_schema(indexed), "person_id", PATIENTS["IPP1"]
    )
    assert searcher.search(query, limit=10).count == 0
    assert update_index(indexed, workers=1)["indexed"] == 0


def searcher_schema(wh):
    from entrepot.search._schema import schema

    return schema()


def test_parallel_indexing_gives_the_same_results(notes_warehouse):
    many = {
        100 + i: (
            "IPP3",
            date(2020, 1, 1),
            "Note",
            f"Note {i}. Pas de fièvre. Toux {i}.",
        )
        for i in range(600)
    }
    add_notes(notes_warehouse, many)
    result = update_index(notes_warehouse, workers=3, batch_size=250)
    assert result["indexed"] == 605
    assert search_notes(notes_warehouse, "toux")["notes"] == 601
    assert search_notes(notes_warehouse, "fièvre")["notes"] == 0


def test_an_index_of_an_older_layout_is_rebuilt(indexed):
    """Version 1 stored no note titles: searching it says to rebuild; `index`
    rebuilds it whole."""
    meta = index_path(indexed) / "entrepot.json"
    meta.write_text(json.dumps({"version": "1"}))
    with pytest.raises(
        SearchIndexError, match="older layout: rebuild it with `entrepot index`"
    ):
        search_notes(indexed, "sclérodermie")
    assert update_index(indexed, workers=1)["indexed"] == 5
    hits = search_notes(indexed, "méthotrexate")["hits"]
    assert [(h["note_id"], h["note_title"]) for h in hits] == [(5, "Ordonnance")]


def _many(wh, count: int) -> None:
    add_notes(
        wh,
        {
            100 + i: ("IPP3", date(2020, 1, 1), "Note", f"Note {i}. Toux {i}.")
            for i in range(count)
        },
    )


def test_a_run_stopped_midway_goes_on_where_it_stopped(notes_warehouse):
    """Each batch is recorded as it is committed; the next run does the rest
    and leaves the state in one part."""
    _many(notes_warehouse, 300)
    done = []

    def stop_after_two(label):
        done.append(label)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        update_index(notes_warehouse, workers=1, batch_size=100, progress=stop_after_two)
    parts = sorted((index_path(notes_warehouse) / "state").glob("*.parquet"))
    assert len(parts) == 2
    result = update_index(notes_warehouse, workers=1, batch_size=100)
    assert (result["indexed"], result["notes"]) == (105, 305)
    assert len(list((index_path(notes_warehouse) / "state").glob("*.parquet"))) == 1
    assert search_notes(notes_warehouse, "toux")["notes"] == 301


def test_the_state_of_one_file_an_older_entrepot_wrote_is_kept(indexed):
    """Before the state was kept in parts it was one `notes.parquet`: it is
    read as the first part, and nothing is indexed again."""
    import pyarrow.parquet as pq

    folder = index_path(indexed) / "state"
    (part,) = folder.glob("*.parquet")
    pq.write_table(pq.read_table(part).drop(["seq"]), folder.parent / "notes.parquet")
    part.unlink()
    folder.rmdir()
    result = update_index(indexed, workers=1)
    assert (result["indexed"], result["removed"], result["notes"]) == (0, 0, 5)
    assert not (folder.parent / "notes.parquet").exists()


def test_compaction_keeps_each_notes_last_version_written_by_the_engine(warehouse):
    """The parts merge into one holding each note's last fingerprint (a note
    removed since is left out), the engine writing it on either engine."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from entrepot.search._index import _compact, _record

    path = index_path(warehouse)
    _record(path, [1, 2, 4], ["a", "x", "d"])
    _record(path, [1, 3], ["b", "c"])
    _record(path, [2], [None])
    assert _compact(warehouse, path) == 3
    (part,) = (path / "state").iterdir()
    assert part.name == "000000003.parquet"
    rows = pq.read_table(part).sort_by("note_id")
    assert rows.schema.field("seq").type == pa.int64()
    assert rows.to_pylist() == [
        {"note_id": 1, "fingerprint": "b", "seq": 2},
        {"note_id": 3, "fingerprint": "c", "seq": 2},
        {"note_id": 4, "fingerprint": "d", "seq": 2},
    ]
    assert _compact(warehouse, path) == 3  # one part: left as it is
    assert [p.name for p in (path / "state").iterdir()] == [part.name]
