"""What the web builder adds to definitions, on the tiny warehouse worked out
by hand: temporal constraints between criteria (an event's own criteria,
Circe's CorrelatedCriteria) and membership in a saved cohort."""

import json
from datetime import date

import pyarrow as pa
import pytest
from pydantic import ValidationError

from entrepot.cohort import CohortDefinition, run_cohort

from .test_run import define, rows

END = date(2020, 12, 31)  # the end of everyone's observation


def _drug_then_gi(occurrence: dict) -> dict:
    """Drug A exposures with `occurrence` GI bleeds within 56 days after
    their start (a criterion on the exposure itself)."""
    return {
        "drug": {
            "concept_set": "drug",
            "criteria": {
                "criteria": [
                    {
                        "event": {"condition": {"concept_set": "gi"}},
                        "window": {"start": 0, "end": 56},
                        "occurrence": occurrence,
                    }
                ]
            },
        }
    }


def test_a_gi_bleed_within_56_days_after_starting_the_drug(tiny_duckdb):
    """Drug A: person 1 on 1 Feb and 10 Mar 2015, person 2 on 1 Jan 2013; GI
    bleeds: person 1 on 1 Mar 2015 (28 days after 1 Feb) and 1 Jan 2016,
    person 2 on 1 Jun 2012 (before). Only person 1's 1 Feb start has one."""
    entry = {"events": [_drug_then_gi({})], "limit": "all"}
    run_cohort(
        tiny_duckdb, define(entry=entry, exit={"offset": {"days": 0}}), cohort_id=41
    )
    assert rows(tiny_duckdb, 41) == [(1, date(2015, 2, 1), date(2015, 2, 1))]
    without = {"type": "at_most", "count": 0}
    entry = {"events": [_drug_then_gi(without)], "limit": "all"}
    run_cohort(
        tiny_duckdb, define(entry=entry, exit={"offset": {"days": 0}}), cohort_id=42
    )
    assert rows(tiny_duckdb, 42) == [
        (1, date(2015, 3, 10), date(2015, 3, 10)),
        (2, date(2013, 1, 1), date(2013, 1, 1)),
    ]


def test_a_temporal_constraint_inside_an_inclusion_rule(tiny_duckdb):
    """Entry: each GI bleed. Rule: an exposure to drug A in the year before
    that had a GI bleed within 56 days after it: person 1's 1 Mar 2015 bleed
    (drug on 1 Feb, bleed 28 days later); not 1 Jan 2016 (the drug is more
    than a year before), nor persons 2 and 3 (no drug before)."""
    rule = {
        "name": "drug A, then a bleed within 56 days",
        "criteria": {
            "criteria": [
                {"event": _drug_then_gi({}), "window": {"start": -365, "end": 0}}
            ]
        },
    }
    entry = {"events": [{"condition": {"concept_set": "gi"}}], "limit": "all"}
    definition = define(entry=entry, inclusion_rules=[rule])
    result = run_cohort(tiny_duckdb, definition, cohort_id=43)
    assert rows(tiny_duckdb, 43) == [(1, date(2015, 3, 1), END)]
    assert [s["persons"] for s in result.attrition] == [3, 1]


def test_membership_in_a_saved_cohort(tiny_duckdb):
    """Cohort 44: each person's first GI bleed, 30 days (person 1: 1-31 Mar
    2015; 2: June 2012; 3: January 2019). Drug A exposures whose person
    entered cohort 44 in the 30 days before: person 1's of 10 Mar 2015 only;
    excluding them leaves person 1's of 1 Feb and person 2's."""
    first_gi = {"events": [{"condition": {"concept_set": "gi"}}]}
    run_cohort(
        tiny_duckdb, define(entry=first_gi, exit={"offset": {"days": 30}}), cohort_id=44
    )
    member = {"event": {"cohort": {"cohort": 44}}, "window": {"start": -30, "end": 0}}
    drugs = {"events": [{"drug": {"concept_set": "drug"}}], "limit": "all"}
    for cohort_id, occurrence, expected in (
        (45, {}, [(1, date(2015, 3, 10), date(2015, 3, 10))]),
        (
            46,
            {"type": "at_most", "count": 0},
            [
                (1, date(2015, 2, 1), date(2015, 2, 1)),
                (2, date(2013, 1, 1), date(2013, 1, 1)),
            ],
        ),
    ):
        rule = {
            "name": "in cohort 44",
            "criteria": {"criteria": [member | {"occurrence": occurrence}]},
        }
        definition = define(
            entry=drugs, inclusion_rules=[rule], exit={"offset": {"days": 0}}
        )
        run_cohort(tiny_duckdb, definition, cohort_id=cohort_id)
        assert rows(tiny_duckdb, cohort_id) == expected


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"cohort": {}}, "a cohort event needs the cohort's id"),
        ({"condition": {"cohort": 3}}, "cohort: only for cohort events"),
        (
            {"cohort": {"cohort": 3, "concept_set": "gi"}},
            "concept_set: not for cohort events",
        ),
    ],
)
def test_a_cohort_event_is_checked(event, message):
    with pytest.raises(ValidationError, match=message):
        CohortDefinition.model_validate(
            {
                "name": "x",
                "concept_sets": {"gi": {"items": [{"concept_id": 1}]}},
                "entry": {"events": [event]},
            }
        )


