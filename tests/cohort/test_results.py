"""The results schema: cohorts replaced atomically, listed, shown, deleted."""

from datetime import date

import pytest

from entrepot.cohort import delete_cohort, list_cohorts, run_cohort, show_cohort
from entrepot.errors import CohortNotFoundError, CohortRunError

from .test_run import define, rows

FIRST = {"events": [{"condition": {"concept_set": "gi"}}]}


def test_a_failed_run_leaves_the_previous_cohort(tiny_duckdb):
    wh = tiny_duckdb
    run_cohort(wh, define(name="kept", entry=FIRST), cohort_id=5)
    before = rows(wh, 5)
    cdm_before = wh.counts()
    overflowing = define(
        name="broken", entry=FIRST, exit={"offset": {"days": 2_000_000_000}}
    )
    with pytest.raises(CohortRunError, match="^broken: cohort not generated: "):
        run_cohort(wh, overflowing, cohort_id=5)  # the engine fails on the dates
    assert rows(wh, 5) == before and len(before) == 3
    assert show_cohort(wh, 5)["name"] == "kept"
    assert wh.counts() == cdm_before  # nothing ever written to the CDM's tables


def test_list_show_delete(tiny_duckdb):
    wh = tiny_duckdb
    result = run_cohort(
        wh, define(name="to delete", entry=FIRST, exit={"offset": {"days": 10}})
    )
    shown = show_cohort(wh, result.cohort_definition_id)
    assert (shown["name"], shown["persons"], shown["entries"]) == ("to delete", 3, 3)
    assert shown["definition"]["exit"]["offset"] == {"date": "start", "days": 10}
    again = run_cohort(wh, define(name="to delete", entry=FIRST))
    assert again.cohort_definition_id == result.cohort_definition_id  # same name
    assert rows(wh, again.cohort_definition_id)[0] == (
        1,
        date(2015, 3, 1),
        date(2020, 12, 31),
    )  # now to the end of observation
    delete_cohort(wh, result.cohort_definition_id)
    assert result.cohort_definition_id not in [c["id"] for c in list_cohorts(wh)]
    assert rows(wh, result.cohort_definition_id) == []
    with pytest.raises(CohortNotFoundError, match="no cohort 999"):
        show_cohort(wh, 999)


def test_unknown_codes_are_listed(tiny_duckdb):
    from entrepot.errors import UnknownCodeError

    definition = define(
        concept_sets={
            "x": {
                "items": [
                    {"vocabulary": "CIM10", "code": "K92"},
                    {"vocabulary": "CIM10", "code": "Z99.9"},
                    {"vocabulary": "ATC", "code": "X01'; DROP TABLE person; --"},
                ]
            }
        },
        entry={"events": [{"condition": {"concept_set": "x"}}]},
    )
    with pytest.raises(
        UnknownCodeError,
        match="unknown code.*ATC X01'; DROP TABLE person; --, CIM10 Z99.9$",
    ):
        run_cohort(tiny_duckdb, definition)
    assert tiny_duckdb.count("person") == 5


def _temporary_tables(wh) -> list[str]:
    return [
        r[0]
        for r in wh.con.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary"
        ).fetchall()
    ]


RULED = {
    "entry": {"events": [{"condition": {"concept_set": "gi"}}], "limit": "all"},
    "inclusion_rules": [
        {"name": "adult", "criteria": {"demographics": [{"age": {"gte": 18}}]}}
    ],
    "exit": {"offset": {"days": 30}},
}


def test_reruns_replace_only_their_rows_and_leave_no_temporary_table(tiny_duckdb):
    """A run deletes and appends its own rows only; its SQL, compiled once per
    connection, gives the same cohort again; no temporary table is left, even
    after a failure."""
    wh = tiny_duckdb
    other = run_cohort(wh, define(name="other", entry=FIRST), cohort_id=20)
    first = run_cohort(wh, define(name="ruled", **RULED), cohort_id=21)
    before = rows(wh, 21)
    again = run_cohort(wh, define(name="ruled", **RULED), cohort_id=21)
    assert rows(wh, 21) == before and len(before) == 3
    assert (
        again.attrition
        == first.attrition
        == [
            {"rule": "entry events", "persons": 3, "entries": 4},
            {"rule": "adult", "persons": 2, "entries": 3},
        ]
    )
    assert (again.count, again.entries) == (first.count, first.entries) == (2, 3)
    assert rows(wh, 20) and len(rows(wh, 20)) == other.entries
    assert show_cohort(wh, 21)["attrition"] == first.attrition
    overflowing = define(
        name="ruled", **(RULED | {"exit": {"offset": {"days": 2_000_000_000}}})
    )
    with pytest.raises(CohortRunError):
        run_cohort(wh, overflowing, cohort_id=21)
    assert rows(wh, 21) == before
    assert _temporary_tables(wh) == []
