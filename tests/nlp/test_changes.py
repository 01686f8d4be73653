"""The notes to redo stay in the engine: Python gets them a page at a time."""

from __future__ import annotations

from datetime import date

from entrepot.nlp import note_fingerprints, pending, read_notes
from entrepot.nlp._changes import pages
from tests.search.conftest import add_notes

NOTES = {
    i: ("IPP1", date(2024, 1, 1), "Note", f"Note {i}.") for i in (9, 3, 7, 1, 5, 11, 2)
}


def test_pages_cover_every_note_once_in_id_order(warehouse):
    add_notes(warehouse, NOTES)
    current = note_fingerprints(warehouse, ("note_text",), "test")
    sizes = [p.num_rows for p in pages(warehouse, current, 3)]
    assert sizes == [3, 3, 1]
    batches = list(read_notes(warehouse, current, ("note_text",), 3))
    assert [[n["note_id"] for n in b] for b in batches] == [[1, 2, 3], [5, 7, 9], [11]]
    assert batches[0][0]["note_text"] == "Note 1."
    rows = current.to_pyarrow().to_pylist()
    expected = {r["note_id"]: r["fingerprint"] for r in rows}
    assert {n["note_id"]: n["fingerprint"] for b in batches for n in b} == expected


def test_a_page_size_that_divides_the_notes_ends_with_no_empty_page(warehouse):
    add_notes(warehouse, NOTES)
    current = note_fingerprints(warehouse, ("note_text",), "test")
    todo, gone = pending(current, current.filter(current.note_id < 3))
    assert [p["note_id"].to_pylist() for p in pages(warehouse, todo, 5)] == [
        [3, 5, 7, 9, 11]
    ]
    assert list(pages(warehouse, gone, 5)) == []
