"""Circe attributes that change an event's dates or read other tables: date
adjustment, user-defined periods..., on the tiny warehouse (DuckDB), each
worked out by hand; and their refusal where Circe itself does not run them."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pyarrow as pa
import pytest

from entrepot.cohort import run_cohort
from entrepot.errors import EntrepotError

from .circe_cases import concept_set, item, primary
from .conftest import DRUG, GI, GI_CHILD, write_tables
from .test_run import rows

D = date.fromisoformat
ONE_DAY = timedelta(days=1)
FEMALE, EHR, CLAIM = 8532, 32817, 32810
CARDIOLOGY, INPATIENT_HOSPITAL, OUTPATIENT_CLINIC = 38004451, 8717, 8756
GREATER = 4172704  # the operator '>'
ORAL, MODIFIER, QUALIFIER, WHITE = 4132161, 4184637, 4188539, 8527
PRIMARY = 32902  # a primary diagnosis (condition status)
SPONSOR, STOPPED = 900, 910
TINY_SETS = [
    concept_set(0, item(GI)),
    concept_set(1, item(DRUG)),
    concept_set(2, item(FEMALE, descendants=False)),
    concept_set(3, item(EHR, descendants=False)),
    concept_set(4, item(SPONSOR, descendants=False)),
    concept_set(5, item(STOPPED, descendants=False)),
]
TO_EVENT_END = {"DateOffset": {"DateField": "EndDate", "Offset": 0}}


def run_export(wh, tmp_path, cohort_id: int, kind: str, codeset, **attributes):
    """An ATLAS export whose every `kind` event enters, to its own end date."""
    expression = {
        "cdmVersionRange": ">=5.0.0",
        "ConceptSets": TINY_SETS,
        "PrimaryCriteria": primary(kind, codeset, **attributes),
        "EndStrategy": TO_EVENT_END,
    }
    path = tmp_path / "atlas.json"
    path.write_text(json.dumps(expression))
    result = run_cohort(wh, path, cohort_id=cohort_id)
    found = rows(wh, cohort_id)
    assert result.entries == len(found)
    return found


# Drug A: person 1 from 1 to 28 Feb 2015 and from 10 Mar to 10 Apr 2015,
# person 2 from 1 to 31 Jan 2013.
DATE_ADJUSTMENTS = {
    "both from the end": (
        {"StartWith": "END_DATE", "StartOffset": -10, "EndOffset": 5},
        [
            (1, "2015-02-18", "2015-03-05"),
            (1, "2015-03-31", "2015-04-15"),
            (2, "2013-01-21", "2013-02-05"),
        ],
    ),
    # person 1's first exposure now ends before it starts: left out, and the
    # person's second exposure does not replace it (first, then adjusted)
    "first, then adjusted": (
        {"StartOffset": 30, "First": True},
        [(2, "2013-01-31", "2013-01-31")],
    ),
    # the start date filter reads the adjusted start (10 Mar + 30 days)
    "filters read the adjusted dates": (
        {
            "StartOffset": 30,
            "OccurrenceStartDate": {"Value": "2015-04-01", "Op": "gte"},
        },
        [(1, "2015-04-09", "2015-04-10")],
    ),
}


@pytest.mark.parametrize("name", list(DATE_ADJUSTMENTS))
def test_date_adjustment_worked_by_hand(tiny_duckdb, tmp_path, name):
    adjustment, expected = DATE_ADJUSTMENTS[name]
    more = {
        k: adjustment.pop(k)
        for k in ("First", "OccurrenceStartDate")
        if k in adjustment
    }
    cohort_id = 300 + list(DATE_ADJUSTMENTS).index(name)
    found = run_export(
        tiny_duckdb,
        tmp_path,
        cohort_id,
        "DrugExposure",
        1,
        DateAdjustment=adjustment,
        **more,
    )
    assert found == [(p, D(s), D(e)) for p, s, e in expected]


def test_user_defined_period_worked_by_hand(tiny_duckdb, tmp_path):
    """Every person is observed from 2010 to 2020. The period covers June 2015
    and the event is dated by it; the age reads the period's own start (2010):
    person 1 (born 1950) is 60, person 4 (born 1960) is 50, 55 in 2015."""
    found = run_export(
        tiny_duckdb,
        tmp_path,
        310,
        "ObservationPeriod",
        None,
        UserDefinedPeriod={"StartDate": "2015-06-01", "EndDate": "2015-06-30"},
        AgeAtStart={"Value": 55, "Op": "gte"},
    )
    assert found == [(1, D("2015-06-01"), D("2015-06-30"))]
    assert (
        run_export(
            tiny_duckdb,
            tmp_path,
            311,
            "ObservationPeriod",
            None,
            UserDefinedPeriod={"StartDate": "2021-01-01"},
        )
        == []
    )


@pytest.fixture(scope="module")
def tiny_typed(tiny_duckdb):
    """The tiny warehouse with the rows the tests below read, each described
    above its cases: a gender and a type concept, two more GI bleeds (person 5's
    from a claim by a cardiologist, person 2's of no type by a provider of no
    specialty), visits and their care sites, episodes, measurements, drug
    exposures, a procedure and observations."""
    concepts = [(FEMALE, "FEMALE", "Gender"), (EHR, "EHR", "Type Concept")]
    concepts += [
        (SPONSOR, "SPONSOR", "Sponsor"),
        (STOPPED, "STOPPED", "Plan Stop Reason"),
    ]
    write_tables(
        tiny_duckdb,
        {
            "concept": pa.table(
                {
                    "concept_id": [c for c, _, _ in concepts],
                    "concept_name": [n for _, n, _ in concepts],
                    "domain_id": [d for _, _, d in concepts],
                    "vocabulary_id": [d for _, _, d in concepts],
                    "concept_class_id": [d for _, _, d in concepts],
                    "concept_code": [n for _, n, _ in concepts],
                    "valid_start_date": [D("1970-01-01")] * len(concepts),
                    "valid_end_date": [D("2099-12-31")] * len(concepts),
                }
            ),
            "condition_occurrence": pa.table(
                {
                    "condition_occurrence_id": [6, 7],
                    "person_id": [5, 2],
                    "condition_concept_id": [GI, GI],
                    "condition_start_date": [D("2017-07-07"), D("2018-08-08")],
                    "condition_type_concept_id": pa.array([CLAIM, None], pa.int64()),
                    "provider_id": [1, 2],
                    "condition_status_concept_id": pa.array(
                        [PRIMARY, None], pa.int64()
                    ),
                }
            ),
            "provider": pa.table(
                {
                    "provider_id": [1, 2],
                    "specialty_concept_id": pa.array([CARDIOLOGY, None], pa.int64()),
                }
            ),
            "care_site": pa.table(
                {
                    "care_site_id": [1, 2, 3],
                    "place_of_service_concept_id": pa.array(
                        [INPATIENT_HOSPITAL, OUTPATIENT_CLINIC, None], pa.int64()
                    ),
                }
            ),
            "episode": pa.table(
                {
                    "episode_id": [1, 2, 3],
                    "person_id": [1, 1, 2],
                    "episode_concept_id": [GI, GI, GI],
                    "episode_start_date": [
                        D(d) for d in ("2015-01-01", "2016-01-01", "2013-01-01")
                    ],
                    "episode_end_date": [D("2015-06-30"), None, D("2013-12-31")],
                    "episode_number": [1, 2, 1],
                    "episode_object_concept_id": [GI_CHILD, GI, GI],
                    "episode_type_concept_id": [EHR, EHR, CLAIM],
                }
            ),
            "measurement": pa.table(
                {
                    "measurement_id": [1, 2, 3, 4, 5],
                    "person_id": [1, 2, 3, 5, 1],
                    "measurement_concept_id": [GI] * 5,
                    "measurement_date": [
                        D(f"201{i}-0{i}-0{i}") for i in (5, 6, 7, 8, 9)
                    ],
                    "measurement_type_concept_id": [EHR] * 5,
                    "operator_concept_id": pa.array(
                        [None, GREATER, None, None, None], pa.int64()
                    ),
                    "value_as_number": [5.0, 6.0, 2.0, None, 4.0],
                    "value_as_concept_id": pa.array(
                        [None, None, None, 4155143, None], pa.int64()
                    ),
                    "range_low": [3.5, 3.5, 3.5, None, 0.0],
                    "range_high": [5.1, 5.1, 5.1, None, 5.1],
                }
            ),
            "drug_exposure": pa.table(
                {
                    "drug_exposure_id": [4, 5],
                    "person_id": [3, 5],
                    "drug_concept_id": [DRUG, DRUG],
                    "drug_exposure_start_date": [D("2017-01-01"), D("2018-02-01")],
                    "drug_exposure_end_date": [D("2017-01-31"), D("2018-02-10")],
                    "drug_type_concept_id": [EHR, EHR],
                    "refills": [2, 0],
                    "quantity": [30.0, 10.5],
                    "days_supply": [30, 10],
                    "route_concept_id": pa.array([ORAL, None], pa.int64()),
                    "lot_number": ["LOT-A", "B-7"],
                    "stop_reason": ["Adverse event", None],
                }
            ),
            "procedure_occurrence": pa.table(
                {
                    "procedure_occurrence_id": [1],
                    "person_id": [1],
                    "procedure_concept_id": [GI],
                    "procedure_date": [D("2015-01-01")],
                    "procedure_type_concept_id": [EHR],
                    "modifier_concept_id": [MODIFIER],
                    "quantity": [2],
                }
            ),
            "observation": pa.table(
                {
                    "observation_id": [1, 2],
                    "person_id": [2, 3],
                    "observation_concept_id": [GI, GI],
                    "observation_date": [D("2013-01-01"), D("2019-02-02")],
                    "observation_type_concept_id": [EHR, EHR],
                    "qualifier_concept_id": pa.array([QUALIFIER, None], pa.int64()),
                    "value_as_string": ["positive", "negative"],
                }
            ),
            "payer_plan_period": pa.table(
                {
                    "payer_plan_period_id": [1, 2],
                    "person_id": [1, 2],
                    "payer_plan_period_start_date": [D("2010-01-01"), D("2011-01-01")],
                    "payer_plan_period_end_date": [D("2012-12-31"), D("2020-12-31")],
                    "sponsor_concept_id": [SPONSOR, 0],
                    "stop_reason_concept_id": pa.array([None, STOPPED], pa.int64()),
                }
            ),
            "visit_occurrence": pa.table(
                {
                    "visit_occurrence_id": [1, 2, 3, 4],
                    "person_id": [1, 1, 2, 3],
                    "visit_concept_id": [9201, 9202, 9202, 9202],
                    "visit_start_date": [
                        D(d)
                        for d in (
                            "2014-01-01",
                            "2015-03-01",
                            "2012-06-01",
                            "2019-01-01",
                        )
                    ],
                    "visit_end_date": [
                        D(d)
                        for d in (
                            "2014-01-02",
                            "2015-03-05",
                            "2012-06-03",
                            "2019-01-02",
                        )
                    ],
                    "visit_type_concept_id": [EHR] * 4,
                    "care_site_id": pa.array([None, 1, 2, 3], pa.int64()),
                }
            ),
        },
    )
    return tiny_duckdb


def selection(codeset: int | None, exclusion: bool = False) -> dict:
    return {"CodesetId": codeset, "IsExclusion": exclusion}


# GI bleeds in observation: person 1 (woman) in 2015 and 2016, person 2 (man)
# in 2012 and 2018 (no type), person 3 (woman) in 2019, person 5 (woman) in
# 2017 (claim); the others are of the EHR type. Set 2: female; set 3: EHR.
SELECTIONS = {
    "gender in a concept set": (
        {"GenderCS": selection(2)},
        [(1, "2015-03-01"), (1, "2016-01-01"), (3, "2019-01-01"), (5, "2017-07-07")],
    ),
    # a missing type is neither in the set nor out of it
    "type outside a concept set": (
        {"ConditionTypeCS": selection(3, exclusion=True)},
        [(5, "2017-07-07")],
    ),
    "type missing (no concept set, excluded)": (
        {"ConditionTypeCS": selection(None, exclusion=True)},
        [(2, "2018-08-08")],
    ),
    "type present (no concept set)": (
        {"ConditionTypeCS": selection(None)},
        [(1, "2015-03-01"), (1, "2016-01-01"), (2, "2012-06-01")]
        + [(3, "2019-01-01"), (5, "2017-07-07")],
    ),
}


SELECTIONS |= {
    "provider's specialty": (
        {"ProviderSpecialty": [{"CONCEPT_ID": CARDIOLOGY}]},
        [(5, "2017-07-07")],
    ),
    # a row without a provider has no specialty (Circe's left join)
    "provider's specialty missing": (
        {"ProviderSpecialtyCS": selection(None, exclusion=True)},
        [(1, "2015-03-01"), (1, "2016-01-01"), (2, "2012-06-01")]
        + [(2, "2018-08-08"), (3, "2019-01-01")],
    ),
}


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_concept_set_selections_worked_by_hand(tiny_typed, tmp_path, name):
    attributes, expected = SELECTIONS[name]
    cohort_id = 320 + list(SELECTIONS).index(name)
    found = run_export(
        tiny_typed, tmp_path, cohort_id, "ConditionOccurrence", 0, **attributes
    )
    assert found == [(p, D(s), D(s) + ONE_DAY) for p, s in sorted(expected)]


# Visits: person 1's in 2014 (no care site) and 2015 (an inpatient hospital),
# person 2's in 2012 (an outpatient clinic), person 3's in 2019 (a care site
# of no place of service).
PLACES = {
    "a place of service": (
        {"PlaceOfService": [{"CONCEPT_ID": INPATIENT_HOSPITAL}]},
        [(1, "2015-03-01", "2015-03-05")],
    ),
    # a visit without a care site has no place at all (Circe's inner join)
    "the place missing": (
        {"PlaceOfServiceCS": selection(None, exclusion=True)},
        [(3, "2019-01-01", "2019-01-02")],
    ),
    # person 1's first visit has no care site: the later one does not count
    "first, then any place": (
        {"First": True, "PlaceOfServiceCS": selection(None)},
        [(2, "2012-06-01", "2012-06-03")],
    ),
}


@pytest.mark.parametrize("name", list(PLACES))
def test_place_of_service_worked_by_hand(tiny_typed, tmp_path, name):
    attributes, expected = PLACES[name]
    cohort_id = 340 + list(PLACES).index(name)
    found = run_export(
        tiny_typed, tmp_path, cohort_id, "VisitOccurrence", None, **attributes
    )
    assert found == [(p, D(s), D(e)) for p, s, e in expected]


def test_demographic_gender_selection_worked_by_hand(tiny_typed, tmp_path):
    """Men only (not in the female set): person 2's GI bleeds."""
    expression = {
        "ConceptSets": TINY_SETS,
        "PrimaryCriteria": primary("ConditionOccurrence", 0),
        "InclusionRules": [
            {
                "name": "not a woman",
                "expression": {
                    "Type": "ALL",
                    "DemographicCriteriaList": [
                        {"GenderCS": selection(2, exclusion=True)}
                    ],
                },
            }
        ],
        "EndStrategy": TO_EVENT_END,
    }
    path = tmp_path / "atlas.json"
    path.write_text(json.dumps(expression))
    run_cohort(tiny_typed, path, cohort_id=330)
    assert rows(tiny_typed, 330) == [
        (2, D("2012-06-01"), D("2012-06-02")),
        (2, D("2018-08-08"), D("2018-08-09")),
    ]


