"""The web builder's live counts (`count_parts`, behind `POST
/api/cohorts/count`) and a perimeter of care units, on each engine: the tiny
warehouse with a service of two units and a few stays, the persons worked
out by hand, the same on DuckDB and on Spark."""

from datetime import date

import pyarrow as pa
import pytest

from entrepot.cohort._counts import count_parts
from entrepot.privacy import Decision, Perimeter
from entrepot.warehouse import care_site_tree

from .conftest import write_tables
from .test_run import define

ICU, WARD, SERVICE = 10, 11, 20
PART_OF = 46233688  # "Care Site is part of Care Site", child to parent


def _day(y: int, m: int, d: int) -> date:
    return date(y, m, d)


@pytest.fixture(scope="module")
def hospital(tiny):
    """A service (20) of two units, the ICU (10) and a ward (11). Visits:
    person 2 in the ICU 10-12 Jun 2012, person 3 in the ward 5-8 Jan 2019,
    person 5 in the ICU in Jan 2005, person 1 on 1-2 Jan 2018 (no unit)
    with a unit stay in the ward."""
    write_tables(
        tiny,
        {
            "care_site": pa.table({
                "care_site_id": [ICU, WARD, SERVICE],
                "care_site_name": ["Réanimation", "Cardiologie", "Service de médecine"],
                "place_of_service_source_value": ["unité", "unité", "service"],
            }),
            "fact_relationship": pa.table({
                "domain_concept_id_1": [57, 57],
                "fact_id_1": [ICU, WARD],
                "domain_concept_id_2": [57, 57],
                "fact_id_2": [SERVICE, SERVICE],
                "relationship_concept_id": [PART_OF, PART_OF],
            }),
            "visit_occurrence": pa.table({
                "visit_occurrence_id": [1, 2, 3, 4],
                "person_id": [2, 3, 5, 1],
                "visit_concept_id": [9201] * 4,
                "visit_start_date": [_day(2012, 6, 10), _day(2019, 1, 5), _day(2005, 1, 1), _day(2018, 1, 1)],
                "visit_end_date": [_day(2012, 6, 12), _day(2019, 1, 8), _day(2005, 1, 2), _day(2018, 1, 2)],
                "visit_type_concept_id": [32817] * 4,
                "care_site_id": [ICU, WARD, ICU, None],
            }),
            "visit_detail": pa.table({
                "visit_detail_id": [1],
                "person_id": [1],
                "visit_detail_concept_id": [9201],
                "visit_detail_start_date": [_day(2018, 1, 1)],
                "visit_detail_end_date": [_day(2018, 1, 2)],
                "visit_detail_type_concept_id": [32817],
                "visit_occurrence_id": [4],
                "care_site_id": [WARD],
            }),
        },
    )  # fmt: skip
    return tiny


#: Entry: each person's first GI bleed (1: 1 Mar 2015, 2: 1 Jun 2012, 3: 1 Jan
#: 2019). Rule 0: a visit in the ICU (person 2) or the ward (person 3) within
#: 30 days. Rule 1: never on drug A (person 3; 1 and 2 took it).
DEFINITION = {
    "entry": {"events": [{"condition": {"concept_set": "gi", "first": True}}]},
    "inclusion_rules": [
        {
            "name": "a visit in a unit",
            "criteria": {
                "type": "any",
                "criteria": [
                    {"event": {"visit": {"care_site": [unit]}},
                     "window": {"start": -30, "end": 30}}
                    for unit in (ICU, WARD)
                ],
            },
        },
        {
            "name": "never on drug A",
            "criteria": {"criteria": [
                {"event": {"drug": {"concept_set": "drug"}},
                 "occurrence": {"type": "at_most", "count": 0}}
            ]},
        },
    ],
}  # fmt: skip


def test_live_counts_in_a_unit_perimeter_on_each_engine(hospital):
    """The service's units from 2013: persons 1 (the ward, 2018) and 3 (the
    ward, 2019), not 2 (the ICU, 2012) nor 5 (2005); each entry from 2013.
    Counted in that perimeter as a project's builder counts."""
    units = care_site_tree(hospital).below(SERVICE)
    assert units == {ICU, WARD, SERVICE}
    service = Perimeter(units=units, start=date(2013, 1, 1))
    stayed = service.stayed(hospital).stayed.to_pyarrow().to_pylist()
    assert sorted(stayed) == [1, 3]
    decision = Decision("rita", "researcher", "count", None, service, 10)
    counts = count_parts(hospital, define(**DEFINITION), decision)
    assert {path: ids.tolist() for path, ids in counts.persons.items()} == {
        "entry": [1, 3],  # person 2's bleed is outside the perimeter
        "rules/0/criteria/0": [],
        "rules/0/criteria/1": [3],
        "rules/0": [3],
        "rules/1/criteria/0": [3],
        "rules/1": [3],
        "cohort": [3],
    }
    assert counts.attrition == [
        {"rule": "entry events", "persons": 2, "entries": 2},
        {"rule": "a visit in a unit", "persons": 1, "entries": 1},
        {"rule": "never on drug A", "persons": 1, "entries": 1},
    ]
