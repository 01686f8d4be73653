"""Small counts leaving a project: "<10", with complementary suppression.

A count from 1 to threshold - 1 is shown as "<10" (primary suppression). In a
table with margins that is not enough: a masked cell is its row total minus
the other cells. `suppress` hides further cells ("*", complementary
suppression) until an attacker who knows every shown value, every margin and
that a "<10" cell lies in [1, 9] and a "*" cell is at least 10 still finds
every value of [1, 9] possible for each "<10" cell: each lies on a rectangle
of hidden cells along which mass can move without changing any total.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

from entrepot.privacy._settings import get_setting, set_setting

DEFAULT_THRESHOLD = 10
MASK_BELOW = "mask_below"
#: How a complementary (not small, but hidden) cell is shown.
HIDDEN = "*"
TOTAL = "total"


def mask_threshold(wh) -> int:
    """The warehouse's threshold (setting `mask_below`, default 10)."""
    if not wh.has_table("privacy_settings"):  # a CDM entrepot did not create
        return DEFAULT_THRESHOLD
    value = get_setting(wh, MASK_BELOW)
    return int(value) if value else DEFAULT_THRESHOLD


def threshold_for(wh, requested: int | None = None) -> int:
    """The threshold counts are masked with: the warehouse's, or a higher one a
    caller asks for. A caller may raise it, never lower it."""
    floor = mask_threshold(wh)
    return floor if requested is None else max(floor, int(requested))


def set_mask_threshold(wh, threshold: int) -> None:
    """Set the warehouse's threshold (at least 1; 1 shows every count)."""
    if int(threshold) < 1:
        raise ValueError("the mask threshold must be at least 1")
    set_setting(wh, MASK_BELOW, str(int(threshold)))


def mask_count(count: int, threshold: int = DEFAULT_THRESHOLD) -> int | str:
    """`count`, or "<threshold" when it is from 1 to threshold - 1 (0 stays 0)."""
    return f"<{threshold}" if 0 < count < threshold else count


def masker(threshold: int = DEFAULT_THRESHOLD) -> Callable[[int], int | str]:
    """`mask_count` with its threshold fixed (quality's `Mask` rule)."""
    return lambda count: mask_count(count, threshold)


def mask_counts(counts, threshold: int = DEFAULT_THRESHOLD):
    """Every integer of a count, a mapping or a list of counts masked.

    For counts that add up to a shown total, use `suppress` instead.
    """
    if isinstance(counts, bool) or not isinstance(counts, int | Mapping | list):
        return counts
    if isinstance(counts, int):
        return mask_count(counts, threshold)
    if isinstance(counts, Mapping):
        return {k: mask_counts(v, threshold) for k, v in counts.items()}
    return [mask_counts(v, threshold) for v in counts]


def mask_fields(
    data,
    fields: frozenset[str] | set[str],
    threshold: int,
    derived: frozenset[str] | set[str] = frozenset(),
):
    """`data` (JSON-like) with the integers under the keys `fields` masked, at
    any depth: `mask_fields(result, {"count", "persons"}, 10)`. In a mapping
    where a count was masked, the statistics under `derived` (ratios, their
    intervals, a median computed from those few persons) are hidden too ("*"):
    they would give the count back, or tell about the few persons."""
    if isinstance(data, Mapping):
        shown = {
            k: mask_counts(v, threshold)
            if k in fields and isinstance(v, int)
            else mask_fields(v, fields, threshold, derived)
            for k, v in data.items()
        }
        if any(shown[k] != data[k] for k in fields & shown.keys()):
            shown.update({k: HIDDEN for k in derived & shown.keys()})
        return shown
    if isinstance(data, list):
        return [mask_fields(v, fields, threshold, derived) for v in data]
    return data


def mask_with_persons(
    counts: Mapping[str, int], threshold: int, persons: str = "persons"
) -> dict[str, int | str]:
    """Counts of one result about the same persons (`{"notes": 17, "persons":
    2}`): each masked, and when the person count is masked every other count
    is hidden too ("*"), since 17 notes would say how often those few were seen."""
    shown = {k: mask_count(v, threshold) for k, v in counts.items()}
    if shown[persons] != counts[persons]:
        shown = {k: HIDDEN if v == counts[k] and v else v for k, v in shown.items()}
    return shown


