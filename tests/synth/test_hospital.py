"""The generated hospital: a valid OMOP CDM, French proportions, consistent records."""

from __future__ import annotations

import csv

import pytest

from entrepot.synth import load_modules
from entrepot.synth._insee import NOISE
from tests.synth.conftest import PATIENTS

EVENTS = {  # table -> (start date, end date) columns
    "visit_occurrence": ("visit_start_date", "visit_end_date"),
    "visit_detail": ("visit_detail_start_date", "visit_detail_end_date"),
    "condition_occurrence": ("condition_start_date", "condition_end_date"),
    "observation": ("observation_date", "observation_date"),
    "drug_exposure": ("drug_exposure_start_date", "drug_exposure_end_date"),
    "measurement": ("measurement_date", "measurement_date"),
    "procedure_occurrence": ("procedure_date", "procedure_date"),
    "death": ("death_date", "death_date"),
}


def test_the_warehouse_conforms_to_the_cdm(hospital, hospital_result):
    assert hospital.validate() == {"ok": True, "problems": []}
    assert hospital.count("person") == PATIENTS
    for table, rows in hospital_result.rows.items():
        assert hospital.count(table) == rows, table
    assert hospital_result.rows["measurement"] > 100 * PATIENTS


def test_sex_ratio_and_age_pyramid_are_french(sql):
    [(female, children, elderly)] = sql(
        """SELECT avg((gender_concept_id = 8532)::int),
                  avg((age < 15)::int), avg((age >= 65)::int)
           FROM (SELECT p.gender_concept_id,
                        date_diff('day', p.birth_datetime::date,
                                  o.observation_period_start_date) / 365.25 AS age
                 FROM person p JOIN observation_period o USING (person_id))"""
    )
    assert female == pytest.approx(0.516, abs=0.04)
    assert children == pytest.approx(0.172, abs=0.04)  # INSEE: 0-14 years
    assert elderly == pytest.approx(0.213, abs=0.04)  # INSEE: 65 and over


def test_module_prevalence_follows_the_module_files(sql):
    counts = dict(sql("SELECT module, count(*) FROM entrepot.synth_truth GROUP BY 1"))
    for module in load_modules():
        expected = module.prevalence
        tolerance = 4 * (expected / PATIENTS) ** 0.5 + 0.003
        share = counts.get(module.name, 0) / PATIENTS
        assert share == pytest.approx(expected, abs=tolerance), module.name


def test_subtypes_are_those_of_the_module_files(sql):
    subtypes = {m.name: {s.name for s in m.subtypes} or {""} for m in load_modules()}
    subtypes["drug_events"] = {"pair", "control", "induced", "background"}
    for module, subtype in sql(
        "SELECT DISTINCT module, subtype FROM entrepot.synth_truth"
    ):
        if module == "insee_deaths":  # the noise of a line of the INSEE files
            assert subtype == "exact" or set(subtype.split("+")) <= set(NOISE)
        else:
            assert subtype in subtypes[module]


def test_stays_labs_and_vitals_per_stay_look_like_a_french_warehouse(sql):
    per_patient = dict(
        sql("SELECT visit_source_value, count(*) FROM visit_occurrence GROUP BY 1")
    )
    assert 0.5 < per_patient["MCO"] / PATIENTS < 1.5
    assert 1.5 < per_patient["CONSULT"] / PATIENTS < 5
    assert 3 < sum(per_patient.values()) / PATIENTS < 10
    [(labs,)] = sql(
        """SELECT count(*) / count(DISTINCT visit_occurrence_id) FROM measurement
           JOIN visit_occurrence USING (visit_occurrence_id)
           WHERE visit_source_value = 'MCO' AND measurement_type_concept_id = 32856"""
    )
    assert 120 < labs < 180
    [(vitals,)] = sql(
        """SELECT count(*) / count(DISTINCT visit_occurrence_id) FROM measurement
           JOIN visit_occurrence USING (visit_occurrence_id)
           WHERE visit_source_value != 'CONSULT' AND measurement_type_concept_id = 32817"""
    )
    assert 4.5 < vitals < 6.5


