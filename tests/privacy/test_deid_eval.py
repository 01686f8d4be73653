"""The hand-written de-identification evaluation set is what it says it is:
every gold span's offsets give its text, labels are the de-identifier's, NIRs
carry a valid key, and a value annotated once is annotated everywhere."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from entrepot.privacy.deid import LABELS, score

SET = Path(__file__).parent / "deid_eval" / "documents.jsonl"
DOCS = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines()]
#: The styles of a French CHU the issue asks for, each present at least twice.
STYLES = (
    "lettre au médecin traitant",
    "compte rendu opératoire",
    "transmissions infirmières",
    "ordonnance",
    "RCP (réunion de concertation pluridisciplinaire)",
    "compte rendu d'hospitalisation",
    "compte rendu de radiologie",
    "note des urgences",
    "note de consultation",
    "note de l'assistante sociale",
)


def test_the_set_holds_36_documents_or_more_in_each_style():
    assert len(DOCS) >= 36
    assert len({d["id"] for d in DOCS}) == len(DOCS)
    styles = [d["style"] for d in DOCS]
    assert {s: styles.count(s) >= 2 for s in STYLES} == dict.fromkeys(STYLES, True)


@pytest.mark.parametrize("doc", DOCS, ids=[d["id"] for d in DOCS])
def test_offsets_give_each_span_its_text(doc):
    text = doc["text"]
    for span in doc["identifiers"] + doc["medical_terms"]:
        assert text[span["start"] : span["end"]] == span["text"], span
        assert span["text"] == span["text"].strip(), span
    assert {s["label"] for s in doc["identifiers"]} <= set(LABELS)
    spans = sorted(doc["identifiers"] + doc["medical_terms"], key=lambda s: s["start"])
    assert all(
        a["end"] <= b["start"] for a, b in zip(spans, spans[1:], strict=False)
    ), doc["id"]


@pytest.mark.parametrize("doc", DOCS, ids=[d["id"] for d in DOCS])
def test_a_value_annotated_once_is_annotated_everywhere_in_its_document(doc):
    """Case-sensitive whole words, so that `Rose` the name and `rose` differ;
    one- and two-character values (the `9` of "du 9 au 14") are left out."""
    text = doc["text"]
    covered = {i for s in doc["identifiers"] for i in range(s["start"], s["end"])}
    for value in {s["text"] for s in doc["identifiers"] if len(s["text"]) > 2}:
        for m in re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text):
            assert set(range(m.start(), m.end())) <= covered, (value, m.start())


def test_every_nir_carries_its_key_and_the_records_are_well_formed():
    nirs = [s["text"] for d in DOCS for s in d["identifiers"] if s["label"] == "NSS"]
    assert (
        len(nirs) >= 4
        and any(" " in n for n in nirs)
        and any(" " not in n for n in nirs)
    )
    for nir in nirs + [d["patient"]["nir"] for d in DOCS if "nir" in d["patient"]]:
        digits = nir.replace(" ", "").replace("2A", "19").replace("2B", "18")
        assert len(digits) == 15 and 97 - int(digits[:13]) % 97 == int(digits[13:])
    for doc in DOCS:
        assert date.fromisoformat(doc["patient"]["birth_date"]) < date(2025, 1, 1)
        assert doc["patient"]["last_name"].casefold() in doc["text"].casefold()


def test_score_counts_kept_terms_and_lists_the_spans_left():
    gold = {
        1: [{"start": 0, "end": 6, "label": "NOM"}],
        2: [
            {"start": 0, "end": 4, "label": "NOM"},
            {"start": 10, "end": 12, "label": "PRENOM"},
        ],
    }
    keep = {1: [{"start": 10, "end": 15}], 2: [{"start": 20, "end": 25}]}
    found = {
        1: [{"start": 0, "end": 6, "label": "NOM"}, {"start": 12, "end": 14}],
        2: [{"start": 0, "end": 4, "label": "NOM"}],
    }
    result = score(gold, found, keep)
    assert result["medical_terms_intact"] == 0.5
    assert result["fully_deidentified"] == 0.5
    assert result["missed"] == [
        {"document": 2, "start": 10, "end": 12, "label": "PRENOM"}
    ]
    assert result["recall"] == {"NOM": 1.0, "PRENOM": 0.0}
    assert result["precision"] == round(2 / 3, 4)
    assert "medical_terms_intact" not in score(gold, found)
