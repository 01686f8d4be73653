"""Cohorts in the results schema: `cohort`, `cohort_definition`, `cohort_attrition`.

Never in the CDM's own tables. Every write replaces one cohort's rows in all
three tables in one transaction of the warehouse's store: a failed run leaves
them as they were.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache

import ibis
import ibis.expr.types as ir
import pyarrow as pa

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


@cache
def _schemas() -> dict[str, ibis.Schema]:
    return {
        "cohort": cdm_table("cohort").schema,
        "cohort_definition": cdm_table("cohort_definition").schema,
        "cohort_attrition": ATTRITION,
    }


def stored_tables(wh) -> dict[str, ir.Table]:
    """The three results tables as stored, created empty when missing (one listing)."""
    missing = sorted(set(_schemas()) - set(wh.store.list_tables(RESULTS)))
    if missing and wh.store.read_only:
        raise CohortNotFoundError(f"no cohorts in warehouse {wh.uri} (read-only)")
    for table in missing:
        wh.store.create_table(RESULTS, table, _schemas()[table])
    return {name: wh.store.table(RESULTS, name) for name in _schemas()}


def lower(t: ir.Table) -> ir.Table:
    """`t` with lower-case column names."""
    return t.rename(str.lower) if any(c != c.lower() for c in t.columns) else t


def results_table(wh, name: str) -> ir.Table:
    """A results table, created empty when missing (columns lower-case)."""
    return lower(stored_tables(wh)[name])


def next_cohort_id(wh, name: str, project: str | None = None) -> int:
    """The id of the cohort of that name in `project` (None: the cohorts of
    no project), one being generated included, or the next id that no cohort
    has, nor was claimed for one (names are unique within a project, not
    across projects)."""
    from entrepot.privacy import cohort_owners

    owners = cohort_owners(wh)
    defs = results_table(wh, "cohort_definition")
    rows = defs.select("cohort_definition_id", "cohort_definition_name").to_pyarrow()
    names = {o: owner.name for o, owner in owners.items()}  # claimed, not yet stored
    names |= dict(
        zip(
            rows["cohort_definition_id"].to_pylist(),
            rows["cohort_definition_name"].to_pylist(),
            strict=True,
        )
    )
    for cid, existing in names.items():
        owner = owners.get(cid)
        if existing == name and (owner.project if owner else None) == project:
            return int(cid)
    return max(names, default=0) + 1


def definition_row(cohort_id: int, definition: dict) -> dict[str, list]:
    """The `cohort_definition` row of a cohort, column by column."""
    return {
        "cohort_definition_id": [cohort_id],
        "cohort_definition_name": [definition["name"][:255]],
        "cohort_definition_description": [definition.get("description")],
        "definition_type_concept_id": [0],
        "cohort_definition_syntax": [json.dumps(definition, default=str)],
        "subject_concept_id": [0],
        "cohort_initiation_date": [date.today()],
    }


def header_rows(header: dict, attrition: list[dict], cohort_id: int) -> dict:
    """The definition and attrition rows of a cohort, column by column."""
    rows = [row | {"cohort_definition_id": cohort_id} for row in attrition]
    return {
        "cohort_definition": header,
        "cohort_attrition": {c: [row[c] for row in rows] for c in ATTRITION.names},
    }


def typed_rows(name: str, columns: dict[str, list]) -> pa.Table:
    """Rows of a results table, given column by column, with its types."""
    schema = _arrow_schemas()[name]
    return pa.table(columns, schema=pa.schema([schema.field(c) for c in columns]))


@cache
def _arrow_schemas() -> dict[str, pa.Schema]:
    return {name: schema.to_pyarrow() for name, schema in _schemas().items()}


def delete_cohort(wh, cohort_id: int) -> None:
    """Remove a cohort from the three results tables, atomically."""
    cohort_definition(wh, cohort_id)  # raises when unknown
    with wh.store.transaction() as tx:
        for name in stored_tables(wh):
            tx.delete(RESULTS, name, {"cohort_definition_id": cohort_id})


def cohort_definition(wh, cohort_id: int) -> dict:
    """The stored definition row of a cohort."""
    defs = results_table(wh, "cohort_definition")
    rows = defs.filter(defs.cohort_definition_id == cohort_id).to_pyarrow().to_pylist()
    if not rows:
        raise missing(wh, cohort_id)
    return rows[0]


def missing(wh, cohort_id: int) -> CohortNotFoundError:
    """The error for a cohort that does not exist (or is out of sight)."""
    return CohortNotFoundError(f"no cohort {cohort_id} in warehouse {wh.uri}")


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


def save_rows(wh, name: str, rows: pa.Table, description: str) -> int:
    """Store a cohort given as rows (`subject_id`, `cohort_start_date`,
    `cohort_end_date`), outside any project; its id."""
    cohort_id = next_cohort_id(wh, name)
    header = definition_row(cohort_id, {"name": name, "description": description})
    header["cohort_definition_description"] = [description]
    members = {c: rows[c].to_pylist() for c in rows.column_names}
    members["cohort_definition_id"] = [cohort_id] * rows.num_rows
    step = {"rule_sequence": 0, "rule_name": name, "entries": rows.num_rows}
    step["persons"] = len(set(members["subject_id"]))
    parts = header_rows(header, [step], cohort_id) | {"cohort": members}
    with wh.store.transaction() as tx:
        for table, columns in parts.items():
            tx.append(RESULTS, table, wh.store.from_arrow(typed_rows(table, columns)))
    return cohort_id