# GI bleed episodes: person 1's first (2015, about the ulcer bleed) and second
# (2016, not ended), person 2's first (2013, from a claim).
EPISODES = {
    "number": ({"EpisodeNumber": {"Value": 1, "Op": "eq"}}, [1, 3]),
    "type outside a concept set": ({"EpisodeTypeCS": selection(3, True)}, [3]),
    "first": ({"First": True}, [1, 3]),
    "object concept": ({"EpisodeObjectConceptCS": selection(0), "First": True}, [1, 3]),
    "age and dates": (
        {
            "Age": {"Value": 60, "Op": "gte"},
            "EpisodeEndDate": {"Value": "2015-12-31", "Op": "lte"},
        },
        [1],
    ),
}
EPISODE_DATES = {1: (1, "2015-01-01", "2015-06-30"), 3: (2, "2013-01-01", "2013-12-31")}


@pytest.mark.parametrize("name", list(EPISODES))
def test_episodes_worked_by_hand(tiny_typed, tmp_path, name):
    """Episodes of the GI bleed set (Circe's Episode criteria, as circepy's)."""
    attributes, episodes = EPISODES[name]
    cohort_id = 350 + list(EPISODES).index(name)
    found = run_export(tiny_typed, tmp_path, cohort_id, "Episode", 0, **attributes)
    expected = [EPISODE_DATES[i] for i in episodes]
    assert found == [(p, D(s), D(e)) for p, s, e in expected]


