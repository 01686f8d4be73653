"""Definition files: YAML or JSON, validated, with one-line errors naming file and field."""

import pytest

from entrepot.cohort import load_definition
from entrepot.errors import CohortDefinitionError

GOOD = """\
name: GI bleeds
concept_sets:
  gi: {items: [{vocabulary: CIM10, code: K92.2, descendants: true}]}
entry:
  events: [{condition: {concept_set: gi, first: true}}]
"""


def write(tmp_path, text: str, name: str = "cohort.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_short_form_is_read(tmp_path):
    definition = load_definition(write(tmp_path, GOOD))
    event = definition.entry.events[0]
    assert (event.domain, event.concept_set, event.first) == ("condition", "gi", True)
    assert definition.entry.limit == "first" and definition.exit.era_pad == 0


def test_json_form_is_read(tmp_path):
    import json

    import yaml

    path = write(tmp_path, json.dumps(yaml.safe_load(GOOD)), "cohort.json")
    assert load_definition(path).name == "GI bleeds"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("first: true", "first: true, colour: red"),
            r"entry\.events\.0\.colour: Extra inputs are not permitted",
        ),
        (("concept_set: gi", "concept_set: ulcer"), r"unknown concept set\(s\): ulcer"),
        (("{condition:", "{diagnosis:"), r"entry\.events\.0\.domain: Field required"),
        (("name: GI bleeds\n", ""), r"name: Field required"),
        (
            (
                "entry:",
                "inclusion_rules:\n  - name: r\n    criteria: {criteria: "
                "[{event: {drug: {concept_set: gi}}, window: {start: 10, end: -10}}]}"
                "\nentry:",
            ),
            r"inclusion_rules\.0\.criteria\.criteria\.0\.window: "
            r"impossible window: start 10 is after end -10",
        ),
        (
            ("descendants: true", "descendants: true, concept_id: 3"),
            r"give either concept_id, or both vocabulary and code",
        ),
    ],
)
def test_errors_name_file_and_field(tmp_path, change, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(CohortDefinitionError, match=f"^{path}: .*{message}"):
        load_definition(path)


def test_malformed_yaml_says_where(tmp_path):
    path = write(tmp_path, "name: [unclosed\nentry: {}\n")
    with pytest.raises(
        CohortDefinitionError, match=r"cohort.yaml: malformed YAML at line"
    ):
        load_definition(path)


def test_a_cycle_is_refused(tmp_path):
    cyclic = GOOD + "inclusion_rules:\n  - name: r\n    criteria: &g {groups: [*g]}\n"
    path = write(tmp_path, cyclic)
    with pytest.raises(
        CohortDefinitionError,
        match=r"cohort.yaml: inclusion_rules\.0\.criteria\.groups\.0: .*cyclic",
    ):
        load_definition(path)


def test_impossible_range_and_missing_file(tmp_path):
    path = write(
        tmp_path, GOOD.replace("first: true", "first: true, age: {between: [65, 18]}")
    )
    with pytest.raises(CohortDefinitionError, match="impossible range: between 65"):
        load_definition(path)
    with pytest.raises(CohortDefinitionError, match="nothing.yaml: cannot read"):
        load_definition(tmp_path / "nothing.yaml")
