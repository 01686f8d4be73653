"""Producers that bring outside data into the warehouse."""

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
    "omop_files",
    "raw_files",
    "read_extract",
    "rekey_maps",
]
