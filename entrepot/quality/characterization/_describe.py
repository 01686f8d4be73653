"""Run every characterization analysis, then mask small counts."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from entrepot.errors import first_line
from entrepot.privacy import Decision
from entrepot.quality._config import load_config
from entrepot.quality._context import Context
from entrepot.quality.characterization._analyses import ANALYSES, NEEDS, Analysis
from entrepot.quality.characterization._mask import Mask, is_masked

#: Statistics of a group too small to show (they would describe few patients).
_GROUP_STATISTICS = ("min", "p05", "p25", "p50", "p75", "p95", "max")


def _masked(rows: list[dict], analysis: Analysis, mask: Mask) -> list[dict]:
    out = []
    for row in rows:
        row = dict(row)
        for column in analysis.counts:
            if row.get(column) is not None:
                row[column] = mask(int(row[column]))
        if any(is_masked(row.get(c)) for c in analysis.counts):
            row |= {c: None for c in _GROUP_STATISTICS if c in row}
        out.append(row)
    return out


def describe(
    wh,
    decision: Decision | None = None,
    *,
    mask_below: int | None = None,
    top: int = 20,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """`{"analyses": [{name, title, columns, rows, seconds}], "summary": {...}}`.

    Counts are masked by the release gate's `decision` and by nothing else
    (without one: the warehouse's threshold, 10 unless set, or a higher
    `mask_below`).
    """
    started = time.perf_counter()
    decision = decision or Decision.unscoped(wh, mask_below)
    mask = decision.mask
    ctx = Context(wh, load_config(), today or date.today())
    step = progress or (lambda label: None)
    analyses = []
    for analysis in ANALYSES:
        step(analysis.name)
        t0 = time.perf_counter()
        entry = {
            "name": analysis.name,
            "title": analysis.title,
            "columns": list(analysis.columns),
        }
        missing = [t for t in NEEDS.get(analysis.name, ()) if not ctx.has(t)]
        try:
            rows = [] if missing else analysis.run(ctx, top)
            entry["rows"] = _masked(rows, analysis, mask)
        except Exception as e:  # one analysis an engine cannot run spoils no other
            entry["rows"], entry["error"] = [], f"{type(e).__name__}: {first_line(e)}"
        entry["seconds"] = round(time.perf_counter() - t0, 3)
        analyses.append(entry)
    persons = wh.count("person") if wh.has_table("person") else 0
    return {
        "analyses": analyses,
        "summary": {
            "warehouse": str(wh.uri),
            "engine": wh.engine,
            "persons": mask(persons),
            "mask_below": decision.mask_below,
            "seconds": round(time.perf_counter() - started, 3),
        },
    }
