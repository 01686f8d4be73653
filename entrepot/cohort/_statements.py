"""Ibis's SQL for a cohort's statements, compiled once per connection and key.

Building and compiling the Ibis expressions of a definition costs more than
running them on DuckDB. The server holds long-lived connections and runs the
same definitions again (counts, regenerations): the SQL that Ibis compiled for
this engine is kept, keyed by everything it depends on (the definition, its
resolved concept ids, the cohort id), and reused. Spark goes through Ibis as
usual.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import ibis.expr.types as ir
import pyarrow as pa

MAX_STATEMENTS = 256  # per connection, least recently used dropped first
_kept: WeakKeyDictionary[object, OrderedDict[Hashable, Any]] = WeakKeyDictionary()
T = TypeVar("T")


def direct(con) -> bool:
    """Whether statements run as compiled SQL on this engine (DuckDB)."""
    return getattr(con, "name", None) == "duckdb"


def compiled(con, key: Hashable, build: Callable[[], T]) -> T:
    """What `build` gives (SQL statements), built once per connection and key."""
    kept = _kept.setdefault(con, OrderedDict())
    if key in kept:
        kept.move_to_end(key)
        return kept[key]
    sql = kept[key] = build()
    if len(kept) > MAX_STATEMENTS:
        kept.popitem(last=False)
    return sql


def fetch(con, key: Hashable, build: Callable[[], ir.Table]) -> pa.Table:
    """The rows of the expression `build` gives (compiled once per key)."""
    if not direct(con):
        return build().to_pyarrow()
    sql = compiled(con, key, lambda: con.compile(build()))
    return con.raw_sql(sql).fetch_arrow_table()


def forget(con) -> None:
    """Drop what was kept for a connection (after a failure: tables may have
    changed under it)."""
    _kept.pop(con, None)
