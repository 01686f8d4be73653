"""Load a folder of files named after OMOP tables (person.csv, measurement.parquet)."""

from __future__ import annotations

import difflib
from pathlib import Path

from entrepot.errors import InputFileError, first_line
from entrepot.privacy import without_opted_out
from entrepot.warehouse import LoadResult, Warehouse
from entrepot.warehouse.cdm import cdm_tables

SUFFIXES = (".csv", ".csv.gz", ".parquet")


def _table_of(path: Path) -> str | None:
    """The table a file is for, or None if it is not a data file."""
    name = path.name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def omop_files(folder: Path) -> dict[str, Path]:
    """The data files of a folder, by CDM table; refuse any file we cannot place."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder")
    found: dict[str, Path] = {}
    root = folder.resolve()
    for path in sorted(folder.iterdir()):
        table = _table_of(path)
        if table is None or not path.is_file():
            continue
        if root not in path.resolve().parents:
            raise InputFileError(f"{path}: links outside {folder}, refused")
        if table not in cdm_tables():
            close = difflib.get_close_matches(table, list(cdm_tables()), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise InputFileError(f"{path}: {table!r} is not an OMOP CDM table{hint}")
        if table in found:
            raise InputFileError(
                f"{path}: a second file for table {table} ({found[table].name})"
            )
        found[table] = path
    if not found:
        raise InputFileError(
            f"{folder}: no .csv, .csv.gz or .parquet file named after a CDM table"
        )
    return found


def load_directory(wh: Warehouse, folder: Path, *, progress=None) -> LoadResult:
    """Load every OMOP-named file of `folder` in one atomic, idempotent load;
    opted-out patients' rows are left out."""
    files = omop_files(folder)
    sources = {}
    for table, path in files.items():
        try:
            sources[table] = wh.store.read_file(path)
        except Exception as e:  # the engine's reader names the problem
            raise InputFileError(f"{path}: cannot be read: {first_line(e)}") from e
    return wh.load(
        without_opted_out(wh, sources),
        names={t: p.name for t, p in files.items()},
        progress=progress,
    )
