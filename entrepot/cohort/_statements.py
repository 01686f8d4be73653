"""A cohort's statements, prepared once per warehouse store and key.

Building and compiling the Ibis expressions of a definition costs more than
running them on DuckDB. The server holds long-lived stores and runs the same
definitions again (counts, regenerations): what the store prepared for its
engine is kept, keyed by everything it depends on (the definition, its
resolved concept ids, the cohort id, the research studies read), and reused where the store says that it
stays valid (`Store.keeps_prepared`); elsewhere it is built each time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import ibis.expr.types as ir
import pyarrow as pa

MAX_STATEMENTS = 256  # per store, least recently used dropped first
_kept: WeakKeyDictionary[object, OrderedDict[Hashable, Any]] = WeakKeyDictionary()
T = TypeVar("T")


def compiled(store, key: Hashable, build: Callable[[], T]) -> T:
    """What `build` gives (prepared statements), built once per store and key."""
    if not store.keeps_prepared:
        return build()
    kept = _kept.setdefault(store, OrderedDict())
    if key in kept:
        kept.move_to_end(key)
        return kept[key]
    made = kept[key] = build()
    if len(kept) > MAX_STATEMENTS:
        kept.popitem(last=False)
    return made


def fetch(store, key: Hashable, build: Callable[[], ir.Table]) -> pa.Table:
    """The rows of the expression `build` gives (prepared once per key)."""
    return store.fetch(compiled(store, key, lambda: store.prepare(build())))


def forget(store) -> None:
    """Drop what was kept for a store (after a failure: tables may have
    changed under it)."""
    _kept.pop(store, None)
