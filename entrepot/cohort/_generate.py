"""Generating a cohort into the results tables, as each engine allows.

DuckDB: one transaction of SQL statements that Ibis compiled (kept per
connection, see `_statements`). Other engines (Spark): Ibis expressions, and
each results table rewritten.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import sqlglot as sg
import sqlglot.expressions as sge

from entrepot.cohort._compiler import Compiled, build
from entrepot.cohort._context import Context
from entrepot.cohort._model import CohortDefinition
from entrepot.cohort._results import (
    delete_rows,
    header_rows,
    insert_sql,
    insert_values,
    lower,
    quoted,
    rewrite_cohort,
    sql_transaction,
    stored_tables,
)
from entrepot.cohort._statements import compiled, direct, forget


def generate(
    wh, ctx: Context, definition: CohortDefinition, cohort_id: int, header: dict
) -> dict:
    """Write a cohort's rows, definition (`header`) and attrition, replacing
    its earlier ones atomically; its figures and attrition counts."""
    if direct(wh.store.con):
        return _generate_direct(wh, ctx, definition, cohort_id, header)
    return _generate_rewrite(wh, ctx, definition, cohort_id, header)


@dataclass(frozen=True)
class _Plan:
    """One generation's statements on a SQL engine, compiled once."""

    temporary: tuple[tuple[str, str], ...]  # (table, its SELECT), in order
    insert: str  # the cohort's rows into results.cohort
    summary: str  # attrition and figures, one row


def _generate_direct(
    wh, ctx: Context, definition: CohortDefinition, cohort_id: int, header: dict
) -> dict:
    """DuckDB: in one transaction, the events read twice computed once into
    temporary tables, this cohort's old rows deleted and the new ones appended
    (nothing copied), attrition and figures read; the temporary tables dropped."""
    con = wh.store.con
    stored = compiled(con, "results tables", lambda: stored_tables(wh))
    key = (
        "generate",
        definition.model_dump_json(),
        tuple(sorted((name, tuple(ids)) for name, ids in ctx.concepts.items())),
        cohort_id,
    )
    plan = compiled(con, key, lambda: _plan(con, ctx, definition, cohort_id, stored))
    try:
        with sql_transaction(con):
            for table, select in plan.temporary:
                con.raw_sql(f"CREATE TEMPORARY TABLE {quoted(con, table)} AS {select}")
            delete_rows(con, stored["cohort"], cohort_id)
            con.raw_sql(plan.insert)
            row = con.raw_sql(plan.summary).fetch_arrow_table().to_pylist()[0]
            figures = {k: int(v or 0) for k, v in row.items()}
            attrition = attrition_rows(definition, figures)
            for name, columns in header_rows(header, attrition, cohort_id).items():
                delete_rows(con, stored[name], cohort_id)
                insert_values(con, stored[name], columns)
    except Exception:
        forget(con)  # compiled for tables that may have changed
        raise
    finally:
        for table, _ in plan.temporary:
            temporary = sg.table(table, db="main", catalog="temp", quoted=True)
            con.raw_sql(sge.Drop(this=temporary, kind="TABLE", exists=True))
    return figures


def _plan(
    con, ctx: Context, definition: CohortDefinition, cohort_id: int, stored: dict
) -> _Plan:
    """Build the expressions, with temporary tables for the events read twice,
    and compile them."""
    kept: list[tuple[str, ir.Table]] = []

    def keep(rows: ir.Table) -> ir.Table:
        name = f"_entrepot_cohort_{uuid.uuid4().hex[:12]}"
        kept.append((name, rows))
        return ibis.table(rows.schema(), name=name)

    expressions = build(ctx, definition, keep)
    cohort = lower(stored["cohort"])
    mine = cohort.filter(cohort.cohort_definition_id == cohort_id)
    return _Plan(
        temporary=tuple((name, con.compile(rows)) for name, rows in kept),
        insert=insert_sql(con, stored["cohort"], _rows(expressions, cohort_id)),
        summary=con.compile(_summary(expressions, mine)),
    )


def _generate_rewrite(
    wh, ctx: Context, definition: CohortDefinition, cohort_id: int, header: dict
) -> dict:
    """Other engines (Spark's Parquet folders have neither transactions nor
    deletes): figures first, then each results table rewritten at once."""
    compiled = build(ctx, definition)
    rows = _rows(compiled, cohort_id)
    row = _summary(compiled, rows).to_pyarrow().to_pylist()[0]
    figures = {k: int(v or 0) for k, v in row.items()}
    attrition = attrition_rows(definition, figures)
    rewrite_cohort(wh, cohort_id, rows, header_rows(header, attrition, cohort_id))
    return figures


def _rows(compiled: Compiled, cohort_id: int) -> ir.Table:
    """The cohort's rows, as `results.cohort` holds them."""
    periods = compiled.periods()
    return periods.select(
        cohort_definition_id=ibis.literal(cohort_id, type="int64"),
        subject_id=periods.person_id,
        cohort_start_date=periods.start_date,
        cohort_end_date=periods.end_date,
    )


def _summary(compiled: Compiled, cohort: ir.Table) -> ir.Table:
    """One row: the attrition and the cohort's figures."""
    figures = cohort.aggregate(
        count=cohort.subject_id.nunique(),
        entries=cohort.count(),
        person_days=cohort.cohort_end_date.delta(
            cohort.cohort_start_date, unit="day"
        ).sum(),
    )
    return compiled.attrition().cross_join(figures)


def attrition_rows(definition: CohortDefinition, figures: dict) -> list[dict]:
    """The attrition table's rows: entry events, then each inclusion rule."""
    names = ["entry events"] + [r.name for r in definition.inclusion_rules]
    return [
        {
            "rule_sequence": i,
            "rule_name": name,
            "rule": name,
            "persons": figures[f"persons_{i}"],
            "entries": figures[f"entries_{i}"],
        }
        for i, name in enumerate(names)
    ]
