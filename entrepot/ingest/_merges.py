"""`merges.csv`: the IPP merges of the identity server, applied by ingestion."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from entrepot.errors import InputFileError
from entrepot.privacy import Merge

COLUMNS = ("old_ipp", "new_ipp", "merged_on")


def read_merges(folder: Path) -> list[Merge]:
    """The merges listed in the folder's `merges.csv` (none without the file)."""
    from entrepot.ingest._raw import read_extract

    path = Path(folder) / "merges.csv"
    if not path.is_file():
        return []
    rows = read_extract(path)
    missing = [c for c in COLUMNS if c not in rows.column_names]
    if missing:
        raise InputFileError(
            f"{path}: missing column(s) {', '.join(missing)} "
            "(see entrepot/synth/RAW_FORMAT.md)"
        )
    out = []
    for line, row in enumerate(rows.select(COLUMNS).to_pylist(), start=2):
        if not row["old_ipp"] or not row["new_ipp"]:
            raise InputFileError(f"{path}, line {line}: old_ipp and new_ipp are needed")
        try:
            day = date.fromisoformat(row["merged_on"]) if row["merged_on"] else None
        except ValueError:
            raise InputFileError(
                f"{path}, line {line}: merged_on is not a date (YYYY-MM-DD)"
            ) from None
        out.append(Merge(row["old_ipp"].strip(), row["new_ipp"].strip(), day))
    return out
