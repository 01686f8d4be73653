"""What a check is, what it finds, and the relations checks are computed over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir

if TYPE_CHECKING:
    from entrepot.quality._context import Context

Category = Literal["conformance", "completeness", "plausibility"]
Status = Literal["pass", "fail", "error", "not_applicable"]
CATEGORIES: tuple[Category, ...] = ("conformance", "completeness", "plausibility")
STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "not_applicable")


@dataclass(frozen=True)
class Source:
    """A relation checks are measured on, shared by every check that names it.

    Its rows carry `_id` (an id to show as an example) and `_n` (how many
    warehouse rows each stands for: 1, or a count when values are grouped).
    """

    key: tuple
    tables: tuple[str, ...]  # warehouse tables it reads: they decide re-runs
    build: Callable[[Context], ir.Table]
    #: ids of warehouse rows behind some violating rows of the relation
    example_ids: Callable[[Context, ir.Table], ir.Table] | None = None


@dataclass(frozen=True)
class Check:
    """One data quality check: a share of rows that must stay under a threshold.

    `violated` and `scope` are predicates over the source's rows; the share is
    sum(_n where scope and violated) / sum(_n where scope). A check may instead
    give `measure`, returning the two aggregates, and `violators`, the rows of
    the relation to draw examples from.
    """

    name: str  # the family, as in the thresholds file
    category: Category
    table: str
    field: str | None
    description: str
    threshold: float  # the largest share of violating rows that passes, in %
    source: Source
    needs: tuple[tuple[str, str | None], ...] = ()  # (table, field) it reads
    violated: Callable[[ir.Table], ir.BooleanValue] | None = None
    scope: Callable[[ir.Table], ir.BooleanValue] | None = None
    measure: Callable[[ir.Table], tuple[ir.Scalar, ir.Scalar]] | None = None
    violators: Callable[[ir.Table], ir.Table] | None = None
    qualifier: str | None = None  # tells apart checks of one family on one field
    examples: bool = True  # False where every row violates alike (a wrong type)
    reason: str | None = None  # why every row violates (a missing column)

    @property
    def id(self) -> str:
        place = self.table if self.field is None else f"{self.table}.{self.field}"
        suffix = f"[{self.qualifier}]" if self.qualifier else ""
        return f"{self.name}:{place}{suffix}"

    def aggregates(self, rel: ir.Table) -> tuple[ir.Scalar, ir.Scalar]:
        """(rows, violating rows) as scalar expressions over the relation."""
        if self.measure is not None:
            return self.measure(rel)
        scope = self.scope(rel) if self.scope is not None else ibis.literal(True)
        bad = scope & self.violated(rel)
        return (
            scope.ifelse(rel._n, 0).sum(),
            bad.ifelse(rel._n, 0).sum(),
        )

    def violating(self, rel: ir.Table) -> ir.Table:
        """The relation's rows that violate the check."""
        if self.violators is not None:
            return self.violators(rel)
        bad = self.violated(rel)
        if self.scope is not None:
            bad = self.scope(rel) & bad
        return rel.filter(bad)


@dataclass
class CheckResult:
    """What one check found: the JSON shape of `entrepot quality`."""

    id: str
    name: str
    category: Category
    table: str
    field: str | None
    description: str
    threshold: float
    status: Status
    violating_rows: int | None = None
    rows: int | None = None
    violating_percent: float | None = None
    examples: list = field(default_factory=list)
    reason: str | None = None  # why it is not applicable, or the error
    seconds: float = 0.0
    reused: bool = False  # taken from the previous run: nothing it reads changed

    @property
    def about_persons(self) -> bool:
        """Whether its rows are persons (its table's key is `person_id`): its
        counts are then counts of persons."""
        from entrepot.warehouse.cdm import cdm_tables

        spec = cdm_tables().get(self.table)
        return spec is not None and any(
            f.primary_key and f.name == "person_id" for f in spec.fields
        )

    @classmethod
    def of(cls, check: Check, status: Status, **values) -> CheckResult:
        return cls(
            id=check.id,
            name=check.name,
            category=check.category,
            table=check.table,
            field=check.field,
            description=check.description,
            threshold=check.threshold,
            status=status,
            **values,
        )