@dataclass
class Suppressed:
    """A table of counts with its margins, small and complementary cells hidden."""

    cells: dict[Hashable, dict[Hashable, int | str]]
    row_totals: dict[Hashable, int | str]
    column_totals: dict[Hashable, int | str]
    total: int | str
    hidden: list[tuple[Hashable, Hashable]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Rows with their total, then a total row ("total" keys)."""
        rows = {r: {**c, TOTAL: self.row_totals[r]} for r, c in self.cells.items()}
        return rows | {TOTAL: {**self.column_totals, TOTAL: self.total}}


def suppress(
    table: Mapping[Hashable, Mapping[Hashable, int] | int],
    threshold: int = DEFAULT_THRESHOLD,
    *,
    public_total: bool = False,
) -> Suppressed:
    """Mask small cells and enough others that none can be recovered from margins.

    `table` is `{row: {column: count}}`, or `{category: count}` (one column);
    totals are the sums. Returns the cells, row totals, column totals and
    grand total, as ints, "<threshold" (small) or "*" (hidden to protect).
    `public_total`: the grand total is released elsewhere too (a cohort's
    count), so it is never hidden; other cells are hidden instead.
    """
    grid = _grid(table)
    rows = list(grid)
    columns = list(dict.fromkeys(c for r in rows for c in grid[r]))
    values = {(r, c): int(grid[r].get(c, 0)) for r in rows for c in columns}
    for r in rows:
        values[(r, TOTAL)] = sum(values[(r, c)] for c in columns)
    for c in [*columns, TOTAL]:
        values[(TOTAL, c)] = sum(values[(r, c)] for r in rows)
    small = {k for k, v in values.items() if 0 < v < threshold}
    public = {(TOTAL, TOTAL)} - small if public_total else set()
    hidden = _complete(values, small, threshold, public)

    def shown(key) -> int | str:
        if key in small:
            return f"<{threshold}"
        return HIDDEN if key in hidden else values[key]

    return Suppressed(
        cells={r: {c: shown((r, c)) for c in columns} for r in rows},
        row_totals={r: shown((r, TOTAL)) for r in rows},
        column_totals={c: shown((TOTAL, c)) for c in columns},
        total=shown((TOTAL, TOTAL)),
        hidden=sorted(small | hidden, key=str),
    )


def _grid(table) -> dict[Hashable, Mapping[Hashable, int]]:
    if all(isinstance(v, Mapping) for v in table.values()):
        return dict(table)
    return {r: {"count": v} for r, v in table.items()}


def _complete(values: dict, small: set, threshold: int, public: set) -> set:
    """Complementary cells: for each small cell, a rectangle of hidden cells
    along which it can take every value from 1 to threshold - 1 (or as many
    as the table allows) while every row and column keeps its sum and every
    hidden cell stays within what its mark says. `public` cells are never
    hidden."""
    rows = list(dict.fromkeys(k[0] for k in values))
    columns = list(dict.fromkeys(k[1] for k in values))
    hidden: set = set()
    for cell in sorted(small, key=str):
        options = []
        for r in rows:
            for c in columns:
                if r != cell[0] and c != cell[1]:
                    corners = [(cell[0], c), (r, cell[1]), (r, c)]
                    if public & set(corners):
                        continue
                    width = _width(values, small | hidden, cell, corners, threshold)
                    new = [k for k in corners if k not in small | hidden]
                    cost = (len(new), sum(values[k] for k in new))
                    options.append((-width, cost, str(corners), corners))
        best = min(options, default=None)
        if best is None or best[0] == 0:  # nothing protects it: hide all
            return {k for k in values if k not in small | public and values[k] > 0}
        hidden |= {k for k in best[3] if k not in small}
    return hidden


def _sign(key) -> int:
    """How a cell moves when a rectangle shifts (totals count negatively)."""
    return (-1 if key[0] == TOTAL else 1) * (-1 if key[1] == TOTAL else 1)


def _width(values, hidden, cell, corners, threshold) -> int:
    """How many other values `cell` can take along this rectangle."""
    low, high = 1 - values[cell], threshold - 1 - values[cell]
    for key, turn in zip(corners, (-1, -1, 1), strict=True):
        value = values[key]
        if key not in hidden and value == 0:
            return 0
        small = key in hidden and value < threshold
        bottom, top = (1, threshold - 1) if small else (threshold, math.inf)
        if turn * _sign(key) * _sign(cell) > 0:
            low, high = max(low, bottom - value), min(high, top - value)
        else:
            low, high = max(low, value - top), min(high, value - bottom)
    return max(high - low, 0)