def test_episodes_need_a_cdm_with_them(eunomia, tmp_path):
    """Eunomia is CDM 5.3: no episode table, a one-line error."""
    path = tmp_path / "atlas.json"
    path.write_text(
        json.dumps({"ConceptSets": TINY_SETS, "PrimaryCriteria": primary("Episode", 0)})
    )
    with pytest.raises(
        EntrepotError,
        match=f"^{path}: cohort not generated: the warehouse has no episode table$",
    ):
        run_cohort(eunomia, path, cohort_id=360)


# Measurements (low 3.5, high 5.1): person 1's 5.0 in 2015, person 2's 6.0
# ("> 6") in 2016, person 3's 2.0 in 2017, person 5's abnormal value concept
# and no number in 2018, person 1's 4.0 with a low bound of 0 in 2019.
MEASUREMENTS = {
    "abnormal": ({"Abnormal": True}, [(2, 6), (3, 7), (5, 8)]),
    "value over the high bound": (
        {"RangeHighRatio": {"Value": 1.1, "Op": "gt"}},
        [(2, 6)],
    ),
    # a low bound of 0 gives no ratio
    "value over the low bound": (
        {"RangeLowRatio": {"Value": 1, "Op": "lt"}},
        [(3, 7)],
    ),
    "bounds": (
        {
            "RangeLow": {"Value": 3.5, "Op": "eq"},
            "RangeHigh": {"Value": 6, "Op": "lt"},
        },
        [(1, 5), (2, 6), (3, 7)],
    ),
    "operator": ({"Operator": [{"CONCEPT_ID": GREATER}]}, [(2, 6)]),
}


