"""A definition compiled to Ibis expressions: the same on DuckDB and Spark.

Steps, as Circe: primary events -> qualified events (additional criteria) ->
inclusion rules (flags, for attrition) -> included events (limit) -> exit and
merged periods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from entrepot.cohort._concepts import resolve_concept_sets
from entrepot.cohort._context import Context
from entrepot.cohort._entry import (
    INDEX_COLUMNS,
    first_per_person,
    primary_events,
    qualified_events,
)
from entrepot.cohort._exit import cohort_periods
from entrepot.cohort._groups import KEY, group_hits
from entrepot.cohort._model import CohortDefinition


@dataclass
class Compiled:
    """The qualified events with one flag per inclusion rule, and what follows."""

    context: Context
    definition: CohortDefinition
    flagged: ir.Table

    @property
    def rules(self) -> list[str]:
        return [f"rule_{i}" for i in range(len(self.definition.inclusion_rules))]

    def periods(self, flagged: ir.Table | None = None) -> ir.Table:
        """Cohort periods (person_id, start_date, end_date) from the flagged events
        (pass a materialised copy to reuse it)."""
        flagged = self.flagged if flagged is None else flagged
        included = flagged
        for rule in self.rules:
            included = included.filter(included[rule])
        included = first_per_person(
            included.select(*INDEX_COLUMNS), self.definition.limit, "event_id"
        )
        return cohort_periods(self.context, self.definition.exit, included)

    def attrition(self, flagged: ir.Table | None = None) -> ir.Table:
        """One row: persons and entries before the rules and after each one."""
        t = self.flagged if flagged is None else flagged
        figures = {"persons_0": t.person_id.nunique(), "entries_0": t.count()}
        passed = ibis.literal(True)
        for i, rule in enumerate(self.rules, start=1):
            passed &= t[rule]
            figures[f"persons_{i}"] = t.person_id.nunique(where=passed)
            figures[f"entries_{i}"] = passed.cast("int64").sum()
        return t.aggregate(**figures)


def compile_definition(
    wh,
    definition: CohortDefinition,
    source: str = "definition",
    materialize: Callable[[ir.Table], ir.Table] | None = None,
) -> Compiled:
    """Resolve the concept sets (unknown codes are errors) and build the expressions.

    With `materialize` (the store's), the events each later step reads several
    times are computed once, as Circe's temporary tables: smaller queries,
    compiled faster, with nothing computed twice.
    """
    concepts = resolve_concept_sets(wh, definition.concept_sets, source)
    ctx = Context(wh, concepts)
    keep = materialize or (lambda rows: rows)
    primary = keep(primary_events(ctx, definition.entry))
    flagged = qualified_events(ctx, definition.entry, primary)
    if definition.entry.criteria is not None and definition.inclusion_rules:
        flagged = keep(flagged)
    for i, rule in enumerate(definition.inclusion_rules):
        hits = group_hits(ctx, rule.criteria, flagged).mutate(
            **{f"hit_{i}": ibis.literal(True)}
        )
        joined = flagged.left_join(hits, KEY)
        flagged = joined.select(
            *[flagged[c] for c in flagged.columns],
            **{f"rule_{i}": ibis.coalesce(hits[f"hit_{i}"], False)},
        )
    return Compiled(ctx, definition, flagged)
