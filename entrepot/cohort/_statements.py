"""A cohort's statements, prepared once per warehouse and key.

Building and compiling the Ibis expressions of a definition costs more than
running them on DuckDB. The server runs the same definitions and criteria
again (counts as a clinician edits one criterion, regenerations) on several
connections: what a store prepared for its engine is kept for its database
(`warehouse._prepared`), keyed by everything it depends on (the definition,
its resolved concept ids, the cohort id, the research studies read).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

import ibis.expr.types as ir
import pyarrow as pa

from entrepot.warehouse import forget_prepared, prepared, prepared_held

T = TypeVar("T")


def compiled(store, key: Hashable, build: Callable[[], T]) -> T:
    """What `build` gives (prepared statements), built once per database and key."""
    return prepared(store, key, build)


def fetch(store, key: Hashable, build: Callable[[], ir.Table]) -> pa.Table:
    """The rows of the expression `build` gives (prepared once per key)."""
    return store.fetch(compiled(store, key, lambda: store.prepare(build())))


def forget(store) -> None:
    """Drop what was kept for the store's database (after a failure: tables
    may have changed under it)."""
    forget_prepared(store)


def held(store) -> int:
    """How many statements are kept for the store's database."""
    return prepared_held(store)
