"""Statements prepared for an engine, kept per database and key.

Building and compiling Ibis expressions costs more than running them on
DuckDB (a cohort's parts: seconds). What a store prepared is kept under the
database it runs on (`Store.database`) and a key naming everything it
depends on, so that every connection of the process to that database (the
server's readers, a warehouse opened again) reuses it. A statement stays
valid while the tables it names keep their columns: rows added or deleted
change nothing, but a table rewritten whole (a merge, an erasure) or
dropped through any of these connections forgets the database's statements
(`Store`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

MAX_STATEMENTS = 256  # per database, least recently used dropped first
T = TypeVar("T")
_lock = threading.Lock()
_kept: dict[Hashable, OrderedDict[Hashable, Any]] = {}


def prepared(store, key: Hashable, build: Callable[[], T]) -> T:
    """What `build` gives, built once per database and key where the store
    keeps statements (`Store.keeps_prepared`); elsewhere built each time."""
    if not store.keeps_prepared:
        return build()
    with _lock:
        kept = _kept.get(store.database)
        if kept is not None and key in kept:
            kept.move_to_end(key)
            return kept[key]
    made = build()  # outside the lock: two threads may both build it
    with _lock:
        kept = _kept.setdefault(store.database, OrderedDict())
        kept[key] = made
        if len(kept) > MAX_STATEMENTS:
            kept.popitem(last=False)
    return made


def forget(store) -> None:
    """Drop what was kept for the store's database."""
    if store.keeps_prepared:
        with _lock:
            _kept.pop(store.database, None)


def held(store) -> int:
    """How many statements are kept for the store's database."""
    with _lock:
        return len(_kept.get(store.database, ()))
