"""Where the time of a long operation goes: seconds per named phase, collected
only while a benchmark asks for them (`timing`), else nothing is measured."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from time import perf_counter
from typing import TypeVar

T = TypeVar("T")
_END = object()


class _Clock:
    """Seconds charged to the innermost running phase (its path of names)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.running: list[str] = []
        self.since = perf_counter()

    def charge(self) -> None:
        now = perf_counter()
        path = " / ".join(self.running) or "other"
        self.seconds[path] = self.seconds.get(path, 0.0) + now - self.since
        self.since = now


_clock: ContextVar[_Clock | None] = ContextVar("entrepot_phases", default=None)


@contextmanager
def timing() -> Iterator[dict[str, float]]:
    """Seconds spent in each phase while the block runs, by the path of the
    phases running ("IPP merges / delete_in person"). Each second is charged
    to the innermost phase only, so they add up to the block's time; time
    outside any phase is "other"."""
    clock = _Clock()
    token = _clock.set(clock)
    try:
        yield clock.seconds
    finally:
        clock.charge()
        _clock.reset(token)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Charge the block's time to `name` (within the phases around it) when a
    `timing` block collects; else do nothing."""
    clock = _clock.get()
    if clock is None:
        yield
        return
    clock.charge()
    clock.running.append(name)
    try:
        yield
    finally:
        clock.charge()
        clock.running.pop()


def phased(items: Iterable[T], name: str) -> Iterator[T]:
    """`items`, the time taken to produce each charged to `name`."""
    items = iter(items)
    while True:
        with phase(name):
            item = next(items, _END)
        if item is _END:
            return
        yield item
