"""CIM-10, the French ICD-10 of the PMSI: chapters > blocks > categories > codes."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from functools import cache

from entrepot.warehouse.vocabulary._concept import (
    NAME_LENGTH,
    Concept,
    Part,
    local_concept,
    read_csv,
)

VOCABULARY = "CIM10"
CHAPTER, BLOCK, CATEGORY, CODE = (
    "CIM10 Chapter",
    "CIM10 Block",
    "CIM10 Category",
    "CIM10 Code",
)
OBSERVATION_CHAPTERS = {"XX", "XXI"}  # external causes and factors (V01-Z99)
# ATIH marks the codes it removed: "*** SU17 *** Dengue" was removed in 2017.
_REMOVED = re.compile(r"^\*\*\* SU(\d\d) \*\*\* ")


def dotted(code: str) -> str:
    """The code written as OMOP's ICD10 writes it: `E1100` -> `E11.00`."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _removal_year(label: str) -> int | None:
    match = _REMOVED.match(label)
    if match is None:
        return None
    year = int(match.group(1))
    return 2000 + year if year < 70 else 1900 + year


def _enclosing(ranges: list[dict[str, str]], category: str) -> dict[str, str]:
    """The one range (chapter or block) whose first..last holds the category."""
    found = [r for r in ranges if r["first"] <= category <= r["last"]]
    if len(found) != 1:
        raise ValueError(f"CIM-10 category {category} is in {len(found)} ranges")
    return found[0]


def _key(block: dict[str, str]) -> str:
    return f"{block['first']}-{block['last']}"


def _domain(chapter: dict[str, str]) -> str:
    return "Observation" if chapter["chapter"] in OBSERVATION_CHAPTERS else "Condition"


@cache
def cim10_domain(code: str) -> str:
    """The OMOP domain of a CIM-10 code, dotted or not: Observation for chapters
    XX-XXI (V01-Z99: external causes, reasons for contact), else Condition. The
    domain decides the table a code goes to (`observation` or `condition_occurrence`)."""
    category = code.replace(".", "").strip().upper()[:3]
    found = [
        c for c in read_csv("cim10_chapters.csv") if c["first"] <= category <= c["last"]
    ]
    return _domain(found[0]) if found else "Condition"


def cim10_part() -> Part:
    """Every CIM-10 code of the PMSI with its French label, in its WHO hierarchy."""
    part = Part()
    ids: dict[str, int] = {}  # chapter numeral, block range or code -> concept_id

    def add(concept: Concept, parent: str | None) -> None:
        part.concepts.append(concept)
        ids[concept.concept_code] = concept.concept_id
        if parent is not None:
            part.parents.append((concept.concept_id, ids[parent]))

    chapters, blocks = read_csv("cim10_chapters.csv"), read_csv("cim10_blocks.csv")
    for chapter in chapters:
        add(_group(chapter["chapter"], chapter["label"], chapter, CHAPTER), None)
    for block in blocks:
        chapter = _enclosing(chapters, block["first"])
        add(_group(_key(block), block["label"], chapter, BLOCK), chapter["chapter"])

    rows = read_csv("cim10.csv.gz")
    codes = {row["code"] for row in rows}
    chapter_of = {c[:3]: _enclosing(chapters, c[:3]) for c in codes}
    for row in rows:
        code = row["code"]
        parent = _parent(code, codes)
        concept = _code_concept(row, _domain(chapter_of[code[:3]]))
        add(concept, dotted(parent) if parent else _key(_enclosing(blocks, code)))
        _add_synonyms(part, concept, row)
    return part


def _group(code: str, label: str, chapter: dict[str, str], kind: str) -> Concept:
    """A chapter or a block: a classification concept."""
    return local_concept(VOCABULARY, code, label, _domain(chapter), kind, "C")


def _parent(code: str, codes: set[str]) -> str | None:
    """The longest existing proper prefix of a code (None for a category)."""
    for length in range(len(code) - 1, 2, -1):
        if code[:length] in codes:
            return code[:length]
    return None


def _code_concept(row: dict[str, str], domain_id: str) -> Concept:
    code, label = row["code"], row["long"]
    concept = local_concept(
        VOCABULARY,
        dotted(code),
        _REMOVED.sub("", label),
        domain_id,
        CATEGORY if len(code) == 3 else CODE,
        "S",
    )
    year = _removal_year(label)
    if year is None:
        return concept
    return replace(
        concept,
        standard_concept=None,
        valid_end_date=date(year, 1, 1) - timedelta(days=1),
        invalid_reason="D",
    )


def _add_synonyms(part: Part, concept: Concept, row: dict[str, str]) -> None:
    """The short PMSI label, and the full label when the name had to be cut."""
    label = _REMOVED.sub("", row["long"])
    if len(label) > NAME_LENGTH:
        part.add_synonym(concept.concept_id, label)
    short = _REMOVED.sub("", row["short"])
    if short and short.casefold() != label.casefold():
        part.add_synonym(concept.concept_id, short)
