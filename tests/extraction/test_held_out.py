"""The hand-written held-out brain MRI set: valid, and balanced enough to
measure sensitivity and specificity on every field."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from entrepot.extraction import Extraction, evaluate, load_schema, read_gold

HELD_OUT = Path(__file__).parent / "brain_mri_eval" / "held_out.jsonl"


def test_every_record_is_valid_against_the_schema():
    gold = read_gold(HELD_OUT, load_schema("brain_mri"))
    assert len(gold) == 90
    assert all(r.text.strip() for r in gold)


def test_positives_and_negatives_per_field():
    gold = read_gold(HELD_OUT, load_schema("brain_mri"))
    counts = {
        name: Counter(r.fields[name] for r in gold)
        for name in ("headache", "contrast", "abnormal", "explains_headache")
    }
    assert counts == {
        "headache": {True: 36, False: 54},
        "contrast": {True: 45, False: 45},
        "abnormal": {True: 60, False: 30},
        "explains_headache": {True: 16, False: 14, None: 60},
    }
    assert all(c[True] >= 12 and c[False] >= 12 for c in counts.values())


def test_eight_styles_of_several_reports_each():
    lines = HELD_OUT.read_text(encoding="utf-8").splitlines()
    styles = Counter(json.loads(line)["style"] for line in lines)
    assert len(styles) == 8
    assert min(styles.values()) >= 11


def test_the_gold_scored_against_itself_is_perfect_and_null_answers_score_nothing():
    schema = load_schema("brain_mri")
    gold = read_gold(HELD_OUT, schema)
    perfect = evaluate(schema, gold, {r.id: Extraction(dict(r.fields)) for r in gold})
    # n/n: the Wilson lower bound is n / (n + 1.96²)
    lows = {
        f.name: (
            round(f.binary.sensitivity.low, 4),
            round(f.binary.specificity.low, 4),
        )
        for f in perfect.fields
    }
    assert lows == {
        "headache": (0.9036, 0.9336),
        "contrast": (0.9213, 0.9213),
        "abnormal": (0.9398, 0.8865),
        "explains_headache": (0.8064, 0.7847),
    }
    assert perfect.meets_published
    assert all(not f.errors for f in perfect.fields)

    silent = evaluate(
        schema, gold, {r.id: Extraction(dict.fromkeys(schema.names)) for r in gold}
    )
    explains = silent.field("explains_headache")
    assert (explains.binary.null_positive, explains.binary.null_negative) == (16, 14)
    assert explains.binary.sensitivity.value == 0.0
    assert explains.binary.ppv.value is None
    assert len(explains.errors) == 30
    assert not silent.meets_published