@pytest.mark.parametrize("name", list(MEASUREMENTS))
def test_measurement_ranges_worked_by_hand(tiny_typed, tmp_path, name):
    attributes, expected = MEASUREMENTS[name]
    cohort_id = 370 + list(MEASUREMENTS).index(name)
    found = run_export(tiny_typed, tmp_path, cohort_id, "Measurement", 0, **attributes)
    days = [(p, D(f"201{i}-0{i}-0{i}")) for p, i in expected]
    assert found == [(p, day, day + ONE_DAY) for p, day in days]


# Drug A: person 3 in January 2017 (refilled twice, 30 units for 30 days, oral,
# lot LOT-A, stopped for an adverse event), person 5 in February 2018 (10.5
# units for 10 days, lot B-7); person 1's and 2's exposures carry none of these.
JAN_2017, FEB_2018 = (3, "2017-01-01", "2017-01-31"), (5, "2018-02-01", "2018-02-10")
DRUG_COLUMNS = {
    "Refills": ({"Refills": {"Value": 1, "Op": "gte"}}, [JAN_2017]),
    "Quantity": ({"Quantity": {"Value": 10, "Op": "bt", "Extent": 11}}, [FEB_2018]),
    "DaysSupply": ({"DaysSupply": {"Value": 15, "Op": "gt"}}, [JAN_2017]),
    "LotNumber": ({"LotNumber": {"Text": "LOT", "Op": "startsWith"}}, [JAN_2017]),
    "StopReason": ({"StopReason": {"Text": "Adverse", "Op": "contains"}}, [JAN_2017]),
    "RouteConceptCS": (
        {"RouteConceptCS": selection(None, exclusion=True)},
        [
            (1, "2015-02-01", "2015-02-28"),
            (1, "2015-03-10", "2015-04-10"),
            (2, "2013-01-01", "2013-01-31"),
            FEB_2018,
        ],
    ),
}


