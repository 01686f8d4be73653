"""Circe attributes that change an event's dates or read other tables: date
adjustment, user-defined periods..., on the tiny warehouse (DuckDB), each
worked out by hand; and their refusal where Circe itself does not run them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from entrepot.cohort import run_cohort

from .circe_cases import concept_set, item, primary
from .conftest import DRUG, GI
from .test_run import rows

D = date.fromisoformat
TINY_SETS = [concept_set(0, item(GI)), concept_set(1, item(DRUG))]
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
