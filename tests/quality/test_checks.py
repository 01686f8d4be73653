"""Each check family: a planted defect makes it fail, the clean warehouse passes.

Expected counts and example ids come from plain SQL written independently of
the checks (the oracle), on the synthetic hospital and on Eunomia.
"""

from __future__ import annotations

import pytest

from entrepot.quality import run_checks

from .conftest import TODAY, sql

MALE_CONDITION = (
    "SELECT min(condition_occurrence_id) FROM condition_occurrence "
    "JOIN person USING (person_id) WHERE gender_concept_id = 8507"
)
POTASSIUM = (
    "SELECT min(measurement_id) FROM measurement JOIN concept "
    "ON measurement_concept_id = concept_id WHERE concept_code = '2823-3'"
)
DEAD_CONDITION = (
    "SELECT min(condition_occurrence_id) FROM condition_occurrence "
    "JOIN death USING (person_id)"
)

# check id, SQL planting the defect, SQL giving the ids expected to violate
SYNTHETIC = [
    (
        "before_birth:measurement.measurement_date",
        [
            "UPDATE measurement SET measurement_date = DATE '1900-01-01' WHERE measurement_id = 1"
        ],
        "SELECT 1",
    ),
    (
        "end_before_start:drug_exposure.drug_exposure_end_date",
        [
            "UPDATE drug_exposure SET drug_exposure_end_date = "
            "drug_exposure_start_date - 5 WHERE drug_exposure_id = 2"
        ],
        "SELECT 2",
    ),
    (
        "age_over_120:person.year_of_birth",
        [
            "UPDATE person SET year_of_birth = 1800, birth_datetime = NULL WHERE person_id = 3"
        ],
        "SELECT 3",
    ),
    (
        "after_death:condition_occurrence.condition_start_date",
        [
            "UPDATE condition_occurrence c SET condition_start_date = d.death_date + 30 "
            f"FROM death d WHERE c.person_id = d.person_id AND c.condition_occurrence_id = ({DEAD_CONDITION})"
        ],
        DEAD_CONDITION,
    ),
    (
        "foreign_key:measurement.visit_occurrence_id",  # an orphan visit id
        [
            "UPDATE measurement SET visit_occurrence_id = 999999999 WHERE measurement_id = 4"
        ],
        "SELECT 4",
    ),
    (
        "lab_value_range:measurement.value_as_number[2823-3]",  # potassium 25 mmol/L
        [
            f"UPDATE measurement SET value_as_number = 25 WHERE measurement_id = ({POTASSIUM})"
        ],
        POTASSIUM,
    ),
    (
        "sex_specific:condition_occurrence.condition_concept_id",  # a man giving birth
        [
            "UPDATE condition_occurrence SET condition_concept_id = (SELECT concept_id "
            "FROM concept WHERE vocabulary_id = 'CIM10' AND concept_code = 'O80') "
            f"WHERE condition_occurrence_id = ({MALE_CONDITION})"
        ],
        MALE_CONDITION,
    ),
    (
        "future_date:visit_occurrence.visit_end_date",
        [
            "UPDATE visit_occurrence SET visit_end_date = DATE '2030-01-01' WHERE visit_occurrence_id = 5"
        ],
        "SELECT 5",
    ),
    (
        "required_field:condition_occurrence.condition_start_date",
        [
            "UPDATE condition_occurrence SET condition_start_date = NULL WHERE condition_occurrence_id = 6"
        ],
        "SELECT 6",
    ),
    (
        "primary_key:person.person_id",
        ["INSERT INTO person SELECT * FROM person WHERE person_id = 7"],
        "SELECT 7",
    ),
    (
        "concept_domain:drug_exposure.drug_concept_id",  # a diagnosis as a drug
        [
            "UPDATE drug_exposure SET drug_concept_id = (SELECT min(concept_id) FROM concept "
            "WHERE domain_id = 'Condition' AND standard_concept = 'S') WHERE drug_exposure_id = 8"
        ],
        "SELECT 8",
    ),
    (
        "standard_concept:condition_occurrence.condition_concept_id",  # a CIM-10 chapter
        [
            "UPDATE condition_occurrence SET condition_concept_id = (SELECT min(concept_id) "
            "FROM concept WHERE vocabulary_id = 'CIM10' AND standard_concept = 'C' "
            "AND domain_id = 'Condition') WHERE condition_occurrence_id = 9"
        ],
        "SELECT 9",
    ),
    (
        "unmapped_source:drug_exposure.drug_concept_id",  # 10% unmapped, 5% allowed
        [
            "UPDATE drug_exposure SET drug_concept_id = 0 WHERE drug_exposure_id % 10 = 0"
        ],
        "SELECT drug_exposure_id FROM drug_exposure WHERE drug_concept_id = 0",
    ),
    (
        "missing_value:measurement.visit_occurrence_id",  # 20% missing, 10% allowed
        [
            "UPDATE measurement SET visit_occurrence_id = NULL WHERE measurement_id % 5 = 0"
        ],
        "SELECT measurement_id FROM measurement WHERE visit_occurrence_id IS NULL",
    ),
    (
        "observation_period_coverage:person",
        ["DELETE FROM observation_period WHERE person_id = 10"],
        "SELECT 10",
    ),
    (
        "outside_observation:visit_occurrence.visit_start_date",  # 5%, 1% allowed
        [
            "UPDATE visit_occurrence SET visit_start_date = DATE '1990-01-01' "
            "WHERE visit_occurrence_id % 20 = 0"
        ],
        "SELECT visit_occurrence_id FROM visit_occurrence v WHERE NOT EXISTS (SELECT 1 "
        "FROM observation_period o WHERE o.person_id = v.person_id AND v.visit_start_date "
        "BETWEEN o.observation_period_start_date AND o.observation_period_end_date)",
    ),
    (
        "duplicate_event:condition_occurrence",  # 5% recorded twice, 1% allowed
        [
            "INSERT INTO condition_occurrence SELECT * REPLACE (condition_occurrence_id "
            "+ 10000000 AS condition_occurrence_id) FROM condition_occurrence "
            "WHERE condition_occurrence_id % 20 = 0"
        ],
        "SELECT min(condition_occurrence_id) FROM condition_occurrence GROUP BY "
        "person_id, condition_concept_id, condition_start_date, condition_start_datetime, "
        "condition_end_date, condition_end_datetime, condition_type_concept_id, "
        "visit_occurrence_id HAVING count(*) > 1",
    ),
    (
        "field_type:measurement.range_low",
        ["ALTER TABLE measurement ALTER range_low TYPE VARCHAR"],
        None,  # every row: no examples
    ),
    (
        "value_format:measurement.value_as_number",  # a French decimal comma
        [
            "ALTER TABLE measurement ALTER value_as_number TYPE VARCHAR",
            "UPDATE measurement SET value_as_number = '4,2' WHERE measurement_id = 11",
        ],
        "SELECT 11",
    ),
]


