"""The vocabulary shipped with entrepot: enough for a French hospital, no download.

CIM-10 (diagnoses), ATC (drugs), a LOINC subset (lab tests, vital signs), UCUM
(units) and the OMOP concepts every OMOP tool expects (gender, visit, type...),
as the eight OMOP vocabulary tables.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import cache

import pyarrow as pa

from entrepot.warehouse.cdm import cdm_table
from entrepot.warehouse.vocabulary._atc import atc_part
from entrepot.warehouse.vocabulary._cim10 import cim10_part
from entrepot.warehouse.vocabulary._concept import (
    VALID_END,
    VALID_START,
    Concept,
    Part,
)
from entrepot.warehouse.vocabulary._lab import loinc_part, ucum_part
from entrepot.warehouse.vocabulary._metadata import metadata_tables, omop_part

TABLES = (
    "vocabulary",
    "domain",
    "concept_class",
    "relationship",
    "concept",
    "concept_relationship",
    "concept_ancestor",
    "concept_synonym",
)

Ancestry = dict[int, tuple[int, int]]  # ancestor -> (min, max levels of separation)


def bundled_vocabulary() -> dict[str, pa.Table]:
    """The eight OMOP vocabulary tables of the bundled vocabulary, by table name.

    Each table has exactly the columns and types of the CDM specification. The
    result is the same, byte for byte, at every call.
    """
    return dict(_build())


def parts() -> tuple[Part, dict[str, list[dict]], list[Concept]]:
    """Every part's concepts, hierarchy and synonyms; the metadata tables' rows;
    all the concepts (the metadata ones included)."""
    part = Part()
    for piece in (cim10_part(), atc_part(), loinc_part(), ucum_part(), omop_part()):
        part.concepts += piece.concepts
        part.parents += piece.parents
        part.synonyms += piece.synonyms
    rows, extra = metadata_tables(part.concepts)
    return part, rows, part.concepts + extra


@cache
def _build() -> dict[str, pa.Table]:
    part, rows, concepts = parts()
    _check_unique(concepts)

    rows["concept"] = [
        {
            **{f: getattr(c, f) for f in Concept.__slots__},
            "valid_start_date": VALID_START,
        }
        for c in concepts
    ]
    rows["concept_relationship"] = [
        {
            "concept_id_1": one,
            "concept_id_2": two,
            "relationship_id": relationship,
            "valid_start_date": VALID_START,
            "valid_end_date": VALID_END,
            "invalid_reason": None,
        }
        for one, two, relationship in _relationships(concepts, part.parents)
    ]
    rows["concept_ancestor"] = [
        {
            "ancestor_concept_id": ancestor,
            "descendant_concept_id": descendant,
            "min_levels_of_separation": low,
            "max_levels_of_separation": high,
        }
        for ancestor, descendant, low, high in _ancestors(concepts, part.parents)
    ]
    rows["concept_synonym"] = [
        {"concept_id": i, "concept_synonym_name": name, "language_concept_id": lang}
        for i, name, lang in dict.fromkeys(part.synonyms)
    ]
    return {name: _arrow(name, rows[name]) for name in TABLES}


def _check_unique(concepts: list[Concept]) -> None:
    """Two concepts must never share an id: fail loudly if hashes collide."""
    counts = Counter(c.concept_id for c in concepts)
    if clashes := [c for c in concepts if counts[c.concept_id] > 1]:
        described = ", ".join(f"{c.vocabulary_id} {c.concept_code}" for c in clashes)
        raise RuntimeError(f"concept_id collision between {described}")


def _relationships(
    concepts: list[Concept], parents: list[tuple[int, int]]
) -> list[tuple[int, int, str]]:
    """`Is a` and `Subsumes` along the hierarchies; `Maps to` and `Mapped from`
    from each valid standard concept to itself, as OMOP does."""
    out = []
    for child, parent in parents:
        out += [(child, parent, "Is a"), (parent, child, "Subsumes")]
    for c in concepts:
        if c.standard_concept == "S" and c.invalid_reason is None:
            out += [(c.concept_id, c.concept_id, r) for r in ("Maps to", "Mapped from")]
    return out


def _ancestors(
    concepts: list[Concept], parents: list[tuple[int, int]]
) -> list[tuple[int, int, int, int]]:
    """The transitive closure of the hierarchies over valid standard and
    classification concepts, each concept its own ancestor at level 0."""
    kept = {c.concept_id for c in concepts if c.in_hierarchy}
    up: dict[int, list[int]] = defaultdict(list)
    for child, parent in parents:
        if child in kept and parent in kept:
            up[child].append(parent)
    memo: dict[int, Ancestry] = {}

    def above(node: int) -> Ancestry:
        if node not in memo:
            levels: Ancestry = {}
            for parent in up.get(node, ()):
                for ancestor, (low, high) in [(parent, (0, 0)), *above(parent).items()]:
                    old = levels.get(ancestor, (low + 1, high + 1))
                    levels[ancestor] = (min(old[0], low + 1), max(old[1], high + 1))
            memo[node] = levels
        return memo[node]

    out = []
    for c in concepts:
        if c.concept_id in kept:
            out.append((c.concept_id, c.concept_id, 0, 0))
            out += [
                (a, c.concept_id, lo, hi) for a, (lo, hi) in above(c.concept_id).items()
            ]
    return out


def _arrow(name: str, rows: list[dict[str, object]]) -> pa.Table:
    """The rows as an Arrow table with the CDM table's exact schema."""
    schema = cdm_table(name).arrow_schema
    columns = {f.name: [row[f.name] for row in rows] for f in schema}
    return pa.table(columns, schema=schema)
