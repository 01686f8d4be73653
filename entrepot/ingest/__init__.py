"""Producers that bring outside data into the warehouse."""

from entrepot.ingest._changes import on_notes_removed
from entrepot.ingest._files import load_directory, omop_files
from entrepot.ingest._raw import (
    IngestResult,
    ingest_raw,
    raw_files,
    read_extract,
    rekey_maps,
)

__all__ = [
    "IngestResult",
    "ingest_raw",
    "load_directory",
    "on_notes_removed",
    "omop_files",
    "raw_files",
    "read_extract",
    "rekey_maps",
]
