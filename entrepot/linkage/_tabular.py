"""Reading the CSV files linkage takes in: header, rows with their line numbers.

Files come from outside the warehouse (open data portals, REDCap exports), so
every string read here is shown back only through `shown`: escaped, cut short.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from entrepot.errors import InputFileError

_SHOWN = 40  # characters of a foreign string shown in a message


def shown(value: str) -> str:
    """A string from a file as it may appear in a message: quoted, escaped,
    at most a few dozen characters."""
    text = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
    return ascii(text) if not text.isprintable() else repr(text)


@dataclass(frozen=True)
class CsvFile:
    """A CSV file's header and rows (`line`: the file's line, the header's is 1)."""

    path: Path
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]

    def column(self, name: str, option: str) -> str:
        """`name`, a column of the header, or a one-line error naming the others."""
        if name not in self.header:
            known = ", ".join(shown(c) for c in self.header[:12])
            raise InputFileError(
                f"{self.path}: {option} {shown(name)} is not a column (columns: {known})"
            )
        return name


def read_csv(path: Path) -> CsvFile:
    """A CSV file (comma, semicolon or tab separated, UTF-8, a header line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise InputFileError(f"{path}: cannot be read ({e.strerror})") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    try:
        header = [c.strip() for c in next(reader, [])]
        if not any(header):
            raise InputFileError(f"{path}: empty, or no header line")
        if len(set(header)) < len(header):
            raise InputFileError(f"{path}: a column name appears twice in the header")
        rows = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise InputFileError(
                    f"{path}, line {reader.line_num}: {len(values)} fields where "
                    f"the header has {len(header)}"
                )
            rows.append((reader.line_num, dict(zip(header, values, strict=True))))
    except csv.Error as e:
        raise InputFileError(f"{path}, line {reader.line_num}: {e}") from None
    return CsvFile(path, header, rows)


def number(text: str) -> float | None:
    """A decimal number as open data writes it ("12.5", "12,5", "1 234");
    None for anything else (text, infinities, NaN)."""
    cleaned = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if "_" in cleaned:  # Python's own digit grouping, not a number of a file
        return None
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