@pytest.mark.parametrize("name", list(DRUG_COLUMNS))
def test_drug_exposure_columns_worked_by_hand(tiny_typed, tmp_path, name):
    attributes, expected = DRUG_COLUMNS[name]
    cohort_id = 380 + list(DRUG_COLUMNS).index(name)
    found = run_export(tiny_typed, tmp_path, cohort_id, "DrugExposure", 1, **attributes)
    assert found == [(p, D(s), D(e)) for p, s, e in expected]


OTHER_COLUMNS = {
    "condition status": (
        "ConditionOccurrence",
        {"ConditionStatus": [{"CONCEPT_ID": PRIMARY}]},
        [(5, "2017-07-07")],
    ),
    "procedure modifier and quantity": (
        "ProcedureOccurrence",
        {"Modifier": [{"CONCEPT_ID": MODIFIER}], "Quantity": {"Value": 2, "Op": "eq"}},
        [(1, "2015-01-01")],
    ),
    "observation qualifier": (
        "Observation",
        {"QualifierCS": selection(None)},
        [(2, "2013-01-01")],
    ),
    "observation text value": (
        "Observation",
        {"ValueAsString": {"Text": "neg", "Op": "startsWith"}},
        [(3, "2019-02-02")],
    ),
}


@pytest.mark.parametrize("name", list(OTHER_COLUMNS))
def test_other_columns_worked_by_hand(tiny_typed, tmp_path, name):
    kind, attributes, expected = OTHER_COLUMNS[name]
    cohort_id = 390 + list(OTHER_COLUMNS).index(name)
    found = run_export(tiny_typed, tmp_path, cohort_id, kind, 0, **attributes)
    assert found == [(p, D(s), D(s) + ONE_DAY) for p, s in expected]


