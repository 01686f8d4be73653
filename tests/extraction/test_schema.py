"""Extraction schemas: the shipped brain MRI schema, validation and errors."""

from __future__ import annotations

import pytest

from entrepot.errors import ExtractionSchemaError
from entrepot.extraction import load_schema, shipped_schemas


def test_brain_mri_is_shipped_with_the_papers_four_booleans():
    schema = load_schema("brain_mri")
    assert "brain_mri" in shipped_schemas()
    assert schema.names == ("headache", "contrast", "abnormal", "explains_headache")
    assert {f.type for f in schema.fields} == {"boolean"}
    assert schema.field("explains_headache").when == {
        "headache": True,
        "abnormal": True,
    }


@pytest.mark.parametrize(
    ("headache", "abnormal", "explains"),
    [(True, True, True), (True, False, None), (False, True, None), (None, True, None)],
)
def test_explains_headache_is_null_when_it_does_not_apply(headache, abnormal, explains):
    schema = load_schema("brain_mri")
    values = {"headache": headache, "contrast": False, "abnormal": abnormal}
    assert (
        schema.resolve({**values, "explains_headache": True})["explains_headache"]
        is explains
    )


def test_answers_are_checked_against_each_fields_type():
    schema = load_schema("brain_mri")
    problems = schema.problems({"headache": "oui", "contrast": None, "x": 1})
    assert problems == [
        "unknown field 'x'",
        "missing field 'abnormal'",
        "missing field 'explains_headache'",
        "headache: 'oui' is not a valid boolean",
    ]
    json_schema = schema.json_schema()
    assert json_schema["required"] == list(schema.names)
    assert json_schema["additionalProperties"] is False


def test_typed_fields(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nversion: '2'\ntitle: t\nfields:\n"
        "  - {name: side, type: enum, values: [gauche, droite], definition: côté}\n"
        "  - {name: size, type: number, unit: mm, definition: taille}\n"
        "  - {name: seen, type: date, definition: date}\n",
        encoding="utf-8",
    )
    schema = load_schema(path)
    assert schema.problems({"side": "haut", "size": True, "seen": "2024-02-30"}) == [
        "side: 'haut' is not a valid enum",
        "size: True is not a valid number",
        "seen: '2024-02-30' is not a valid date",
    ]
    assert schema.problems({"side": "gauche", "size": 12.5, "seen": "2024-02-29"}) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: s\nversion: '1'\ntitle: t\nfields: [", "malformed YAML at line"),
        ("- a list", "a schema is a mapping of fields"),
        (
            "name: s\nversion: '1'\ntitle: t\nfields:\n"
            "  - {name: a, type: boolean, definition: d, when: {b: true}}\n"
            "  - {name: b, type: boolean, definition: d}\n",
            "`when` names 'b', which is not a field declared before it",
        ),
        (
            "name: s\nversion: '1'\ntitle: t\nfields:\n"
            "  - {name: a, type: enum, definition: d}\n",
            "`values` is given for an enum field, and only for one",
        ),
        (
            "name: s\nversion: '1'\ntitle: t\nfields:\n"
            "  - {name: a, type: boolean, definition: d}\n"
            "  - {name: a, type: boolean, definition: d}\n",
            "field 'a' is declared twice",
        ),
    ],
)
def test_bad_schemas_get_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExtractionSchemaError) as error:
        load_schema(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_an_unknown_schema_name_lists_the_shipped_ones():
    with pytest.raises(
        ExtractionSchemaError, match=r"nor a shipped schema \(shipped: .*brain_mri"
    ):
        load_schema("no_such_schema")
