"""Cohorts on a tiny warehouse worked out by hand, on DuckDB and Spark."""

from datetime import date

from entrepot.cohort import CohortDefinition, list_cohorts, run_cohort, show_cohort

from .conftest import DRUG, GI

CONCEPT_SETS = {
    "gi": {"items": [{"concept_id": GI, "descendants": True}]},
    "drug": {"items": [{"concept_id": DRUG}]},
}


def define(**fields) -> CohortDefinition:
    return CohortDefinition.model_validate(
        {"name": "test", "concept_sets": CONCEPT_SETS} | fields
    )


def rows(wh, cohort_id: int) -> list[tuple]:
    cohort = wh.store.table("results", "cohort")
    mine = cohort.filter(cohort.cohort_definition_id == cohort_id)
    return sorted(
        (r["subject_id"], r["cohort_start_date"], r["cohort_end_date"])
        for r in mine.to_pyarrow().to_pylist()
    )


def test_rules_attrition_and_drug_era_exit(tiny):
    """Entry: every GI bleed in observation (person 4's is not); rule 1: drug A
    from 60 days before to 30 after; rule 2: aged 18 or more. Exit: end of the
    drug A era (30-day gaps): 1 Feb - 10 Apr 2015 for person 1."""
    definition = define(
        entry={"events": [{"condition": {"concept_set": "gi"}}], "limit": "all"},
        inclusion_rules=[
            {
                "name": "drug A around",
                "criteria": {
                    "criteria": [
                        {
                            "event": {"drug": {"concept_set": "drug"}},
                            "window": {"start": -60, "end": 30},
                        }
                    ]
                },
            },
            {"name": "adult", "criteria": {"demographics": [{"age": {"gte": 18}}]}},
        ],
        exit={"drug_era": {"concept_set": "drug", "gap_days": 30}},
    )
    result = run_cohort(tiny, definition, cohort_id=7)
    assert rows(tiny, 7) == [(1, date(2015, 3, 1), date(2015, 4, 10))]
    assert (result.count, result.entries, result.person_days) == (1, 1, 40)
    assert result.attrition == [
        {"rule": "entry events", "persons": 3, "entries": 4},
        {"rule": "drug A around", "persons": 1, "entries": 1},
        {"rule": "adult", "persons": 1, "entries": 1},
    ]
    assert show_cohort(tiny, 7)["attrition"] == result.attrition
    assert tiny.tables("results") == ["cohort", "cohort_attrition", "cohort_definition"]


def test_first_event_fixed_offset_and_era_pad(tiny_duckdb):
    tiny = tiny_duckdb
    first = define(
        entry={"events": [{"condition": {"concept_set": "gi"}}]},
        exit={"offset": {"days": 30}},
    )
    result = run_cohort(tiny, first, cohort_id=1)
    assert rows(tiny, 1) == [
        (1, date(2015, 3, 1), date(2015, 3, 31)),
        (2, date(2012, 6, 1), date(2012, 7, 1)),
        (3, date(2019, 1, 1), date(2019, 1, 31)),
    ]
    assert result.person_days == 90
    every = {"events": [{"condition": {"concept_set": "gi"}}], "limit": "all"}
    run_cohort(tiny, define(entry=every, exit={"offset": {"days": 300}}), cohort_id=2)
    assert [r for r in rows(tiny, 2) if r[0] == 1] == [
        (1, date(2015, 3, 1), date(2015, 12, 26)),
        (1, date(2016, 1, 1), date(2016, 10, 27)),
    ]
    padded = define(entry=every, exit={"offset": {"days": 300}, "era_pad": 10})
    run_cohort(tiny, padded, cohort_id=3)
    assert [r for r in rows(tiny, 3) if r[0] == 1] == [
        (1, date(2015, 3, 1), date(2016, 10, 27))
    ]
    listed = {c["id"]: (c["persons"], c["entries"]) for c in list_cohorts(tiny)}
    assert [listed[i] for i in (1, 2, 3)] == [(3, 3), (3, 4), (3, 3)]
