"""Cohorts in the results schema: `cohort`, `cohort_definition`, `cohort_attrition`.

Never in the CDM's own tables. Every write replaces one cohort's rows in all
three tables in one transaction: a failed run leaves them as they were.
"""

from __future__ import annotations

import json
from datetime import date

import ibis
import ibis.expr.types as ir

from entrepot.errors import CohortNotFoundError
from entrepot.warehouse.cdm import cdm_table

RESULTS = "results"
ATTRITION = ibis.schema(
    {
        "cohort_definition_id": "int64",
        "rule_sequence": "int64",
        "rule_name": "string",
        "persons": "int64",
        "entries": "int64",
    }
)


def _schemas() -> dict[str, ibis.Schema]:
    return {
        "cohort": cdm_table("cohort").schema,
        "cohort_definition": cdm_table("cohort_definition").schema,
        "cohort_attrition": ATTRITION,
    }


def results_table(wh, name: str) -> ir.Table:
    """A results table, created empty when missing (columns lower-case)."""
    missing = sorted(set(_schemas()) - set(wh.store.list_tables(RESULTS)))
    if missing and wh.store.read_only:
        raise CohortNotFoundError(f"no cohorts in warehouse {wh.uri} (read-only)")
    for table in missing:
        wh.store.create_table(RESULTS, table, _schemas()[table])
    t = wh.store.table(RESULTS, name)
    return t.rename(str.lower) if any(c != c.lower() for c in t.columns) else t


def next_cohort_id(wh, name: str) -> int:
    """The id of the cohort of that name, or the next free one."""
    defs = results_table(wh, "cohort_definition")
    rows = defs.select("cohort_definition_id", "cohort_definition_name").to_pyarrow()
    ids = rows["cohort_definition_id"].to_pylist()
    for cid, existing in zip(
        ids, rows["cohort_definition_name"].to_pylist(), strict=True
    ):
        if existing == name:
            return int(cid)
    return max(ids, default=0) + 1


def replace_cohort(
    wh, cohort_id: int, rows: ir.Table, definition: dict, attrition: list[dict]
) -> None:
    """Replace one cohort's rows, definition and attrition, atomically."""
    store = wh.store
    header = {
        "cohort_definition_id": [cohort_id],
        "cohort_definition_name": [definition["name"][:255]],
        "cohort_definition_description": [definition.get("description")],
        "definition_type_concept_id": [0],
        "cohort_definition_syntax": [json.dumps(definition, default=str)],
        "subject_concept_id": [0],
        "cohort_initiation_date": [date.today()],
    }
    attrition_rows = {
        column: [row[column] for row in attrition] for column in ATTRITION.names
    }
    new = {
        "cohort": rows,
        "cohort_definition": _typed(store, header, _schemas()["cohort_definition"]),
        "cohort_attrition": _typed(store, attrition_rows, ATTRITION),
    }
    contents = {}
    for name, added in new.items():
        old = results_table(wh, name)
        kept = old.filter(old.cohort_definition_id != cohort_id)
        added = added.select(*[added[c].cast(t) for c, t in old.schema().items()])
        contents[name] = store.materialize(ibis.union(kept, added, distinct=False))
    with store.transaction() as tx:
        for name, content in contents.items():
            tx.replace(RESULTS, name, content)


def _typed(store, columns: dict, schema: ibis.Schema) -> ir.Table:
    import pyarrow as pa

    return store.from_arrow(pa.table(columns, schema=schema.to_pyarrow()))


def delete_cohort(wh, cohort_id: int) -> None:
    """Remove a cohort from the three results tables, atomically."""
    cohort_definition(wh, cohort_id)  # raises when unknown
    contents = {}
    for name in ("cohort", "cohort_definition", "cohort_attrition"):
        old = results_table(wh, name)
        contents[name] = wh.store.materialize(
            old.filter(old.cohort_definition_id != cohort_id)
        )
    with wh.store.transaction() as tx:
        for name, content in contents.items():
            tx.replace(RESULTS, name, content)


def cohort_definition(wh, cohort_id: int) -> dict:
    """The stored definition row of a cohort."""
    defs = results_table(wh, "cohort_definition")
    rows = defs.filter(defs.cohort_definition_id == cohort_id).to_pyarrow().to_pylist()
    if not rows:
        raise CohortNotFoundError(f"no cohort {cohort_id} in warehouse {wh.uri}")
    return rows[0]


def list_cohorts(wh) -> list[dict]:
    """Every cohort: id, name, persons, entries, date generated."""
    defs = results_table(wh, "cohort_definition")
    cohort = results_table(wh, "cohort")
    counts = cohort.group_by("cohort_definition_id").aggregate(
        persons=cohort.subject_id.nunique(), entries=cohort.count()
    )
    joined = defs.left_join(counts, "cohort_definition_id")
    rows = (
        joined.select(
            id=defs.cohort_definition_id.cast("int64"),
            name=defs.cohort_definition_name,
            persons=ibis.coalesce(counts.persons, 0).cast("int64"),
            entries=ibis.coalesce(counts.entries, 0).cast("int64"),
            generated=defs.cohort_initiation_date.cast("string"),
        )
        .order_by("id")
        .to_pyarrow()
        .to_pylist()
    )
    return rows


def show_cohort(wh, cohort_id: int) -> dict:
    """A cohort's definition, counts and attrition."""
    row = cohort_definition(wh, cohort_id)
    summary = next(c for c in list_cohorts(wh) if c["id"] == cohort_id)
    attrition = results_table(wh, "cohort_attrition")
    steps = (
        attrition.filter(attrition.cohort_definition_id == cohort_id)
        .order_by("rule_sequence")
        .select(
            rule=attrition.rule_name,
            persons=attrition.persons,
            entries=attrition.entries,
        )
        .to_pyarrow()
        .to_pylist()
    )
    return summary | {
        "description": row["cohort_definition_description"],
        "attrition": steps,
        "definition": json.loads(row["cohort_definition_syntax"] or "null"),
    }