def test_icu_and_emergency_admissions_exist(sql):
    concepts = dict(
        sql("SELECT visit_detail_concept_id, count(*) FROM visit_detail GROUP BY 1")
    )
    assert concepts[32037] > 0 and concepts[9203] > 0 and concepts[9201] > 0
    visits = dict(
        sql("SELECT visit_concept_id, count(*) FROM visit_occurrence GROUP BY 1")
    )
    assert set(visits) == {9201, 9202, 9203, 262}


def test_one_principal_diagnosis_per_visit(sql):
    """In condition_occurrence, or in observation for a reason for contact (Z code)."""
    assert sql(
        """SELECT count(*) FROM visit_occurrence v LEFT JOIN (
             SELECT visit_occurrence_id, count(*) n FROM (
               SELECT visit_occurrence_id FROM condition_occurrence
               WHERE condition_status_concept_id = 32902
               UNION ALL SELECT visit_occurrence_id FROM observation
               WHERE qualifier_concept_id = 32902 AND qualifier_source_value = 'DP')
             GROUP BY 1) c
           USING (visit_occurrence_id) WHERE coalesce(n, 0) != 1"""
    ) == [(0,)]


@pytest.mark.parametrize("table", sorted(EVENTS))
def test_every_event_is_inside_an_observation_period(sql, table):
    start, end = EVENTS[table]
    assert sql(
        f"""SELECT count(*) FROM {table} e LEFT JOIN observation_period o
            ON e.person_id = o.person_id
            AND e.{start} >= o.observation_period_start_date
            AND e.{end} <= o.observation_period_end_date
            WHERE o.person_id IS NULL"""
    ) == [(0,)]


@pytest.mark.parametrize("table", sorted(EVENTS))
def test_no_event_after_death(sql, table):
    start, end = EVENTS[table]
    assert sql(
        f"""SELECT count(*) FROM {table} e JOIN death d USING (person_id)
            WHERE e.{end} > d.death_date"""
    ) == [(0,)]


def test_every_visit_belongs_to_a_person(sql):
    assert sql(
        "SELECT count(*) FROM visit_occurrence v ANTI JOIN person p USING (person_id)"
    ) == [(0,)]


def _module_codes() -> dict[str, set[str]]:
    """Each built-in module's own CIM-10 codes (disease, subtypes, complications)."""
    codes = {}
    for m in load_modules():
        own = (
            {m.code} | {s.code for s in m.subtypes} | {c.code for c in m.complications}
        )
        own |= {c for s in m.subtypes for c in [*s.codes, *s.code_share]}
        codes[m.name] = {c.replace(".", "") for c in own if c}
    return codes


def test_module_codes_belong_to_one_module_and_not_to_background_care():
    codes = _module_codes()
    seen: dict[str, str] = {}
    for name, own in codes.items():
        for code in own:
            assert seen.setdefault(code, name) == name, code
    from importlib.resources import files

    text = files("entrepot.data.synth").joinpath("background_diagnoses.csv").read_text()
    background = {r["code"] for r in csv.DictReader(text.splitlines())}
    assert not background & set(seen)


def test_no_disease_or_complication_without_its_module(sql):
    for module, own in _module_codes().items():
        if not own:
            continue
        listed = ", ".join(f"'{c}'" for c in own)
        assert sql(
            f"""SELECT count(*) FROM condition_occurrence c
                WHERE condition_source_value IN ({listed}) AND person_id NOT IN (
                  SELECT person_id FROM entrepot.synth_truth WHERE module = '{module}')"""
        ) == [(0,)], module


def test_complications_come_after_onset(sql):
    assert sql(
        """SELECT count(*) FROM condition_occurrence c
           JOIN entrepot.synth_truth t USING (person_id)
           WHERE t.module = 'systemic_sclerosis'
             AND c.condition_source_value IN ('J841', 'I272', 'N085', 'I428', 'L984',
                                               'I730', 'I459', 'M6590', 'M2454', 'K224',
                                               'K598', 'L942', 'M6289', 'M678', 'M625',
                                               'K318', 'I518', 'I788', 'L905')
             AND c.condition_start_date < t.onset_date"""
    ) == [(0,)]


