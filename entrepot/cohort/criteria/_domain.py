"""What the compiler needs to know about one domain table of the CDM."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

ONE_DAY = ibis.interval(days=1)


@dataclass(frozen=True)
class Domain:
    """A CDM table read as events: who, which row, when, which concept.

    `end` computes each row's end date the way Circe does (a missing end is
    the day after the start).
    """

    name: str
    table: str
    id: str
    start: str
    end: Callable[[ir.Table], ir.DateValue]
    concept: str | None = None
    source_concept: str | None = None
    type_concept: str | None = None
    has_visit: bool = True
    has_value: bool = False


def next_day(column: str) -> Callable[[ir.Table], ir.DateValue]:
    """End date: the day after `column` (Circe's end of one-day events)."""
    return lambda t: t[column] + ONE_DAY


def end_or_next_day(end: str, start: str) -> Callable[[ir.Table], ir.DateValue]:
    """End date: `end`, or the day after `start` when it is missing."""
    return lambda t: ibis.coalesce(t[end], t[start] + ONE_DAY)
