"""Load a vocabulary downloaded from OHDSI Athena (tab-separated CSV files)."""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir

from entrepot.errors import InputFileError, LoadError, first_line
from entrepot.warehouse.cdm import VOCABULARY_TABLES, cdm_table

#: Athena ships these; the others (source_to_concept_map) are the site's own.
ATHENA_TABLES = tuple(t for t in VOCABULARY_TABLES if t != "source_to_concept_map")
_REQUIRED = ("concept", "vocabulary", "domain", "concept_class", "relationship")


def athena_files(folder: Path) -> dict[str, Path]:
    """The Athena files of a folder (CONCEPT.csv, ...), by vocabulary table."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder")
    by_name = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    found = {t: by_name[f"{t}.csv"] for t in ATHENA_TABLES if f"{t}.csv" in by_name}
    missing = [f"{t.upper()}.csv" for t in _REQUIRED if t not in found]
    if missing:
        raise InputFileError(
            f"{folder}: not an Athena download, missing {', '.join(missing)}"
        )
    return found


def _typed(raw: ir.Table, name: str, source: str) -> ir.Table:
    """Athena's text columns as CDM types; its dates are written YYYYMMDD."""
    spec = cdm_table(name)
    columns = {c.lower(): raw[c] for c in raw.columns}
    missing = [c for c in spec.columns if c not in columns and spec.field(c).required]
    if missing:
        raise InputFileError(f"{source}: missing column(s) {', '.join(missing)}")
    out = {}
    for f in spec.fields:
        if f.name not in columns:
            out[f.name] = ibis.null(f.dtype)
            continue
        value = columns[f.name].nullif("")
        if f.dtype.is_date():
            value = ibis.ifelse(
                value.length() == 8,
                value.substr(0, 4).concat(
                    "-", value.substr(4, 2), "-", value.substr(6, 2)
                ),
                value,
            )
        out[f.name] = value.cast(f.dtype) if not f.dtype.is_string() else value
    return raw.select(**out)


def read_athena(wh, folder: Path) -> dict[str, ir.Table]:
    """An Athena download's vocabulary tables, typed as the CDM's (nothing
    read yet); a table the download lacks is empty, not left stale."""
    files = athena_files(folder)
    data = {}
    for name in ATHENA_TABLES:
        if name not in files:
            data[name] = wh.table(name).limit(0)
            continue
        raw = wh.store.read_file(files[name], delimiter="\t", quoted=False)
        data[name] = _typed(raw, name, files[name].name)
    return data


def load_athena(wh, folder: Path, *, progress=None) -> dict[str, int]:
    """Replace the warehouse's vocabulary with an Athena download; rows per table."""
    data = read_athena(wh, folder)
    try:
        if progress:
            progress("vocabulary")
        wh.replace_tables(data)
    except Exception as e:
        raise LoadError(
            f"{folder}: {first_line(e)}; the vocabulary was left as it was"
        ) from e
    return {name: wh.count(name) for name in ATHENA_TABLES}
