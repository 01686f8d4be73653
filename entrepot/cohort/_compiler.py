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
from entrepot.privacy import Decision


@dataclass
class Compiled:
    """The qualified events with one flag per inclusion rule, and what follows."""

    context: Context
    definition: CohortDefinition
    flagged: ir.Table

    @property
    def rules(self) -> list[str]:
        return [f"rule_{i}" for i in range(len(self.definition.inclusion_rules))]

    @property
    def single(self) -> bool:
        """At most one entry per person (a first or last limit somewhere)."""
        d = self.definition
        return (
            d.entry.limit != "all"
            or d.limit != "all"
            or (d.entry.criteria is not None and d.entry.criteria_limit != "all")
        )

    def periods(self) -> ir.Table:
        """Cohort periods (person_id, start_date, end_date) from the flagged events."""
        included = self.flagged
        if self.rules:
            included = included.filter(*[included[rule] for rule in self.rules])
        included = first_per_person(
            included.select(*INDEX_COLUMNS), self.definition.limit, "event_id"
        )
        return cohort_periods(self.context, self.definition.exit, included, self.single)

    def attrition(self) -> ir.Table:
        """One row: persons and entries before the rules and after each one,
        in one aggregate over the rule flags."""
        t = self.flagged
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
    decision: Decision | None = None,
) -> Compiled:
    """Resolve the concept sets (unknown codes are errors) and build the
    expressions on the rows `decision` may read (None: every row): nothing
    is computed but the concept sets."""
    return build(resolve(wh, definition, source, decision), definition)


def resolve(
    wh, definition: CohortDefinition, source: str, decision: Decision | None = None
) -> Context:
    """The compilation's context for `decision`, with the concept sets
    resolved (one query)."""
    ctx = Context.of(wh, decision)
    ctx.concepts = resolve_concept_sets(ctx, definition.concept_sets, source)
    return ctx


def build(
    ctx: Context,
    definition: CohortDefinition,
    keep: Callable[[ir.Table], ir.Table] | None = None,
) -> Compiled:
    """The expressions of a definition (nothing computed).

    `keep` stands for a temporary table: it is given the events read several
    times (the qualified events, read by each inclusion rule; the flagged
    events, read by the cohort rows and by the attrition).
    """
    keep = keep or (lambda rows: rows)
    primary = primary_events(ctx, definition.entry)
    qualified = qualified_events(ctx, definition.entry, primary)
    if definition.inclusion_rules:
        qualified = keep(qualified)
    hits = [group_hits(ctx, r.criteria, qualified) for r in definition.inclusion_rules]
    return Compiled(ctx, definition, keep(flagged_events(qualified, hits)))


def flagged_events(qualified: ir.Table, rule_hits: list[ir.Table]) -> ir.Table:
    """The qualified events with a flag per inclusion rule (`rule_i`), given
    the events each rule keeps."""
    flagged = qualified
    for i, hits in enumerate(rule_hits):
        hits = hits.mutate(**{f"hit_{i}": ibis.literal(True)})
        joined = flagged.left_join(hits, KEY)
        flagged = joined.select(
            *[flagged[c] for c in flagged.columns],
            **{f"rule_{i}": ibis.coalesce(hits[f"hit_{i}"], False)},
        )
    return flagged
