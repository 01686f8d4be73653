"""k-anonymity and l-diversity of an extract, and generalisation to reach k.

An extract is k-anonymous on its quasi-identifiers (age, postcode, dates...)
when every combination of their values is shared by at least k rows, and
l-diverse when each such class holds at least l distinct sensitive values.
`generalise` coarsens the quasi-identifiers step by step (age bands,
postcode prefixes, month then year of dates; any other column last, to
"*"), always the step that leaves fewest rows below k, then suppresses the
rows still below k, and reports what was lost.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pv

from entrepot.errors import InputFileError

ANY = "*"
MAX_SUPPRESSED = 0.05  # share of rows that may be suppressed before coarsening stops
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_POSTCODE = re.compile(r"^\d[0-9AB]\d{3}$")  # 2A/2B: Corsica


def read_csv(path: str | Path) -> pa.Table:
    """A CSV extract, every column as text."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            header = pv.open_csv(f).schema.names
        types = {name: pa.string() for name in header}
        return pv.read_csv(
            path,
            convert_options=pv.ConvertOptions(
                column_types=types, strings_can_be_null=True
            ),
        )
    except (OSError, UnicodeDecodeError, pa.ArrowInvalid) as e:
        raise InputFileError(f"{path}: malformed CSV: {str(e).splitlines()[0]}") from e


def check_columns(table: pa.Table, source: str, columns: list[str]) -> None:
    """Refuse a column the extract does not have, naming it."""
    for name in columns:
        if name not in table.column_names:
            raise InputFileError(
                f"{source}: no column {name!r} (columns: "
                f"{', '.join(table.column_names)})"
            )


def _check_k(k: int, source: str) -> None:
    if k < 1:
        raise InputFileError(f"{source}: k must be at least 1 (got {k})")


def anonymity(
    rows: list[tuple], sensitive: list | None, k: int
) -> dict[str, int | None]:
    """`{"k", "l", "classes", "rows_below_k"}` of quasi-identifier tuples."""
    sizes = Counter(rows)
    values: dict[tuple, set] = defaultdict(set)
    if sensitive is not None:
        for row, value in zip(rows, sensitive, strict=True):
            values[row].add(value)
    return {
        "k": min(sizes.values(), default=0),
        "l": min((len(v) for v in values.values()), default=0)
        if sensitive is not None
        else None,
        "classes": len(sizes),
        "rows_below_k": sum(n for n in sizes.values() if n < k),
    }


def kanon(
    table: pa.Table,
    quasi: list[str],
    k: int,
    sensitive: str | None = None,
    *,
    source: str = "extract",
) -> dict[str, int | None]:
    """k, l, the number of classes and the rows in classes smaller than `k`."""
    _check_k(k, source)
    check_columns(table, source, [*quasi, *([sensitive] if sensitive else [])])
    rows = list(zip(*(table[c].to_pylist() for c in quasi), strict=True))
    values = table[sensitive].to_pylist() if sensitive else None
    return anonymity(rows, values, k)


# -- generalisation ----------------------------------------------------------
Step = Callable[[str | None], str | None]


def _age_band(width: int) -> Step:
    def band(v):
        if v is None:
            return None
        low = int(float(v)) // width * width
        return f"{low}-{low + width - 1}"

    return band


def _prefix(n: int) -> Step:
    return lambda v: None if v is None else v[:n] + ANY * (len(v) - n)


def _date_part(n: int) -> Step:
    return lambda v: None if v is None else v[:n]


def _suppressed(v):
    return ANY


def ladder(values: list[str | None]) -> tuple[str, list[tuple[str, Step]]]:
    """The kind of a column and its generalisation steps, finest first."""
    given = [v for v in values if v not in (None, "")]
    if given and all(_number(v) for v in given):
        steps = [(f"age bands of {w}", _age_band(w)) for w in (5, 10, 20)]
        return "age", [*steps, ("suppressed", _suppressed)]
    if given and all(_POSTCODE.match(v) for v in given):
        steps = [(f"{n}-digit prefix", _prefix(n)) for n in (3, 2)]
        return "postcode", [*steps, ("suppressed", _suppressed)]
    if given and all(_DATE.match(v) for v in given):
        steps = [("month", _date_part(7)), ("year", _date_part(4))]
        return "date", [*steps, ("suppressed", _suppressed)]
    return "category", [("suppressed", _suppressed)]


def _number(v: str) -> bool:
    try:
        return 0 <= float(v) < 150 and float(v) == int(float(v))
    except ValueError:
        return False


@dataclass
class Generalised:
    """A k-anonymous extract and what reaching k cost."""

    table: pa.Table
    report: dict = field(default_factory=dict)


def generalise(
    table: pa.Table,
    quasi: list[str],
    k: int,
    sensitive: str | None = None,
    *,
    source: str = "extract",
    max_suppressed: float = MAX_SUPPRESSED,
) -> Generalised:
    """Coarsen the quasi-identifiers, then suppress rows, until k is reached."""
    before = kanon(table, quasi, k, sensitive, source=source)
    original = {c: table[c].to_pylist() for c in quasi}
    ladders = {c: ladder(v) for c, v in original.items()}
    level = dict.fromkeys(quasi, 0)

    def columns(levels: dict[str, int]) -> dict[str, list]:
        out = {}
        for c in quasi:
            step = ladders[c][1][levels[c] - 1][1] if levels[c] else None
            out[c] = [step(v) for v in original[c]] if step else original[c]
        return out

    def below(cols: dict[str, list]) -> int:
        rows = list(zip(*cols.values(), strict=True))
        return anonymity(rows, None, k)["rows_below_k"]

    current = columns(level)
    while below(current) > max_suppressed * table.num_rows:
        options = [c for c in quasi if level[c] < len(ladders[c][1])]
        if not options:
            break
        tried = {c: columns(level | {c: level[c] + 1}) for c in options}
        best = min(options, key=lambda c: (below(tried[c]), level[c]))
        level[best] += 1
        current = tried[best]
    rows = list(zip(*current.values(), strict=True))
    sizes = Counter(rows)
    keep = [sizes[r] >= k for r in rows]
    out = table
    for c in quasi:
        out = out.set_column(
            out.column_names.index(c), c, pa.array(current[c], pa.string())
        )
    out = out.filter(pa.array(keep))
    after = kanon(out, quasi, k, sensitive, source=source)
    report = {
        **after,
        "before": before,
        "generalised": {
            c: ladders[c][1][level[c] - 1][0] if level[c] else "kept" for c in quasi
        },
        "rows_in": table.num_rows,
        "rows_out": out.num_rows,
        "rows_suppressed": table.num_rows - out.num_rows,
    }
    return Generalised(out, report)


def write_csv(table: pa.Table, path: str | Path) -> None:
    """Write an extract as CSV."""
    pv.write_csv(table, Path(path))