def _check(wh, check_id):
    family = check_id.split(":")[0]
    report = run_checks(wh, only=[family], today=TODAY, incremental=False)
    return report.by_id()[check_id]


@pytest.mark.parametrize(
    ("check_id", "plant", "expected"), SYNTHETIC, ids=[c[0] for c in SYNTHETIC]
)
def test_synthetic_planted_defect_fails_clean_passes(
    synthetic, check_id, plant, expected
):
    if check_id.startswith(("field_type", "value_format")):
        assert (
            _check(synthetic, check_id.replace("value_format", "field_type")).status
            == "pass"
        )
    else:
        clean = _check(synthetic, check_id)
        assert (clean.status, clean.examples) == ("pass", []), clean
    sql(synthetic, *plant)
    found = _check(synthetic, check_id)
    assert found.status == "fail"
    if expected is None:
        assert found.violating_rows == found.rows == synthetic.count("measurement")
        return
    ids = sorted(r[0] for r in sql(synthetic, expected))
    assert found.violating_rows == len(ids)
    assert found.examples == ids[:5]


@pytest.fixture
def eunomia_units(eunomia):
    """Eunomia with the UCUM unit mmol/L in its concept table (it has no units)."""
    sql(
        eunomia,
        "INSERT INTO concept VALUES (8753, 'millimole per liter', 'Unit', 'UCUM', "
        "'Unit', 'S', 'mmol/L', DATE '1970-01-01', DATE '2099-12-31', NULL)",
    )
    return eunomia


