"""What the compiler needs to know about one domain table of the CDM."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import typed
from entrepot.cohort._model import ATTRIBUTES, Range, Text
from entrepot.cohort._ranges import in_concepts, in_range
from entrepot.warehouse.eras import ONE_DAY

if TYPE_CHECKING:
    from entrepot.cohort._context import Context
    from entrepot.cohort._model import Event

Column = Callable[[ir.Table], ir.Value]
#: event fields read in a table that rows link to: field -> table
LINKED = {"provider_specialty": "provider", "place_of_service": "care_site"}


@dataclass(frozen=True)
class Domain:
    """A CDM table read as events: who, which row, when, which concept.

    `end` computes each row's end date the way Circe does (a missing end is
    the day after the start). `attributes` are the columns of this table only
    that an event can filter on, by the name of the event's field (`quantity`,
    `unit`...): a range, a text, concept ids or a concept set's name.
    """

    name: str
    table: str
    id: str
    start: str
    end: Column
    concept: str | None = None
    source_concept: str | None = None
    type_concept: str | None = None
    has_visit: bool = True
    #: its rows are periods that a user period can stand in for
    periods: bool = False
    #: the tables its rows link to by id: provider, care_site
    links: tuple[str, ...] = ()
    attributes: dict[str, Column] = field(default_factory=dict)
    #: the rows to read, when not the table as it is: (context, event) -> table
    rows: Callable[[Context, Event], ir.Table] | None = None
    #: the CDM tables whose rows its events reveal, when not `table` alone
    reveals: tuple[str, ...] | None = None
    #: event fields among ATTRIBUTES that its `rows` reads itself
    reads: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[str, ...]:
        """The CDM tables a project must allow for the domain's events."""
        return self.reveals or (self.table,)

    def unsupported(self, event: Event) -> list[str]:
        """The fields `event` gives that this domain has no column for."""
        lacking = {
            "concept_set": self.concept is None,
            "source_concept_set": self.source_concept is None,
            "type_concept": self.type_concept is None,
            "type_concept_set": self.type_concept is None,
            "visit_type": not self.has_visit,
            "user_period": not self.periods,
            **{field: table not in self.links for field, table in LINKED.items()},
            **{
                name: name not in self.attributes and name not in self.reads
                for name in ATTRIBUTES
            },
        }
        return [
            name
            for name, lacks in lacking.items()
            if lacks and getattr(event, name) is not None
        ]

    def conditions(
        self, ctx: Context, rows: ir.Table, event: Event
    ) -> list[ir.BooleanValue]:
        """`event`'s conditions on this domain's attributes (columns of `rows`)."""
        found: list[ir.BooleanValue] = []
        for name in self.attributes:
            wanted, column = getattr(event, name), rows[name]
            if wanted is None:
                continue
            if isinstance(wanted, Range):
                found += in_range(column, wanted)
            elif isinstance(wanted, Text):
                found.append(matches(column, wanted))
            elif wanted is True:  # a flag the column computes (abnormal)
                found.append(column)
            elif isinstance(wanted, str):  # a concept set
                found.append(column.isin(ctx.ids(wanted)))
            else:  # concept ids, or a concept set's selection
                found.append(in_concepts(column, wanted, ctx.ids))
        return found


_TEXT = {
    "eq": lambda column, text: column == text,
    "starts_with": lambda column, text: column.startswith(text),
    "ends_with": lambda column, text: column.endswith(text),
    "contains": lambda column, text: column.contains(text),
}


def matches(column: ir.StringValue, text: Text) -> ir.BooleanValue:
    """Whether `column` satisfies a text condition (literal text, no wildcards)."""
    op, value = text.condition
    if op.startswith("not_"):
        return ~_TEXT[op.removeprefix("not_")](column, value)
    return _TEXT[op](column, value)


def next_day(column: str) -> Column:
    """End date: the day after `column` (Circe's end of one-day events)."""
    return lambda t: t[column] + ONE_DAY


def end_or_next_day(end: str, start: str) -> Column:
    """End date: `end`, or the day after `start` when it is missing."""
    return lambda t: ibis.coalesce(t[end], t[start] + ONE_DAY)


def column(name: str) -> Column:
    """A column as it is (an end date, an attribute)."""
    return lambda t: t[name]


#: value, unit and value as concept (measurement, observation)
VALUES = {  # a number even where a warehouse stores it as text (Eunomia)
    "value": lambda t: typed(t.value_as_number, "float64"),
    "unit": column("unit_concept_id"),
    "value_concept": column("value_as_concept_id"),
}
