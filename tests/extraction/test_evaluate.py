"""Evaluation of extractions against gold records: counts, Wilson intervals,
the null rules, the paper's figures beside ours, and the gold file's errors."""

from __future__ import annotations

import json

import pytest

from entrepot.errors import InputFileError, ParameterError
from entrepot.extraction import (
    Extraction,
    GoldRecord,
    evaluate,
    load_schema,
    read_gold,
    wilson,
)

SCHEMA = (
    "name: s\nversion: '1'\ntitle: t\nfields:\n"
    "  - {name: b, type: boolean, definition: d}\n"
    "  - {name: side, type: enum, values: [gauche, droite], definition: d}\n"
    "  - {name: size, type: number, unit: mm, definition: d}\n"
    "  - {name: seen, type: date, definition: d}\n"
    "  - {name: note, type: text, definition: d}\n"
)


@pytest.fixture
def schema(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCHEMA, encoding="utf-8")
    return load_schema(path)


def record(id, text="x", **fields):
    names = ("b", "side", "size", "seen", "note")
    return GoldRecord(id, text, {n: fields.get(n) for n in names})


@pytest.mark.parametrize(
    ("successes", "total", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),
        (10, 10, 0.7225, 1.0),
        (0, 10, 0.0, 0.2775),
        # Newcombe, Stat Med 1998;17:857-72, Table I, method 3 (Wilson)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_intervals_match_published_values(successes, total, low, high):
    p = wilson(successes, total)
    assert (p.successes, p.total) == (successes, total)
    assert p.value == pytest.approx(successes / total)
    assert p.low == pytest.approx(low, abs=5e-5)
    assert p.high == pytest.approx(high, abs=5e-5)


def test_an_empty_proportion_has_no_value():
    p = wilson(0, 0)
    assert (p.value, p.low, p.high) == (None, None, None)


def test_boolean_counts_and_the_null_rules(schema):
    # gold:      T     T      T     F      F     F     null
    # predicted: T     F      null  F      T     null  T
    gold = [
        record(1, b=True),
        record(2, b=True),
        record(3, b=True),
        record(4, b=False),
        record(5, "pas de b", b=False),
        record(6, b=False),
        record(7, b=None),
    ]
    got = [True, False, None, False, True, None, True]
    extractions = {
        r.id: Extraction({**dict.fromkeys(schema.names), "b": g})
        for r, g in zip(gold, got, strict=True)
    }
    extractions[5] = Extraction(
        {**dict.fromkeys(schema.names), "b": True}, {"b": (7, 8)}
    )
    result = evaluate(schema, gold, extractions).field("b")
    counts = result.binary
    assert (counts.tp, counts.fn, counts.tn, counts.fp) == (1, 1, 1, 1)
    assert (counts.null_positive, counts.null_negative) == (1, 1)
    assert result.applies == 6
    assert result.predicted_where_not_applicable == 1
    # A null answer is never right: it counts against sensitivity where the
    # gold is true and against specificity where it is false, and is left out
    # of PPV and NPV (it is neither a positive nor a negative answer).
    assert (counts.sensitivity.successes, counts.sensitivity.total) == (1, 3)
    assert (counts.specificity.successes, counts.specificity.total) == (1, 3)
    assert (counts.ppv.successes, counts.ppv.total) == (1, 2)
    assert (counts.npv.successes, counts.npv.total) == (1, 2)
    assert (result.accuracy.successes, result.accuracy.total) == (2, 6)
    assert result.confusion == {
        True: {True: 1, False: 1, None: 1},
        False: {True: 1, False: 1, None: 1},
    }
    assert [(e.id, e.expected, e.got) for e in result.errors] == [
        (2, True, False),
        (3, True, None),
        (5, False, True),
        (6, False, None),
    ]
    assert result.errors[2].evidence == (7, 8)
    assert result.errors[2].quote == "b"
    assert result.errors[0].evidence is None and result.errors[0].quote is None


def test_enum_accuracy_per_value_and_exact_match_of_other_types(schema):
    gold = [
        record(1, side="gauche", size=12, seen="2024-01-02", note="kyste"),
        record(2, side="gauche", size=3.5, seen="2024-01-03", note="kyste"),
        record(3, side="droite", size=7, seen=None, note=None),
        record(4, side="droite"),
        record(5, side="droite"),
    ]
    answers = [
        {"side": "gauche", "size": 12.0, "seen": "2024-01-02", "note": "kyste"},
        {"side": "droite", "size": 3, "seen": "2024-01-30", "note": "Kyste"},
        {"side": "droite", "size": 7, "seen": "2024-05-05", "note": None},
        {"side": None},
        {"side": "droite"},
    ]
    extractions = {
        r.id: Extraction({**dict.fromkeys(schema.names), **a})
        for r, a in zip(gold, answers, strict=True)
    }
    result = evaluate(schema, gold, extractions)
    side = result.field("side")
    assert side.binary is None
    assert {v: (p.successes, p.total) for v, p in side.per_value.items()} == {
        "gauche": (1, 2),
        "droite": (2, 3),
    }
    assert (side.accuracy.successes, side.accuracy.total) == (3, 5)
    assert side.confusion == {
        "gauche": {"gauche": 1, "droite": 1, None: 0},
        "droite": {"gauche": 0, "droite": 2, None: 1},
    }
    size, seen, note = (result.field(n) for n in ("size", "seen", "note"))
    assert (size.accuracy.successes, size.accuracy.total) == (2, 3)
    assert (seen.accuracy.successes, seen.accuracy.total, seen.applies) == (1, 2, 2)
    assert seen.predicted_where_not_applicable == 1
    assert (note.accuracy.successes, note.accuracy.total) == (1, 2)
    assert [e.id for e in note.errors] == [2]
    assert size.per_value is None and size.confusion is None


def test_the_papers_figures_beside_ours():
    schema = load_schema("brain_mri")
    # 10 reports with headache, 8 found; 10 without, all right.
    gold, extractions = [], {}
    for i in range(20):
        headache = i < 10
        values = {"headache": headache, "contrast": False, "abnormal": False}
        gold.append(GoldRecord(i, "t", {**values, "explains_headache": None}))
        said = headache and i >= 2
        extractions[i] = Extraction(
            {**values, "headache": said, "explains_headache": None}
        )
    result = evaluate(schema, gold, extractions)
    headache = result.field("headache")
    assert headache.binary.sensitivity.low == pytest.approx(0.4902, abs=5e-5)
    sensitivity, specificity = headache.published
    assert (sensitivity.measure, sensitivity.published) == ("sensitivity", 98.0)
    assert sensitivity.ours is headache.binary.sensitivity
    assert sensitivity.not_significantly_below is False  # 98.0 % > 94.3 %
    assert (specificity.published, specificity.not_significantly_below) == (99.3, True)
    assert result.published_source.startswith("Le Guellec")
    # no record where explains_headache applies: nothing to compare
    explains = result.field("explains_headache")
    assert explains.applies == 0
    assert [c.not_significantly_below for c in explains.published] == [None, None]
    assert result.meets_published is False


def test_every_gold_record_needs_a_valid_extraction(schema):
    gold = [record(1), record("a")]
    with pytest.raises(
        ParameterError, match=r"no extraction for gold record\(s\) 'a'$"
    ):
        evaluate(schema, gold, {1: Extraction(dict.fromkeys(schema.names))})
    bad = Extraction({**dict.fromkeys(schema.names), "b": "oui"})
    with pytest.raises(
        ParameterError, match="extraction of 1: b: 'oui' is not a valid boolean"
    ):
        evaluate(schema, gold[:1], {1: bad})


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD = {
    "id": "r1",
    "text": "t",
    "fields": dict.fromkeys(("b", "side", "size", "seen", "note")),
}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "{not json",
            "malformed JSON: Expecting property name enclosed in double quotes (column 2)",
        ),
        ("[1, 2]", "a gold record is an object with id, text and fields"),
        (json.dumps({**GOOD, "id": None}), "`id` must be a string or an integer"),
        (json.dumps({**GOOD, "id": "r0"}), "id 'r0' appears twice (first at line 1)"),
        (json.dumps({**GOOD, "text": 3}), "`text` must be a string"),
        (json.dumps({**GOOD, "fields": []}), "`fields` must be an object"),
        (
            json.dumps({**GOOD, "fields": {**GOOD["fields"], "x": 1}}),
            "unknown field 'x'",
        ),
        (
            json.dumps({**GOOD, "fields": {**GOOD["fields"], "b": "oui", "size": "3"}}),
            "b: 'oui' is not a valid boolean; size: '3' is not a valid number",
        ),
    ],
)
def test_gold_file_errors_name_the_file_and_line(tmp_path, schema, line, message):
    first = json.dumps({**GOOD, "id": "r0"})
    path = write(tmp_path / "gold.jsonl", [first, "", line])
    with pytest.raises(InputFileError) as error:
        read_gold(path, schema)
    assert str(error.value) == f"{path}:3: {message}"


