"""Incremental runs: what each table looked like when its checks last ran.

Bookkeeping table `entrepot.quality_state`, one row per table checked: its
row count and largest id, a fingerprint of everything its checks read (those
figures for every table they join, and the configuration) and the results.
A table whose fingerprint did not change is not checked again: its results
are reused. An update that keeps both the count and the largest id of every
table is not seen; `--full` recomputes everything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from entrepot.quality._context import Context
from entrepot.quality._model import CheckResult

STATE_TABLE = "quality_state"
#: Bumped when checks change meaning: stored results are then stale.
CHECKS_VERSION = "1"


@dataclass(frozen=True)
class TableStats:
    rows: int
    max_id: int | None


def table_stats(ctx: Context, tables: set[str]) -> dict[str, TableStats | None]:
    """Row count and largest id of each table (None when absent)."""
    stats: dict[str, TableStats | None] = {}
    for name in sorted(tables):
        if not ctx.has(name):
            stats[name] = None
            continue
        t = ctx.table(name)
        key = t[ctx.key(name)]
        biggest = key.max() if key.type().is_numeric() else key.count()
        row = t.aggregate(rows=t.count(), max_id=biggest).to_pyarrow().to_pylist()[0]
        top = row["max_id"]
        stats[name] = TableStats(int(row["rows"]), None if top is None else int(top))
    return stats


def fingerprint(ctx: Context, tables: set[str], stats: dict) -> str:
    """Changes when the configuration, the checks or any table read changes."""
    seen = {t: None if stats[t] is None else vars(stats[t]) for t in sorted(tables)}
    text = json.dumps([CHECKS_VERSION, ctx.config.fingerprint, seen], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def load_state(wh) -> dict[str, tuple[str, list[CheckResult]]]:
    """Per table: (fingerprint, results) of the last run, if one was saved."""
    if not wh.has_table(STATE_TABLE):
        return {}
    rows = wh.table(STATE_TABLE).to_pyarrow().to_pylist()
    return {
        r["table_name"]: (
            r["fingerprint"],
            [CheckResult(**c) for c in json.loads(r["results"])],
        )
        for r in rows
    }


def save_state(
    wh,
    stats: dict[str, TableStats | None],
    fingerprints: dict[str, str],
    results: dict[str, list[dict]],
) -> bool:
    """Replace the bookkeeping table; False when the warehouse is read-only."""
    from entrepot.warehouse._warehouse import BOOKKEEPING

    if getattr(wh.store, "read_only", False):
        return False
    if not wh.has_table(STATE_TABLE):
        wh.store.create_table("entrepot", STATE_TABLE, BOOKKEEPING[STATE_TABLE])
    now = datetime.now(UTC).replace(tzinfo=None)
    names = sorted(fingerprints)
    data = pa.table(
        {
            "table_name": names,
            "rows": [stats[n].rows if stats.get(n) else None for n in names],
            "max_id": [stats[n].max_id if stats.get(n) else None for n in names],
            "fingerprint": [fingerprints[n] for n in names],
            "checked_at": pa.array([now] * len(names), pa.timestamp("us")),
            "results": [json.dumps(results[n], default=str) for n in names],
        },
        schema=BOOKKEEPING[STATE_TABLE].to_pyarrow(),
    )
    with wh.store.transaction() as tx:
        tx.replace("entrepot", STATE_TABLE, wh.store.from_arrow(data))
    return True
