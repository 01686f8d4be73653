"""Definitions shipped with entrepot (`entrepot/data/cohorts/*.yaml`)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SHIPPED = files("entrepot.data.cohorts")


def shipped_definitions() -> dict[str, Path]:
    """Shipped definition files by name (file name without `.yaml`)."""
    return {
        Path(f.name).stem: Path(str(f))
        for f in SHIPPED.iterdir()
        if f.name.endswith(".yaml")
    }


def definition_path(name_or_path: str) -> Path:
    """A file path as given, or the shipped definition of that name."""
    path = Path(name_or_path)
    if not path.exists() and name_or_path in shipped_definitions():
        return shipped_definitions()[name_or_path]
    return path
