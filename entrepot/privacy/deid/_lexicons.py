"""Lexicons of the de-identifier (entrepot/data/privacy, see its PROVENANCE)."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files

from entrepot.privacy.deid._text import fold


def _lines(package: str, name: str) -> list[str]:
    text = files(package).joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


@cache
def first_names() -> frozenset[str]:
    """Folded first names (compound ones split too)."""
    names = _lines("entrepot.data.privacy", "first_names.txt")
    return frozenset(fold(p) for n in names for p in [n, *n.split("-")])


@cache
def surnames() -> frozenset[str]:
    return frozenset(fold(n) for n in _lines("entrepot.data.privacy", "surnames.txt"))


@cache
def hospitals() -> tuple[str, ...]:
    """Hospital names, longest first."""
    names = _lines("entrepot.data.privacy", "hospitals.txt")
    return tuple(sorted(names, key=len, reverse=True))


@cache
def cities() -> frozenset[str]:
    """Folded names of French communes (the synthetic hospital's list)."""
    text = files("entrepot.data.synth").joinpath("communes.csv").read_text("utf-8")
    return frozenset(fold(r["name"]) for r in csv.DictReader(text.splitlines()))