def test_culprit_drugs_precede_skin_reactions(sql):
    rows = sql(
        """SELECT date_diff('day', d.drug_exposure_start_date, t.onset_date)
           FROM entrepot.synth_truth t JOIN drug_exposure d USING (person_id)
           WHERE t.module = 'drug_skin_reaction' AND d.visit_occurrence_id IS NULL
             AND d.drug_exposure_end_date = t.onset_date - 1"""
    )
    assert rows and all(4 <= latency <= 56 for (latency,) in rows)


def test_lab_values_move_with_diseases(sql):
    def mean(loinc: str, module: str, inside: bool) -> float:
        where = "IN" if inside else "NOT IN"
        [(value,)] = sql(
            f"""SELECT avg(value_as_number) FROM measurement WHERE
                measurement_source_value = '{loinc}' AND person_id {where} (
                SELECT person_id FROM entrepot.synth_truth WHERE module = '{module}')"""
        )
        return value

    assert mean("4548-4", "diabetes", True) > mean("4548-4", "diabetes", False) + 1
    assert mean("14682-9", "chronic_kidney_disease", True) > 1.3 * mean(
        "14682-9", "chronic_kidney_disease", False
    )
    assert mean("62238-1", "chronic_kidney_disease", True) < mean(
        "62238-1", "chronic_kidney_disease", False
    )
    assert mean("33762-6", "heart_failure", True) > 5 * mean(
        "33762-6", "heart_failure", False
    )


def test_deaths_have_a_cim10_cause(sql):
    rows = sql(
        "SELECT death_type_concept_id, cause_source_value, cause_concept_id FROM death"
    )
    assert rows
    assert all(t == 32815 and cause and concept > 0 for t, cause, concept in rows)


def test_raw_extracts_describe_the_same_hospital(hospital_result, sql):
    from pathlib import Path

    folder = Path(hospital_result.raw)
    with open(folder / "patients.csv", encoding="utf-8") as f:
        patients = list(csv.DictReader(f))
    assert len(patients) == PATIENTS
    for p in patients:
        assert len(p["ipp"]) == 10 and len(p["nir"]) == 15
        assert int(p["nir"][13:]) == 97 - int(p["nir"][:13]) % 97
    with open(folder / "stays.csv", encoding="utf-8") as f:
        stays = list(csv.DictReader(f))
    assert len(stays) == sql("SELECT count(*) FROM visit_occurrence")[0][0]
    assert len({s["nda"] for s in stays}) == len(stays)
    with open(folder / "pmsi.csv", encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    assert header == ["nda", "ipp", "type", "cim10", "date"]


def test_eras_hold_every_mapped_event_once(sql):
    [(conditions, in_eras)] = sql(
        """SELECT (SELECT count(*) FROM condition_occurrence WHERE condition_concept_id <> 0),
                  (SELECT sum(condition_occurrence_count) FROM condition_era)"""
    )
    assert conditions > 0 and in_eras == conditions
    [(exposures, in_eras, negative_gaps)] = sql(
        """SELECT (SELECT count(*) FROM drug_exposure WHERE drug_concept_id <> 0),
                  (SELECT sum(drug_exposure_count) FROM drug_era),
                  (SELECT count(*) FROM drug_era WHERE gap_days < 0
                      OR drug_era_end_date < drug_era_start_date)"""
    )  # every drug is coded with its ATC level-5 concept: one ingredient each
    assert exposures > 0 and in_eras == exposures and negative_gaps == 0
    [(overlapping,)] = sql(
        """SELECT count(*) FROM condition_era a JOIN condition_era b
             ON a.person_id = b.person_id AND a.condition_concept_id = b.condition_concept_id
            AND a.condition_era_id < b.condition_era_id
            AND b.condition_era_start_date <= a.condition_era_end_date + 30
            AND a.condition_era_start_date <= b.condition_era_end_date + 30"""
    )
    assert overlapping == 0  # eras of one condition are more than 30 days apart