# Eunomia: check id, defect, SQL of the ids expected to violate
EUNOMIA = [
    (
        "before_birth:measurement.measurement_date",
        [
            "UPDATE measurement SET measurement_date = DATE '1900-01-01' WHERE measurement_id = 100"
        ],
        "SELECT measurement_id FROM measurement WHERE measurement_id = 100",  # twice
    ),
    (
        "end_before_start:drug_exposure.drug_exposure_end_date",
        [
            "UPDATE drug_exposure SET drug_exposure_end_date = drug_exposure_start_date - 1 "
            "WHERE drug_exposure_id = 1"
        ],
        "SELECT 1",
    ),
    (
        "age_over_120:person.year_of_birth",
        ["UPDATE person SET year_of_birth = 1800 WHERE person_id = 6"],
        "SELECT 6",
    ),
    (
        "after_death:condition_occurrence.condition_start_date",
        [
            "DROP TABLE death",  # Eunomia's is empty, with columns column0...
            "CREATE TABLE death (person_id BIGINT, death_date DATE, "
            "death_type_concept_id BIGINT)",
            "INSERT INTO death (person_id, death_date, death_type_concept_id) "
            "SELECT person_id, condition_start_date - 1, 0 FROM condition_occurrence "
            "WHERE condition_occurrence_id = 1",
        ],
        "SELECT c.condition_occurrence_id FROM condition_occurrence c JOIN death d "
        "USING (person_id) WHERE c.condition_start_date > d.death_date",
    ),
    (
        "foreign_key:visit_occurrence.person_id",  # an orphan person id
        [
            "UPDATE visit_occurrence SET person_id = 99999999 WHERE visit_occurrence_id = 85"
        ],
        "SELECT 85",
    ),
    (
        "lab_value_range:measurement.value_as_number[2823-3]",  # potassium 25 mmol/L
        [
            "UPDATE measurement SET value_as_number = '25', unit_concept_id = 8753 "
            "WHERE measurement_id = (SELECT min(measurement_id) FROM measurement "
            "WHERE measurement_concept_id = 3023103)"
        ],
        "SELECT min(measurement_id) FROM measurement WHERE measurement_concept_id = 3023103",
    ),
    (
        "sex_specific:condition_occurrence.condition_concept_id",
        [
            "INSERT INTO concept VALUES (45000080, 'Single spontaneous delivery', "
            "'Condition', 'ICD10CM', '3-char nonbill code', NULL, 'O80', "
            "DATE '1970-01-01', DATE '2099-12-31', NULL)",
            "UPDATE condition_occurrence SET condition_concept_id = 45000080 "
            f"WHERE condition_occurrence_id = ({MALE_CONDITION})",
        ],
        MALE_CONDITION,
    ),
    (
        "value_format:measurement.value_as_number",  # text in a number field
        ["UPDATE measurement SET value_as_number = 'n/a' WHERE measurement_id = 7"],
        "SELECT 7",
    ),
]


@pytest.mark.parametrize(
    ("check_id", "plant", "expected"), EUNOMIA, ids=[c[0] for c in EUNOMIA]
)
def test_eunomia_planted_defect_fails_clean_passes(
    eunomia_units, check_id, plant, expected
):
    clean = _check(eunomia_units, check_id)
    assert clean.status in ("pass", "not_applicable"), clean
    sql(eunomia_units, *plant)
    found = _check(eunomia_units, check_id)
    ids = [r[0] for r in sql(eunomia_units, expected)]  # Eunomia repeats some ids
    assert (found.status, found.violating_rows) == ("fail", len(ids))
    assert found.examples == sorted(set(ids))[:5]


def test_absent_required_columns_fail_as_dqd_cdm_field(eunomia):
    """Eunomia's malformed death table has column0.. in place of its columns."""
    report = run_checks(eunomia, only=["required_field"], today=TODAY)
    found = report.by_id()
    for field in ("person_id", "death_date"):
        check = found[f"required_field:death.{field}"]
        assert (
            check.category,
            check.status,
            check.violating_rows,
            check.rows,
            check.examples,
            check.reason,
        ) == ("conformance", "fail", 1, 1, [], f"death.{field} is missing")
    cdm_version = found["required_field:cdm_source.cdm_version_concept_id"]
    assert (cdm_version.status, cdm_version.reason) == (
        "fail",
        "cdm_source.cdm_version_concept_id is missing",
    )
    person = found["required_field:person.person_id"]
    assert (person.status, person.violating_rows, person.rows) == ("pass", 0, 2694)
    absent = found["required_field:episode.episode_id"]  # no episode table at all
    assert (absent.status, absent.reason) == (
        "not_applicable",
        "table episode is missing",
    )