def test_gold_values_must_respect_when(tmp_path):
    schema = load_schema("brain_mri")
    fields = {
        "headache": False,
        "contrast": True,
        "abnormal": True,
        "explains_headache": False,
    }
    path = write(
        tmp_path / "g.jsonl", [json.dumps({"id": 1, "text": "t", "fields": fields})]
    )
    with pytest.raises(InputFileError) as error:
        read_gold(path, schema)
    assert str(error.value) == (
        f"{path}:1: explains_headache: False where it does not apply (must be null)"
    )


def test_gold_file_that_cannot_be_read(tmp_path, schema):
    with pytest.raises(InputFileError, match="nope.jsonl: cannot read"):
        read_gold(tmp_path / "nope.jsonl", schema)
    with pytest.raises(InputFileError, match="empty.jsonl: no gold records"):
        read_gold(write(tmp_path / "empty.jsonl", [""]), schema)


def test_the_brain_mri_schema_carries_the_papers_table():
    published = load_schema("brain_mri").published
    assert {
        name: (f.sensitivity, f.specificity) for name, f in published.fields.items()
    } == {
        "headache": (98.0, 99.3),
        "contrast": (99.4, 98.6),
        "abnormal": (96.0, 98.9),
        "explains_headache": (88.2, 73.0),
    }
    assert "Radiol Artif Intell 2024" in published.source


@pytest.mark.parametrize(
    ("published", "message"),
    [
        (
            "{source: s, fields: {x: {sensitivity: 90, specificity: 90}}}",
            "published figures for 'x', which is not a boolean field",
        ),
        (
            "{source: s, fields: {note: {sensitivity: 90, specificity: 90}}}",
            "published figures for 'note', which is not a boolean field",
        ),
        (
            "{source: s, fields: {b: {sensitivity: 190, specificity: 90}}}",
            "less than or equal to 100",
        ),
        ("{fields: {b: {sensitivity: 90, specificity: 90}}}", "source"),
    ],
)
def test_bad_published_figures_get_one_line(tmp_path, published, message):
    from entrepot.errors import ExtractionSchemaError

    path = tmp_path / "p.yaml"
    path.write_text(SCHEMA + f"published: {published}\n", encoding="utf-8")
    with pytest.raises(ExtractionSchemaError) as error:
        load_schema(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)
