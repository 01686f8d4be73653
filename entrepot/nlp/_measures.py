"""Dates and measurements written in French reports."""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = (
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre "
    "decembre"
).split()
_NUMERIC_DATE = re.compile(
    r"(?<![\d/])(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})(?![\d/])"
)
_LONG_DATE = re.compile(
    r"(?<!\w)(1er|\d{1,2}) (" + "|".join(MONTHS) + r") ((?:19|20)\d\d)(?!\d)"
)
_YEAR = re.compile(r"(?<!\w)(?:en|depuis|in|annee) ((?:19|20)\d\d)(?!\d)")
_UNITS = (
    r"g/dl|g/l|mg/l|mg/dl|mmol/l|µmol/l|umol/l|mmol/mol|mm/h|ng/l|ng/ml|pg/ml|"
    r"µg/l|ug/l|ui/l|ui/ml|mui/l|kui/l|t/l|u/l|ml/min(?:/1[,.]73 ?m[²2]?)?|"
    r"mmhg|cmh2o|/min|bpm|°c|kg/m²|kg|cm|%|g/24 ?h"
)
_MEASURE = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)?)(?:/(\d+))?[ \u00a0]?(" + _UNITS + r")(?![\w/])"
)


@dataclass(frozen=True, slots=True)
class Date:
    start: int
    end: int
    text: str
    value: str  # ISO: 2013-04-30, or 2013 for a year alone


@dataclass(frozen=True, slots=True)
class Measurement:
    start: int
    end: int
    text: str
    value: float
    unit: str


def dates(text: str, folded: str) -> list[Date]:
    """Dates: 30/04/2013, 30 avril 2013, and years after "en" or "depuis"."""
    found: list[Date] = []
    for m in _NUMERIC_DATE.finditer(folded):
        day, month, year = (int(g) for g in m.groups())
        if year < 100:  # two digits: 24 -> 2024, 87 -> 1987
            year += 2000 if year < 50 else 1900
        if 1 <= day <= 31 and 1 <= month <= 12:
            found.append(
                Date(m.start(), m.end(), m.group(), f"{year:04d}-{month:02d}-{day:02d}")
            )
    for m in _LONG_DATE.finditer(folded):
        day = 1 if m.group(1) == "1er" else int(m.group(1))
        month = MONTHS.index(m.group(2)) + 1
        value = f"{m.group(3)}-{month:02d}-{day:02d}"
        found.append(Date(m.start(), m.end(), text[m.start() : m.end()], value))
    for m in _YEAR.finditer(folded):
        found.append(Date(m.start(1), m.end(1), m.group(1), m.group(1)))
    return sorted(found, key=lambda d: d.start)


def measurements(text: str, folded: str) -> list[Measurement]:
    """Values with a unit: '15,2 g/dL', '97 %', '125/79 mmHg' (the first value)."""
    return [
        Measurement(
            m.start(),
            m.end(),
            text[m.start() : m.end()],
            float(m.group(1).replace(",", ".")),
            text[m.start(3) : m.end(3)],
        )
        for m in _MEASURE.finditer(folded)
    ]
