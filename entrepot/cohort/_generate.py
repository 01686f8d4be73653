"""Generating a cohort into the results tables, on any engine.

The events read several times, and the cohort's rows, are computed once into
the store's temporary tables; the figures and attrition are read from them;
then one transaction of the store replaces this cohort's rows in the three
results tables. The statements are prepared once per store and key (see
`_statements`), for the research studies the context reads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from entrepot.cohort._compiler import Compiled, build
from entrepot.cohort._context import Context
from entrepot.cohort._model import CohortDefinition
from entrepot.cohort._results import (
    RESULTS,
    header_rows,
    lower,
    stored_tables,
    typed_rows,
)
from entrepot.cohort._statements import compiled, forget


@dataclass(frozen=True)
class _Plan:
    """One generation's statements, prepared once."""

    temporary: tuple[tuple[str, object], ...]  # (table, its rows), in order
    cohort: object  # the cohort's rows (the last temporary table)
    summary: object  # attrition and figures, one row


def generate(
    wh, ctx: Context, definition: CohortDefinition, cohort_id: int, header: dict
) -> dict:
    """Write a cohort's rows, definition (`header`) and attrition, replacing
    its earlier ones atomically; its figures and attrition counts."""
    store = wh.store
    key = (
        "generate",
        definition.model_dump_json(),
        tuple(sorted((name, tuple(ids)) for name, ids in ctx.concepts.items())),
        cohort_id,
        ctx.studies,
    )
    plan = compiled(store, key, lambda: _plan(wh, ctx, definition, cohort_id))
    try:
        with store.temporary() as scratch:
            for name, rows in plan.temporary:
                scratch.keep(name, rows)
            row = store.fetch(plan.summary).to_pylist()[0]
            figures = {k: int(v or 0) for k, v in row.items()}
            attrition = attrition_rows(definition, figures)
            headers = header_rows(header, attrition, cohort_id)
            with store.transaction() as tx:
                for name in ("cohort", *headers):
                    tx.delete(RESULTS, name, {"cohort_definition_id": cohort_id})
                tx.append(RESULTS, "cohort", plan.cohort)
                for name, columns in headers.items():
                    tx.append(RESULTS, name, typed_rows(name, columns))
    except Exception:
        forget(store)  # prepared for tables that may have changed
        raise
    return figures


def _plan(wh, ctx: Context, definition: CohortDefinition, cohort_id: int) -> _Plan:
    """Build the expressions, with temporary tables for the events read
    several times and for the cohort's rows, and prepare them."""
    kept: list[tuple[str, ir.Table]] = []

    def keep(rows: ir.Table) -> ir.Table:
        name = f"_entrepot_cohort_{uuid.uuid4().hex[:12]}"
        kept.append((name, rows))
        return ibis.table(rows.schema(), name=name)

    expressions = build(ctx, definition, keep)
    stored = lower(stored_tables(wh)["cohort"]).schema()
    rows = _rows(expressions, cohort_id)
    cohort = keep(rows.select(*[rows[c].cast(t).name(c) for c, t in stored.items()]))
    return _Plan(
        temporary=tuple((name, wh.store.prepare(t)) for name, t in kept),
        cohort=wh.store.prepare(cohort),
        summary=wh.store.prepare(_summary(expressions, cohort)),
    )


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
