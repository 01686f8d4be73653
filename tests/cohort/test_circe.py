"""Circe import: on Eunomia, entrepot gives exactly the rows of the SQL that OHDSI's
own Circe (circepy) generates, feature by feature; unsupported parts are refused."""

import json
import re

import pytest

from entrepot.cohort import load_definition, run_cohort, show_cohort
from entrepot.errors import CohortDefinitionError, UnsupportedCirceFeatureError

from .circe_cases import CASES, SETS, assert_same_rows_as_circe, primary


@pytest.mark.parametrize("name", list(CASES))
def test_same_rows_as_circe_sql(eunomia, name, tmp_path):
    cohort_id = list(CASES).index(name) + 1
    assert_same_rows_as_circe(eunomia, CASES[name], cohort_id, tmp_path)


def test_first_gi_hemorrhage_is_479_persons(eunomia):
    definition = load_definition_from(CASES["first GI hemorrhage"])
    assert run_cohort(eunomia, definition, cohort_id=50).count == 479


ATLAS_EXPRESSION = {"cdmVersionRange": ">=5.0.0", "Title": "GI bleed, first"} | CASES[
    "first GI hemorrhage"
]
WEBAPI_EXPORT = {  # ATLAS's "export" of a whole cohort definition (WebAPI)
    "id": 1778213,
    "name": "[P] First GI hemorrhage",
    "description": "Persons with a first gastrointestinal hemorrhage",
    "expressionType": "SIMPLE_EXPRESSION",
    "createdBy": "atlas-user",
    "createdDate": "2023-05-02 10:11:12",
    "tags": [],
}


@pytest.mark.parametrize(
    ("exported", "name", "description", "metadata"),
    [
        (
            ATLAS_EXPRESSION,
            "GI bleed, first",
            None,
            {"cdmVersionRange": ">=5.0.0", "Title": "GI bleed, first"},
        ),
        (
            WEBAPI_EXPORT | {"expression": ATLAS_EXPRESSION},
            "[P] First GI hemorrhage",
            "Persons with a first gastrointestinal hemorrhage",
            WEBAPI_EXPORT | {"cdmVersionRange": ">=5.0.0", "Title": "GI bleed, first"},
        ),
        (  # WebAPI sends the expression as a JSON string
            WEBAPI_EXPORT | {"expression": json.dumps(ATLAS_EXPRESSION)},
            "[P] First GI hemorrhage",
            "Persons with a first gastrointestinal hemorrhage",
            WEBAPI_EXPORT | {"cdmVersionRange": ">=5.0.0", "Title": "GI bleed, first"},
        ),
    ],
    ids=["expression", "webapi", "webapi-string"],
)
def test_atlas_metadata_is_recorded_and_used_for_nothing(
    eunomia, tmp_path, exported, name, description, metadata
):
    """cdmVersionRange, Title, the WebAPI's id, name, dates...: kept with the
    stored definition; the cohort is that of the expression alone, under an id
    of entrepot's (the ATLAS id is another server's)."""
    path = tmp_path / "atlas.json"
    path.write_text(json.dumps(exported))
    result = run_cohort(eunomia, path, cohort_id=60)
    assert (result.count, result.entries) == (479, 479)
    shown = show_cohort(eunomia, 60)
    assert (shown["name"], shown["description"]) == (name, description)
    assert shown["definition"]["metadata"] == metadata


@pytest.mark.parametrize(
    ("export", "message"),
    [
        ({"expression": "{not json"}, "expression: malformed JSON"),
        (
            {"expression": ATLAS_EXPRESSION, "InclusionRules": []},
            "InclusionRules: outside the expression of an export",
        ),
    ],
)
def test_webapi_export_without_its_expression_is_refused(tmp_path, export, message):
    path = tmp_path / "atlas.json"
    path.write_text(json.dumps(WEBAPI_EXPORT | export))
    with pytest.raises(
        CohortDefinitionError, match=f"^{re.escape(str(path))}: {message}"
    ):
        load_definition(path)


def load_definition_from(expression: dict):
    from entrepot.cohort._files import definition_from_data

    return definition_from_data(expression, "test.json")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            {"PrimaryCriteria": primary("LocationRegion", 0)},
            "PrimaryCriteria.CriteriaList[0].LocationRegion (it reads"
            " location_history and a location's region_concept_id, which CDM 5.4"
            " does not have)",
        ),
        (
            {
                "PrimaryCriteria": primary(
                    "DrugExposure", 0, EffectiveDrugDose={"Value": 1, "Op": "gt"}
                )
            },
            "PrimaryCriteria.CriteriaList[0].DrugExposure.EffectiveDrugDose (a"
            " drug_exposure column of CDM 5.0 that CDM 5.4 does not have)",
        ),
        (
            {
                "InclusionRules": [
                    {
                        "name": "r",
                        "expression": {
                            "Type": "ALL",
                            "DemographicCriteriaList": [
                                {"Races": [{"CONCEPT_ID": 8527}]}
                            ],
                        },
                    }
                ]
            },
            "InclusionRules[0].expression.DemographicCriteriaList[0].Races",
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
        match=re.escape(f"{path}: Circe feature not supported: {named}"),
    ):
        load_definition(path)


def test_malformed_circe_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"ConceptSets": [}')
    with pytest.raises(CohortDefinitionError, match="broken.json: malformed JSON"):
        load_definition(path)


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        (
            {"PrimaryCriteria": 1},
            "AttributeError: 'int' object has no attribute 'items'",
        ),
        ({"ConceptSets": 5}, "TypeError: 'int' object is not iterable"),
        (
            {"ConceptSets": [{"id": 0, "expression": {"items": [{"concept": {}}]}}]},
            "KeyError: 'CONCEPT_ID'",
        ),
        (
            {
                "ConceptSets": SETS,
                "PrimaryCriteria": primary(
                    "ConditionOccurrence",
                    0,
                    OccurrenceStartDate={"Value": "soon", "Op": "gt"},
                ),
            },  # fmt: skip
            "ValueError: Invalid isoformat string: 'soon'",
        ),
    ],
    ids=["not a mapping", "not a list", "no concept id", "not a date"],
)
def test_a_malformed_circe_expression_is_one_line(tmp_path, expression, problem):
    """What ATLAS never writes (a number for a mapping...) is a one-line
    error naming the file, not a traceback."""
    path = tmp_path / "cohort.json"
    path.write_text(json.dumps(expression))
    with pytest.raises(CohortDefinitionError) as refused:
        load_definition(path)
    assert (
        str(refused.value) == f"{path}: not Circe JSON as ATLAS writes it ({problem})"
    )
