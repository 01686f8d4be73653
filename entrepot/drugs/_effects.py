"""Possible adverse effects of a prescription, by organ system.

Each line is recognised as for interactions (brand names, INNs, combinations);
its ATC codes are looked up in an effect table: the curated one shipped with
entrepot (French SmPC, section 4.8) or a data pack loaded into a warehouse
(`load_effects`). Effects are merged over the lines, by organ group and term."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from functools import cache
from importlib.resources import files
from typing import Protocol

from entrepot.drugs._organs import (
    FREQUENCIES,
    SOCS,
    frequency_rank,
    group_of,
)
from entrepot.drugs._recognition import LOCAL_ATC, Drug, recognize
from entrepot.drugs._text import fold
from entrepot.errors import DrugInputError

CURATED = "effects-rcp.csv"
#: Columns of an effect row, in the curated file and in the warehouse table.
COLUMNS = ("atc", "substance", "soc", "frequency", "term", "source")
#: What a line's local route keeps of its ATC codes ("DICLOFENAC 1 % gel": M02AA15).
_LOCAL_GROUPS = tuple(g for groups in LOCAL_ATC.values() for g in groups)


@dataclass(frozen=True)
class EffectRow:
    atc: str
    substance: str
    soc: str | None
    frequency: str
    term: str
    source: str


class EffectSource(Protocol):
    """Where effects are read: `name` says it, `rows` gives those of ATC codes."""

    name: str

    def rows(self, codes: list[str]) -> list[EffectRow]: ...


class EffectTable:
    """Effect rows held in memory, by ATC code, and where they come from."""

    def __init__(self, rows: list[EffectRow], name: str) -> None:
        self.name = name
        self.by_atc: dict[str, list[EffectRow]] = {}
        for row in rows:
            self.by_atc.setdefault(row.atc, []).append(row)

    @classmethod
    @cache
    def curated(cls) -> EffectTable:
        """The table shipped with entrepot (`entrepot/data/drugs/effects-rcp.csv`)."""
        text = (files("entrepot.data.drugs") / CURATED).read_text(encoding="utf-8")
        return cls(read_rows(text, CURATED), "RCP (table entrepot)")

    def rows(self, codes: list[str]) -> list[EffectRow]:
        return [row for code in codes for row in self.by_atc.get(code, ())]


def read_rows(text: str, name: str) -> list[EffectRow]:
    """Rows of an effect CSV, checked: a bad row is a one-line error naming it."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise DrugInputError(f"{name}: columns must be {', '.join(COLUMNS)}")
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = EffectRow(**{k: (raw[k] or "").strip() or None for k in COLUMNS})
        problem = row_problem(row)
        if problem:
            raise DrugInputError(f"{name}, line {number}: {problem}")
        rows.append(row)
    return rows


def row_problem(row: EffectRow) -> str | None:
    """What is wrong with an effect row, or None."""
    if not row.atc or len(row.atc) != 7:
        return f"ATC code {row.atc!r} is not a level-5 code"
    if row.soc is not None and row.soc not in SOCS:
        return f"unknown organ system {row.soc!r}"
    if row.frequency not in FREQUENCIES:
        return f"unknown frequency {row.frequency!r} (one of {', '.join(FREQUENCIES)})"
    if not row.term:
        return "no term"
    return None


@dataclass(frozen=True)
class Effect:
    term: str
    frequency: str  # the most frequent class among the lines that give it
    lines: list[int]


@dataclass(frozen=True)
class Organ:
    organ: str
    count: int
    effects: list[Effect]


@dataclass(frozen=True)
class Effects:
    """A prescription's possible effects: its lines and the organ groups."""

    lines: list[dict]
    organs: list[Organ]
    source: str

    def to_dict(self) -> dict:
        return {
            "lines": self.lines,
            "organs": [asdict(o) for o in self.organs],
        }


def effect_codes(drug: Drug) -> list[str]:
    """The ATC codes whose effects a line has: those of its local route when the
    route is sure and local, else its systemic ones (all when none is)."""
    local = [c for c in drug.atc if c.startswith(_LOCAL_GROUPS)]
    if drug.route in LOCAL_ATC and drug.route_doubt is None:
        return [c for c in drug.atc if c.startswith(LOCAL_ATC[drug.route])] or local
    return [c for c in drug.atc if c not in local] or list(drug.atc)


def effects(
    lines: list[str],
    *,
    frequency: str | None = None,
    search: str | None = None,
    table: EffectSource | None = None,
) -> Effects:
    """The possible effects of each line and of the whole prescription, by organ
    group, most effects first. `frequency` keeps that class and the more frequent
    ones; `search` keeps terms holding it (accents and case aside). Lines not
    recognised, or with no data, are reported with no effect."""
    table = table or EffectTable.curated()
    limit = _rank(frequency) if frequency else len(FREQUENCIES)
    wanted = fold(search) if search else ""
    merged: dict[tuple[str, str], dict] = {}
    shown = []
    for index, line in enumerate(lines):
        drug = recognize(line)
        codes = effect_codes(drug) if drug.recognized else []
        rows = table.rows(codes) if codes else []
        per_organ: dict[str, set[str]] = {}
        for row in rows:
            if frequency_rank(row.frequency) > limit or wanted not in fold(row.term):
                continue
            organ = group_of(row.soc)
            key = (organ, fold(row.term))
            per_organ.setdefault(organ, set()).add(key[1])
            found = merged.setdefault(
                key, {"term": row.term, "frequency": row.frequency, "lines": []}
            )
            if frequency_rank(row.frequency) < frequency_rank(found["frequency"]):
                found["frequency"] = row.frequency
            if index not in found["lines"]:
                found["lines"].append(index)
        shown.append(
            {
                "line": index,
                "input": drug.input,
                "recognized": drug.recognized,
                "substances": list(drug.substances),
                "atc": codes,
                "sources": sorted({row.source for row in rows}),
                "effects": sum(len(t) for t in per_organ.values()),
                "organs": {o: len(t) for o, t in _by_count(per_organ)},
            }
        )
    return Effects(shown, _organs(merged), table.name)


def _rank(frequency: str) -> int:
    """The rank of a class named with or without its accents ("frequent")."""
    for rank, name in enumerate(FREQUENCIES):
        if fold(frequency) == fold(name):
            return rank
    raise DrugInputError(
        f"frequency {frequency!r} is not one of {', '.join(FREQUENCIES)}"
    )


def _by_count(groups: dict[str, set | list]) -> list[tuple[str, set | list]]:
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _organs(merged: dict[tuple[str, str], dict]) -> list[Organ]:
    groups: dict[str, list[Effect]] = {}
    for (organ, _term), found in merged.items():
        groups.setdefault(organ, []).append(Effect(**found))
    return [
        Organ(
            organ,
            len(found),
            sorted(found, key=lambda e: (frequency_rank(e.frequency), fold(e.term))),
        )
        for organ, found in _by_count(groups)
    ]
