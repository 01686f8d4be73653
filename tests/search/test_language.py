"""The query language open to users: words, "phrases", AND/OR/NOT and
parentheses, typed as French users type them; everything else is text."""

from __future__ import annotations

import re
from datetime import date

import pytest

from entrepot.errors import SearchQueryError
from entrepot.search import SearchFilters, parse_exclude, search_notes, update_index
from tests.search.conftest import NOTES, PATIENTS, add_notes

FRENCH = {
    6: ("IPP1", date(2024, 2, 1), "Compte rendu de consultation",
        "Maladie d'Alzheimer évoluée."),
    7: ("IPP2", date(2024, 3, 1), "Compte rendu de consultation",
        "Démence de type maladie d’Alzheimer, stade modéré."),
    8: ("IPP3", date(2024, 4, 1), "Compte rendu de consultation",
        "Pas de maladie d'Alzheimer."),
    9: ("IPP4", date(2024, 5, 1), "Compte rendu d'hospitalisation",
        "L'ŒDÈME des membres inférieurs régresse sous traitement anti-inflammatoire."),
    10: ("IPP4", date(2024, 6, 1), "Compte rendu d'hospitalisation",
         "Douleur thoracique qu'il décrit comme oppressive."),
}  # fmt: skip


@pytest.fixture
def french(notes_warehouse):
    add_notes(notes_warehouse, FRENCH)
    update_index(notes_warehouse, workers=1)
    return notes_warehouse


def found(wh, query: str, exclude: str | None = None) -> list[int]:
    result = search_notes(wh, query, SearchFilters(parse_exclude(exclude)), limit=50)
    assert result["notes"] == len(result["hits"])
    return sorted(h["note_id"] for h in result["hits"])


@pytest.mark.parametrize(
    ("query", "notes"),
    [
        ("maladie d'Alzheimer", [6, 7]),  # straight apostrophe
        ("maladie d’Alzheimer", [6, 7]),  # typographic apostrophe
        ("MALADIE D'ALZHEIMER", [6, 7]),
        ("d'alzheimer", [6, 7]),
        ("l’Alzheimer", [6, 7]),  # the elided article does not matter
        ("alzheimer", [6, 7]),
        ('"maladie d\'Alzheimer"', [6, 7]),
        ("« maladie d’Alzheimer »", [6, 7]),
        ("“maladie d'alzheimer”", [6, 7]),
        ('"démence d\'alzheimer"', []),  # a phrase keeps its order
        ("oedème", [9]),
        ("œdème", [9]),
        ("l'ŒDÈME", [9]),
        ("OEDEME", [9]),
        ("anti-inflammatoire", [9]),
        ("anti inflammatoire", [9]),
        ("qu'il décrit", [10]),
        ("qu’il décrit", [10]),
        ("il décrit", [10]),
        ("démence AND NOT oedème", [7]),
        ("alzheimer -démence", [6]),
        ("(alzheimer OR œdème) AND NOT stade", [6, 9]),
    ],
)
def test_french_forms(french, query, notes):
    assert found(french, query) == notes


def test_negated_alzheimer_counted_only_when_asked(french):
    assert found(french, "maladie d'Alzheimer", "none") == [6, 7, 8]
    result = search_notes(french, "maladie d’Alzheimer")
    assert (result["notes"], result["persons"]) == (2, 2)


@pytest.mark.parametrize(
    "query",
    [
        "person_id:{IPP2} AND systémique",
        "systémique AND person_id:{IPP2}",
        "person_id:[{IPP2} TO {IPP2}] AND systémique",
        "note_id:2 AND systémique",
        "note_type:ordonnance",
        "note_day:[0 TO 100000]",
        "affirmed:sclérodermie",
    ],
)
def test_fields_are_not_open_to_users(indexed, query):
    """`person_id:N AND word` would count one patient's notes: it is only text."""
    query = query.format(IPP2=PATIENTS["IPP2"])
    assert found(indexed, query, "none") == []


def test_field_like_text_is_searched_as_words(indexed):
    assert found(indexed, "lupus:systémique", "none") == [2]
    assert found(indexed, "sclérodermie:", "none") == [1, 2, 3, 4, 5]
    assert found(indexed, "[sclérodermie]", "none") == [1, 2, 3, 4, 5]
    assert found(indexed, "NOT raynaud", "none") == sorted(set(NOTES) - {1})


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ('"sclérodermie', "unclosed quote"),
        ("« sclérodermie", "unclosed quote"),
        ("(lupus", "missing )"),
        ("lupus)", "unexpected )"),
        ("lupus AND", "AND needs a word"),
        ("OR lupus", "unexpected OR"),
        ("lupus NOT", "NOT needs a word"),
        ("  ", "empty search query"),
        (":: --", "no word to search"),
    ],
)
def test_malformed_queries_name_the_problem(indexed, query, words):
    with pytest.raises(SearchQueryError, match=re.escape(words)) as e:
        search_notes(indexed, query)
    assert "\n" not in str(e.value)
