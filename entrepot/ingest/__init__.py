"""Producers that bring outside data into the warehouse."""

from entrepot.ingest._files import load_directory, omop_files

__all__ = ["load_directory", "omop_files"]
