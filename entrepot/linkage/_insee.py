"""INSEE's public death records ("fichier des personnes décédées", data.gouv.fr,
monthly files ``deces-AAAA-mNN.txt``): read and write their fixed-width lines.

One person per line, 176 characters: names ``NOM*PRENOM1 PRENOM2/`` (80), sex
``1`` male / ``2`` female (1), birth date AAAAMMJJ with ``00`` for an unknown
month or day and ``0000`` for an unknown year (8), birthplace code of the Code
officiel géographique in force when the death was recorded, ``99CCC`` abroad (5),
birthplace name (30), country of birth, blank for France (30), death date (8),
place-of-death code (5), death certificate number (9). INSEE warns that some lines
carry meaningless characters after the last field: they are ignored.

Source of the layout: INSEE's "dessin d'enregistrement" published with the files
(https://www.data.gouv.fr/fr/datasets/fichier-des-personnes-decedees/, Licence
Ouverte 2.0), as quoted verbatim by public repositories that parse these files.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.errors import InputFileError

#: (field, start, width), in characters, in the order of the line.
LAYOUT = (
    ("names", 0, 80),
    ("sex", 80, 1),
    ("birth_date", 81, 8),
    ("birthplace_code", 89, 5),
    ("birthplace_name", 94, 30),
    ("birth_country", 124, 30),
    ("death_date", 154, 8),
    ("death_place_code", 162, 5),
    ("certificate", 167, 9),
)
RECORD = 176  # characters of a line's fields
#: The columns `read_insee_deaths` gives; `first_names` is space-joined, in the
#: file's order. The birth date is kept as written, and split into its known parts.
SCHEMA = pa.schema(
    {
        "file": pa.string(),
        "line": pa.int64(),  # 1-based, counting every line of the file
        "surname": pa.string(),
        "first_names": pa.string(),
        "sex": pa.string(),  # M / F, as the raw extracts write it; null otherwise
        "birth_date": pa.string(),
        "birth_year": pa.int32(),
        "birth_month": pa.int32(),
        "birth_day": pa.int32(),
        "birthplace_code": pa.string(),
        "birthplace_name": pa.string(),
        "birth_country": pa.string(),
        "death_date": pa.date32(),
        "death_place_code": pa.string(),
        "certificate": pa.string(),
    }
)
_BLOCK = 32 << 20  # bytes read at once
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
_NAMES = r"^(?P<surname>[^*/]*)\*?(?P<first_names>[^/]*)/?"


class Rejected(NamedTuple):
    """A line that is not a death record, and why."""

    file: str
    line: int
    reason: str


class DeathRecords(NamedTuple):
    """What `read_insee_deaths` read: the records, and the lines it refused."""

    rows: pa.Table
    rejected: list[Rejected]


def read_insee_deaths(path: str | os.PathLike) -> DeathRecords:
    """The death records of one INSEE file (UTF-8, or latin-1 as older files).

    A line shorter than the layout, or whose death date is not a date, goes to
    `rejected`; a file none of whose lines is a record raises `InputFileError`
    naming its first line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such INSEE death file")
    tables, rejected = [], []
    for first, lines in _blocks(path):
        table, refused = _parse(path.name, first, lines)
        tables.append(table)
        rejected += refused
    rows = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
    if rejected and not len(rows):
        bad = rejected[0]
        raise InputFileError(
            f"{path}:{bad.line}: not an INSEE death file ({bad.reason})"
        )
    return DeathRecords(rows, rejected)


def _blocks(path: Path) -> Iterator[tuple[int, pa.StringArray]]:
    """The file's lines in blocks: (number of the block's first line, lines)."""
    first, rest = 1, b""
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            block, rest = block[:cut], block[cut:]
            if block:
                lines = _lines(block)
                yield first, lines
                first += len(lines)
    if rest:
        yield first, _lines(rest + b"\n")


def _lines(block: bytes) -> pa.StringArray:
    """The lines of a block of whole lines (UTF-8, else latin-1), without their
    line ends, built from the bytes at once (no Python string per line)."""
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        block = block.decode("latin-1").encode("utf-8")
    data = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(data == 10)
    starts = np.concatenate([[0], ends[:-1] + 1])
    carriage = (ends > starts) & (data[np.maximum(ends - 1, 0)] == 13)
    offsets = np.concatenate([[0], np.cumsum(ends - carriage - starts)])
    gone = np.sort(np.concatenate([ends, ends[carriage] - 1]))
    kept = np.delete(data, gone)
    return pa.StringArray.from_buffers(
        len(ends), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(kept)
    )


