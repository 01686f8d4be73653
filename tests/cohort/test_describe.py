"""Table 1 releases its margins together: no masked cell follows from the others."""

from datetime import date

import pyarrow as pa

from entrepot.cohort import describe_cohort
from entrepot.cohort._results import definition_row, stored_tables
from entrepot.warehouse import Warehouse

#: 14 persons: 12 aged 18-44 at entry, 2 aged 45-64 (7 + 1 women, 5 + 1 men).
PERSONS = [(1990, 8532)] * 7 + [(1990, 8507)] * 5 + [(1970, 8532), (1970, 8507)]


def _rows(wh, table, rows):
    schema = table.schema().to_pyarrow()
    return wh.store.from_arrow(pa.Table.from_pylist(rows, schema=schema))


def _cohort(tmp_path) -> Warehouse:
    wh = Warehouse.create(tmp_path / "eds.duckdb", vocabulary=False)
    people = [
        {"person_id": i, "gender_concept_id": g, "year_of_birth": y,
         "race_concept_id": 0, "ethnicity_concept_id": 0}
        for i, (y, g) in enumerate(PERSONS, 1)
    ]  # fmt: skip
    members = [
        {"cohort_definition_id": 1, "subject_id": i,
         "cohort_start_date": date(2020, 1, 1), "cohort_end_date": date(2020, 6, 1)}
        for i in range(1, len(PERSONS) + 1)
    ]  # fmt: skip
    stored = stored_tables(wh)
    header = definition_row(1, {"name": "fourteen"})
    with wh.store.transaction() as tx:
        tx.append("cdm", "person", _rows(wh, wh.table("person"), people))
        tx.append("results", "cohort", _rows(wh, stored["cohort"], members))
        tx.append(
            "results",
            "cohort_definition",
            _rows(
                wh, stored["cohort_definition"], [{k: v[0] for k, v in header.items()}]
            ),
        )
    return wh


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
