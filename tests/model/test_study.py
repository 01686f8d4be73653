"""The study file: validated by pydantic, errors naming the file and the
field; cohorts shipped, in files or inline; the study population with
PatientLevelPrediction's rules, worked out by hand on the tiny warehouse."""

from __future__ import annotations

import pytest
import yaml

from entrepot.errors import StudyError
from entrepot.model import load_study, shipped_studies, study_data, study_population
from entrepot.privacy import Decision
from entrepot.warehouse import Warehouse

from ..cohort.conftest import build_tiny
from .conftest import TINY_STUDY


def test_the_shipped_study_is_one_year_death_after_a_heart_failure_stay():
    loaded = load_study("heart_failure_mortality")
    study = loaded.study
    assert (study.time_at_risk.start, study.time_at_risk.end) == (1, 365)
    assert [learner.name for learner in study.learners] == [
        "l1_logistic",
        "gradient_boosting",
    ]
    assert loaded.cohort("target").name == "First heart-failure stay"
    assert loaded.cohort("outcome").entry.events[0].domain == "death"
    assert "heart_failure_mortality" in shipped_studies()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_at_risk": {"start": 5, "end": 1}}, "time_at_risk: start 5 is after end 1"),
        ({"learners": ["lightgbm"]}, "learners.0.lightgbm: Extra inputs are not permitted"),
        ({"split": {"test_fraction": 1.5}}, "split.test_fraction: Input should be less than 1"),
        ({"split": {"test_fraction": None}}, "split: give test_fraction, test_from or both"),
        ({"covariates": {"drugs": [0]}}, "covariates: drugs: a window is a number of days (>= 1)"),
        ({"covariates": {"custom": {"egfr": {"last": {"measurement": {"concept_set": "egfr"}}}}}},
         "covariates.custom: unknown concept set(s): egfr"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_a_bad_study_names_its_file_and_field(tmp_path, change, message):
    path = tmp_path / "study.yaml"
    data = yaml.safe_load(TINY_STUDY) | change
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(StudyError) as e:
        load_study(path)
    assert str(e.value) == f"{path}: {message}"


def test_cohorts_by_name_file_or_inline(tmp_path):
    data = yaml.safe_load(TINY_STUDY)
    (tmp_path / "gi.yaml").write_text(yaml.safe_dump(data["target"]))
    data["target"] = "gi.yaml"  # beside the study
    data["outcome"] = "systemic_sclerosis"  # shipped
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(data))
    loaded = load_study(tmp_path / "study.yaml")
    assert loaded.cohort("target").name == "GI bleeds"
    assert loaded.cohort("outcome").name == "Systemic sclerosis"
    data["outcome"] = "nowhere.yaml"
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(StudyError, match=r"study.yaml: outcome: nowhere.yaml: no such"):
        load_study(tmp_path / "study.yaml").cohort("outcome")


def test_missing_study_lists_the_shipped_ones():
    with pytest.raises(StudyError, match="nor a shipped study .shipped: heart_failure"):
        load_study("no_such_study")


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    """The tiny warehouse, built once for the module (read only)."""
    path = tmp_path_factory.mktemp("tiny") / "eds.duckdb"
    build_tiny(str(path)).close()
    return path


def _population(tiny_file, tmp_path, **changes):
    data = yaml.safe_load(TINY_STUDY) | changes
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    with Warehouse.open(tiny_file, read_only=True) as wh:
        return study_population(
            wh, Decision.unscoped(wh), load_study(tmp_path / "s.yaml")
        )


def test_the_population_follows_plps_rules(tiny_file, tmp_path):
    """GI bleeds: person 1 on 2015-03-01, 2 on 2012-06-01, 3 on 2019-01-01,
    all observed to 2020-12-31. Drug A: person 1 on 2015-02-01 and
    2015-03-10, person 2 on 2013-01-01 (day 214)."""
    found = _population(tiny_file, tmp_path)
    assert found.person_ids.tolist() == [1, 2, 3]
    assert found.y.tolist() == [1, 1, 0]
    # person 1 had the outcome before the time-at-risk: removed by default
    default = _population(tiny_file, tmp_path / "a", censoring={})
    assert default.person_ids.tolist() == [2, 3]
    assert [a["persons"] for a in default.attrition] == [3, 2, 2]
    # a time-at-risk of 1 to 700 days: person 3 is observed 730 days, kept;
    # 1 to 800 days and 750 required: person 3 lost to follow-up, removed;
    # person 2 kept, with the outcome (includeAllOutcomes)
    long = {"start": 1, "end": 800}
    lost = _population(
        tiny_file,
        tmp_path / "b",
        time_at_risk=long,
        censoring={"min_time_at_risk": 750},
    )
    assert lost.person_ids.tolist() == [2]
    with pytest.raises(StudyError, match="no person of the target cohort is left"):
        _population(
            tiny_file,
            tmp_path / "c",
            time_at_risk=long,
            censoring={"min_time_at_risk": 5000, "include_all_outcomes": False},
        )


def test_custom_covariates_are_features_as_entrepot_features_declares_them(
    tiny_file, tmp_path
):
    """Drug A exposures before the index (person 1: one, on 2015-02-01;
    person 2: none before 2012-06-01; person 3: none), and sex as text: one
    indicator per value."""

    custom = {
        "drug_before": {
            "count": {"drug": {"concept_set": "drug"}},
            "window": {"end": -1},
        },
        "sex": "sex",
    }
    data = yaml.safe_load(TINY_STUDY)
    data["covariates"] |= {
        "concept_sets": {"drug": {"items": [{"vocabulary": "ATC", "code": "X01"}]}},
        "custom": custom,
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    loaded = load_study(tmp_path / "s.yaml")
    with Warehouse.open(tiny_file, read_only=True) as wh:
        decision = Decision.unscoped(wh)
        population, matrix = study_data(wh, decision, loaded)
    assert matrix.column("custom:drug_before").tolist() == [1, 0, 0]
    assert matrix.column("custom:sex=female").tolist() == [1, 0, 1]
    assert matrix.column("custom:sex=male").tolist() == [0, 1, 0]
    assert matrix.definitions["custom:drug_before"]["kind"] == "count"
