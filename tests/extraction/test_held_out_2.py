"""The second hand-written held-out set of brain MRI reports is valid and balanced.

No backend is run here: the set is only read and checked against the schema,
so that it stays a measure of the backends and never a target they were
tuned on.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

from entrepot.extraction import load_schema

GOLD = Path(__file__).parent / "brain_mri_eval" / "held_out_2.jsonl"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    with GOLD.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_records_have_their_keys_and_unique_ids(records):
    assert len(records) == 75
    assert all(set(r) == {"id", "style", "text", "fields"} for r in records)
    assert len({r["id"] for r in records}) == len(records)
    assert all(r["text"].strip() and r["style"] for r in records)
    assert len({r["text"] for r in records}) == len(records)


def test_labels_are_valid_and_resolved(records):
    schema = load_schema("brain_mri")
    labelled = [r["fields"] for r in records]
    assert [schema.problems(fields) for fields in labelled] == [[]] * len(labelled)
    assert [schema.resolve(fields) for fields in labelled] == labelled


def test_styles(records):
    assert Counter(r["style"] for r in records) == {
        "chu_titres": 14,
        "telegraphique": 10,
        "cabinet_liberal": 10,
        "redige_sans_titres": 10,
        "teleradiologie": 9,
        "dictee_reconnaissance_vocale": 9,
        "liste_numerotee": 7,
        "sans_accents_majuscules": 6,
    }


@pytest.mark.parametrize(
    ("field", "positives", "negatives", "nulls"),
    [
        ("headache", 32, 43, 0),
        ("contrast", 34, 41, 0),
        ("abnormal", 51, 24, 0),
        ("explains_headache", 15, 13, 47),
    ],
)
def test_per_field_counts(records, field, positives, negatives, nulls):
    values = Counter(r["fields"][field] for r in records)
    assert (values[True], values[False], values[None]) == (positives, negatives, nulls)
    assert min(positives, negatives) >= 12
