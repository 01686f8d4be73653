"""Cohorts in the results schema: `cohort`, `cohort_definition`, `cohort_attrition`.

Never in the CDM's own tables. Every write replaces one cohort's rows in all
three tables in one transaction (DuckDB: deletes and appends of that cohort's
rows only): a failed run leaves them as they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import ibis
import ibis.expr.types as ir
import sqlglot as sg
import sqlglot.expressions as sge

from entrepot.cohort._statements import direct
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


@contextmanager
def sql_transaction(con) -> Iterator[None]:
    """BEGIN ... COMMIT on a SQL engine's connection; ROLLBACK on any error."""
    con.raw_sql("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.raw_sql("ROLLBACK")
        raise
    con.raw_sql("COMMIT")


def delete_rows(con, stored: ir.Table, cohort_id: int) -> None:
    """Delete one cohort's rows from a stored results table."""
    column = next(c for c in stored.columns if c.lower() == "cohort_definition_id")
    condition = sge.column(column, quoted=True).eq(sge.convert(int(cohort_id)))
    con.raw_sql(sge.delete(_target(stored), where=condition))


def insert_values(con, stored: ir.Table, columns: dict[str, list]) -> None:
    """Append a few rows, given column by column, as bound parameters."""
    n = len(next(iter(columns.values())))
    if n == 0:
        return
    names = {c.lower(): c for c in stored.columns}
    row = "(" + ", ".join("?" for _ in columns) + ")"
    con.raw_sql(
        f"INSERT INTO {_target(stored).sql(con.name)}"
        f" ({', '.join(quoted(con, names[c]) for c in columns)})"
        f" VALUES {', '.join([row] * n)}",
        parameters=[col[i] for i in range(n) for col in columns.values()],
    )


def insert_sql(con, stored: ir.Table, added: ir.Table) -> str:
    """The INSERT of rows (lower-case columns, no in-memory tables) into a
    stored results table, typed as it."""
    names = {c.lower(): c for c in stored.columns}
    added = added.select(
        **{names[c]: added[c].cast(t) for c, t in lower(stored).schema().items()}
    )
    columns = ", ".join(quoted(con, c) for c in added.columns)
    target = _target(stored).sql(con.name)
    return f"INSERT INTO {target} ({columns}) {con.compile(added)}"


def quoted(con, name: str) -> str:
    """A table or column name, quoted for the engine."""
    return sg.to_identifier(name, quoted=True).sql(con.name)


def _target(stored: ir.Table) -> sge.Table:
    """The stored table's full name, for a statement."""
    op = stored.op()
    return sg.table(
        op.name, db=op.namespace.database, catalog=op.namespace.catalog, quoted=True
    )


def rewrite_cohort(wh, cohort_id: int, rows: ir.Table, headers: dict) -> None:
    """Engines without deletes: each results table rewritten in one transaction,
    its rows of other cohorts then this cohort's new ones (`rows`, and the
    definition and attrition `headers` column by column)."""
    new = {"cohort": rows} | {
        name: _typed(wh.store, columns, _schemas()[name])
        for name, columns in headers.items()
    }
    _rewrite(wh, stored_tables(wh), cohort_id, new)


def _rewrite(wh, stored: dict, cohort_id: int, new: dict[str, ir.Table]) -> None:
    contents = {}
    for name, old in stored.items():
        old = lower(old)
        kept = old.filter(old.cohort_definition_id != cohort_id)
        if name in new:
            added = new[name].select(
                *[new[name][c].cast(t) for c, t in old.schema().items()]
            )
            kept = ibis.union(kept, added, distinct=False)
        contents[name] = kept
    with wh.store.transaction() as tx:
        for name, content in contents.items():
            tx.replace(RESULTS, name, content)


def _typed(store, columns: dict, schema: ibis.Schema) -> ir.Table:
    import pyarrow as pa

    return store.from_arrow(pa.table(columns, schema=schema.to_pyarrow()))


def delete_cohort(wh, cohort_id: int) -> None:
    """Remove a cohort from the three results tables, atomically."""
    cohort_definition(wh, cohort_id)  # raises when unknown
    stored = stored_tables(wh)
    if direct(wh.store.con):
        with sql_transaction(wh.store.con):
            for table in stored.values():
                delete_rows(wh.store.con, table, cohort_id)
        return
    _rewrite(wh, stored, cohort_id, {})


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
