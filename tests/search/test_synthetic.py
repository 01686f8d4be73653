"""Search the synthetic hospital's notes for common findings: they are
affirmed in some patients' notes and negated in others'."""

from __future__ import annotations

import re

import pytest

from entrepot.nlp._text import fold
from entrepot.search import SearchFilters, search_notes, split_by_context, update_index

FINDINGS = ("toux", "fièvre", "dyspnée", "douleur thoracique", "céphalées", "nausées")


@pytest.fixture(scope="module")
def hospital(tmp_path_factory):
    from entrepot.synth import generate_hospital
    from entrepot.warehouse import Warehouse

    path = tmp_path_factory.mktemp("synthetic") / "eds.duckdb"
    generate_hospital(path, patients=40, seed=7, notes=True, workers=1)
    with Warehouse.open(path) as wh:
        update_index(wh, workers=1)
        yield wh


def _texts(wh, note_ids) -> dict[int, str]:
    t = wh.table("note")
    rows = t.filter(t.note_id.isin(list(note_ids))).to_pyarrow().to_pylist()
    return {r["note_id"]: r["note_text"] for r in rows}


def _said(text: str, word: str, fields) -> bool:
    """Whether `word` stands as a word (not inside a name: Dr Vitoux) in one
    of the text's parts `fields`."""
    parts = split_by_context(text)
    said = re.compile(rf"\b{re.escape(fold(word))}\b")
    return any(said.search(fold(parts.get(f, ""))) for f in fields)


@pytest.mark.parametrize("word", FINDINGS)
def test_common_findings_are_affirmed_and_negated(hospital, word):
    query = f'"{word}"'
    kept = search_notes(hospital, query, limit=10_000)
    every = search_notes(hospital, query, SearchFilters(exclude=()), limit=10_000)
    assert kept["persons"] >= 3, kept["persons"]  # affirmed in several patients
    assert every["notes"] > kept["notes"]  # and negated or considered in others
    kept_ids = {h["note_id"] for h in kept["hits"]}
    left_out = {h["note_id"] for h in every["hits"]} - kept_ids
    texts = _texts(hospital, kept_ids | left_out)
    assert all(_said(texts[i], word, ("affirmed", "history")) for i in kept_ids)
    assert not any(_said(texts[i], word, ("affirmed", "history")) for i in left_out)
    assert any(_said(texts[i], word, ("negated",)) for i in left_out)