def _parse(
    name: str, first: int, text: pa.StringArray
) -> tuple[pa.Table, list[Rejected]]:
    number = pa.array(np.arange(first, first + len(text)), pa.int64())
    length = pc.utf8_length(text)
    short = pc.less(length, RECORD)
    slice_ = _slicer(text)
    field = {f: slice_(s, s + w) for f, s, w in LAYOUT}
    death = _date(field["death_date"])
    bad = pc.or_(short, pc.is_null(death))
    rejected = [
        Rejected(
            name,
            n,
            f"line of {size} characters, {RECORD} expected"
            if size < RECORD
            else f"death date {date!r} is not a date",
        )
        for n, size, date in zip(
            number.filter(bad).to_pylist(),
            length.filter(bad).to_pylist(),
            field["death_date"].filter(bad).to_pylist(),
            strict=True,
        )
    ]
    good = pc.invert(bad)
    field = {f: v.filter(good) for f, v in field.items()}
    names = pc.extract_regex(field["names"], _NAMES)
    birth = field["birth_date"]
    table = pa.table(
        {
            "file": pa.array([name] * len(birth), pa.string()),
            "line": number.filter(good),
            "surname": _blank_null(pc.struct_field(names, "surname")),
            "first_names": _blank_null(
                pc.replace_substring_regex(
                    pc.struct_field(names, "first_names"), r"\s+", " "
                )
            ),
            "sex": pc.if_else(
                pc.equal(field["sex"], "1"),
                "M",
                pc.if_else(
                    pc.equal(field["sex"], "2"), "F", pa.scalar(None, pa.string())
                ),
            ),
            "birth_date": birth,
            "birth_year": _part(birth, 0, 4),
            "birth_month": _part(birth, 4, 6),
            "birth_day": _part(birth, 6, 8),
            "birthplace_code": _blank_null(field["birthplace_code"]),
            "birthplace_name": _blank_null(field["birthplace_name"]),
            "birth_country": _blank_null(field["birth_country"]),
            "death_date": death.filter(good),
            "death_place_code": _blank_null(field["death_place_code"]),
            "certificate": _blank_null(field["certificate"]),
        },
        schema=SCHEMA,
    )
    return table, rejected


def _date(text: pa.Array) -> pa.Array:
    """AAAAMMJJ as a date; null when it is no day of the calendar (20230231)."""
    day = pc.strptime(text, "%Y%m%d", "s", error_is_null=True)
    written = pc.if_else(  # strptime rolls 31 February over into March
        pc.is_valid(day),
        pc.utf8_slice_codeunits(text, 6, 8),
        pa.scalar(None, pa.string()),
    )
    real = pc.equal(pc.day(day), pc.cast(written, pa.int64()))
    return pc.cast(pc.if_else(real, day, pa.scalar(None, day.type)), pa.date32())


def _slicer(text: pa.StringArray):
    """Cut characters [start, stop) of every line: by bytes when all are ASCII
    (most files, and ten times faster), else by UTF-8 characters."""
    if pc.all(pc.string_is_ascii(text)).as_py() is not False:
        data = text.cast(pa.binary())
        return lambda start, stop: pc.binary_slice(data, start, stop).cast(pa.string())
    return lambda start, stop: pc.utf8_slice_codeunits(text, start, stop)


def _blank_null(values: pa.Array) -> pa.Array:
    values = pc.utf8_trim(values, " ")
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _part(birth: pa.Array, start: int, stop: int) -> pa.Array:
    """A part of AAAAMMJJ as a number; null when unknown (zeros) or not digits."""
    digits = pc.utf8_slice_codeunits(birth, start, stop)
    number = pc.cast(
        pc.if_else(
            pc.match_substring_regex(digits, rf"^[0-9]{{{stop - start}}}$"),
            digits,
            pa.scalar(None, pa.string()),
        ),
        pa.int32(),
    )
    return pc.if_else(pc.equal(number, 0), pa.scalar(None, pa.int32()), number)


def write_insee_deaths(
    rows: pa.Table | Iterable[dict],
    path: str | os.PathLike,
    *,
    encoding: str = "utf-8",
) -> int:
    """Write death records in INSEE's layout; the number of lines written.

    `rows` has `read_insee_deaths`'s columns (``file``, ``line`` and the parsed
    birth parts are not needed): sex ``M``/``F``, birth date as AAAAMMJJ text,
    death date a date or AAAAMMJJ. Text is written as INSEE does, in capitals
    without accents, cut to its field's width.
    """
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(list(rows))
    n = len(table)

    def text(column: str) -> pa.Array:
        if column not in table.column_names:
            return pa.array([""] * n, pa.string())
        return _capitals(pc.cast(table[column], pa.string()).fill_null(""))

    death = table["death_date"]
    if pa.types.is_date(death.type) or pa.types.is_timestamp(death.type):
        death = pc.strftime(death, "%Y%m%d")
    sex = pc.cast(table["sex"], pa.string())
    values = {
        "names": pc.binary_join_element_wise(
            text("surname"), "*", text("first_names"), "/", ""
        ),
        "sex": pc.if_else(pc.equal(sex, "F"), "2", "1"),
        "birth_date": pc.cast(table["birth_date"], pa.string()),
        "birthplace_code": text("birthplace_code"),
        "birthplace_name": text("birthplace_name"),
        "birth_country": text("birth_country"),
        "death_date": death,
        "death_place_code": text("death_place_code"),
        "certificate": text("certificate"),
    }
    padded = [
        pc.utf8_slice_codeunits(pc.utf8_rpad(values[f], w, " "), 0, w)
        for f, _, w in LAYOUT
    ]
    lines = pc.binary_join_element_wise(*padded, "")
    body = "\n".join(lines.to_pylist())
    Path(path).write_bytes((body + "\n" if n else "").encode(encoding))
    return n


def _capitals(values: pa.Array) -> pa.Array:
    """Text as INSEE writes it: capitals, no accents (each distinct value once)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    plain = [_plain(v) for v in encoded.dictionary.to_pylist()]
    return pa.array(plain, pa.string()).take(encoded.indices)


def _plain(text: str) -> str:
    text = text.translate(_LIGATURES)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return folded.upper()