def test_counts_of_each_part_and_attrition(tiny_duckdb):
    """Entry: each GI bleed (persons 1, 2, 3; 4 entries). Rule 0: drug A from
    60 days before to 30 after (person 1's 1 Mar 2015 bleed). Rule 1: adult
    (persons 1 and 2), or, all of: no drug A ever (person 3) and female
    (persons 1 and 3). Each part counts on its own; the attrition in order."""
    from entrepot.cohort._counts import count_parts

    no_drug = {"event": {"drug": {"concept_set": "drug"}}}
    no_drug["occurrence"] = {"type": "at_most", "count": 0}
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
            {
                "name": "adult, or a woman never on drug A",
                "criteria": {
                    "type": "any",
                    "demographics": [{"age": {"gte": 18}}],
                    "groups": [
                        {
                            "criteria": [no_drug],
                            "demographics": [{"gender": ["female"]}],
                        }
                    ],
                },
            },
        ],
    )
    counts = count_parts(tiny_duckdb, definition)
    assert {p: ids.tolist() for p, ids in counts.persons.items()} == {
        "entry": [1, 2, 3],
        "rules/0/criteria/0": [1],
        "rules/0": [1],
        "rules/1/demographics/0": [1, 2],
        "rules/1/groups/0/criteria/0": [3],
        "rules/1/groups/0/demographics/0": [1, 3],
        "rules/1/groups/0": [3],
        "rules/1": [1, 2, 3],
        "cohort": [1],
    }
    assert counts.attrition == [
        {"rule": "entry events", "persons": 3, "entries": 4},
        {"rule": "drug A around", "persons": 1, "entries": 1},
        {"rule": "adult, or a woman never on drug A", "persons": 1, "entries": 1},
    ]


def test_a_definition_reads_back_from_its_yaml():
    """The builder's YAML (defaults left out, events in their short form) is
    the same definition: the shipped ones and the README's kinds of fields."""
    from entrepot.cohort import load_definition, shipped_definitions
    from entrepot.cohort._files import definition_from_data, definition_yaml, parse_text

    found = [load_definition(p) for p in shipped_definitions().values()]
    assert len(found) >= 5
    for definition in found:
        text = definition_yaml(definition)
        assert "domain:" not in text
        again = definition_from_data(parse_text(text, "yaml"), "yaml")
        assert again == definition


def test_builder_benchmark_runs_small(hospital_folder, capsys, tmp_path):
    """bench/builder.py on the session's small synthetic hospital."""
    from bench import builder

    from .conftest import HOSPITAL_PATIENTS

    figures = builder.main(["--patients", str(HOSPITAL_PATIENTS), "--repeat", "1",
                            "--folder", str(hospital_folder),
                            "--json", str(tmp_path / "b.json")])  # fmt: skip
    assert json.loads((tmp_path / "b.json").read_text()) == figures
    assert (figures["criteria"], figures["temporal_constraints"]) == (8, 2)
    # entry, 3 rules, 1 inner group, 8 criteria, 1 demographic, the cohort
    assert figures["parts"] == 15
    assert figures["persons"] == figures["persons_baseline"]
    assert figures["attrition"][0] > figures["attrition"][-1] >= 0
    ratio = figures["cold_seconds"] / figures["baseline_seconds"]
    assert figures["ratio"] == round(ratio, 3)
    out = capsys.readouterr().out
    assert "8 criteria, 2 temporal constraints" in out and "target 1 s" in out


def test_a_stay_in_a_unit(tiny_duckdb):
    """Units (ICU...) are care sites: person 1 in unit 16 from 20 to 25 Feb
    2015, person 2 in unit 3 in June 2012. GI bleeds with a stay in unit 16
    in the 30 days before: person 1's of 1 Mar 2015 only."""
    from .conftest import write_tables

    stays = pa.table(
        {
            "visit_detail_id": [1, 2],
            "person_id": [1, 2],
            "visit_detail_concept_id": [9201, 9201],
            "visit_detail_start_date": [date(2015, 2, 20), date(2012, 6, 1)],
            "visit_detail_end_date": [date(2015, 2, 25), date(2012, 6, 3)],
            "visit_detail_type_concept_id": [32817, 32817],
            "care_site_id": [16, 3],
        }
    )
    write_tables(tiny_duckdb, {"visit_detail": stays})
    icu = {
        "event": {"visit_detail": {"care_site": [16]}},
        "window": {"start": -30, "end": 0},
    }
    rule = {"name": "ICU in the month before", "criteria": {"criteria": [icu]}}
    entry = {"events": [{"condition": {"concept_set": "gi"}}], "limit": "all"}
    run_cohort(tiny_duckdb, define(entry=entry, inclusion_rules=[rule]), cohort_id=47)
    assert rows(tiny_duckdb, 47) == [(1, date(2015, 3, 1), END)]
    with pytest.raises(ValidationError, match="care_site: not for condition events"):
        define(entry={"events": [{"condition": {"care_site": [16]}}]})
