"""Circe import: on Eunomia, entrepot gives exactly the rows of the SQL that OHDSI's
own Circe (circepy) generates, feature by feature; unsupported parts are refused."""

import json

import pytest

from entrepot.cohort import load_definition, run_cohort
from entrepot.errors import CohortDefinitionError, UnsupportedCirceFeatureError

from .circe_cases import CASES, SETS, assert_same_rows_as_circe, primary


@pytest.mark.parametrize("name", list(CASES))
def test_same_rows_as_circe_sql(eunomia, name, tmp_path):
    cohort_id = list(CASES).index(name) + 1
    assert_same_rows_as_circe(eunomia, CASES[name], cohort_id, tmp_path)


def test_first_gi_hemorrhage_is_479_persons(eunomia):
    definition = load_definition_from(CASES["first GI hemorrhage"])
    assert run_cohort(eunomia, definition, cohort_id=50).count == 479


def load_definition_from(expression: dict):
    from entrepot.cohort._files import definition_from_data

    return definition_from_data(expression, "test.json")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            {"PrimaryCriteria": primary("Episode", 0)},
            "PrimaryCriteria.CriteriaList[0].Episode",
        ),
        (
            {"PrimaryCriteria": primary("ConditionOccurrence", 0, StopReason="x")},
            "PrimaryCriteria.CriteriaList[0].ConditionOccurrence.StopReason",
        ),
        (
            {
                "InclusionRules": [
                    {
                        "name": "r",
                        "expression": {
                            "Type": "ALL",
                            "DemographicCriteriaList": [
                                {"Race": [{"CONCEPT_ID": 8527}]}
                            ],
                        },
                    }
                ]
            },
            "InclusionRules[0].expression.DemographicCriteriaList[0].Race",
        ),
        ({"EndStrategy": {"Unknown": {}}}, "EndStrategy.Unknown"),
        ({"CollapseSettings": {"CollapseType": "NONE"}}, "CollapseSettings"),
    ],
)
def test_unsupported_features_are_refused_by_name(tmp_path, change, named):
    expression = {
        "ConceptSets": SETS,
        "PrimaryCriteria": primary("ConditionOccurrence", 0),
    } | change
    path = tmp_path / "cohort.json"
    path.write_text(json.dumps(expression))
    with pytest.raises(
        UnsupportedCirceFeatureError,
        match=f"{path}: Circe feature not supported: "
        + named.replace("[", r"\[").replace("]", r"\]"),
    ):
        load_definition(path)


def test_malformed_circe_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"ConceptSets": [}')
    with pytest.raises(CohortDefinitionError, match="broken.json: malformed JSON"):
        load_definition(path)
