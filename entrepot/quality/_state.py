"""Incremental runs: what each table looked like when its checks last ran.

Bookkeeping table `entrepot.quality_state`, one row per table checked: its
row count and largest id, a fingerprint of everything its checks read (the
columns and content hash of every table they join, and the configuration) and
the results.
A table whose fingerprint did not change is not checked again: its results
are reused.

A table's content hash is computed in the engine, in one scan that is cheaper
than the checks: two sums over its rows of a hash of all the row's columns
(each salted differently, reduced modulo a prime so the sums cannot
overflow). Any write, through entrepot or not (an `UPDATE` in a DuckDB shell),
changes it but for a chance of about 2**-62 (2**-31 per row hash on Spark,
whose hash is 32 bits wide). The load log is not used as proof: writes made
outside entrepot do not appear in it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.quality._context import Context
from entrepot.quality._model import CheckResult

STATE_TABLE = "quality_state"
#: Bumped when checks change meaning: stored results are then stale.
CHECKS_VERSION = "2"
#: How an unchanged table is proven unchanged (reported in the summary).
METHOD = "content_hash"
_PRIME = 2_147_483_647  # 2**31 - 1: a sum of row hashes modulo it fits 64 bits


@dataclass(frozen=True)
class TableStats:
    rows: int
    max_id: int | None
    content: tuple[int, int]  # two sums of salted row hashes
    columns: tuple[str, ...]  # names and types: a renamed column is a change


def _row_hashes(t: ir.Table) -> tuple[ir.IntegerColumn, ir.IntegerColumn]:
    """Two differently salted hashes of all of each row's columns."""
    columns = {c: t[c] for c in t.columns}
    return tuple(
        (ibis.struct({"_salt": ibis.literal(salt)} | columns).hash() % _PRIME)
        for salt in ("a", "b")
    )


def table_stats(
    ctx: Context, tables: set[str], content: bool = True
) -> dict[str, TableStats | None]:
    """Row count, largest id and (unless `content` is False: a run that
    stores nothing) content hash of each table; None when it is absent."""
    stats: dict[str, TableStats | None] = {}
    for name in sorted(tables):
        if not ctx.has(name):
            stats[name] = None
            continue
        t = ctx.wh.table(name)
        key = t[ctx.key(name)]
        first, second = _row_hashes(t)
        sums = {"first": first.sum(), "second": second.sum()} if content else {}
        row = (
            t.aggregate(
                rows=t.count(),
                max_id=key.max() if key.type().is_numeric() else key.count(),
                **sums,
            )
            .to_pyarrow()
            .to_pylist()[0]
        )
        top = row["max_id"]
        stats[name] = TableStats(
            int(row["rows"]),
            None if top is None else int(top),
            (int(row.get("first") or 0), int(row.get("second") or 0)),
            tuple(f"{c} {type_}" for c, type_ in t.schema().items()),
        )
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
    return {r["table_name"]: (r["fingerprint"], _results(r)) for r in rows}


def _results(row: dict) -> list[CheckResult]:
    return [CheckResult(**c) for c in json.loads(row["results"])]


def last_run(wh) -> tuple[list[CheckResult], datetime | None]:
    """The stored results of the last run, in check id order, and when it
    ran: ([], None) when no run was stored."""
    if not wh.has_table(STATE_TABLE):
        return [], None
    rows = wh.table(STATE_TABLE).select("checked_at", "results").to_pyarrow()
    rows = rows.to_pylist()
    results = sorted((c for r in rows for c in _results(r)), key=lambda c: c.id)
    return results, max((r["checked_at"] for r in rows), default=None)


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
