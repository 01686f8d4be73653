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
TINY_SETS = [
    concept_set(0, item(GI)),
    concept_set(1, item(DRUG)),
    concept_set(2, item(FEMALE, descendants=False)),
    concept_set(3, item(EHR, descendants=False)),
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
    """The tiny warehouse with a gender and a type concept, and two more GI
    bleeds: person 5's from a claim (2017, by a cardiologist), person 2's of
    no type (2018, by a provider of no specialty); and visits: person 1's
    in 2014 (no care site) and 2015 (an inpatient hospital), person 2's in
    2012 (an outpatient clinic), person 3's in 2019 (a site of no place);
    and GI bleed episodes: person 1's first (2015, about the ulcer bleed) and
    second (2016, not ended), person 2's first (2013, from a claim)."""
    concepts = [(FEMALE, "FEMALE", "Gender"), (EHR, "EHR", "Type Concept")]
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
                    "valid_start_date": [D("1970-01-01")] * 2,
                    "valid_end_date": [D("2099-12-31")] * 2,
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
