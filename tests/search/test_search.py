"""Search by context: negated, hypothetical and family text left out by default."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from entrepot.errors import SearchIndexError, SearchQueryError
from entrepot.search import (
    SearchFilters,
    parse_exclude,
    search_notes,
    split_by_context,
    update_index,
)
from entrepot.search._query import matching_notes
from tests.search.conftest import NOTES


def found(wh, query: str, exclude: str | None = None, **filters) -> list[int]:
    result = search_notes(wh, query, SearchFilters(parse_exclude(exclude), **filters))
    assert result["notes"] == len(result["hits"])
    return sorted(h["note_id"] for h in result["hits"])


def test_text_is_split_by_context():
    fields = split_by_context(
        "Pas de sclérodermie. Sa sœur a un lupus. Suspicion de goutte. Toux."
    )
    assert fields == {
        "negated": "Pas de sclérodermie.",
        "family": "Sa sœur a un lupus.",
        "hypothesis": "Suspicion de goutte.",
        "affirmed": "Toux.",
    }


@pytest.mark.parametrize(
    ("query", "exclude", "notes"),
    [
        ("sclérodermie", None, [1, 5]),  # not "pas de", not the sister's
        ("sclérodermie", "none", [1, 2, 3, 4, 5]),
        ("sclérodermie", "negated", [1, 3, 4, 5]),
        ("sclérodermie", "negated,hypothesis,family,history", [1]),
        ("SCLERODERMIE", None, [1, 5]),  # accents and case do not matter
        ('"sclérodermie systémique"', "none", [1, 4]),
        ('"systémique sclérodermie"', "none", []),
        ("sclérodermie AND NOT systémique", "none", [3, 5]),  # 2: lupus systémique
        ("sclérodermie -systémique", "none", [3, 5]),
        ("lupus OR toux", None, [2, 3]),
        ("(lupus OR raynaud) AND systémique", None, [1, 2]),
    ],
)
def test_queries(indexed, query, exclude, notes):
    assert found(indexed, query, exclude) == notes


def test_filters(indexed):
    assert found(
        indexed, "sclérodermie", "none", note_type="compte rendu D'HOSPITALISATION"
    ) == [3, 4]
    assert found(
        indexed, "sclérodermie", "none", start=date(2021, 5, 2), end=date(2023, 9, 4)
    ) == [2, 3, 4]
    assert found(indexed, "sclérodermie", "none", start=date(2023, 1, 1)) == [4, 5]


def test_hits_and_counts(indexed):
    result = search_notes(indexed, "sclérodermie", limit=1)
    assert (result["notes"], result["persons"], len(result["hits"])) == (2, 1, 1)
    hit = result["hits"][0]
    assert set(hit) == {"note_id", "person_id", "note_date", "note_title", "snippet"}
    assert "<b>" in hit["snippet"] and "clérodermie</b>" in hit["snippet"].lower()
    everything = search_notes(indexed, "sclérodermie", SearchFilters(exclude=()))
    assert (everything["notes"], everything["persons"]) == (5, 4)
    note_3 = next(h for h in everything["hits"] if h["note_id"] == 3)
    assert note_3["snippet"] == "Sa sœur a une <b>sclérodermie</b>"
    assert note_3["note_date"] == "2022-07-03"


@pytest.mark.parametrize("query", ['"sclérodermie', "(lupus", "lupus AND", "  "])
def test_malformed_queries(indexed, query):
    with pytest.raises(SearchQueryError):
        search_notes(indexed, query)


def test_bad_options():
    with pytest.raises(SearchQueryError, match="unknown context 'bogus'"):
        parse_exclude("negated,bogus")
    assert parse_exclude("none") == ()
    assert parse_exclude(None) == ("negated", "hypothesis", "family")


def test_no_index(notes_warehouse):
    with pytest.raises(SearchIndexError, match="entrepot index"):
        search_notes(notes_warehouse, "toux")


def test_pages_of_hits(indexed):
    """Counts are over every matching note; hits are one page of them, each
    with its note type and date."""
    pages = [
        search_notes(
            indexed, "sclérodermie", SearchFilters(exclude=()), limit=2, offset=o
        )
        for o in (0, 2, 4, 6)
    ]
    assert [(p["notes"], p["persons"], p["offset"]) for p in pages] == [
        (5, 4, 0), (5, 4, 2), (5, 4, 4), (5, 4, 6)
    ]  # fmt: skip
    ids = [[h["note_id"] for h in p["hits"]] for p in pages]
    assert [len(i) for i in ids] == [2, 2, 1, 0]
    assert sorted(sum(ids, [])) == [1, 2, 3, 4, 5]
    hits = {h["note_id"]: h for p in pages for h in p["hits"]}
    assert {i: (h["note_title"], h["note_date"]) for i, h in hits.items()} == {
        i: (title, day.isoformat()) for i, (_, day, title, _) in NOTES.items()
    }


@pytest.fixture(scope="module")
def hundred_notes(tmp_path_factory):
    """100 notes of 30 persons (20 with sclérodermie), many alike (equal scores), indexed in
    batches of 20 (several segments)."""
    from entrepot.warehouse import Warehouse

    from .conftest import add_notes

    path = tmp_path_factory.mktemp("hundred") / "eds.duckdb"
    words = ["Sclérodermie systémique.", "Sclérodermie.", "Toux sèche."]
    with Warehouse.create(path, vocabulary=False) as wh:
        add_notes(wh, {
            i: (1000 + i % 30, date(2020, 1, 1) + timedelta(days=i), "CR",
                words[i % 3] + " Suivi." * (i % 4))
            for i in range(1, 101)
        })  # fmt: skip
        update_index(wh, workers=1, batch_size=20)
        yield wh


def test_hits_are_collected_in_batches(hundred_notes):
    """Batches of 10 notes give the counts, persons and pages of one batch;
    each page is its slice of every hit, best first (ties in index order)."""
    wh, everything = hundred_notes, SearchFilters(exclude=())
    whole = search_notes(wh, "sclérodermie", everything, limit=100)
    assert (whole["notes"], whole["persons"]) == (67, 20)
    ranked = [h["note_id"] for h in whole["hits"]]
    for offset in (0, 7, 60, 67):
        batched = search_notes(
            wh, "sclérodermie", everything, limit=7, offset=offset, batch_size=10
        )
        assert batched | {"hits": None, "offset": None} == whole | {
            "hits": None, "offset": None
        }  # fmt: skip
        assert [h["note_id"] for h in batched["hits"]] == ranked[offset : offset + 7]
    assert sorted(matching_notes(wh, "sclérodermie", everything, batch_size=10)) == (
        sorted(matching_notes(wh, "sclérodermie", everything))
    )
    assert len(list(matching_notes(wh, "toux", everything, batch_size=10))) == 33
