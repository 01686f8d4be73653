"""Where a query's words are in a report: the offsets a page marks, read as
the index reads words."""

from __future__ import annotations

import pytest

from entrepot.errors import SearchQueryError
from entrepot.search import contexts, highlights

TEXT = (
    "Pas de sclérodermie. L'insuffisance cardiaque est stable ; "
    "maladie d'Alzheimer chez le père. SCLERODERMIE cutanée ?"
)


def marked(query: str) -> list[str]:
    return [TEXT[a:b] for a, b in highlights(TEXT, query)]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("sclerodermie", ["sclérodermie", "SCLERODERMIE"]),  # accents, case
        ('"insuffisance cardiaque"', ["insuffisance cardiaque"]),  # a phrase
        ("l'insuffisance", ["insuffisance"]),  # an elided article left out
        ('"maladie d\'alzheimer"', ["maladie d'Alzheimer"]),
        ("père OR stable", ["stable", "père"]),  # in the text's order
        ("sclérodermie NOT père", ["sclérodermie", "SCLERODERMIE"]),
        ("cardiaque -insuffisance", ["cardiaque"]),  # words after NOT: none
        ("lupus", []),
    ],
)
def test_each_word_and_phrase_is_found_where_it_is(query, expected):
    assert marked(query) == expected


def test_overlapping_hits_are_one_stretch():
    start = TEXT.index("insuffisance")
    found = highlights(TEXT, '"insuffisance cardiaque" cardiaque')
    assert found == [(start, start + len("insuffisance cardiaque"))]


def test_an_unreadable_query_is_refused():
    with pytest.raises(SearchQueryError, match="unclosed quote"):
        highlights(TEXT, '"sclérodermie')


def test_contexts_cut_the_text_without_its_blanks():
    found = [(TEXT[a:b], c) for a, b, c in contexts(TEXT)]
    assert found[0] == ("Pas de sclérodermie.", "negated")
    assert found[1] == (  # a relative named: the sentence is about them
        "L'insuffisance cardiaque est stable ; maladie d'Alzheimer chez le père.",
        "family",
    )
    assert found[-1] == ("SCLERODERMIE cutanée ?", "hypothesis")