@pytest.mark.parametrize(
    ("demographic", "persons"),
    [
        ({"Race": [{"CONCEPT_ID": 0}], "EthnicityCS": selection(None)}, [1, 2, 3, 5]),
        ({"Race": [{"CONCEPT_ID": WHITE}]}, []),
    ],
)
def test_race_and_ethnicity_worked_by_hand(tiny_typed, tmp_path, demographic, persons):
    """Every tiny person's race and ethnicity is concept 0 (none is white)."""
    expression = {
        "ConceptSets": TINY_SETS,
        "PrimaryCriteria": primary("ConditionOccurrence", 0, First=True),
        "InclusionRules": [
            {
                "name": "race and ethnicity",
                "expression": {"Type": "ALL", "DemographicCriteriaList": [demographic]},
            }
        ],
    }
    path = tmp_path / "atlas.json"
    path.write_text(json.dumps(expression))
    run_cohort(tiny_typed, path, cohort_id=399)
    assert sorted({p for p, _, _ in rows(tiny_typed, 399)}) == persons


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"SponsorConcept": 4}, [(1, "2010-01-01", "2012-12-31")]),
        ({"StopReasonConcept": 5}, [(2, "2011-01-01", "2020-12-31")]),
    ],
    ids=["sponsor", "stop reason"],
)
def test_payer_plan_concepts_worked_by_hand(tiny_typed, tmp_path, attributes, expected):
    """Person 1's plan (2010-2012) has the sponsor; person 2's (2011-2020) stopped."""
    cohort_id = 401 if "SponsorConcept" in attributes else 402
    found = run_export(
        tiny_typed, tmp_path, cohort_id, "PayerPlanPeriod", None, **attributes
    )
    assert found == [(p, D(s), D(e)) for p, s, e in expected]
