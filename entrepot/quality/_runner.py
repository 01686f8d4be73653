"""Run checks: one query per shared relation, examples for failures, reuse of
the results of tables that did not change since the last run."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from entrepot.errors import QualityConfigError, first_line
from entrepot.quality import _state
from entrepot.quality._config import QualityConfig, load_config
from entrepot.quality._context import Context
from entrepot.quality._model import CATEGORIES, STATUSES, Check, CheckResult
from entrepot.quality._registry import families


@dataclass
class QualityReport:
    """What `run_checks` found: `{"checks": [...], "summary": {...}}` as JSON."""

    checks: list[CheckResult]
    summary: dict

    def as_dict(self) -> dict:
        return {"checks": [asdict(c) for c in self.checks], "summary": self.summary}

    def by_id(self) -> dict[str, CheckResult]:
        return {c.id: c for c in self.checks}

    @property
    def failing(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status in ("fail", "error")]


def collect_checks(ctx: Context, only: Iterable[str] | None = None) -> list[Check]:
    """Every check of the enabled families (or of `only`), in family order."""
    registered = families()
    wanted = set(only) if only is not None else None
    if wanted is not None and (unknown := wanted - set(registered)):
        raise QualityConfigError(
            f"unknown check families: {', '.join(sorted(unknown))} "
            f"(known: {', '.join(registered)})"
        )
    checks = []
    for name, family in registered.items():
        if name in ctx.config.disabled or (wanted is not None and name not in wanted):
            continue
        checks.extend(family.make(ctx, family))
    return checks


def _status(check: Check, rows: int, bad: int) -> CheckResult:
    if not rows:
        return CheckResult.of(
            check, "not_applicable", rows=0, violating_rows=0, reason="no rows to check"
        )
    share = 100 * bad / rows
    return CheckResult.of(
        check,
        "fail" if share > check.threshold else "pass",
        rows=rows,
        violating_rows=bad,
        violating_percent=round(share, 4),
        reason=check.reason,
    )


def _examples(ctx: Context, check: Check, rel) -> list:
    bad = check.violating(rel)
    if check.source.example_ids is not None:
        bad = check.source.example_ids(ctx, bad)
    ids = bad.select("_id").distinct().order_by("_id").limit(ctx.config.examples)
    return [r["_id"] for r in ids.to_pyarrow().to_pylist()]


def _measure_all(ctx: Context, checks: list[Check], rel) -> list[tuple[int, int]]:
    metrics = {}
    for i, check in enumerate(checks):
        metrics[f"r{i}"], metrics[f"v{i}"] = check.aggregates(rel)
    row = rel.aggregate(**metrics).to_pyarrow().to_pylist()[0]
    return [
        (int(row[f"r{i}"] or 0), int(row[f"v{i}"] or 0)) for i in range(len(checks))
    ]


def _run_batch(ctx: Context, checks: list[Check]) -> list[CheckResult]:
    """Checks sharing one relation: one query for all, then one per failure."""
    started = time.perf_counter()
    try:
        rel = checks[0].source.build(ctx)
        counts = _measure_all(ctx, checks, rel)
    except Exception:  # isolate the check that fails (an engine gap, bad data)
        if len(checks) > 1:
            return [r for c in checks for r in _run_batch(ctx, [c])]
        raise
    elapsed = (time.perf_counter() - started) / len(checks)
    results = []
    for check, (rows, bad) in zip(checks, counts, strict=True):
        t0 = time.perf_counter()
        result = _status(check, rows, bad)
        if result.status == "fail" and ctx.config.examples and check.examples:
            result.examples = _examples(ctx, check, rel)
        result.seconds = round(elapsed + time.perf_counter() - t0, 4)
        results.append(result)
    return results


def _run(ctx: Context, checks: list[Check], step, stats: dict) -> list[CheckResult]:
    results: dict[str, CheckResult] = {}
    batches: dict[tuple, list[Check]] = defaultdict(list)
    for check in checks:
        reason = ctx.missing(check.needs + ((check.table, None),))
        if not reason and stats.get(check.table) and not stats[check.table].rows:
            reason = f"table {check.table} is empty"
        if reason:
            results[check.id] = CheckResult.of(check, "not_applicable", reason=reason)
        else:
            batches[check.source.key].append(check)
    for key, batch in batches.items():
        step(" ".join(str(k) for k in key))
        try:
            for result in _run_batch(ctx, batch):
                results[result.id] = result
        except Exception as e:
            for check in batch:
                results[check.id] = CheckResult.of(
                    check, "error", reason=f"{type(e).__name__}: {first_line(e)}"
                )
    return [results[c.id] for c in checks]


def run_checks(
    wh,
    *,
    config: QualityConfig | None = None,
    only: Iterable[str] | None = None,
    today: date | None = None,
    incremental: bool = True,
    progress: Callable[[str], None] | None = None,
) -> QualityReport:
    """Run the data quality checks on a warehouse.

    `only`: family names to run; `incremental`: reuse the stored results of
    tables that did not change since the last run (and store these ones).
    """
    started = time.perf_counter()
    ctx = Context(wh, config or load_config(), today or date.today())
    checks = collect_checks(ctx, only)
    step = progress or (lambda label: None)
    by_table: dict[str, list[Check]] = defaultdict(list)
    for check in checks:
        by_table[check.table].append(check)
    reads = {
        t: {t} | {r for c in cs for r in c.source.tables} for t, cs in by_table.items()
    }
    stats = _state.table_stats(
        ctx, set().union(*reads.values()) if reads else set(), content=incremental
    )
    prints = {t: _state.fingerprint(ctx, reads[t], stats) for t in by_table}
    stored = _state.load_state(wh) if incremental else {}
    reused, to_run = {}, []
    for table, table_checks in by_table.items():
        before = stored.get(table)
        old = (
            {r.id: r for r in before[1]}
            if before and before[0] == prints[table]
            else {}
        )
        if old and all(c.id in old for c in table_checks):
            for c in table_checks:
                reused[c.id] = CheckResult(
                    **(asdict(old[c.id]) | {"reused": True, "seconds": 0.0})
                )
        else:
            to_run.extend(table_checks)
    fresh = {r.id: r for r in _run(ctx, to_run, step, stats)}
    results = [reused.get(c.id) or fresh[c.id] for c in checks]
    saved = False
    if incremental:
        per_table = defaultdict(list)
        for r in results:
            per_table[r.table].append(asdict(r) | {"reused": False})
        saved = _state.save_state(wh, stats, prints, per_table)
    summary = _summary(wh, ctx, results, time.perf_counter() - started)
    summary["incremental"] = {
        "enabled": incremental,
        # how unchanged tables are proven unchanged
        "method": _state.METHOD if incremental else None,
        "saved": saved,
        "recomputed_tables": sorted({c.table for c in to_run}),
        "reused_tables": sorted({r.table for r in results if r.reused}),
    }
    return QualityReport(results, summary)


def _summary(wh, ctx: Context, results: list[CheckResult], seconds: float) -> dict:
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    by_category = {
        cat: {
            s: sum(r.status == s and r.category == cat for r in results)
            for s in STATUSES
        }
        for cat in CATEGORIES
    }
    by_family: dict[str, float] = defaultdict(float)
    for r in results:
        by_family[r.name] += r.seconds
    return {
        "warehouse": str(wh.uri),
        "engine": wh.engine,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "today": ctx.today.isoformat(),
        "checks": len(results),
        **counts,
        "by_category": by_category,
        "seconds": round(seconds, 3),
        "seconds_by_family": {k: round(v, 3) for k, v in by_family.items()},
    }
