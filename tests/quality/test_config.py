"""Thresholds and extra checks from YAML: merged over the defaults, validated."""

from __future__ import annotations

import pytest

from entrepot.errors import QualityConfigError
from entrepot.quality import load_config, run_checks

from .conftest import TODAY, sql


def test_defaults_then_user_file_most_specific_threshold_wins(tmp_path):
    assert (
        load_config().threshold("unmapped_source", "drug_exposure", "drug_concept_id")
        == 5
    )
    path = tmp_path / "quality.yaml"
    path.write_text(
        "thresholds:\n  unmapped_source:drug_exposure: 50\n  before_birth: 1\n"
        "disabled: [duplicate_event]\n"
    )
    config = load_config(path)
    assert config.threshold("unmapped_source", "drug_exposure", "drug_concept_id") == 50
    assert config.threshold("unmapped_source", "measurement", "unit_concept_id") == 5
    assert config.threshold("before_birth", "note", "note_date") == 1
    assert config.disabled == ["duplicate_event"]
    assert len(config.sex_specific) == 2  # the defaults' rules are kept


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_age: old\n", r"quality.yaml: max_age: Input should be a valid integer"),
        (
            "thresholds: [1]\n",
            r"quality.yaml: thresholds: Input should be a valid dictionary",
        ),
        ("colour: red\n", r"quality.yaml: colour: Extra inputs are not permitted"),
        (
            "extra_checks:\n  - {name: w, kind: value_range, table: measurement,\n"
            "     field: value_as_number}\n",
            r"quality.yaml: extra_checks.0: Value error, a value_range check needs minimum",
        ),
        ("a: [\n", r"quality.yaml: not valid YAML"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path, text, message):
    path = tmp_path / "quality.yaml"
    path.write_text(text)
    with pytest.raises(QualityConfigError, match=message):
        load_config(path)


def test_unknown_family_is_an_error(synthetic):
    with pytest.raises(QualityConfigError, match="unknown check families: befor_birth"):
        run_checks(synthetic, only=["befor_birth"])


def test_extra_checks_of_each_kind(synthetic, tmp_path):
    path = tmp_path / "quality.yaml"
    path.write_text(
        """
extra_checks:
  - {name: potassium_kept_low, kind: value_range, table: measurement,
     field: value_as_number, concept_id: POTASSIUM, maximum: 5.5}
  - {name: visit_has_end, kind: not_null, table: visit_occurrence, field: visit_end_date}
  - {name: known_routes, kind: allowed_values, table: drug_exposure,
     field: route_source_value, values: [oral]}
""".replace("POTASSIUM", str(_potassium(synthetic)))
    )
    report = run_checks(
        synthetic,
        config=load_config(path),
        only=["extra"],
        today=TODAY,
        incremental=False,
    )
    found = report.by_id()
    high = sql(
        synthetic,
        f"SELECT measurement_id FROM measurement WHERE measurement_concept_id = "
        f"{_potassium(synthetic)} AND value_as_number > 5.5 ORDER BY 1",
    )
    k = found["potassium_kept_low:measurement.value_as_number"]
    assert (k.category, k.status, k.violating_rows) == (
        "plausibility",
        "fail",
        len(high),
    )
    assert k.examples == [r[0] for r in high[:5]]
    assert found["visit_has_end:visit_occurrence.visit_end_date"].status == "pass"
    routes = found["known_routes:drug_exposure.route_source_value"]
    other = sql(
        synthetic,
        "SELECT count(*) FROM drug_exposure WHERE route_source_value <> 'oral'",
    )[0][0]
    assert (routes.category, routes.violating_rows) == ("conformance", other)


def _potassium(wh) -> int:
    return sql(
        wh,
        "SELECT concept_id FROM concept WHERE vocabulary_id = 'LOINC' AND concept_code = '2823-3'",
    )[0][0]
