"""Table 1 releases its margins together: no masked cell follows from the others."""

from datetime import date

import pyarrow as pa

from entrepot.cohort import describe_cohort
from entrepot.cohort._results import definition_row, stored_tables
from entrepot.privacy import Decision
from entrepot.warehouse import Warehouse

#: 14 persons: 12 aged 18-44 at entry, 2 aged 45-64 (7 + 1 women, 5 + 1 men).
PERSONS = [(1990, 8532)] * 7 + [(1990, 8507)] * 5 + [(1970, 8532), (1970, 8507)]


def _rows(wh, table, rows):
    schema = table.schema().to_pyarrow()
    return wh.store.from_arrow(pa.Table.from_pylist(rows, schema=schema))


def _fill(wh, persons: list[tuple[int, int]], cohorts: dict[int, list[int]]):
    """`persons` (year of birth, gender), ids from 1, and cohorts of them
    (id -> person ids), each entered on 1 January 2020."""
    people = [
        {"person_id": i, "gender_concept_id": g, "year_of_birth": y,
         "race_concept_id": 0, "ethnicity_concept_id": 0}
        for i, (y, g) in enumerate(persons, 1)
    ]  # fmt: skip
    members = [
        {"cohort_definition_id": c, "subject_id": i,
         "cohort_start_date": date(2020, 1, 1), "cohort_end_date": date(2020, 6, 1)}
        for c, ids in cohorts.items() for i in ids
    ]  # fmt: skip
    headers = [
        {k: v[0] for k, v in definition_row(c, {"name": f"cohort {c}"}).items()}
        for c in cohorts
    ]
    stored = stored_tables(wh)
    with wh.store.transaction() as tx:
        tx.append("cdm", "person", _rows(wh, wh.table("person"), people))
        tx.append("results", "cohort", _rows(wh, stored["cohort"], members))
        tx.append(
            "results",
            "cohort_definition",
            _rows(wh, stored["cohort_definition"], headers),
        )
    return wh


def _cohort(tmp_path) -> Warehouse:
    wh = Warehouse.create(tmp_path / "eds.duckdb", vocabulary=False)
    return _fill(wh, PERSONS, {1: list(range(1, len(PERSONS) + 1))})


def _derivable(total, margin: dict) -> bool:
    """Whether one hidden value of a margin is its total minus the shown others."""
    hidden = [v for v in margin.values() if not isinstance(v, int)]
    return isinstance(total, int) and len(hidden) == 1


def test_a_masked_age_band_cannot_be_worked_out_from_the_total(tmp_path):
    with _cohort(tmp_path) as wh:
        t1 = describe_cohort(wh, 1)
    assert t1["age"]["bands"]["45-64"] == "<10"
    assert not _derivable(t1["persons"], t1["age"]["bands"])
    assert not _derivable(t1["persons"], t1["sex"])
    shown = [*t1["age"]["bands"].values(), *t1["sex"].values(), t1["persons"]]
    assert not any(isinstance(v, int) and 0 < v < 10 for v in shown)


def test_with_every_count_allowed_the_margins_add_up(tmp_path):
    from entrepot.privacy import set_mask_threshold

    with _cohort(tmp_path) as wh:
        set_mask_threshold(wh, 1)
        t1 = describe_cohort(wh, 1)
    assert t1["persons"] == 14
    assert t1["age"]["bands"] == {
        "0-17": 0,
        "18-44": 12,
        "45-64": 2,
        "65-74": 0,
        "75+": 0,
    }
    assert t1["sex"] == {"female": 8, "male": 6, "other or unknown": 0}


#: 23 persons: 20 aged 18-44 at entry (11 women, 9 men), 3 aged 45-64 (2
#: women, and the last one, a man: the one the attacker asks about).
TWENTY_THREE = [(1990, 8532)] * 11 + [(1990, 8507)] * 9 + [(1970, 8532)] * 2
TWENTY_THREE += [(1970, 8507)]


def _table_one(t1: dict) -> dict:
    return {k: t1[k] for k in ("persons", "age", "sex")}


def test_two_cohorts_one_person_apart_show_the_same_table_one(make_warehouse):
    """Differencing: a project's Table 1 of a cohort, then of the same cohort
    without the last person (who has X), would tell that he has X by a total
    one less, or by a 45-64 band or a male count one less. Released through
    the gate's defence, both worlds show the same table, cells consistent
    with the total (no masked cell follows from it)."""
    everyone = list(range(1, 24))
    wh = _fill(
        make_warehouse(), TWENTY_THREE, {1: everyone, 2: everyone[:-1], 3: everyone}
    )
    shown = {}
    for world, second in (("lost", 2), ("kept", 3)):
        decision = Decision("u", "viewer", "count", world, None, 10)
        first = describe_cohort(wh, 1, decision)
        shown[world] = describe_cohort(wh, second, decision)
        assert _table_one(first) == _table_one(shown[world])
    assert _table_one(shown["lost"]) == _table_one(shown["kept"])
    t1 = shown["lost"]
    assert t1["persons"] == 23 and t1["age"]["bands"]["45-64"] == "<10"
    assert not _derivable(t1["persons"], t1["age"]["bands"])
    assert not _derivable(t1["persons"], t1["sex"])


def _conditions(wh, persons: list[int], concept: int = 201826) -> None:
    """Condition `concept` recorded for `persons` on 1 March 2020 (during
    their cohort period)."""
    table = wh.table("condition_occurrence")
    rows = [
        {"condition_occurrence_id": i, "person_id": p, "condition_concept_id": concept,
         "condition_start_date": date(2020, 3, 1), "condition_type_concept_id": 32817}
        for i, p in enumerate(persons, 1)
    ]  # fmt: skip
    with wh.store.transaction() as tx:
        tx.append("cdm", "condition_occurrence", _rows(wh, table, rows))


def test_two_cohorts_one_person_apart_show_the_same_top_concepts(make_warehouse):
    """Differencing through the top concepts: 14 persons of the cohort, the
    last one among them, had condition C. Without the defence, the cohort
    without him shows C for 13, and the attacker learns that he has C. Both
    worlds show C for 14 persons, the count of the cohort's released persons
    who had it."""
    everyone = list(range(1, 24))
    wh = _fill(
        make_warehouse(), TWENTY_THREE, {1: everyone, 2: everyone[:-1], 3: everyone}
    )
    _conditions(wh, everyone[-14:])
    shown = {}
    for world, second in (("lost", 2), ("kept", 3)):
        decision = Decision("u", "viewer", "count", world, None, 10)
        first = describe_cohort(wh, 1, decision)
        shown[world] = describe_cohort(wh, second, decision)
        assert first["conditions"] == shown[world]["conditions"]
    assert shown["lost"]["conditions"] == shown["kept"]["conditions"]
    assert [c["persons"] for c in shown["lost"]["conditions"]] == [14]
