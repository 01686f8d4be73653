"""`validate` on a conforming warehouse and on planted defects, on each engine."""

import ibis
import pyarrow as pa


def insert(wh, name: str, **columns) -> None:
    """Write rows straight to a table, bypassing the loader's checks (to plant defects)."""
    schema = wh.table(name).schema()
    data = pa.table(
        {c: pa.array(v, schema[c].to_pyarrow()) for c, v in columns.items()}
    )
    rows = wh.store.from_arrow(data)
    full = rows.select(
        *[rows[c] if c in columns else ibis.null(t).name(c) for c, t in schema.items()]
    )
    with wh.store.transaction() as tx:
        tx.append("cdm", name, full)


def problems(wh) -> set[tuple]:
    return {
        (p["check"], p["table"], p["field"], p["rows"])
        for p in wh.validate()["problems"]
    }


def test_new_warehouse_with_vocabulary_conforms(make_warehouse):
    wh = make_warehouse(vocabulary=True)
    assert wh.validate() == {"ok": True, "problems": []}


def test_planted_defects_are_found(warehouse):
    insert(
        warehouse,
        "person",
        person_id=[1, 1, 2],
        gender_concept_id=[0, 0, None],
        year_of_birth=[1950, 1950, 1960],
        race_concept_id=[0, 0, 0],
        ethnicity_concept_id=[0, 0, 0],
    )
    insert(
        warehouse,
        "observation_period",
        observation_period_id=[1, 2],
        person_id=[1, 99],
        observation_period_start_date=[None, None],
        observation_period_end_date=[None, None],
        period_type_concept_id=[32817, 32817],
    )
    assert problems(warehouse) == {
        ("required_null", "person", "gender_concept_id", 1),
        ("duplicate_key", "person", "person_id", 1),
        ("required_null", "observation_period", "observation_period_start_date", 2),
        ("required_null", "observation_period", "observation_period_end_date", 2),
        ("orphan_reference", "observation_period", "person_id", 1),
        ("orphan_reference", "observation_period", "period_type_concept_id", 2),
    }
